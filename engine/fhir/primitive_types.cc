// Hand-written lexical checks for the R4 primitive types.
#include "engine/fhir/primitive_types.h"

#include <cstdint>

namespace fhirengine::fhir {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at `pos` into `value`.
bool Digits(std::string_view s, std::size_t& pos, int n, int& value) {
  if (pos + static_cast<std::size_t>(n) > s.size()) return false;
  value = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos++];
    if (!IsDigit(c)) return false;
    value = value * 10 + (c - '0');
  }
  return true;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysIn(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// YYYY, YYYY-MM or YYYY-MM-DD; `precision` receives 1, 2 or 3.
std::string ParseDate(std::string_view s, std::size_t& pos, int& precision) {
  int year = 0, month = 0, day = 0;
  if (!Digits(s, pos, 4, year)) return "expected a four-digit year";
  if (year == 0) return "year 0000 is not allowed";
  precision = 1;
  if (pos == s.size() || s[pos] != '-') return "";
  ++pos;
  if (!Digits(s, pos, 2, month) || month < 1 || month > 12) return "expected a month 01-12";
  precision = 2;
  if (pos == s.size() || s[pos] != '-') return "";
  ++pos;
  if (!Digits(s, pos, 2, day) || day < 1 || day > DaysIn(year, month)) {
    return "day out of range for the month";
  }
  precision = 3;
  return "";
}

// hh:mm:ss(.fff)?
std::string ParseTime(std::string_view s, std::size_t& pos) {
  int hh = 0, mm = 0, ss = 0;
  if (!Digits(s, pos, 2, hh) || hh > 23) return "expected an hour 00-23";
  if (pos >= s.size() || s[pos++] != ':') return "expected ':' after the hour";
  if (!Digits(s, pos, 2, mm) || mm > 59) return "expected minutes 00-59";
  if (pos >= s.size() || s[pos++] != ':') return "expected ':' after the minutes";
  if (!Digits(s, pos, 2, ss) || ss > 60) return "expected seconds 00-60";
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == start) return "expected digits after '.'";
  }
  return "";
}

// Z or +hh:mm / -hh:mm (up to +14:00).
std::string ParseZone(std::string_view s, std::size_t& pos) {
  if (pos >= s.size()) return "a time needs a time zone (Z or +hh:mm)";
  if (s[pos] == 'Z') {
    ++pos;
    return "";
  }
  if (s[pos] != '+' && s[pos] != '-') return "expected a time zone (Z or +hh:mm)";
  ++pos;
  int hh = 0, mm = 0;
  if (!Digits(s, pos, 2, hh) || pos >= s.size() || s[pos++] != ':' || !Digits(s, pos, 2, mm) ||
      mm > 59 || hh > 14 || (hh == 14 && mm != 0)) {
    return "time zone offset out of range";
  }
  return "";
}

std::string Finish(std::string_view s, std::size_t pos, std::string reason) {
  if (!reason.empty()) return reason;
  if (pos != s.size()) return "unexpected characters after position " + std::to_string(pos);
  return "";
}

std::string CheckDate(std::string_view s) {
  std::size_t pos = 0;
  int precision = 0;
  return Finish(s, pos, ParseDate(s, pos, precision));
}

std::string CheckDateTime(std::string_view s, bool instant) {
  std::size_t pos = 0;
  int precision = 0;
  std::string r = ParseDate(s, pos, precision);
  if (!r.empty()) return r;
  if (pos == s.size()) return instant ? "an instant needs a full date and time" : "";
  if (precision < 3 || s[pos] != 'T') return instant ? "an instant needs a time" : "expected 'T'";
  ++pos;
  r = ParseTime(s, pos);
  if (!r.empty()) return r;
  return Finish(s, pos, ParseZone(s, pos));
}

std::string CheckInteger(std::string_view s, bool allow_plus, std::int64_t min) {
  std::size_t pos = 0;
  bool negative = false;
  if (pos < s.size() && (s[pos] == '-' || (allow_plus && s[pos] == '+'))) {
    negative = s[pos] == '-';
    ++pos;
  }
  if (pos == s.size()) return "expected digits";
  if (s[pos] == '0' && pos + 1 < s.size()) return "leading zeros are not allowed";
  std::int64_t value = 0;
  for (; pos < s.size(); ++pos) {
    if (!IsDigit(s[pos])) return "not an integer";
    value = value * 10 + (s[pos] - '0');
    if (value > 2147483648LL) return "out of the 32-bit range";
  }
  if (negative) value = -value;
  if (value > 2147483647LL) return "out of the 32-bit range";
  if (value < min || (negative && min >= 0)) {
    return min == 1 ? "must be at least 1" : "must not be negative";
  }
  return "";
}

