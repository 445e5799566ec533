// A source's record timestamps as Unix milliseconds (SourceRecord's
// source_time_ms, which feeds the adapter's lag): FHIR instants, epoch
// numbers, or a fixed pattern such as "%Y-%m-%d %H:%M" at a fixed UTC offset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/drop_folder/settings_reader.h"
#include "engine/core/status.h"

namespace fhirengine::adapters::drop_folder {

// Immutable once made; thread-safe.
class SourceTimeFormat {
 public:
  // `format`: "instant" (R4 instant with a zone: "2026-11-23T08:15:00+01:00"),
  // "epoch-seconds", "epoch-millis", or a pattern of literal characters and
  // %Y (4 digits), %m, %d, %H, %M, %S (2 digits each) with %Y, %m and %d
  // required. `utc_offset` ("+01:00", "-05:30", "Z") applies to patterns
  // only (a fixed offset: no daylight-saving rules). kInvalidArgument naming
  // what is wrong.
  static Result<SourceTimeFormat> Make(std::string_view format, std::string_view utc_offset);

  // Unix milliseconds for `text`; kInvalidArgument when it does not match.
  Result<std::int64_t> Parse(std::string_view text) const;

  const std::string& format() const { return format_; }

 private:
  enum class Kind { kInstant, kEpochSeconds, kEpochMillis, kPattern };
  Kind kind_ = Kind::kInstant;
  std::string format_;
  std::int64_t offset_ms_ = 0;
};

// The settings "timestamp-format" (default "instant") and
// "timestamp-utc-offset" (default "Z") of a file adapter; kInvalidArgument
// naming the key that is wrong.
Result<SourceTimeFormat> ReadSourceTimeFormat(const SettingsReader& reader);

}  // namespace fhirengine::adapters::drop_folder
