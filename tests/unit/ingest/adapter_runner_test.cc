// The adapter runner with an injected clock and a scripted adapter: the
// poll interval, back-off with (injected) jitter, Retry-After, `more`, and
// health bookkeeping.
#include "engine/ingest/adapter_runner.h"

#include <gtest/gtest.h>

#include <deque>
#include <vector>

namespace fhirengine::ingest {
namespace {

// Time moves only when the runner sleeps; every sleep is recorded.
class FakeClock final : public Clock {
 public:
  std::int64_t NowMs() override { return now_ms; }
  bool Sleep(std::chrono::milliseconds d, StopSignal& stop) override {
    sleeps.push_back(d.count());
    now_ms += d.count();
    return !stop.stopped();
  }
  std::int64_t now_ms = 1'000'000;
  std::vector<std::int64_t> sleeps;
};

// Returns the scripted outcomes in order, then stops the runner.
class ScriptedAdapter final : public adapters::Adapter {
 public:
  ScriptedAdapter(std::deque<adapters::PollOutcome> script, StopSignal& stop)
      : script_(std::move(script)), stop_(stop) {}
  adapters::PollOutcome Poll(adapters::AdapterContext&) override {
    ++polls;
    adapters::PollOutcome next = script_.front();
    script_.pop_front();
    if (script_.empty()) stop_.Stop();
    return next;
  }
  void Cancel() override { ++cancels; }
  int polls = 0;
  int cancels = 0;

 private:
  std::deque<adapters::PollOutcome> script_;
  StopSignal& stop_;
};

class NullContext final : public adapters::AdapterContext {
 public:
  const std::string& name() const override { return name_; }
  std::string committed_cursor() const override { return ""; }
  Result<adapters::DeliveryReport> Deliver(adapters::SourceBatch) override {
    return adapters::DeliveryReport{};
  }
  bool stopping() const override { return false; }
  bool SleepFor(std::chrono::milliseconds) override { return true; }

