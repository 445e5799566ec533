// Partial dates and times: parsing, formatting, precision-aware comparison
// and calendar arithmetic (proleptic Gregorian, Howard Hinnant's day count).
#include "engine/fhirpath/date_time.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace fhirengine::fhirpath {
namespace {

constexpr std::int64_t kMsPerMinute = 60'000;
constexpr std::int64_t kMsPerDay = 86'400'000;

std::int64_t DaysFromCivil(std::int64_t y, std::int64_t m, std::int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(std::int64_t z, int* year, int* month, int* day) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = yoe + era * 400;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int>(y + (m <= 2 ? 1 : 0));
  *month = static_cast<int>(m);
  *day = static_cast<int>(d);
}

// Comparison level: second and millisecond are one level.
int Level(TemporalPrecision p) {
  return p == TemporalPrecision::kMillisecond ? static_cast<int>(TemporalPrecision::kSecond)
                                              : static_cast<int>(p);
}

bool HasTime(const Temporal& t) {
  return t.kind == TemporalKind::kTime || t.precision >= TemporalPrecision::kHour;
}

// Milliseconds since 1970-01-01T00:00 of the local fields (missing ones at
// their start).
std::int64_t EpochMs(const Temporal& t) {
  const std::int64_t days = DaysFromCivil(t.year, t.month, t.day);
  return days * kMsPerDay + ((t.hour * 60LL + t.minute) * 60LL + t.second) * 1000LL + t.millisecond;
}

void SetFromEpochMs(std::int64_t ms, Temporal* t) {
  std::int64_t days = ms / kMsPerDay;
  std::int64_t rest = ms % kMsPerDay;
  if (rest < 0) {
    rest += kMsPerDay;
    days -= 1;
  }
  CivilFromDays(days, &t->year, &t->month, &t->day);
  t->hour = static_cast<int>(rest / 3'600'000);
  t->minute = static_cast<int>(rest / kMsPerMinute % 60);
  t->second = static_cast<int>(rest / 1000 % 60);
  t->millisecond = static_cast<int>(rest % 1000);
}

// Resets the fields finer than the precision to their start values.
void Truncate(Temporal* t) {
  if (t->kind != TemporalKind::kTime) {
    if (t->precision < TemporalPrecision::kMonth) t->month = 1;
    if (t->precision < TemporalPrecision::kDay) t->day = 1;
  }
  if (t->precision < TemporalPrecision::kHour) t->hour = 0;
  if (t->precision < TemporalPrecision::kMinute) t->minute = 0;
  if (t->precision < TemporalPrecision::kSecond) t->second = 0;
  if (t->precision < TemporalPrecision::kMillisecond) t->millisecond = 0;
}

// Reads exactly `n` digits at `*pos`.
bool Digits(std::string_view s, std::size_t* pos, int n, int* out) {
  if (*pos + static_cast<std::size_t>(n) > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    const char c = s[*pos + static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += static_cast<std::size_t>(n);
  *out = v;
  return true;
}

// hh[:mm[:ss[.fff...]]] at *pos into t (hour and finer).
bool ParseTimePart(std::string_view s, std::size_t* pos, Temporal* t) {
  if (!Digits(s, pos, 2, &t->hour) || t->hour > 23) return false;
  t->precision = TemporalPrecision::kHour;
  if (*pos < s.size() && s[*pos] == ':') {
    ++*pos;
    if (!Digits(s, pos, 2, &t->minute) || t->minute > 59) return false;
    t->precision = TemporalPrecision::kMinute;
    if (*pos < s.size() && s[*pos] == ':') {
      ++*pos;
      if (!Digits(s, pos, 2, &t->second) || t->second > 59) return false;
      t->precision = TemporalPrecision::kSecond;
      if (*pos < s.size() && s[*pos] == '.') {
        ++*pos;
        int ms = 0;
        int n = 0;
        while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9') {
          if (n < 3) ms = ms * 10 + (s[*pos] - '0');
          ++n;
          ++*pos;
        }
        if (n == 0) return false;
        for (int i = n; i < 3; ++i) ms *= 10;
        t->millisecond = ms;
        t->precision = TemporalPrecision::kMillisecond;
      }
    }
  }
  return true;
}

// The date part: YYYY[-MM[-DD]].
bool ParseDatePart(std::string_view s, std::size_t* pos, Temporal* t) {
  if (!Digits(s, pos, 4, &t->year)) return false;
  t->precision = TemporalPrecision::kYear;
  if (*pos < s.size() && s[*pos] == '-') {
    ++*pos;
    if (!Digits(s, pos, 2, &t->month) || t->month < 1 || t->month > 12) return false;
    t->precision = TemporalPrecision::kMonth;
    if (*pos < s.size() && s[*pos] == '-') {
      ++*pos;
      if (!Digits(s, pos, 2, &t->day) || t->day < 1 || t->day > DaysInMonth(t->year, t->month)) {
        return false;
      }
      t->precision = TemporalPrecision::kDay;
    }
  }
  return true;
}

void AppendTwo(std::string& out, int v) {
  out.push_back(static_cast<char>('0' + v / 10 % 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

void AppendTime(std::string& out, const Temporal& t) {
  AppendTwo(out, t.hour);
  if (t.precision < TemporalPrecision::kMinute) return;
  out.push_back(':');
  AppendTwo(out, t.minute);
  if (t.precision < TemporalPrecision::kSecond) return;
  out.push_back(':');
  AppendTwo(out, t.second);
  if (t.precision < TemporalPrecision::kMillisecond) return;
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03d", t.millisecond);
  out += ms;
}

}  // namespace

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2) {
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[std::clamp(month, 1, 12) - 1];
}

std::string Temporal::ToString() const {
  std::string out;
  if (kind != TemporalKind::kTime) {
    char year_text[8];
    std::snprintf(year_text, sizeof year_text, "%04d", year);
    out += year_text;
    if (precision >= TemporalPrecision::kMonth) {
      out.push_back('-');
      AppendTwo(out, month);
    }
    if (precision >= TemporalPrecision::kDay) {
      out.push_back('-');
      AppendTwo(out, day);
    }
    if (kind == TemporalKind::kDate || precision < TemporalPrecision::kHour) return out;
    out.push_back('T');
  }
  AppendTime(out, *this);
  if (kind == TemporalKind::kDateTime && has_timezone) {
    if (tz_offset_minutes == 0) {
      out.push_back('Z');
    } else {
      const int off = tz_offset_minutes < 0 ? -tz_offset_minutes : tz_offset_minutes;
      out.push_back(tz_offset_minutes < 0 ? '-' : '+');
      AppendTwo(out, off / 60);
      out.push_back(':');
      AppendTwo(out, off % 60);
    }
  }
  return out;
}

Temporal Temporal::AsDateTime() const {
  Temporal t = *this;
  if (t.kind == TemporalKind::kDate) t.kind = TemporalKind::kDateTime;
  return t;
}

int Temporal::DigitPrecision() const {
  if (kind == TemporalKind::kTime) {
    switch (precision) {
      case TemporalPrecision::kHour:
        return 2;
      case TemporalPrecision::kMinute:
        return 4;
      case TemporalPrecision::kSecond:
        return 6;
      default:
        return 9;
    }
  }
  switch (precision) {
    case TemporalPrecision::kYear:
      return 4;
    case TemporalPrecision::kMonth:
      return 6;
    case TemporalPrecision::kDay:
      return 8;
    case TemporalPrecision::kHour:
      return 10;
    case TemporalPrecision::kMinute:
      return 12;
    case TemporalPrecision::kSecond:
      return 14;
    case TemporalPrecision::kMillisecond:
      return 17;
  }
  return 0;
}

std::optional<Temporal> ParseDate(std::string_view text) {
  Temporal t;
  t.kind = TemporalKind::kDate;
  std::size_t pos = 0;
  if (!ParseDatePart(text, &pos, &t) || pos != text.size()) return std::nullopt;
  return t;
}

std::optional<Temporal> ParseDateTime(std::string_view text) {
  Temporal t;
  t.kind = TemporalKind::kDateTime;
  std::size_t pos = 0;
  if (!ParseDatePart(text, &pos, &t)) return std::nullopt;
  if (pos < text.size() && text[pos] == 'T') {
    ++pos;
    if (pos == text.size()) return t;  // "2015T": a DateTime of year precision
    if (t.precision != TemporalPrecision::kDay) return std::nullopt;
    if (!ParseTimePart(text, &pos, &t)) return std::nullopt;
    if (pos < text.size()) {
      if (text[pos] == 'Z') {
        ++pos;
        t.has_timezone = true;
      } else if (text[pos] == '+' || text[pos] == '-') {
        const bool negative = text[pos] == '-';
        ++pos;
        int h = 0;
        int m = 0;
        if (!Digits(text, &pos, 2, &h) || pos >= text.size() || text[pos] != ':')
          return std::nullopt;
        ++pos;
        if (!Digits(text, &pos, 2, &m) || h > 14 || m > 59) return std::nullopt;
        t.has_timezone = true;
        t.tz_offset_minutes = (negative ? -1 : 1) * (h * 60 + m);
      }
    }
  }
  if (pos != text.size()) return std::nullopt;
  return t;
}

std::optional<Temporal> ParseTime(std::string_view text) {
  Temporal t;
  t.kind = TemporalKind::kTime;
  t.year = 0;
  std::size_t pos = 0;
  if (!ParseTimePart(text, &pos, &t) || pos != text.size()) return std::nullopt;
  return t;
}

std::optional<Temporal> ParseTemporalLiteral(std::string_view text) {
  if (!text.empty() && text[0] == 'T') return ParseTime(text.substr(1));
  if (text.find('T') == std::string_view::npos) return ParseDate(text);
  return ParseDateTime(text);
}

std::optional<int> CompareTemporal(const Temporal& a_in, const Temporal& b_in) {
  Temporal a = a_in;
  Temporal b = b_in;
  const bool is_time = a.kind == TemporalKind::kTime;
  if (is_time != (b.kind == TemporalKind::kTime)) return std::nullopt;
  if (!is_time && HasTime(a) && HasTime(b)) {
    if (a.has_timezone != b.has_timezone) return std::nullopt;
    if (a.has_timezone && a.tz_offset_minutes != b.tz_offset_minutes) {
      SetFromEpochMs(EpochMs(a) - a.tz_offset_minutes * kMsPerMinute, &a);
      SetFromEpochMs(EpochMs(b) - b.tz_offset_minutes * kMsPerMinute, &b);
    }
  }
  const int la = Level(a.precision);
  const int lb = Level(b.precision);
  const int common = std::min(la, lb);
  const int first = is_time ? static_cast<int>(TemporalPrecision::kHour) : 0;
  for (int level = first; level <= common; ++level) {
    int x = 0;
    int y = 0;
    switch (static_cast<TemporalPrecision>(level)) {
      case TemporalPrecision::kYear:
        x = a.year;
        y = b.year;
        break;
      case TemporalPrecision::kMonth:
        x = a.month;
        y = b.month;
        break;
      case TemporalPrecision::kDay:
        x = a.day;
        y = b.day;
        break;
      case TemporalPrecision::kHour:
        x = a.hour;
        y = b.hour;
        break;
      case TemporalPrecision::kMinute:
        x = a.minute;
        y = b.minute;
        break;
      default:
        x = a.second * 1000 + a.millisecond;
        y = b.second * 1000 + b.millisecond;
        break;
    }
    if (x != y) return x < y ? -1 : 1;
  }
  if (la != lb) return std::nullopt;
  return 0;
}

bool SamePrecision(const Temporal& a, const Temporal& b) {
  return Level(a.precision) == Level(b.precision);
}

std::optional<Temporal> AddToTemporal(const Temporal& a, std::int64_t amount, TimeUnit unit) {
  Temporal t = a;
  if (t.kind == TemporalKind::kTime) {
    std::int64_t step = 0;
    switch (unit) {
      case TimeUnit::kHour:
        step = 3'600'000;
        break;
      case TimeUnit::kMinute:
        step = kMsPerMinute;
        break;
      case TimeUnit::kSecond:
        step = 1000;
        break;
      case TimeUnit::kMillisecond:
        step = 1;
        break;
      default:
        return std::nullopt;
    }
    std::int64_t delta;
    if (__builtin_mul_overflow(amount % (kMsPerDay * 1000), step, &delta)) return std::nullopt;
    std::int64_t ms = ((t.hour * 60LL + t.minute) * 60LL + t.second) * 1000LL + t.millisecond;
    ms = ((ms + delta) % kMsPerDay + kMsPerDay) % kMsPerDay;
    t.hour = static_cast<int>(ms / 3'600'000);
    t.minute = static_cast<int>(ms / kMsPerMinute % 60);
    t.second = static_cast<int>(ms / 1000 % 60);
    t.millisecond = static_cast<int>(ms % 1000);
    Truncate(&t);
    return t;
  }
  if (amount > 10'000'000'000LL || amount < -10'000'000'000LL) return std::nullopt;
  if (unit == TimeUnit::kYear || unit == TimeUnit::kMonth) {
    const std::int64_t months =
        t.year * 12LL + (t.month - 1) + amount * (unit == TimeUnit::kYear ? 12 : 1);
    const std::int64_t year = months >= 0 ? months / 12 : (months - 11) / 12;
    if (year < 1 || year > 9999) return std::nullopt;
    t.year = static_cast<int>(year);
    t.month = static_cast<int>(months - year * 12) + 1;
    t.day = std::min(t.day, DaysInMonth(t.year, t.month));
  } else {
    std::int64_t step = 0;
    switch (unit) {
      case TimeUnit::kWeek:
        step = 7 * kMsPerDay;
        break;
      case TimeUnit::kDay:
        step = kMsPerDay;
        break;
      case TimeUnit::kHour:
        step = 3'600'000;
        break;
      case TimeUnit::kMinute:
        step = kMsPerMinute;
        break;
      case TimeUnit::kSecond:
        step = 1000;
        break;
      default:
        step = 1;
        break;
    }
    std::int64_t delta;
    if (__builtin_mul_overflow(amount, step, &delta)) return std::nullopt;
    SetFromEpochMs(EpochMs(t) + delta, &t);
    if (t.year < 1 || t.year > 9999) return std::nullopt;
  }
  Truncate(&t);
  return t;
}

Temporal NowUtc() {
  const auto now = std::chrono::system_clock::now();
  const std::int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  Temporal t;
  t.kind = TemporalKind::kDateTime;
  t.precision = TemporalPrecision::kMillisecond;
  t.has_timezone = true;
  t.tz_offset_minutes = 0;
  SetFromEpochMs(ms, &t);
  return t;
}

}  // namespace fhirengine::fhirpath
