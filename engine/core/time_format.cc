// Calendar arithmetic (H. Hinnant's days-from-civil algorithms) and the two
// text forms; no locale, no time zone database, no gmtime.
#include "engine/core/time_format.h"

#include <array>
#include <chrono>
#include <cstdio>

namespace fhirengine {
namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

struct CivilDate {
  std::int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

std::int64_t DaysFromCivil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = m > 2 ? m - 3 : m + 9;
  const std::int64_t doy = (153 * mp + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), static_cast<int>(m), static_cast<int>(d)};
}

bool IsLeap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(std::int64_t y, int m) {
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[static_cast<std::size_t>(m - 1)];
}

// Floor division, so times before 1970 split into day and time correctly.
std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

struct Broken {
  CivilDate date;
  int hour, minute, second, millis;
  int weekday;  // 0 = Sunday
};

Broken Break(std::int64_t unix_ms) {
  const std::int64_t days = FloorDiv(unix_ms, kMsPerDay);
  const std::int64_t in_day = unix_ms - days * kMsPerDay;
  Broken b{};
  b.date = CivilFromDays(days);
  b.hour = static_cast<int>(in_day / 3'600'000);
  b.minute = static_cast<int>(in_day / 60'000 % 60);
  b.second = static_cast<int>(in_day / 1000 % 60);
  b.millis = static_cast<int>(in_day % 1000);
  b.weekday = static_cast<int>(days >= -4 ? (days + 4) % 7 : (days + 5) % 7 + 6);
  return b;
}

// Reads exactly `n` digits at `pos`; advances `pos`.
std::optional<int> Digits(std::string_view s, std::size_t& pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool Expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

constexpr std::array<std::string_view, 7> kWeekdays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

std::int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatInstant(std::int64_t unix_ms) {
  const Broken b = Break(unix_ms);
  char out[40];
  const int n = std::snprintf(out, sizeof out, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
                              static_cast<long long>(b.date.year), b.date.month, b.date.day, b.hour,
                              b.minute, b.second, b.millis);
  return std::string(out, static_cast<std::size_t>(n > 0 ? n : 0));
}

Result<std::int64_t> ParseInstant(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return InvalidArgument("'" + std::string(text) +
                           "' is not a FHIR instant (YYYY-MM-DDThh:mm:ss[.sss]Z or with "
                           "+hh:mm): " +
                           std::string(why));
  };
  std::size_t pos = 0;
  std::optional<int> year = Digits(text, pos, 4);
  if (!year || !Expect(text, pos, '-')) return fail("bad year");
  std::optional<int> month = Digits(text, pos, 2);
  if (!month || *month < 1 || *month > 12 || !Expect(text, pos, '-')) return fail("bad month");
  std::optional<int> day = Digits(text, pos, 2);
  if (!day || *day < 1 || *day > DaysInMonth(*year, *month)) return fail("bad day");
  if (!Expect(text, pos, 'T')) return fail("a time is required");
  std::optional<int> hour = Digits(text, pos, 2);
  if (!hour || *hour > 23 || !Expect(text, pos, ':')) return fail("bad hour");
  std::optional<int> minute = Digits(text, pos, 2);
  if (!minute || *minute > 59 || !Expect(text, pos, ':')) return fail("bad minute");
  std::optional<int> second = Digits(text, pos, 2);
  // FHIR allows a leap second 60; it counts as the next second here.
  if (!second || *second > 60) return fail("bad second");
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return fail("empty fraction");
    for (std::size_t i = digits; i < 3; ++i) millis *= 10;
  }
  std::int64_t offset_minutes = 0;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool negative = text[pos] == '-';
    ++pos;
    std::optional<int> oh = Digits(text, pos, 2);
    if (!oh || *oh > 14 || !Expect(text, pos, ':')) return fail("bad zone offset");
    std::optional<int> om = Digits(text, pos, 2);
    if (!om || *om > 59) return fail("bad zone offset");
    offset_minutes = (*oh * 60 + *om) * (negative ? -1 : 1);
  } else {
    return fail("a time zone (Z or +hh:mm) is required");
  }
  if (pos != text.size()) return fail("unexpected text after the zone");
  const std::int64_t days = DaysFromCivil(*year, *month, *day);
  const std::int64_t seconds =
      days * 86'400 + *hour * 3600 + *minute * 60 + *second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

std::string FormatHttpDate(std::int64_t unix_ms) {
  const Broken b = Break(unix_ms);
  char out[40];
  const int n = std::snprintf(out, sizeof out, "%s, %02d %s %04lld %02d:%02d:%02d GMT",
                              kWeekdays[static_cast<std::size_t>(b.weekday)].data(), b.date.day,
                              kMonths[static_cast<std::size_t>(b.date.month - 1)].data(),
                              static_cast<long long>(b.date.year), b.hour, b.minute, b.second);
  return std::string(out, static_cast<std::size_t>(n > 0 ? n : 0));
}

std::optional<std::int64_t> ParseHttpDate(std::string_view text) {
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT", exactly 29 characters.
  if (text.size() != 29) return std::nullopt;
  bool weekday_ok = false;
  for (std::string_view w : kWeekdays) weekday_ok = weekday_ok || text.substr(0, 3) == w;
  if (!weekday_ok || text.substr(3, 2) != ", ") return std::nullopt;
  std::size_t pos = 5;
  std::optional<int> day = Digits(text, pos, 2);
  if (!day || !Expect(text, pos, ' ')) return std::nullopt;
  int month = 0;
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (text.substr(pos, 3) == kMonths[i]) month = static_cast<int>(i) + 1;
  }
  pos += 3;
  if (month == 0 || !Expect(text, pos, ' ')) return std::nullopt;
  std::optional<int> year = Digits(text, pos, 4);
  if (!year || !Expect(text, pos, ' ')) return std::nullopt;
  std::optional<int> hour = Digits(text, pos, 2);
  if (!hour || *hour > 23 || !Expect(text, pos, ':')) return std::nullopt;
  std::optional<int> minute = Digits(text, pos, 2);
  if (!minute || *minute > 59 || !Expect(text, pos, ':')) return std::nullopt;
  std::optional<int> second = Digits(text, pos, 2);
  if (!second || *second > 60) return std::nullopt;
  if (text.substr(pos) != " GMT") return std::nullopt;
  if (*day < 1 || *day > DaysInMonth(*year, month)) return std::nullopt;
  const std::int64_t days = DaysFromCivil(*year, month, *day);
  return (days * 86'400 + *hour * 3600 + *minute * 60 + *second) * 1000;
}

}  // namespace fhirengine
