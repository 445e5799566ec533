// Quantities and the UCUM subset behind their comparisons and arithmetic.
#include "engine/fhirpath/quantity.h"

#include <cstdlib>
#include <cstring>
#include <utility>

namespace fhirengine::fhirpath {
namespace {

// Dimension slots of UnitInfo::dims.
enum Dim { kLength, kMass, kTime, kAngle, kTemperature, kCharge, kLuminosity, kAmount, kArbitrary };

struct Atom {
  const char* code;
  bool metric;         // takes SI prefixes
  const char* factor;  // in base units (m, g, s, rad, K, C, cd, mol)
  std::array<std::int8_t, 9> dims;
};

// m g s rad K C cd mol arb
constexpr Atom kAtoms[] = {
    {"m", true, "1", {1, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"g", true, "1", {0, 1, 0, 0, 0, 0, 0, 0, 0}},
    {"s", true, "1", {0, 0, 1, 0, 0, 0, 0, 0, 0}},
    {"rad", true, "1", {0, 0, 0, 1, 0, 0, 0, 0, 0}},
    {"K", true, "1", {0, 0, 0, 0, 1, 0, 0, 0, 0}},
    {"C", true, "1", {0, 0, 0, 0, 0, 1, 0, 0, 0}},
    {"cd", true, "1", {0, 0, 0, 0, 0, 0, 1, 0, 0}},
    {"mol", true, "1", {0, 0, 0, 0, 0, 0, 0, 1, 0}},
    {"eq", true, "1", {0, 0, 0, 0, 0, 0, 0, 1, 0}},
    {"kat", true, "1", {0, 0, -1, 0, 0, 0, 0, 1, 0}},
    {"sr", true, "1", {0, 0, 0, 2, 0, 0, 0, 0, 0}},
    {"Hz", true, "1", {0, 0, -1, 0, 0, 0, 0, 0, 0}},
    {"N", true, "1000", {1, 1, -2, 0, 0, 0, 0, 0, 0}},
    {"Pa", true, "1000", {-1, 1, -2, 0, 0, 0, 0, 0, 0}},
    {"bar", true, "100000000", {-1, 1, -2, 0, 0, 0, 0, 0, 0}},
    {"m[Hg]", true, "133322000", {-1, 1, -2, 0, 0, 0, 0, 0, 0}},
    {"m[H2O]", true, "9806650", {-1, 1, -2, 0, 0, 0, 0, 0, 0}},
    {"J", true, "1000", {2, 1, -2, 0, 0, 0, 0, 0, 0}},
    {"cal", true, "4184", {2, 1, -2, 0, 0, 0, 0, 0, 0}},
    {"W", true, "1000", {2, 1, -3, 0, 0, 0, 0, 0, 0}},
    {"A", true, "1", {0, 0, -1, 0, 0, 1, 0, 0, 0}},
    {"V", true, "1000", {2, 1, -2, 0, 0, -1, 0, 0, 0}},
    {"L", true, "0.001", {3, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"l", true, "0.001", {3, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"t", true, "1000000", {0, 1, 0, 0, 0, 0, 0, 0, 0}},
    {"U", true, "1", {0, 0, 0, 0, 0, 0, 0, 0, 1}},
    {"[iU]", true, "1", {0, 0, 0, 0, 0, 0, 0, 0, 2}},
    {"[IU]", true, "1", {0, 0, 0, 0, 0, 0, 0, 0, 2}},
    {"min", false, "60", {0, 0, 1, 0, 0, 0, 0, 0, 0}},
    {"h", false, "3600", {0, 0, 1, 0, 0, 0, 0, 0, 0}},
    {"d", false, "86400", {0, 0, 1, 0, 0, 0, 0, 0, 0}},
    {"wk", false, "604800", {0, 0, 1, 0, 0, 0, 0, 0, 0}},
    {"mo", false, "2629800", {0, 0, 1, 0, 0, 0, 0, 0, 0}},
    {"a", false, "31557600", {0, 0, 1, 0, 0, 0, 0, 0, 0}},
    {"deg", false, "0.017453292519943295769236907685", {0, 0, 0, 1, 0, 0, 0, 0, 0}},
    {"%", false, "0.01", {0, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"[ppth]", false, "0.001", {0, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"[ppm]", false, "0.000001", {0, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"[ppb]", false, "0.000000001", {0, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"[lb_av]", false, "453.59237", {0, 1, 0, 0, 0, 0, 0, 0, 0}},
    {"[oz_av]", false, "28.349523125", {0, 1, 0, 0, 0, 0, 0, 0, 0}},
    {"[in_i]", false, "0.0254", {1, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"[ft_i]", false, "0.3048", {1, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"[yd_i]", false, "0.9144", {1, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"[mi_i]", false, "1609.344", {1, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"[gal_us]", false, "0.003785411784", {3, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"[drp]", false, "0.00000005", {3, 0, 0, 0, 0, 0, 0, 0, 0}},
};

struct Prefix {
  const char* code;
  int exponent;
};
constexpr Prefix kPrefixes[] = {
    {"da", 1}, {"Y", 24},  {"Z", 21},  {"E", 18},  {"P", 15},  {"T", 12},  {"G", 9},
    {"M", 6},  {"k", 3},   {"h", 2},   {"d", -1},  {"c", -2},  {"m", -3},  {"u", -6},
    {"n", -9}, {"p", -12}, {"f", -15}, {"a", -18}, {"z", -21}, {"y", -24},
};

Decimal PowerOfTen(int exponent) {
  if (exponent >= 0) return Decimal::FromParts(Pow10(exponent), 0);
  return Decimal::FromParts(1, -exponent);
}

const Atom* FindAtom(std::string_view code) {
  for (const Atom& a : kAtoms) {
    if (code == a.code) return &a;
  }
  return nullptr;
}

std::optional<UnitInfo> FromAtom(const Atom& atom, int prefix_exponent) {
  std::optional<Decimal> f = Decimal::Parse(atom.factor);
  if (!f) return std::nullopt;
  if (prefix_exponent != 0) {
    f = Decimal::Multiply(*f, PowerOfTen(prefix_exponent));
    if (!f) return std::nullopt;
  }
  UnitInfo u;
  u.num = *f;
  u.dims = atom.dims;
  return u;
}

std::optional<UnitInfo> Multiply(const UnitInfo& a, const UnitInfo& b, int sign) {
  UnitInfo r;
  std::optional<Decimal> num = Decimal::Multiply(a.num, sign > 0 ? b.num : b.den);
  std::optional<Decimal> den = Decimal::Multiply(a.den, sign > 0 ? b.den : b.num);
  if (!num || !den || den->IsZero()) return std::nullopt;
  r.num = num->Trimmed();
  r.den = den->Trimmed();
  for (std::size_t i = 0; i < r.dims.size(); ++i) {
    const int d = a.dims[i] + sign * b.dims[i];
    if (d > 100 || d < -100) return std::nullopt;
    r.dims[i] = static_cast<std::int8_t>(d);
  }
  return r;
}

std::optional<UnitInfo> Power(const UnitInfo& u, int exponent) {
  if (exponent < -10 || exponent > 10) return std::nullopt;
  UnitInfo one;
  std::optional<UnitInfo> r = one;
  for (int i = 0; i < (exponent < 0 ? -exponent : exponent) && r; ++i) {
    r = Multiply(*r, u, exponent < 0 ? -1 : 1);
  }
  return r;
}

// Recursive-descent parser for the UCUM subset; nesting of parentheses is
// capped so hostile unit strings cannot exhaust the stack.
class UcumParser {
 public:
  explicit UcumParser(std::string_view text) : s_(text) {}

  std::optional<UnitInfo> Parse() {
    std::optional<UnitInfo> u = Term(0);
    if (!u || pos_ != s_.size()) return std::nullopt;
    return u;
  }

 private:
  std::optional<UnitInfo> Term(int depth) {
    if (depth > 8) return std::nullopt;
    std::optional<UnitInfo> result = UnitInfo{};
    int sign = 1;
    if (pos_ < s_.size() && s_[pos_] == '/') {
      sign = -1;
      ++pos_;
    }
    for (;;) {
      std::optional<UnitInfo> c = Component(depth);
      if (!c) return std::nullopt;
      result = Multiply(*result, *c, sign);
      if (!result) return std::nullopt;
      if (pos_ < s_.size() && (s_[pos_] == '.' || s_[pos_] == '/')) {
        sign = s_[pos_] == '.' ? 1 : -1;
        ++pos_;
        continue;
      }
      return result;
    }
  }

  std::optional<UnitInfo> Component(int depth) {
    if (pos_ < s_.size() && s_[pos_] == '(') {
      ++pos_;
      std::optional<UnitInfo> inner = Term(depth + 1);
      if (!inner || pos_ >= s_.size() || s_[pos_] != ')') return std::nullopt;
      ++pos_;
      return inner;
    }
    // The component's text runs to the next operator outside brackets/braces.
    const std::size_t start = pos_;
    int bracket = 0;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '[' || c == '{') ++bracket;
      if (c == ']' || c == '}') --bracket;
      if (bracket == 0 && (c == '.' || c == '/' || c == '(' || c == ')')) break;
      ++pos_;
    }
    std::string text(s_.substr(start, pos_ - start));
    // Annotations ({score}) carry no dimension.
    for (std::size_t open = text.find('{'); open != std::string::npos; open = text.find('{')) {
      const std::size_t close = text.find('}', open);
      if (close == std::string::npos) return std::nullopt;
      text.erase(open, close - open + 1);
    }
    if (text.empty()) return UnitInfo{};
    if (text[0] >= '0' && text[0] <= '9') return Number(text);
    // A trailing signed integer is the exponent (m2, s-1), unless it is part
    // of the atom's brackets.
    std::size_t e = text.size();
    while (e > 0 && text[e - 1] >= '0' && text[e - 1] <= '9') --e;
    if (e > 0 && e < text.size() && (text[e - 1] == '-' || text[e - 1] == '+')) --e;
    int exponent = 1;
    if (e > 0 && e < text.size()) {
      exponent = std::atoi(text.c_str() + e);
      text.resize(e);
    }
    std::optional<UnitInfo> symbol = Symbol(text);
    if (!symbol) return std::nullopt;
    return exponent == 1 ? symbol : Power(*symbol, exponent);
  }

  // "10*3", "10^-2", or a plain positive integer factor.
  static std::optional<UnitInfo> Number(const std::string& text) {
    std::size_t i = 0;
    long base = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && base < 1'000'000'000) {
      base = base * 10 + (text[i++] - '0');
    }
    UnitInfo u;
    if (i == text.size()) {
      if (base == 0) return std::nullopt;
      u.num = Decimal::FromInt(base);
      return u;
    }
    if (base != 10 || (text[i] != '*' && text[i] != '^')) return std::nullopt;
    const int exponent = std::atoi(text.c_str() + i + 1);
    if (exponent < -30 || exponent > 30) return std::nullopt;
    u.num = PowerOfTen(exponent);
    return u;
  }

  static std::optional<UnitInfo> Symbol(std::string_view text) {
    if (text == "1") return UnitInfo{};
    if (const Atom* a = FindAtom(text)) return FromAtom(*a, 0);
    for (const Prefix& p : kPrefixes) {
      const std::size_t n = std::strlen(p.code);
      if (text.size() > n && text.substr(0, n) == p.code) {
        const Atom* a = FindAtom(text.substr(n));
        if (a != nullptr && a->metric) return FromAtom(*a, p.exponent);
      }
    }
    return std::nullopt;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// The UCUM code a quantity's unit stands for (calendar keywords mapped to the
// definite durations; year and month to 'a' and 'mo').
std::string UcumCode(std::string_view unit) {
  if (std::optional<TimeUnit> t = CalendarUnit(unit)) {
    switch (*t) {
      case TimeUnit::kYear:
        return "a";
      case TimeUnit::kMonth:
        return "mo";
      case TimeUnit::kWeek:
        return "wk";
      case TimeUnit::kDay:
        return "d";
      case TimeUnit::kHour:
        return "h";
      case TimeUnit::kMinute:
        return "min";
      case TimeUnit::kSecond:
        return "s";
      case TimeUnit::kMillisecond:
        return "ms";
    }
  }
  return std::string(unit);
}

bool IsYearOrMonth(std::string_view unit) {
  std::optional<TimeUnit> t = CalendarUnit(unit);
  return t && (*t == TimeUnit::kYear || *t == TimeUnit::kMonth);
}

bool SameUnit(std::string_view a, std::string_view b) {
  if (a == b) return true;
  std::optional<TimeUnit> ta = CalendarUnit(a);
  std::optional<TimeUnit> tb = CalendarUnit(b);
  return ta && tb && *ta == *tb;
}

std::string Wrap(const std::string& unit) {
  return unit.find_first_of("./") == std::string::npos ? unit : "(" + unit + ")";
}

}  // namespace

std::string Quantity::ToString() const {
  if (CalendarUnit(unit)) return value.ToString() + " " + unit;
  return value.ToString() + " '" + unit + "'";
}

std::optional<TimeUnit> CalendarUnit(std::string_view unit) {
  static constexpr std::pair<const char*, TimeUnit> kNames[] = {
      {"year", TimeUnit::kYear},
      {"years", TimeUnit::kYear},
      {"month", TimeUnit::kMonth},
      {"months", TimeUnit::kMonth},
      {"week", TimeUnit::kWeek},
      {"weeks", TimeUnit::kWeek},
      {"day", TimeUnit::kDay},
      {"days", TimeUnit::kDay},
      {"hour", TimeUnit::kHour},
      {"hours", TimeUnit::kHour},
      {"minute", TimeUnit::kMinute},
      {"minutes", TimeUnit::kMinute},
      {"second", TimeUnit::kSecond},
      {"seconds", TimeUnit::kSecond},
      {"millisecond", TimeUnit::kMillisecond},
      {"milliseconds", TimeUnit::kMillisecond},
  };
  for (const auto& [name, u] : kNames) {
    if (unit == name) return u;
  }
  return std::nullopt;
}

std::optional<TimeUnit> ArithmeticTimeUnit(std::string_view unit) {
  if (std::optional<TimeUnit> t = CalendarUnit(unit)) return t;
  if (unit == "wk") return TimeUnit::kWeek;
  if (unit == "d") return TimeUnit::kDay;
  if (unit == "h") return TimeUnit::kHour;
  if (unit == "min") return TimeUnit::kMinute;
  if (unit == "s") return TimeUnit::kSecond;
  if (unit == "ms") return TimeUnit::kMillisecond;
  return std::nullopt;
}

std::optional<UnitInfo> ParseUcum(std::string_view unit) {
  if (unit.empty() || unit.size() > 256) return std::nullopt;
  return UcumParser(unit).Parse();
}

std::optional<std::pair<Decimal, Decimal>> CommonValues(const Quantity& a, const Quantity& b) {
  if (SameUnit(a.unit, b.unit)) return std::make_pair(a.value, b.value);
  const bool ya = IsYearOrMonth(a.unit);
  const bool yb = IsYearOrMonth(b.unit);
  if (ya || yb) {
    if (!(ya && yb)) return std::nullopt;
    // Calendar years and months compare with each other only (1 year = 12 months).
    const Decimal twelve = Decimal::FromInt(12);
    std::optional<Decimal> x = *CalendarUnit(a.unit) == TimeUnit::kYear
                                   ? Decimal::Multiply(a.value, twelve)
                                   : std::optional<Decimal>(a.value);
    std::optional<Decimal> y = *CalendarUnit(b.unit) == TimeUnit::kYear
                                   ? Decimal::Multiply(b.value, twelve)
                                   : std::optional<Decimal>(b.value);
    if (!x || !y) return std::nullopt;
    return std::make_pair(*x, *y);
  }
  std::optional<UnitInfo> ua = ParseUcum(UcumCode(a.unit));
  std::optional<UnitInfo> ub = ParseUcum(UcumCode(b.unit));
  if (!ua || !ub || ua->dims != ub->dims) return std::nullopt;
  // a * na/da against b * nb/db, both multiplied by da * db.
  std::optional<Decimal> x = Decimal::Multiply(a.value, ua->num);
  if (x) x = Decimal::Multiply(*x, ub->den);
  std::optional<Decimal> y = Decimal::Multiply(b.value, ub->num);
  if (y) y = Decimal::Multiply(*y, ua->den);
  if (!x || !y) return std::nullopt;
  return std::make_pair(*x, *y);
}

std::optional<Quantity> ConvertQuantity(const Quantity& q, std::string_view unit) {
  if (SameUnit(q.unit, unit)) return Quantity{q.value, std::string(unit)};
  if (IsYearOrMonth(q.unit) || IsYearOrMonth(unit)) {
    if (!(IsYearOrMonth(q.unit) && IsYearOrMonth(unit))) return std::nullopt;
    const bool to_months = *CalendarUnit(unit) == TimeUnit::kMonth;
    std::optional<Decimal> v = to_months ? Decimal::Multiply(q.value, Decimal::FromInt(12))
                                         : Decimal::Divide(q.value, Decimal::FromInt(12));
    if (!v) return std::nullopt;
    return Quantity{*v, std::string(unit)};
  }
  std::optional<UnitInfo> from = ParseUcum(UcumCode(q.unit));
  std::optional<UnitInfo> to = ParseUcum(UcumCode(unit));
  if (!from || !to || from->dims != to->dims) return std::nullopt;
  // q * nf/df / (nt/dt): one division, at the end.
  std::optional<Decimal> top = Decimal::Multiply(q.value, from->num);
  if (top) top = Decimal::Multiply(*top, to->den);
  std::optional<Decimal> bottom = Decimal::Multiply(from->den, to->num);
  if (!top || !bottom) return std::nullopt;
  std::optional<Decimal> v = Decimal::Divide(*top, *bottom);
  if (!v) return std::nullopt;
  return Quantity{*v, std::string(unit)};
}

std::optional<Quantity> AddQuantities(const Quantity& a, const Quantity& b, bool subtract) {
  std::optional<Quantity> right = ConvertQuantity(b, a.unit);
  if (!right) return std::nullopt;
  std::optional<Decimal> v =
      subtract ? Decimal::Subtract(a.value, right->value) : Decimal::Add(a.value, right->value);
  if (!v) return std::nullopt;
  return Quantity{*v, a.unit};
}

std::optional<Quantity> MultiplyQuantities(const Quantity& a, const Quantity& b) {
  std::optional<Decimal> v = Decimal::Multiply(a.value, b.value);
  if (!v) return std::nullopt;
  const std::string ua = UcumCode(a.unit);
  const std::string ub = UcumCode(b.unit);
  if (ua == "1") return Quantity{*v, ub};
  if (ub == "1") return Quantity{*v, ua};
  if (!ParseUcum(ua) || !ParseUcum(ub)) return std::nullopt;
  return Quantity{*v, ua + "." + ub};
}

std::optional<Quantity> DivideQuantities(const Quantity& a, const Quantity& b) {
  std::optional<Decimal> v = Decimal::Divide(a.value, b.value);
  if (!v) return std::nullopt;
  const std::string ua = UcumCode(a.unit);
  const std::string ub = UcumCode(b.unit);
  if (ub == "1") return Quantity{*v, ua};
  if (ua == ub) return Quantity{*v, "1"};
  if (!ParseUcum(ua) || !ParseUcum(ub)) return std::nullopt;
  return Quantity{*v, (ua == "1" ? std::string("1") : ua) + "/" + Wrap(ub)};
}

}  // namespace fhirengine::fhirpath
