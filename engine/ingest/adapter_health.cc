// Per-adapter health bookkeeping (see adapter_health.h).
#include "engine/ingest/adapter_health.h"

#include <algorithm>

#include "engine/core/utf8_text.h"

namespace fhirengine::ingest {

std::string_view StateName(AdapterState state) {
  switch (state) {
    case AdapterState::kStarting:
      return "starting";
    case AdapterState::kIdle:
      return "idle";
    case AdapterState::kPolling:
      return "polling";
    case AdapterState::kBackingOff:
      return "backing-off";
    case AdapterState::kFailed:
      return "failed";
    case AdapterState::kStopped:
      return "stopped";
  }
  return "unknown";
}

AdapterHealth::AdapterHealth(std::string name, std::string type, std::int64_t stale_after_ms,
                             std::int64_t started_ms)
    : name_(std::move(name)),
      type_(std::move(type)),
      stale_after_ms_(stale_after_ms),
      started_ms_(started_ms) {}

void AdapterHealth::SetState(AdapterState state) {
  std::lock_guard lock(mutex_);
  state_ = state;
}

void AdapterHealth::RecordSuccess(std::int64_t now_ms, bool received) {
  std::lock_guard lock(mutex_);
  last_success_ms_ = now_ms;
  if (received) last_received_ms_ = now_ms;
  last_error_.clear();
}

void AdapterHealth::RecordError(std::string message, std::int64_t now_ms) {
  (void)now_ms;
  std::lock_guard lock(mutex_);
  ++errors_;
  // /health and /metrics are JSON and text: a source's bytes quoted in an
  // error must not break them, nor a huge message bloat them.
  last_error_ = ToValidUtf8(message, kMaxErrorBytes);
}

void AdapterHealth::RecordDelivery(const adapters::DeliveryReport& report,
                                   std::optional<std::int64_t> newest_source_ms,
                                   std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  stored_ += report.stored;
  unchanged_ += report.unchanged;
  deleted_ += report.deleted;
  quarantined_ += report.quarantined;
  if (newest_source_ms && (!newest_source_ms_ || *newest_source_ms > *newest_source_ms_)) {
    newest_source_ms_ = newest_source_ms;
  }
  recent_.emplace_back(now_ms,
                       report.stored + report.unchanged + report.deleted + report.quarantined);
  while (!recent_.empty() && recent_.front().first <= now_ms - kRateWindowMs) recent_.pop_front();
}

void AdapterHealth::RecordValidationWarnings(std::uint64_t count) {
  std::lock_guard lock(mutex_);
  validation_warnings_ += count;
}

HealthSnapshot AdapterHealth::Snapshot(std::int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  while (!recent_.empty() && recent_.front().first <= now_ms - kRateWindowMs) recent_.pop_front();
  HealthSnapshot s;
  s.name = name_;
  s.type = type_;
  s.state = state_;
  s.last_success_ms = last_success_ms_;
  s.last_received_ms = last_received_ms_;
  s.last_error = last_error_;
  if (newest_source_ms_) s.lag_ms = std::max<std::int64_t>(0, now_ms - *newest_source_ms_);
  std::uint64_t records = 0;
  for (const auto& [at, n] : recent_) records += n;
  // Over the window, or the time since start when that is shorter.
  const std::int64_t span = std::clamp<std::int64_t>(now_ms - started_ms_, 1000, kRateWindowMs);
  s.records_per_second = static_cast<double>(records) * 1000.0 / static_cast<double>(span);
  s.errors = errors_;
  s.stored = stored_;
  s.unchanged = unchanged_;
  s.deleted = deleted_;
  s.quarantined = quarantined_;
  s.validation_warnings = validation_warnings_;
  const std::int64_t since = last_success_ms_.value_or(started_ms_);
  s.degraded = state_ == AdapterState::kFailed || state_ == AdapterState::kBackingOff ||
               now_ms - since > stale_after_ms_;
  return s;
}

}  // namespace fhirengine::ingest