 private:
  std::string name_ = "scripted";
};

adapters::PollOutcome Ok() { return {}; }
adapters::PollOutcome Fail() {
  return {Status(StatusCode::kUnavailable, "source down"), {}, false};
}

struct Fixture {
  FakeClock clock;
  StopSignal stop;
  NullContext context;
  AdapterHealth health{"scripted", "test", 60'000, 1'000'000};
  ScriptedAdapter* adapter = nullptr;

  std::unique_ptr<AdapterRunner> Make(std::deque<adapters::PollOutcome> script) {
    auto owned = std::make_unique<ScriptedAdapter>(std::move(script), stop);
    adapter = owned.get();
    RunnerOptions options;
    options.poll_interval = std::chrono::milliseconds(30'000);
    options.initial_backoff = std::chrono::milliseconds(1'000);
    options.max_backoff = std::chrono::milliseconds(5'000);
    options.jitter = [](std::int64_t max) { return max; };  // the ceiling, to see it
    return std::make_unique<AdapterRunner>(std::move(owned), context, health, clock, stop, options);
  }
};

TEST(AdapterRunnerTest, BacksOffExponentiallyUpToTheCapAndResetsOnSuccess) {
  Fixture f;
  auto runner = f.Make({Fail(), Fail(), Fail(), Fail(), Ok(), Fail(), Ok()});
  runner->Run();
  EXPECT_EQ(f.adapter->polls, 7);
  EXPECT_EQ(f.clock.sleeps, (std::vector<std::int64_t>{1'000, 2'000, 4'000, 5'000, 30'000, 1'000}));
  const HealthSnapshot s = f.health.Snapshot(f.clock.NowMs());
  EXPECT_EQ(s.state, AdapterState::kStopped);
  EXPECT_EQ(s.errors, 5u);
  EXPECT_TRUE(s.last_error.empty());  // the last round succeeded
  EXPECT_EQ(s.last_success_ms, f.clock.NowMs());
}

TEST(AdapterRunnerTest, HonoursRetryAfterAndPollsAgainAtOnceWhenMore) {
  Fixture f;
  adapters::PollOutcome throttled = Fail();
  throttled.retry_after = std::chrono::milliseconds(120'000);
  adapters::PollOutcome more = Ok();
  more.more = true;
  adapters::PollOutcome short_retry = Fail();
  short_retry.retry_after = std::chrono::milliseconds(10);
  auto runner = f.Make({throttled, more, more, Ok(), short_retry, Ok()});
  runner->Run();
  // 120 s (Retry-After over the 1 s back-off), none for `more`, the
  // interval, then the back-off (2^0 s: the success reset it) over 10 ms.
  EXPECT_EQ(f.clock.sleeps, (std::vector<std::int64_t>{120'000, 30'000, 1'000}));
}

// A Retry-After is honoured up to a bound: a plugin (or a future adapter)
// may report any value, and an unbounded wait overflows the condition
// variable's deadline (which then wakes at once: a busy loop on the source).
TEST(AdapterRunnerTest, RetryAfterIsBounded) {
  Fixture f;
  adapters::PollOutcome huge = Fail();
  huge.retry_after = std::chrono::milliseconds::max();
  adapters::PollOutcome huge_ok = Ok();
  huge_ok.retry_after = std::chrono::hours(24 * 365);
  auto runner = f.Make({huge, huge_ok, Ok()});
  runner->Run();
  const std::int64_t bound = std::chrono::milliseconds(kMaxRetryAfter).count();
  EXPECT_EQ(f.clock.sleeps, (std::vector<std::int64_t>{bound, bound}));
}

// Whatever an adapter throws, the runner records it as the round's error
// and goes on: an exception that is not a std::exception must not end the
// engine (std::terminate on the adapter's thread).
TEST(AdapterRunnerTest, AnythingAnAdapterThrowsFailsOnlyTheRound) {
  class Throwing final : public adapters::Adapter {
   public:
    explicit Throwing(StopSignal& stop) : stop_(stop) {}
    adapters::PollOutcome Poll(adapters::AdapterContext&) override {
      if (++polls == 2) stop_.Stop();
      throw 42;
    }
    int polls = 0;

   private:
    StopSignal& stop_;
  };
  Fixture f;
  auto owned = std::make_unique<Throwing>(f.stop);
  Throwing* adapter = owned.get();
  RunnerOptions options;
  options.jitter = [](std::int64_t max) { return max; };
  AdapterRunner runner(std::move(owned), f.context, f.health, f.clock, f.stop, options);
  runner.Run();
  EXPECT_EQ(adapter->polls, 2);
  const HealthSnapshot s = f.health.Snapshot(f.clock.NowMs());
  EXPECT_EQ(s.errors, 2u);
  EXPECT_NE(s.last_error.find("the adapter threw"), std::string::npos) << s.last_error;
}

TEST(AdapterRunnerTest, FullJitterStaysWithinTheCeiling) {
  Fixture f;
  RunnerOptions options;
  options.initial_backoff = std::chrono::milliseconds(100);
  options.max_backoff = std::chrono::milliseconds(1'000);
  AdapterRunner plain(
      std::make_unique<ScriptedAdapter>(std::deque<adapters::PollOutcome>{Ok()}, f.stop), f.context,
      f.health, f.clock, f.stop, options);
  for (int failures = 1; failures < 30; ++failures) {
    const std::int64_t wait = plain.Backoff(failures).count();
    EXPECT_GE(wait, 0);
    EXPECT_LE(wait, std::min<std::int64_t>(1'000, std::int64_t{100} << std::min(failures - 1, 20)));
  }
}

TEST(AdapterRunnerTest, StopCancelsAndJoins) {
  Fixture f;
  // A long script on a real thread: Stop must interrupt it.
  std::deque<adapters::PollOutcome> script(1000, Ok());
  auto runner = f.Make(script);
  runner->Start();
  runner->Stop();
  EXPECT_GE(f.adapter->cancels, 1);
  EXPECT_EQ(f.health.Snapshot(f.clock.NowMs()).state, AdapterState::kStopped);
}

TEST(AdapterRunnerTest, APollThatReceivedNothingDoesNotRefreshTheSource) {
  Fixture f;
  adapters::PollOutcome nothing = Ok();
  nothing.received = false;  // a drop folder with no new file
  auto runner = f.Make({Ok(), nothing, nothing});
  const std::int64_t first = f.clock.NowMs();
  runner->Run();
  const HealthSnapshot s = f.health.Snapshot(f.clock.NowMs());
  EXPECT_EQ(s.last_success_ms, first + 60'000);  // the polls succeeded
  EXPECT_EQ(s.last_received_ms, first);          // but only the first heard from the source
}

TEST(AdapterHealthTest, LagRateAndStaleness) {
  AdapterHealth h("a", "t", 60'000, 0);
  h.RecordDelivery({.stored = 30, .unchanged = 0, .deleted = 0, .quarantined = 0}, 50'000, 60'000);
  h.RecordSuccess(60'000);
  HealthSnapshot s = h.Snapshot(90'000);
  EXPECT_EQ(s.lag_ms, 40'000);
  EXPECT_DOUBLE_EQ(s.records_per_second, 0.5);  // 30 records over the 60 s window
  EXPECT_FALSE(s.degraded);
  EXPECT_TRUE(h.Snapshot(121'000).degraded);  // no success for over 60 s
}

}  // namespace
}  // namespace fhirengine::ingest
