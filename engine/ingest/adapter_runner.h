// Runs one adapter: polls it at its interval on a thread of its own, backs
// off with full jitter after a failed round, honours the source's
// Retry-After, polls again at once when a round stopped early, and keeps
// the adapter's health.
//
// One thread per adapter, not a shared pool or coroutines: a region has a
// handful of sources, an adapter's I/O is blocking (files, the HTTP client)
// and its rounds must run strictly in order (each starts from the cursor
// the previous one committed); a thread each gives exactly that with no
// scheduler to get wrong, at a cost of one mostly sleeping thread per source.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "adapters/api/adapter.h"
#include "engine/ingest/adapter_health.h"
#include "engine/ingest/runner_clock.h"

namespace fhirengine::ingest {

// The longest wait a source's Retry-After (PollOutcome::retry_after) gets:
// any longer value is read as this (an hour, as the HTTP adapters cap it).
inline constexpr std::chrono::hours kMaxRetryAfter{1};

struct RunnerOptions {
  std::chrono::milliseconds poll_interval{30'000};
  // Back-off after the n-th failure in a row: a uniform random wait in
  // [0, min(max_backoff, initial_backoff * 2^(n-1))] ("full jitter").
  std::chrono::milliseconds initial_backoff{1'000};
  std::chrono::milliseconds max_backoff{300'000};
  // Returns a uniform random integer in [0, max_ms]; tests inject their own.
  std::function<std::int64_t(std::int64_t max_ms)> jitter;
};

class AdapterRunner {
 public:
  // All references outlive the runner.
  AdapterRunner(std::unique_ptr<adapters::Adapter> adapter, adapters::AdapterContext& context,
                AdapterHealth& health, Clock& clock, StopSignal& stop, RunnerOptions options);
  // Stops (see Stop).
  ~AdapterRunner();
  AdapterRunner(const AdapterRunner&) = delete;
  AdapterRunner& operator=(const AdapterRunner&) = delete;

  // Starts the adapter's thread.
  void Start();
  // Sets stopping, interrupts a Poll in progress (Adapter::Cancel) and
  // joins the thread. Idempotent.
  void Stop();
  // The loop itself, on the calling thread, until stopped (Start runs it
  // on the adapter's thread; tests call it directly).
  void Run();

  // The wait before the next poll after `failures` failed rounds in a row.
  std::chrono::milliseconds Backoff(int failures) const;

 private:
  std::unique_ptr<adapters::Adapter> adapter_;
  adapters::AdapterContext& context_;
  AdapterHealth& health_;
  Clock& clock_;
  StopSignal& stop_;
  RunnerOptions options_;
  std::thread thread_;
};

}  // namespace fhirengine::ingest
