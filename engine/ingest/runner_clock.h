// Time for the adapter runner, injectable so tests control it: the wall
// clock (for health) and interruptible sleeps (a stop wakes every sleeper).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace fhirengine::ingest {

// Set once when an adapter is stopped; wakes its sleeps. Thread-safe.
class StopSignal {
 public:
  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    cv_.notify_all();
  }
  bool stopped() const {
    std::lock_guard lock(mutex_);
    return stopped_;
  }
  // Waits `duration` or until Stop(); false when stopped.
  bool WaitFor(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, duration, [this] { return stopped_; });
    return !stopped_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

class Clock {
 public:
  virtual ~Clock() = default;
  // Unix epoch milliseconds.
  virtual std::int64_t NowMs() = 0;
  // Sleeps `duration` or until `stop`; false when stopped.
  virtual bool Sleep(std::chrono::milliseconds duration, StopSignal& stop) = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t NowMs() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  bool Sleep(std::chrono::milliseconds duration, StopSignal& stop) override {
    return stop.WaitFor(duration);
  }
};

}  // namespace fhirengine::ingest
