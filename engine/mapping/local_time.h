// Local wall-clock times to instants: a small rule table of the time zones
// mappings support (UTC and the EU zones that follow the EU summer-time rule:
// last Sunday of March 01:00 UTC to last Sunday of October 01:00 UTC), so a
// source's "2026-03-29 14:05" in Europe/Stockholm becomes
// 2026-03-29T14:05:00+02:00. libstdc++ 12 has no std::chrono::tzdb; zones
// outside the table are refused rather than guessed. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace fhirengine::mapping {

struct LocalDateTime {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

// Whether `zone` is in the rule table ("UTC", "Europe/Stockholm", ...).
bool IsSupportedTimeZone(std::string_view zone);

// The UTC offset in minutes for `local` in `zone`. A time in the spring
// gap (02:00-03:00 on the last Sunday of March) does not exist: an error. A
// time in the autumn overlap happened twice: the first (summer-time)
// occurrence is taken. kInvalidArgument for unknown zones and bad dates.
Result<int> LocalOffsetMinutes(const LocalDateTime& local, std::string_view zone);

// Parses `text` with a strptime-like `format` (%Y %m %d %H %M %S and literal
// characters; the whole text must match).
Result<LocalDateTime> ParseLocal(std::string_view text, std::string_view format);

// "2026-03-29T14:05:00+02:00".
std::string FormatInstant(const LocalDateTime& local, int offset_minutes);

// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t DaysFromCivil(int year, int month, int day);

}  // namespace fhirengine::mapping
