// The adapter runner's loop (see adapter_runner.h).
#include "engine/ingest/adapter_runner.h"

#include <algorithm>
#include <exception>
#include <random>

#include "engine/core/log.h"

namespace fhirengine::ingest {
namespace {

std::int64_t UniformJitter(std::int64_t max_ms) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return std::uniform_int_distribution<std::int64_t>(0, max_ms)(random);
}

}  // namespace

AdapterRunner::AdapterRunner(std::unique_ptr<adapters::Adapter> adapter,
                             adapters::AdapterContext& context, AdapterHealth& health, Clock& clock,
                             StopSignal& stop, RunnerOptions options)
    : adapter_(std::move(adapter)),
      context_(context),
      health_(health),
      clock_(clock),
      stop_(stop),
      options_(std::move(options)) {
  if (!options_.jitter) options_.jitter = UniformJitter;
}

AdapterRunner::~AdapterRunner() { Stop(); }

void AdapterRunner::Start() {
  thread_ = std::thread([this] { Run(); });
}

void AdapterRunner::Stop() {
  stop_.Stop();
  adapter_->Cancel();
  if (thread_.joinable()) thread_.join();
}

std::chrono::milliseconds AdapterRunner::Backoff(int failures) const {
  const std::int64_t cap = options_.max_backoff.count();
  std::int64_t ceiling = options_.initial_backoff.count();
  for (int i = 1; i < failures && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  return std::chrono::milliseconds(std::clamp<std::int64_t>(options_.jitter(ceiling), 0, ceiling));
}

void AdapterRunner::Run() {
  int failures = 0;
  while (!stop_.stopped()) {
    health_.SetState(AdapterState::kPolling);
    adapters::PollOutcome outcome;
    try {
      outcome = adapter_->Poll(context_);
    } catch (const std::exception& e) {  // an adapter bug must not end the engine
      outcome.status = Internal(std::string("the adapter threw: ") + e.what());
    } catch (...) {  // nor one that throws something else (a thread's escape terminates)
      outcome.status = Internal("the adapter threw an exception of an unknown type");
    }
    std::chrono::milliseconds wait{0};
    if (outcome.status.ok()) {
      failures = 0;
      health_.RecordSuccess(clock_.NowMs(), outcome.received);
      health_.SetState(AdapterState::kIdle);
      if (!outcome.more) wait = options_.poll_interval;
    } else {
      ++failures;
      health_.RecordError(outcome.status.message(), clock_.NowMs());
      health_.SetState(AdapterState::kBackingOff);
      wait = Backoff(failures);
      log::Write(log::Level::kWarning, "adapter poll failed",
                 {{"adapter", context_.name()},
                  {"error", outcome.status.message()},
                  {"failures", failures},
                  {"retry_in_ms", static_cast<std::int64_t>(wait.count())}});
    }
    if (stop_.stopped()) break;  // the round's outcome is recorded; no next one
    if (outcome.retry_after) {
      const std::chrono::milliseconds asked =
          std::min<std::chrono::milliseconds>(*outcome.retry_after, kMaxRetryAfter);
      wait = std::max(wait, asked);
    }
    if (wait.count() > 0 && !clock_.Sleep(wait, stop_)) break;
  }
  health_.SetState(AdapterState::kStopped);
}

}  // namespace fhirengine::ingest
