// FHIRPath's System.Date, System.DateTime and System.Time: partial values
// that keep their precision (@2014 is a year, not 2014-01-01), an optional
// time-zone offset, and the precision-aware comparison the specification
// defines (comparing values of different precision can be indeterminate).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fhirengine::fhirpath {

// Second and millisecond count as one precision when comparing (10:30:00 =
// 10:30:00.0), but are kept apart for output.
enum class TemporalPrecision : std::uint8_t {
  kYear,
  kMonth,
  kDay,
  kHour,
  kMinute,
  kSecond,
  kMillisecond,
};

enum class TemporalKind : std::uint8_t { kDate, kDateTime, kTime };

// Calendar units a date/time arithmetic step can use.
enum class TimeUnit : std::uint8_t {
  kYear,
  kMonth,
  kWeek,
  kDay,
  kHour,
  kMinute,
  kSecond,
  kMillisecond
};

struct Temporal {
  TemporalKind kind = TemporalKind::kDate;
  TemporalPrecision precision = TemporalPrecision::kYear;
  int year = 0;  // Date/DateTime only
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int millisecond = 0;
  bool has_timezone = false;  // DateTime only
  int tz_offset_minutes = 0;

  // Date: "2014-12-14"; DateTime: "2015-02-04T14:34:28.123+10:00"; Time:
  // "14:34:28" (no '@' or 'T' prefix).
  std::string ToString() const;
  // The same value as a DateTime (a Date keeps its day precision).
  Temporal AsDateTime() const;
  // Number of digits in the value, as FHIRPath's precision() counts them
  // (@2014 -> 4, a DateTime to the millisecond -> 17, @T10:30 -> 4).
  int DigitPrecision() const;
};

// FHIRPath literal forms (without the '@'): "2015", "2015-02-04",
// "2015-02-04T14:34", "2015T", "2015-02-04T14:34:28.123+10:00"; for time
// "T14:34:28.123". Also the FHIR date, dateTime and instant forms.
std::optional<Temporal> ParseDate(std::string_view text);      // Date only
std::optional<Temporal> ParseDateTime(std::string_view text);  // Date part with optional time
std::optional<Temporal> ParseTime(std::string_view text);      // "14", "14:34:28.5" (no 'T')
// A literal after '@': Date, DateTime or Time ("T..." prefix).
std::optional<Temporal> ParseTemporalLiteral(std::string_view text);

// Orders a and b (both Date/DateTime, or both Time). Returns nullopt when the
// answer depends on digits one side does not have (@2018-03 vs @2018-03-01)
// or when only one side has a time-zone offset.
std::optional<int> CompareTemporal(const Temporal& a, const Temporal& b);
// Same precision and same instant (for equivalence: different precision is
// simply not equivalent).
bool SamePrecision(const Temporal& a, const Temporal& b);

// a + amount * unit. Units finer than the value's precision are applied and
// then truncated to that precision; returns nullopt when the result leaves
// years 1..9999 or the unit does not apply (a year added to a Time).
std::optional<Temporal> AddToTemporal(const Temporal& a, std::int64_t amount, TimeUnit unit);

// The current instant as DateTime (millisecond precision, UTC offset +00:00).
Temporal NowUtc();

// Days in `month` of `year` (proleptic Gregorian).
int DaysInMonth(int year, int month);

}  // namespace fhirengine::fhirpath
