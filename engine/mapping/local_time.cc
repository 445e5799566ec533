// The time-zone rule table and the local-to-instant conversion.
#include "engine/mapping/local_time.h"

#include <array>
#include <cstdio>

namespace fhirengine::mapping {
namespace {

struct ZoneRule {
  std::string_view name;
  int standard_minutes;  // offset from UTC outside summer time
  bool eu_summer_time;   // follows the EU rule (+60 minutes in summer)
};

constexpr std::array<ZoneRule, 12> kZones{{
    {"UTC", 0, false},
    {"Etc/UTC", 0, false},
    {"Europe/London", 0, true},
    {"Europe/Dublin", 0, true},
    {"Europe/Stockholm", 60, true},
    {"Europe/Oslo", 60, true},
    {"Europe/Copenhagen", 60, true},
    {"Europe/Berlin", 60, true},
    {"Europe/Amsterdam", 60, true},
    {"Europe/Paris", 60, true},
    {"Europe/Helsinki", 120, true},
    {"Europe/Tallinn", 120, true},
}};

const ZoneRule* FindZone(std::string_view name) {
  for (const ZoneRule& z : kZones)
    if (z.name == name) return &z;
  return nullptr;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Weekday of a day count since the epoch: 0 = Sunday (1970-01-01 was a Thursday).
int Weekday(std::int64_t days) { return static_cast<int>(((days % 7) + 11) % 7); }

std::int64_t LastSundayMinutes(int year, int month) {
  const std::int64_t last = DaysFromCivil(year, month, DaysInMonth(year, month));
  return (last - Weekday(last)) * 1440 + 60;  // 01:00 UTC
}

std::int64_t LocalMinutes(const LocalDateTime& t) {
  return DaysFromCivil(t.year, t.month, t.day) * 1440 + t.hour * 60 + t.minute;
}

int OffsetAtUtc(const ZoneRule& z, int year, std::int64_t utc_minutes) {
  if (!z.eu_summer_time) return z.standard_minutes;
  const bool summer =
      utc_minutes >= LastSundayMinutes(year, 3) && utc_minutes < LastSundayMinutes(year, 10);
  return z.standard_minutes + (summer ? 60 : 0);
}

}  // namespace

std::int64_t DaysFromCivil(int year, int month, int day) {
  // Howard Hinnant's days_from_civil.
  year -= month <= 2;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy =
      static_cast<unsigned>((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1);
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool IsSupportedTimeZone(std::string_view zone) { return FindZone(zone) != nullptr; }

Result<int> LocalOffsetMinutes(const LocalDateTime& local, std::string_view zone) {
  const ZoneRule* z = FindZone(zone);
  if (z == nullptr) return InvalidArgument("unsupported time zone '" + std::string(zone) + "'");
  const std::int64_t lm = LocalMinutes(local);
  // Try summer time first so an autumn-overlap time takes its first occurrence.
  for (int candidate : {z->standard_minutes + 60, z->standard_minutes}) {
    if (!z->eu_summer_time && candidate != z->standard_minutes) continue;
    if (OffsetAtUtc(*z, local.year, lm - candidate) == candidate) return candidate;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d", local.year, local.month, local.day,
                local.hour, local.minute);
  return InvalidArgument("local time " + std::string(buf) + " does not exist in " +
                         std::string(zone) + " (skipped when summer time starts)");
}

Result<LocalDateTime> ParseLocal(std::string_view text, std::string_view format) {
  LocalDateTime t{.year = 0, .month = 1, .day = 1};
  std::size_t p = 0;
  auto bad = [&] {
    return InvalidArgument("'" + std::string(text) + "' does not match the date format '" +
                           std::string(format) + "'");
  };
  for (std::size_t f = 0; f < format.size(); ++f) {
    if (format[f] != '%' || f + 1 == format.size()) {
      if (p >= text.size() || text[p] != format[f]) return bad();
      ++p;
      continue;
    }
    const char spec = format[++f];
    const std::size_t width = spec == 'Y' ? 4 : 2;
    int* target = spec == 'Y'   ? &t.year
                  : spec == 'm' ? &t.month
                  : spec == 'd' ? &t.day
                  : spec == 'H' ? &t.hour
                  : spec == 'M' ? &t.minute
                  : spec == 'S' ? &t.second
                                : nullptr;
    if (target == nullptr)
      return InvalidArgument("unsupported directive %" + std::string(1, spec) + " in date format");
    if (p + width > text.size()) return bad();
    int v = 0;
    for (std::size_t i = 0; i < width; ++i) {
      const char c = text[p + i];
      if (c < '0' || c > '9') return bad();
      v = v * 10 + (c - '0');
    }
    *target = v;
    p += width;
  }
  if (p != text.size()) return bad();
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > DaysInMonth(t.year, t.month) ||
      t.hour > 23 || t.minute > 59 || t.second > 59 || t.year < 1) {
    return InvalidArgument("'" + std::string(text) + "' is not a valid date and time");
  }
  return t;
}

std::string FormatInstant(const LocalDateTime& t, int offset) {
  char buf[40];
  const int a = offset < 0 ? -offset : offset;
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", t.year, t.month, t.day,
                t.hour, t.minute, t.second, offset < 0 ? '-' : '+', a / 60, a % 60);
  return buf;
}

}  // namespace fhirengine::mapping