std::string CheckBase64(std::string_view s) {
  std::size_t count = 0, padding = 0;
  for (char c : s) {
    // The R4 regex (\s*([0-9a-zA-Z\+/=]){4}\s*)+ allows whitespace only
    // between groups of four.
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (count % 4 != 0) return "whitespace inside a group of four base64 characters";
      continue;
    }
    if (c == '=') {
      ++padding;
    } else if (padding > 0) {
      return "'=' padding only at the end";
    } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) || c == '+' ||
                 c == '/')) {
      return "not a base64 character";
    }
    ++count;
  }
  if (count % 4 != 0 || padding > 2) return "base64 length must be a multiple of 4";
  return "";
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

bool HasForbiddenControlCharacter(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t' && c != '\r' && c != '\n') return true;
  }
  return false;
}

bool IsJsonNumber(std::string_view s) {
  std::size_t pos = 0;
  if (pos < s.size() && s[pos] == '-') ++pos;
  if (pos == s.size()) return false;
  if (s[pos] == '0') {
    ++pos;
  } else if (IsDigit(s[pos])) {
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
  } else {
    return false;
  }
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == start) return false;
  }
  if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
    ++pos;
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) ++pos;
    std::size_t start = pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == start) return false;
  }
  return pos == s.size();
}

std::string CheckPrimitive(Primitive type, std::string_view s) {
  if (s.empty()) return "empty value";
  switch (type) {
    case Primitive::kNone:
    case Primitive::kXhtml:
      return "";
    case Primitive::kBoolean:
      return s == "true" || s == "false" ? "" : "expected true or false";
    case Primitive::kInteger:
      return CheckInteger(s, false, INT32_MIN);
    case Primitive::kPositiveInt:
      return CheckInteger(s, false, 1);  // R4 regex: [1-9][0-9]*
    case Primitive::kUnsignedInt:
      return CheckInteger(s, false, 0);
    case Primitive::kDecimal:
      return IsJsonNumber(s) ? "" : "not a decimal number";
    case Primitive::kString:
    case Primitive::kMarkdown:
      if (HasForbiddenControlCharacter(s)) return "contains a control character";
      for (char c : s) {
        if (!IsSpace(c)) return "";
      }
      return type == Primitive::kString ? "contains only whitespace" : "";
    case Primitive::kCode: {
      // [^\s]+(\s[^\s]+)*: no leading/trailing whitespace, single inner spaces.
      if (IsSpace(s.front()) || IsSpace(s.back())) return "leading or trailing whitespace";
      for (std::size_t i = 1; i < s.size(); ++i) {
        if (IsSpace(s[i]) && IsSpace(s[i - 1])) return "consecutive whitespace";
      }
      if (HasForbiddenControlCharacter(s)) return "contains a control character";
      return "";
    }
    case Primitive::kId: {
      if (s.size() > 64) return "longer than 64 characters";
      for (char c : s) {
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-' ||
              c == '.')) {
          return "only A-Z, a-z, 0-9, '-' and '.' are allowed";
        }
      }
      return "";
    }
    case Primitive::kUri:
    case Primitive::kUrl:
    case Primitive::kCanonical:
      for (char c : s) {
        if (IsSpace(c) || static_cast<unsigned char>(c) < 0x20) return "contains whitespace";
      }
      return "";
    case Primitive::kOid: {
      constexpr std::string_view kPrefix = "urn:oid:";
      if (!s.starts_with(kPrefix)) return "must start with urn:oid:";
      std::string_view rest = s.substr(kPrefix.size());
      // [0-2](\.(0|[1-9][0-9]*))+
      if (rest.size() < 3 || rest[0] < '0' || rest[0] > '2' || rest[1] != '.') {
        return "not an OID";
      }
      std::size_t pos = 1;
      while (pos < rest.size()) {
        if (rest[pos++] != '.' || pos == rest.size()) return "not an OID";
        if (rest[pos] == '0') {
          ++pos;
        } else {
          std::size_t start = pos;
          while (pos < rest.size() && IsDigit(rest[pos])) ++pos;
          if (pos == start) return "not an OID";
        }
      }
      return "";
    }
    case Primitive::kUuid: {
      constexpr std::string_view kPrefix = "urn:uuid:";
      if (!s.starts_with(kPrefix) || s.size() != kPrefix.size() + 36) return "not a urn:uuid:";
      std::string_view u = s.substr(kPrefix.size());
      for (std::size_t i = 0; i < u.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? u[i] != '-' : !(IsDigit(u[i]) || (u[i] >= 'a' && u[i] <= 'f'))) {
          return "not a lower-case urn:uuid:";
        }
      }
      return "";
    }
    case Primitive::kBase64Binary:
      return CheckBase64(s);
    case Primitive::kDate:
      return CheckDate(s);
    case Primitive::kDateTime:
      return CheckDateTime(s, false);
    case Primitive::kInstant:
      return CheckDateTime(s, true);
    case Primitive::kTime: {
      std::size_t pos = 0;
      return Finish(s, pos, ParseTime(s, pos));
    }
  }
  return "";
}

}  // namespace fhirengine::fhir
