// The value-only part of the FHIRPath function library (see functions.h).
#include "engine/fhirpath/functions.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_set>

#include "engine/core/log.h"
#include "engine/fhirpath/navigation.h"

namespace fhirengine::fhirpath::internal {
namespace {

using FI = FunctionId;

// name, id, min args, max args, lambda-argument bits, lazy arguments, type argument
constexpr FunctionSpec kFunctions[] = {
    {"empty", FI::kEmpty, 0, 0, 0, false, false},
    {"exists", FI::kExists, 0, 1, 1, false, false},
    {"all", FI::kAll, 1, 1, 1, false, false},
    {"allTrue", FI::kAllTrue, 0, 0, 0, false, false},
    {"anyTrue", FI::kAnyTrue, 0, 0, 0, false, false},
    {"allFalse", FI::kAllFalse, 0, 0, 0, false, false},
    {"anyFalse", FI::kAnyFalse, 0, 0, 0, false, false},
    {"subsetOf", FI::kSubsetOf, 1, 1, 0, false, false},
    {"supersetOf", FI::kSupersetOf, 1, 1, 0, false, false},
    {"count", FI::kCount, 0, 0, 0, false, false},
    {"distinct", FI::kDistinct, 0, 0, 0, false, false},
    {"isDistinct", FI::kIsDistinct, 0, 0, 0, false, false},
    {"where", FI::kWhere, 1, 1, 1, false, false},
    {"select", FI::kSelect, 1, 1, 1, false, false},
    {"repeat", FI::kRepeat, 1, 1, 1, false, false},
    {"ofType", FI::kOfType, 1, 1, 0, false, true},
    {"single", FI::kSingle, 0, 0, 0, false, false},
    {"first", FI::kFirst, 0, 0, 0, false, false},
    {"last", FI::kLast, 0, 0, 0, false, false},
    {"tail", FI::kTail, 0, 0, 0, false, false},
    {"skip", FI::kSkip, 1, 1, 0, false, false},
    {"take", FI::kTake, 1, 1, 0, false, false},
    {"intersect", FI::kIntersect, 1, 1, 0, false, false},
    {"exclude", FI::kExclude, 1, 1, 0, false, false},
    {"union", FI::kUnion, 1, 1, 0, false, false},
    {"combine", FI::kCombine, 1, 1, 0, false, false},
    {"iif", FI::kIif, 2, 3, 0, true, false},
    {"toBoolean", FI::kToBoolean, 0, 0, 0, false, false},
    {"convertsToBoolean", FI::kConvertsToBoolean, 0, 0, 0, false, false},
    {"toInteger", FI::kToInteger, 0, 0, 0, false, false},
    {"convertsToInteger", FI::kConvertsToInteger, 0, 0, 0, false, false},
    {"toDecimal", FI::kToDecimal, 0, 0, 0, false, false},
    {"convertsToDecimal", FI::kConvertsToDecimal, 0, 0, 0, false, false},
    {"toString", FI::kToString, 0, 0, 0, false, false},
    {"convertsToString", FI::kConvertsToString, 0, 0, 0, false, false},
    {"toDate", FI::kToDate, 0, 0, 0, false, false},
    {"convertsToDate", FI::kConvertsToDate, 0, 0, 0, false, false},
    {"toDateTime", FI::kToDateTime, 0, 0, 0, false, false},
    {"convertsToDateTime", FI::kConvertsToDateTime, 0, 0, 0, false, false},
    {"toTime", FI::kToTime, 0, 0, 0, false, false},
    {"convertsToTime", FI::kConvertsToTime, 0, 0, 0, false, false},
    {"toQuantity", FI::kToQuantity, 0, 1, 0, false, false},
    {"convertsToQuantity", FI::kConvertsToQuantity, 0, 1, 0, false, false},
    {"indexOf", FI::kIndexOf, 1, 1, 0, false, false},
    {"lastIndexOf", FI::kLastIndexOf, 1, 1, 0, false, false},
    {"substring", FI::kSubstring, 1, 2, 0, false, false},
    {"startsWith", FI::kStartsWith, 1, 1, 0, false, false},
    {"endsWith", FI::kEndsWith, 1, 1, 0, false, false},
    {"contains", FI::kContains, 1, 1, 0, false, false},
    {"upper", FI::kUpper, 0, 0, 0, false, false},
    {"lower", FI::kLower, 0, 0, 0, false, false},
    {"replace", FI::kReplace, 2, 2, 0, false, false},
    {"matches", FI::kMatches, 1, 1, 0, false, false},
    {"matchesFull", FI::kMatchesFull, 1, 1, 0, false, false},
    {"replaceMatches", FI::kReplaceMatches, 2, 2, 0, false, false},
    {"length", FI::kLength, 0, 0, 0, false, false},
    {"toChars", FI::kToChars, 0, 0, 0, false, false},
    {"trim", FI::kTrim, 0, 0, 0, false, false},
    {"split", FI::kSplit, 1, 1, 0, false, false},
    {"join", FI::kJoin, 0, 1, 0, false, false},
    {"encode", FI::kEncode, 1, 1, 0, false, false},
    {"decode", FI::kDecode, 1, 1, 0, false, false},
    {"escape", FI::kEscape, 1, 1, 0, false, false},
    {"unescape", FI::kUnescape, 1, 1, 0, false, false},
    {"abs", FI::kAbs, 0, 0, 0, false, false},
    {"ceiling", FI::kCeiling, 0, 0, 0, false, false},
    {"exp", FI::kExp, 0, 0, 0, false, false},
    {"floor", FI::kFloor, 0, 0, 0, false, false},
    {"ln", FI::kLn, 0, 0, 0, false, false},
    {"log", FI::kLog, 1, 1, 0, false, false},
    {"power", FI::kPower, 1, 1, 0, false, false},
    {"round", FI::kRound, 0, 1, 0, false, false},
    {"sqrt", FI::kSqrt, 0, 0, 0, false, false},
    {"truncate", FI::kTruncate, 0, 0, 0, false, false},
    {"children", FI::kChildren, 0, 0, 0, false, false},
    {"descendants", FI::kDescendants, 0, 0, 0, false, false},
    {"trace", FI::kTrace, 1, 2, 2, false, false},
    {"now", FI::kNow, 0, 0, 0, false, false},
    {"timeOfDay", FI::kTimeOfDay, 0, 0, 0, false, false},
    {"today", FI::kToday, 0, 0, 0, false, false},
    {"is", FI::kIs, 1, 1, 0, false, true},
    {"as", FI::kAs, 1, 1, 0, false, true},
    {"type", FI::kType, 0, 0, 0, false, false},
    {"aggregate", FI::kAggregate, 1, 2, 1, false, false},
    {"not", FI::kNot, 0, 0, 0, false, false},
    {"extension", FI::kExtension, 1, 1, 0, false, false},
    {"resolve", FI::kResolve, 0, 0, 0, false, false},
    {"hasValue", FI::kHasValue, 0, 0, 0, false, false},
    {"getValue", FI::kGetValue, 0, 0, 0, false, false},
    {"htmlChecks", FI::kHtmlChecks, 0, 0, 0, false, false},
    {"memberOf", FI::kMemberOf, 1, 1, 0, false, false},
    {"conformsTo", FI::kConformsTo, 1, 1, 0, false, false},
    {"subsumes", FI::kSubsumes, 1, 1, 0, false, false},
    {"subsumedBy", FI::kSubsumedBy, 1, 1, 0, false, false},
    {"lowBoundary", FI::kLowBoundary, 0, 1, 0, false, false},
    {"highBoundary", FI::kHighBoundary, 0, 1, 0, false, false},
    {"precision", FI::kPrecision, 0, 0, 0, false, false},
};

Status FnError(const Ast& call, const std::string& message) {
  return InvalidArgument(call.name + "(): " + message);
}

// The single input item (nullopt for an empty input); an error for more.
Result<std::optional<Item>> Single(const Collection& c, const Ast& call, std::string_view what) {
  if (c.empty()) return std::optional<Item>();
  if (c.size() > 1) {
    return FnError(call,
                   std::string(what) + " must be a single item, got " + std::to_string(c.size()));
  }
  return std::optional<Item>(c[0]);
}

// A single String (FHIR string-like primitives included), nullopt if empty.
Result<std::optional<std::string>> StringOf(const Collection& c, const Ast& call,
                                            std::string_view what) {
  Result<std::optional<Item>> one = Single(c, call, what);
  if (!one.ok()) return one.status();
  if (!*one) return std::optional<std::string>();
  std::optional<Item> s = ToSystem(**one);
  if (!s) {
    if ((*one)->is_node() && (*one)->node().type != nullptr && (*one)->node().type->IsPrimitive()) {
      return std::optional<std::string>();  // a primitive with extensions only
    }
    return FnError(call, std::string(what) + " must be a String, got " + TypeName(**one));
  }
  if (s->kind() != ItemKind::kString) {
    return FnError(call, std::string(what) + " must be a String, got " + TypeName(**one));
  }
  return std::optional<std::string>(s->string());
}

Result<std::optional<std::int64_t>> IntegerOf(const Collection& c, const Ast& call,
                                              std::string_view what) {
  Result<std::optional<Item>> one = Single(c, call, what);
  if (!one.ok()) return one.status();
  if (!*one) return std::optional<std::int64_t>();
  std::optional<Item> s = ToSystem(**one);
  if (!s || s->kind() != ItemKind::kInteger) {
    return FnError(call, std::string(what) + " must be an Integer, got " + TypeName(**one));
  }
  return std::optional<std::int64_t>(s->integer());
}

bool InInt32(std::int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

Collection One(Item i) {
  Collection c;
  c.push_back(std::move(i));
  return c;
}

// ---- UTF-8 ------------------------------------------------------------------

// Byte offsets of every code point start, plus the end offset.
std::vector<std::size_t> CodePoints(std::string_view s) {
  std::vector<std::size_t> offsets;
  offsets.reserve(s.size() + 1);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) offsets.push_back(i);
  }
  offsets.push_back(s.size());
  return offsets;
}

std::int64_t CodePointIndex(std::string_view s, std::size_t byte) {
  std::int64_t n = 0;
  for (std::size_t i = 0; i < byte && i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// Case mapping for ASCII and Latin-1 letters (Swedish å ä ö included).
std::string ChangeCase(std::string_view s, bool upper) {
  std::string out(s);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    if (upper && c >= 'a' && c <= 'z') out[i] = static_cast<char>(c - 32);
    if (!upper && c >= 'A' && c <= 'Z') out[i] = static_cast<char>(c + 32);
    if (c == 0xC3 && i + 1 < out.size()) {
      const unsigned char n = static_cast<unsigned char>(out[i + 1]);
      if (upper && n >= 0xA0 && n <= 0xBE && n != 0xB7) out[i + 1] = static_cast<char>(n - 0x20);
      if (!upper && n >= 0x80 && n <= 0x9E && n != 0x97) out[i + 1] = static_cast<char>(n + 0x20);
      ++i;
    }
  }
  return out;
}

// ---- encodings ----------------------------------------------------------------

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view in, bool url) {
  std::string out;
  std::size_t i = 0;
  auto ch = [&](unsigned v) {
    char c = kBase64[v & 63];
    if (url && c == '+') c = '-';
    if (url && c == '/') c = '_';
    out.push_back(c);
  };
  while (i + 2 < in.size()) {
    const unsigned v = (static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16) |
                       (static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8) |
                       static_cast<unsigned>(static_cast<unsigned char>(in[i + 2]));
    ch(v >> 18);
    ch(v >> 12);
    ch(v >> 6);
    ch(v);
    i += 3;
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16;
    ch(v >> 18);
    ch(v >> 12);
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16) |
                       (static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8);
    ch(v >> 18);
    ch(v >> 12);
    ch(v >> 6);
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view in, bool url) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    if (url && c == '-') c = '+';
    if (url && c == '_') c = '/';
    const std::size_t v = kBase64.find(c);
    if (v == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

std::string HexEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : in) {
    const unsigned char u = static_cast<unsigned char>(c);
    out.push_back(kHex[u >> 4]);
    out.push_back(kHex[u & 15]);
  }
  return out;
}

std::optional<std::string> HexDecode(std::string_view in) {
  if (in.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 2) {
    const int hi = nibble(in[i]);
    const int lo = nibble(in[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string EscapeHtml(std::string_view in) {
  std::string out;
  for (char c : in) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string UnescapeHtml(std::string_view in) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'},  {"&lt;", '<'},   {"&gt;", '>'},
      {"&quot;", '"'}, {"&#39;", '\''}, {"&apos;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < in.size();) {
    bool matched = false;
    if (in[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (in.substr(i, entity.size()) == entity) {
          out.push_back(c);
          i += entity.size();
          matched = true;
          break;
        }
      }
    }
    if (!matched) out.push_back(in[i++]);
  }
  return out;
}

// escape('json'): the JSON string escapes, without the surrounding quotes.
std::string EscapeJson(std::string_view in) {
  std::string quoted;
  log::AppendJsonString(quoted, in);
  return quoted.substr(1, quoted.size() - 2);
}

std::string UnescapeJson(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\' || i + 1 >= in.size()) {
      out.push_back(in[i]);
      continue;
    }
    const char e = in[++i];
    switch (e) {
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      default:
        out.push_back(e);
    }
  }
  return out;
}

// ---- conversions ------------------------------------------------------------

std::optional<bool> ConvertToBoolean(const Item& s) {
  switch (s.kind()) {
    case ItemKind::kBoolean:
      return s.boolean();
    case ItemKind::kInteger:
      if (s.integer() == 1) return true;
      if (s.integer() == 0) return false;
      return std::nullopt;
    case ItemKind::kDecimal:
      if (Decimal::Compare(s.decimal(), Decimal::FromInt(1)) == 0) return true;
      if (s.decimal().IsZero()) return false;
      return std::nullopt;
    case ItemKind::kString: {
      const std::string v = ChangeCase(s.string(), false);
      if (v == "true" || v == "t" || v == "yes" || v == "y" || v == "1" || v == "1.0") return true;
      if (v == "false" || v == "f" || v == "no" || v == "n" || v == "0" || v == "0.0") return false;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

bool IsIntegerText(std::string_view s) {
  std::size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

std::optional<std::int64_t> ConvertToInteger(const Item& s) {
  switch (s.kind()) {
    case ItemKind::kInteger:
      return s.integer();
    case ItemKind::kBoolean:
      return s.boolean() ? 1 : 0;
    case ItemKind::kString: {
      if (!IsIntegerText(s.string()) || s.string().size() > 12) return std::nullopt;
      std::optional<Decimal> d = Decimal::Parse(s.string());
      if (!d) return std::nullopt;
      std::optional<std::int64_t> v = d->ToInt64();
      if (!v || !InInt32(*v)) return std::nullopt;
      return v;
    }
    default:
      return std::nullopt;
  }
}

std::optional<Decimal> ConvertToDecimal(const Item& s) {
  switch (s.kind()) {
    case ItemKind::kDecimal:
      return s.decimal();
    case ItemKind::kInteger:
      return Decimal::FromInt(s.integer());
    case ItemKind::kBoolean:
      return Decimal::FromParts(s.boolean() ? 10 : 0, 1);
    case ItemKind::kString: {
      const std::string& t = s.string();
      if (t.find_first_of("eE") != std::string::npos) return std::nullopt;
      return Decimal::Parse(t);
    }
    default:
      return std::nullopt;
  }
}

std::optional<Quantity> ConvertToQuantity(const Item& s) {
  switch (s.kind()) {
    case ItemKind::kQuantity:
      return s.quantity();
    case ItemKind::kInteger:
      return Quantity{Decimal::FromInt(s.integer()), "1"};
    case ItemKind::kDecimal:
      return Quantity{s.decimal(), "1"};
    case ItemKind::kBoolean:
      return Quantity{Decimal::FromParts(s.boolean() ? 10 : 0, 1), "1"};
    case ItemKind::kString: {
      // number [unit], the unit a 'quoted UCUM code' or a calendar keyword.
      std::string_view t = s.string();
      const std::size_t space = t.find(' ');
      std::string_view number = t.substr(0, space);
      if (number.find_first_of("eE") != std::string_view::npos) return std::nullopt;
      std::optional<Decimal> value = Decimal::Parse(number);
      if (!value) return std::nullopt;
      if (space == std::string_view::npos) return Quantity{*value, "1"};
      std::string_view unit = t.substr(space);
      while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
      if (unit.size() >= 2 && unit.front() == '\'' && unit.back() == '\'') {
        return Quantity{*value, std::string(unit.substr(1, unit.size() - 2))};
      }
      if (CalendarUnit(unit)) return Quantity{*value, std::string(unit)};
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::optional<Temporal> ConvertToDate(const Item& s) {
  switch (s.kind()) {
    case ItemKind::kDate:
      return s.temporal();
    case ItemKind::kDateTime: {
      Temporal t = s.temporal();
      t.kind = TemporalKind::kDate;
      t.precision = std::min(t.precision, TemporalPrecision::kDay);
      t.has_timezone = false;
      t.tz_offset_minutes = 0;
      t.hour = t.minute = t.second = t.millisecond = 0;
      return t;
    }
    case ItemKind::kString: {
      if (std::optional<Temporal> d = ParseDate(s.string())) return d;
      if (std::optional<Temporal> dt = ParseDateTime(s.string())) {
        return ConvertToDate(Item::FromTemporal(*dt));
      }
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::optional<Temporal> ConvertToDateTime(const Item& s) {
  switch (s.kind()) {
    case ItemKind::kDate:
    case ItemKind::kDateTime:
      return s.temporal().AsDateTime();
    case ItemKind::kString:
      return ParseDateTime(s.string());
    default:
      return std::nullopt;
  }
}

std::optional<Temporal> ConvertToTime(const Item& s) {
  switch (s.kind()) {
    case ItemKind::kTime:
      return s.temporal();
    case ItemKind::kString: {
      std::string_view t = s.string();
      if (!t.empty() && t[0] == 'T') t.remove_prefix(1);
      return ParseTime(t);
    }
    default:
      return std::nullopt;
  }
}

// Runs a To* conversion on the single input: `convert` returns the item or
// nullopt. `test` turns it into convertsTo*.
template <typename F>
Result<Collection> Convert(const Collection& input, const Ast& call, bool test, F convert) {
  Result<std::optional<Item>> one = Single(input, call, "the input");
  if (!one.ok()) return one.status();
  if (!*one) return Collection();
  std::optional<Item> s = ToSystem(**one);
  std::optional<Item> converted = s ? convert(*s) : std::nullopt;
  if (test) return One(Item::Boolean(converted.has_value()));
  if (!converted) return Collection();
  return One(std::move(*converted));
}

// ---- math ---------------------------------------------------------------------

Result<std::optional<Item>> NumberOf(const Collection& c, const Ast& call, bool allow_quantity) {
  Result<std::optional<Item>> one = Single(c, call, "the input");
  if (!one.ok() || !*one) return one;
  std::optional<Item> s = ToSystem(**one);
  if (s && (s->kind() == ItemKind::kInteger || s->kind() == ItemKind::kDecimal ||
            (allow_quantity && s->kind() == ItemKind::kQuantity))) {
    return std::optional<Item>(std::move(*s));
  }
  return FnError(call, "expects a number, got " + TypeName(**one));
}

long double AsLongDouble(const Item& n) {
  return n.kind() == ItemKind::kInteger ? static_cast<long double>(n.integer())
                                        : n.decimal().ToLongDouble();
}

Collection DecimalResult(long double v) {
  std::optional<Decimal> d = Decimal::FromLongDouble(v);
  if (!d) return Collection();
  return One(Item::FromDecimal(*d));
}

Collection IntegerResult(const Decimal& d) {
  std::optional<std::int64_t> v = d.ToInt64();
  if (!v || !InInt32(*v)) return Collection();
  return One(Item::Integer(*v));
}

// ---- boundaries ---------------------------------------------------------------

Result<Collection> Boundary(const Item& s, std::optional<std::int64_t> digits, bool high) {
  if (s.kind() == ItemKind::kDecimal || s.kind() == ItemKind::kInteger) {
    const Decimal d = s.kind() == ItemKind::kInteger ? Decimal::FromInt(s.integer()) : s.decimal();
    const int precision = static_cast<int>(digits.value_or(8));
    if (precision < 0 || precision > 28) return Collection();
    // Half a unit of the last digit either side.
    const Decimal half = Decimal::FromParts(5, d.scale() + 1);
    std::optional<Decimal> bound = high ? Decimal::Add(d, half) : Decimal::Subtract(d, half);
    if (!bound) return Collection();
    std::optional<Decimal> scaled = bound->WithScale(precision);
    if (!scaled) return Collection();
    Decimal r = scaled->scale() > precision ? scaled->TruncatedTo(precision) : *scaled;
    return One(Item::FromDecimal(r));
  }
  if (s.kind() != ItemKind::kDate && s.kind() != ItemKind::kDateTime &&
      s.kind() != ItemKind::kTime) {
    return Collection();
  }
  Temporal t = s.temporal();
  TemporalPrecision target;
  const std::int64_t n =
      digits.value_or(t.kind == TemporalKind::kTime ? 9 : (t.kind == TemporalKind::kDate ? 8 : 17));
  if (t.kind == TemporalKind::kTime) {
    if (n == 2)
      target = TemporalPrecision::kHour;
    else if (n == 4)
      target = TemporalPrecision::kMinute;
    else if (n == 6)
      target = TemporalPrecision::kSecond;
    else if (n == 9)
      target = TemporalPrecision::kMillisecond;
    else
      return Collection();
  } else {
    switch (n) {
      case 4:
        target = TemporalPrecision::kYear;
        break;
      case 6:
        target = TemporalPrecision::kMonth;
        break;
      case 8:
        target = TemporalPrecision::kDay;
        break;
      case 10:
        target = TemporalPrecision::kHour;
        break;
      case 12:
        target = TemporalPrecision::kMinute;
        break;
      case 14:
        target = TemporalPrecision::kSecond;
        break;
      case 17:
        target = TemporalPrecision::kMillisecond;
        break;
      default:
        return Collection();
    }
    if (t.kind == TemporalKind::kDate && target > TemporalPrecision::kDay)
      t.kind = TemporalKind::kDateTime;
  }
  if (t.kind != TemporalKind::kTime) {
    if (t.precision < TemporalPrecision::kMonth) t.month = high ? 12 : 1;
    if (t.precision < TemporalPrecision::kDay) t.day = high ? DaysInMonth(t.year, t.month) : 1;
  }
  if (t.precision < TemporalPrecision::kHour) t.hour = high ? 23 : 0;
  if (t.precision < TemporalPrecision::kMinute) t.minute = high ? 59 : 0;
  if (t.precision < TemporalPrecision::kSecond) t.second = high ? 59 : 0;
  if (t.precision < TemporalPrecision::kMillisecond) t.millisecond = high ? 999 : 0;
  t.precision = target;
  return One(Item::FromTemporal(t));
}

}  // namespace

const FunctionSpec* FindFunction(std::string_view name) {
  for (const FunctionSpec& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Result<std::shared_ptr<const std::regex>> CompileRegex(std::string_view pattern, RegexUse use) {
  if (pattern.size() > kMaxRegexPattern) {
    return InvalidArgument("regular expression longer than " + std::to_string(kMaxRegexPattern) +
                           " bytes");
  }
  // FHIRPath regexes run in single-line mode: '.' matches newlines too.
  std::string translated;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      translated.push_back(c);
      translated.push_back(pattern[++i]);
      continue;
    }
    if (c == '[') in_class = true;
    if (c == ']') in_class = false;
    if (c == '.' && !in_class) {
      translated += "[\\s\\S]";
    } else {
      translated.push_back(c);
    }
  }
  // matches() looks anywhere: one whole-input match of .*(?:P).* instead of
  // a search from every position (which is quadratic).
  if (use == RegexUse::kMatches) translated = "[\\s\\S]*(?:" + translated + ")[\\s\\S]*";
  if (use == RegexUse::kMatchesFull) translated = "(?:" + translated + ")";
  auto flags = std::regex::ECMAScript;
#if defined(__GLIBCXX__)
  // Breadth-first matching: no exponential backtracking, no recursion per
  // input character (libstdc++ extension; back-references are refused).
  flags |= std::regex_constants::__polynomial;
#endif
  try {
    return std::make_shared<const std::regex>(translated, flags);
  } catch (const std::regex_error& e) {
    if (e.code() == std::regex_constants::error_complexity) {
      return InvalidArgument("regular expression '" + std::string(pattern) +
                             "' uses back-references, which are not supported");
    }
    return InvalidArgument("invalid regular expression '" + std::string(pattern) +
                           "': " + e.what());
  } catch (const std::exception& e) {
    return InvalidArgument("invalid regular expression '" + std::string(pattern) +
                           "': " + e.what());
  }
}

Result<std::optional<bool>> ToBoolean3(const Collection& c, std::string_view what) {
  if (c.empty()) return std::optional<bool>();
  if (c.size() > 1) {
    return InvalidArgument(std::string(what) + " must be a single Boolean, got " +
                           std::to_string(c.size()) + " items");
  }
  std::optional<Item> s = ToSystem(c[0]);
  if (!s) {
    if (c[0].is_node() && c[0].node().type != nullptr && c[0].node().type->IsPrimitive()) {
      return std::optional<bool>();
    }
    return std::optional<bool>(true);
  }
  if (s->kind() == ItemKind::kBoolean) return std::optional<bool>(s->boolean());
  return std::optional<bool>(true);  // singleton evaluation: one item counts as true
}

ItemIndex::ItemIndex(const Collection& items) : items_(items) {
  by_hash_.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) by_hash_.emplace(EqualityHash(items[i]), i);
}

bool ItemIndex::Contains(const Item& item) const {
  auto [begin, end] = by_hash_.equal_range(EqualityHash(item));
  for (auto it = begin; it != end; ++it) {
    const Item& candidate = items_[it->second];
    if (candidate.is_node() && item.is_node() && candidate.node().value == item.node().value &&
        candidate.node().value != nullptr) {
      return true;
    }
    std::optional<bool> e = ItemsEqual(candidate, item);
    if (e && *e) return true;
  }
  return false;
}

void ItemIndex::Add(const Collection& items) {
  by_hash_.emplace(EqualityHash(items.back()), items.size() - 1);
}

void AppendDistinct(Collection& out, const Collection& items) {
  // Most unions and distinct() calls see a handful of items: comparing them
  // pairwise is cheaper than hashing each one into an index. Same answer:
  // the index only narrows the candidates that ItemsEqual then decides.
  constexpr std::size_t kPairwiseLimit = 16;
  if (out.size() + items.size() <= kPairwiseLimit) {
    for (const Item& item : items) {
      bool seen = false;
      for (std::size_t i = 0; i < out.size() && !seen; ++i) {
        const Item& candidate = out[i];
        if (candidate.is_node() && item.is_node() && candidate.node().value != nullptr &&
            candidate.node().value == item.node().value) {
          seen = true;
        } else {
          std::optional<bool> e = ItemsEqual(candidate, item);
          seen = e && *e;
        }
      }
      if (!seen) out.push_back(item);
    }
    return;
  }
  ItemIndex index(out);
  for (const Item& item : items) {
    if (index.Contains(item)) continue;
    out.push_back(item);
    index.Add(out);
  }
}

Result<Collection> CallValueFunction(const Ast& call, const Collection& input,
                                     std::span<const Collection> args, const FunctionEnv& env) {
  const FunctionId id = call.function->id;
  switch (id) {
    // ---- existence ----
    case FI::kEmpty:
      return One(Item::Boolean(input.empty()));
    case FI::kExists:
      return One(Item::Boolean(!input.empty()));
    case FI::kAllTrue:
    case FI::kAnyTrue:
    case FI::kAllFalse:
    case FI::kAnyFalse: {
      const bool want = id == FI::kAllTrue || id == FI::kAnyTrue;
      const bool all = id == FI::kAllTrue || id == FI::kAllFalse;
      bool result = all;
      for (const Item& item : input) {
        std::optional<Item> s = ToSystem(item);
        if (!s || s->kind() != ItemKind::kBoolean) {
          return FnError(call, "expects Booleans, got " + TypeName(item));
        }
        if (all && s->boolean() != want) result = false;
        if (!all && s->boolean() == want) result = true;
      }
      return One(Item::Boolean(result));
    }
    case FI::kSubsetOf:
    case FI::kSupersetOf: {
      const Collection& small = id == FI::kSubsetOf ? input : args[0];
      const ItemIndex big(id == FI::kSubsetOf ? args[0] : input);
      for (const Item& item : small) {
        if (!big.Contains(item)) return One(Item::Boolean(false));
      }
      return One(Item::Boolean(true));
    }
    case FI::kCount:
      return One(Item::Integer(static_cast<std::int64_t>(input.size())));
    case FI::kDistinct: {
      Collection out;
      AppendDistinct(out, input);
      return out;
    }
    case FI::kIsDistinct: {
      Collection out;
      AppendDistinct(out, input);
      return One(Item::Boolean(out.size() == input.size()));
    }

    // ---- subsetting and combining ----
    case FI::kSingle:
      if (input.size() > 1)
        return FnError(call, "the input has " + std::to_string(input.size()) + " items");
      return input;
    case FI::kFirst:
      return input.empty() ? Collection() : One(input.front());
    case FI::kLast:
      return input.empty() ? Collection() : One(input.back());
    case FI::kTail:
      return input.size() <= 1 ? Collection() : Collection(input.begin() + 1, input.end());
    case FI::kSkip:
    case FI::kTake: {
      Result<std::optional<std::int64_t>> n = IntegerOf(args[0], call, "the count");
      if (!n.ok()) return n.status();
      if (!*n) return Collection();
      const std::int64_t k =
          std::clamp<std::int64_t>(**n, 0, static_cast<std::int64_t>(input.size()));
      const auto split = input.begin() + static_cast<std::ptrdiff_t>(k);
      return id == FI::kSkip ? Collection(split, input.end()) : Collection(input.begin(), split);
    }
    case FI::kIntersect: {
      const ItemIndex other(args[0]);
      Collection both;
      for (const Item& item : input) {
        if (other.Contains(item)) both.push_back(item);
      }
      Collection out;
      AppendDistinct(out, both);
      return out;
    }
    case FI::kExclude: {
      const ItemIndex other(args[0]);
      Collection out;
      for (const Item& item : input) {
        if (!other.Contains(item)) out.push_back(item);
      }
      return out;
    }
    case FI::kUnion: {
      Collection out;
      AppendDistinct(out, input);
      AppendDistinct(out, args[0]);
      return out;
    }
    case FI::kCombine: {
      if (input.size() + args[0].size() > env.max_collection_size) {
        return ResourceExhausted("combine(): result exceeds " +
                                 std::to_string(env.max_collection_size) + " items");
      }
      Collection out = input;
      out.insert(out.end(), args[0].begin(), args[0].end());
      return out;
    }

    // ---- conversion ----
    case FI::kToBoolean:
    case FI::kConvertsToBoolean:
      return Convert(input, call, id == FI::kConvertsToBoolean,
                     [](const Item& s) -> std::optional<Item> {
                       std::optional<bool> b = ConvertToBoolean(s);
                       if (!b) return std::nullopt;
                       return Item::Boolean(*b);
                     });
    case FI::kToInteger:
    case FI::kConvertsToInteger:
      return Convert(input, call, id == FI::kConvertsToInteger,
                     [](const Item& s) -> std::optional<Item> {
                       std::optional<std::int64_t> i = ConvertToInteger(s);
                       if (!i) return std::nullopt;
                       return Item::Integer(*i);
                     });
    case FI::kToDecimal:
    case FI::kConvertsToDecimal:
      return Convert(input, call, id == FI::kConvertsToDecimal,
                     [](const Item& s) -> std::optional<Item> {
                       std::optional<Decimal> d = ConvertToDecimal(s);
                       if (!d) return std::nullopt;
                       return Item::FromDecimal(*d);
                     });
    case FI::kToString:
    case FI::kConvertsToString:
      return Convert(input, call, id == FI::kConvertsToString,
                     [](const Item& s) -> std::optional<Item> {
                       std::optional<std::string> t = ItemToText(s);
                       if (!t) return std::nullopt;
                       return Item::String(std::move(*t));
                     });
    case FI::kToDate:
    case FI::kConvertsToDate:
      return Convert(input, call, id == FI::kConvertsToDate,
                     [](const Item& s) -> std::optional<Item> {
                       std::optional<Temporal> t = ConvertToDate(s);
                       if (!t) return std::nullopt;
                       return Item::FromTemporal(*t);
                     });
    case FI::kToDateTime:
    case FI::kConvertsToDateTime:
      return Convert(input, call, id == FI::kConvertsToDateTime,
                     [](const Item& s) -> std::optional<Item> {
                       std::optional<Temporal> t = ConvertToDateTime(s);
                       if (!t) return std::nullopt;
                       return Item::FromTemporal(*t);
                     });
    case FI::kToTime:
    case FI::kConvertsToTime:
      return Convert(input, call, id == FI::kConvertsToTime,
                     [](const Item& s) -> std::optional<Item> {
                       std::optional<Temporal> t = ConvertToTime(s);
                       if (!t) return std::nullopt;
                       return Item::FromTemporal(*t);
                     });
    case FI::kToQuantity:
    case FI::kConvertsToQuantity: {
      std::optional<std::string> unit;
      if (!args.empty()) {
        Result<std::optional<std::string>> u = StringOf(args[0], call, "the unit");
        if (!u.ok()) return u.status();
        if (!*u) return Collection();
        unit = std::move(**u);
      }
      return Convert(input, call, id == FI::kConvertsToQuantity,
                     [&unit](const Item& s) -> std::optional<Item> {
                       std::optional<Quantity> q = ConvertToQuantity(s);
                       if (q && unit) q = ConvertQuantity(*q, *unit);
                       if (!q) return std::nullopt;
                       return Item::FromQuantity(std::move(*q));
                     });
    }

    // ---- strings ----
    case FI::kIndexOf:
    case FI::kLastIndexOf:
    case FI::kStartsWith:
    case FI::kEndsWith:
    case FI::kContains: {
      Result<std::optional<std::string>> s = StringOf(input, call, "the input");
      if (!s.ok()) return s.status();
      Result<std::optional<std::string>> sub = StringOf(args[0], call, "the argument");
      if (!sub.ok()) return sub.status();
      if (!*s || !*sub) return Collection();
      const std::string& str = **s;
      const std::string& part = **sub;
      switch (id) {
        case FI::kIndexOf: {
          const std::size_t at = str.find(part);
          return One(Item::Integer(at == std::string::npos ? -1 : CodePointIndex(str, at)));
        }
        case FI::kLastIndexOf: {
          const std::size_t at = str.rfind(part);
          return One(Item::Integer(at == std::string::npos ? -1 : CodePointIndex(str, at)));
        }
        case FI::kStartsWith:
          return One(Item::Boolean(str.starts_with(part)));
        case FI::kEndsWith:
          return One(Item::Boolean(str.ends_with(part)));
        default:
          return One(Item::Boolean(str.find(part) != std::string::npos));
      }
    }
    case FI::kSubstring: {
      Result<std::optional<std::string>> s = StringOf(input, call, "the input");
      if (!s.ok()) return s.status();
      Result<std::optional<std::int64_t>> start = IntegerOf(args[0], call, "the start");
      if (!start.ok()) return start.status();
      if (!*s || !*start) return Collection();
      const std::vector<std::size_t> cp = CodePoints(**s);
      const std::int64_t length = static_cast<std::int64_t>(cp.size()) - 1;
      const std::int64_t from = **start;
      if (from < 0 || from >= length) return Collection();
      std::int64_t count = length - from;
      if (args.size() > 1) {
        Result<std::optional<std::int64_t>> n = IntegerOf(args[1], call, "the length");
        if (!n.ok()) return n.status();
        if (*n) count = std::clamp<std::int64_t>(**n, 0, length - from);
      }
      const std::size_t b = cp[static_cast<std::size_t>(from)];
      const std::size_t e = cp[static_cast<std::size_t>(from + count)];
      return One(Item::String((*s)->substr(b, e - b)));
    }
    case FI::kUpper:
    case FI::kLower:
    case FI::kLength:
    case FI::kToChars:
    case FI::kTrim: {
      Result<std::optional<std::string>> s = StringOf(input, call, "the input");
      if (!s.ok()) return s.status();
      if (!*s) return Collection();
      const std::string& str = **s;
      if (id == FI::kUpper || id == FI::kLower)
        return One(Item::String(ChangeCase(str, id == FI::kUpper)));
      const std::vector<std::size_t> cp = CodePoints(str);
      if (id == FI::kLength) return One(Item::Integer(static_cast<std::int64_t>(cp.size()) - 1));
      if (id == FI::kTrim) {
        const std::size_t b = str.find_first_not_of(" \t\r\n\f");
        if (b == std::string::npos) return One(Item::String(""));
        const std::size_t e = str.find_last_not_of(" \t\r\n\f");
        return One(Item::String(str.substr(b, e - b + 1)));
      }
      Collection chars;
      for (std::size_t i = 0; i + 1 < cp.size(); ++i)
        chars.push_back(Item::String(str.substr(cp[i], cp[i + 1] - cp[i])));
      return chars;
    }
    case FI::kReplace: {
      Result<std::optional<std::string>> s = StringOf(input, call, "the input");
      if (!s.ok()) return s.status();
      Result<std::optional<std::string>> pattern = StringOf(args[0], call, "the pattern");
      if (!pattern.ok()) return pattern.status();
      Result<std::optional<std::string>> with = StringOf(args[1], call, "the substitution");
      if (!with.ok()) return with.status();
      if (!*s || !*pattern || !*with) return Collection();
      const std::string& str = **s;
      const std::string& from = **pattern;
      const std::string& to = **with;
      std::string out;
      if (from.empty()) {
        const std::vector<std::size_t> cp = CodePoints(str);
        out = to;
        for (std::size_t i = 0; i + 1 < cp.size(); ++i) {
          out.append(str, cp[i], cp[i + 1] - cp[i]);
          out += to;
          if (out.size() > kMaxStringBytes) return ResourceExhausted("replace(): result too long");
        }
      } else {
        std::size_t at = 0;
        for (std::size_t next; (next = str.find(from, at)) != std::string::npos;
             at = next + from.size()) {
          out.append(str, at, next - at);
          out += to;
          if (out.size() > kMaxStringBytes) return ResourceExhausted("replace(): result too long");
        }
        out.append(str, at);
      }
      return One(Item::String(std::move(out)));
    }
    case FI::kMatches:
    case FI::kMatchesFull:
    case FI::kReplaceMatches: {
      Result<std::optional<std::string>> s = StringOf(input, call, "the input");
      if (!s.ok()) return s.status();
      Result<std::optional<std::string>> pattern =
          StringOf(args[0], call, "the regular expression");
      if (!pattern.ok()) return pattern.status();
      std::optional<std::string> with;
      if (id == FI::kReplaceMatches) {
        Result<std::optional<std::string>> w = StringOf(args[1], call, "the substitution");
        if (!w.ok()) return w.status();
        if (!*w) return Collection();
        with = std::move(**w);
      }
      if (!*s || !*pattern) return Collection();
      const std::size_t limit =
          id == FI::kReplaceMatches ? kMaxReplaceMatchesInput : kMaxRegexInput;
      if ((*s)->size() > limit) {
        return FnError(
            call, "input longer than " + std::to_string(limit) + " bytes for a regular expression");
      }
      if (id == FI::kReplaceMatches && (*pattern)->empty()) return One(Item::String(**s));
      std::shared_ptr<const std::regex> re = call.regex;
      if (!re) {
        const RegexUse use = id == FI::kMatches       ? RegexUse::kMatches
                             : id == FI::kMatchesFull ? RegexUse::kMatchesFull
                                                      : RegexUse::kReplace;
        Result<std::shared_ptr<const std::regex>> compiled = CompileRegex(**pattern, use);
        if (!compiled.ok()) return FnError(call, compiled.status().message());
        re = std::move(*compiled);
      }
      try {
        if (id == FI::kReplaceMatches)
          return One(Item::String(std::regex_replace(**s, *re, *with)));
        return One(Item::Boolean(std::regex_match(**s, *re)));
      } catch (const std::exception& e) {
        return FnError(call, std::string("regular expression failed: ") + e.what());
      }
    }
    case FI::kSplit: {
      Result<std::optional<std::string>> s = StringOf(input, call, "the input");
      if (!s.ok()) return s.status();
      Result<std::optional<std::string>> sep = StringOf(args[0], call, "the separator");
      if (!sep.ok()) return sep.status();
      if (!*s || !*sep) return Collection();
      Collection parts;
      const std::string& str = **s;
      if ((*sep)->empty()) {
        const std::vector<std::size_t> cp = CodePoints(str);
        for (std::size_t i = 0; i + 1 < cp.size(); ++i)
          parts.push_back(Item::String(str.substr(cp[i], cp[i + 1] - cp[i])));
        return parts;
      }
      std::size_t at = 0;
      for (std::size_t next; (next = str.find(**sep, at)) != std::string::npos;
           at = next + (*sep)->size()) {
        parts.push_back(Item::String(str.substr(at, next - at)));
      }
      parts.push_back(Item::String(str.substr(at)));
      return parts;
    }
    case FI::kJoin: {
      std::string sep;
      if (!args.empty()) {
        Result<std::optional<std::string>> s = StringOf(args[0], call, "the separator");
        if (!s.ok()) return s.status();
        if (*s) sep = std::move(**s);
      }
      std::string out;
      for (std::size_t i = 0; i < input.size(); ++i) {
        std::optional<Item> s = ToSystem(input[i]);
        if (!s || s->kind() != ItemKind::kString)
          return FnError(call, "expects Strings, got " + TypeName(input[i]));
        if (i > 0) out += sep;
        out += s->string();
        if (out.size() > kMaxStringBytes) return ResourceExhausted("join(): result too long");
      }
      return One(Item::String(std::move(out)));
    }
    case FI::kEncode:
    case FI::kDecode:
    case FI::kEscape:
    case FI::kUnescape: {
      Result<std::optional<std::string>> s = StringOf(input, call, "the input");
      if (!s.ok()) return s.status();
      Result<std::optional<std::string>> format = StringOf(args[0], call, "the format");
      if (!format.ok()) return format.status();
      if (!*s || !*format) return Collection();
      const std::string& str = **s;
      const std::string& f = **format;
      if (str.size() > kMaxStringBytes / 2)
        return ResourceExhausted(call.name + "(): input too long");
      std::optional<std::string> out;
      if (id == FI::kEncode) {
        if (f == "base64" || f == "urlbase64") out = Base64Encode(str, f == "urlbase64");
        if (f == "hex") out = HexEncode(str);
      } else if (id == FI::kDecode) {
        if (f == "base64" || f == "urlbase64") out = Base64Decode(str, f == "urlbase64");
        if (f == "hex") out = HexDecode(str);
      } else if (id == FI::kEscape) {
        if (f == "html") out = EscapeHtml(str);
        if (f == "json") out = EscapeJson(str);
      } else {
        if (f == "html") out = UnescapeHtml(str);
        if (f == "json") out = UnescapeJson(str);
      }
      if (!out) return Collection();
      return One(Item::String(std::move(*out)));
    }

    // ---- math ----
    case FI::kAbs:
    case FI::kCeiling:
    case FI::kFloor:
    case FI::kTruncate:
    case FI::kExp:
    case FI::kLn:
    case FI::kSqrt:
    case FI::kRound:
    case FI::kLog:
    case FI::kPower: {
      Result<std::optional<Item>> n = NumberOf(input, call, id == FI::kAbs);
      if (!n.ok()) return n.status();
      if (!*n) return Collection();
      const Item& x = **n;
      const bool integer = x.kind() == ItemKind::kInteger;
      switch (id) {
        case FI::kAbs:
          if (integer) return One(Item::Integer(x.integer() < 0 ? -x.integer() : x.integer()));
          if (x.kind() == ItemKind::kDecimal) return One(Item::FromDecimal(x.decimal().Abs()));
          return One(Item::FromQuantity(Quantity{x.quantity().value.Abs(), x.quantity().unit}));
        case FI::kCeiling:
          return integer ? One(x) : IntegerResult(x.decimal().Ceiling());
        case FI::kFloor:
          return integer ? One(x) : IntegerResult(x.decimal().Floor());
        case FI::kTruncate:
          return integer ? One(x) : IntegerResult(x.decimal().TruncatedTo(0));
        case FI::kExp:
          return DecimalResult(std::exp(AsLongDouble(x)));
        case FI::kLn: {
          const long double v = AsLongDouble(x);
          return v <= 0 ? Collection() : DecimalResult(std::log(v));
        }
        case FI::kSqrt: {
          const long double v = AsLongDouble(x);
          return v < 0 ? Collection() : DecimalResult(std::sqrt(v));
        }
        case FI::kRound: {
          std::int64_t digits = 0;
          if (!args.empty()) {
            Result<std::optional<std::int64_t>> p = IntegerOf(args[0], call, "the precision");
            if (!p.ok()) return p.status();
            if (!*p) return Collection();
            digits = **p;
            if (digits < 0) return FnError(call, "the precision must not be negative");
          }
          const Decimal d = integer ? Decimal::FromInt(x.integer()) : x.decimal();
          return One(
              Item::FromDecimal(d.RoundedTo(static_cast<int>(std::min<std::int64_t>(digits, 38)))));
        }
        case FI::kLog: {
          Result<std::optional<Item>> base = NumberOf(args[0], call, false);
          if (!base.ok()) return base.status();
          if (!*base) return Collection();
          const long double v = AsLongDouble(x);
          const long double b = AsLongDouble(**base);
          if (v <= 0 || b <= 0 || b == 1) return Collection();
          return DecimalResult(std::log(v) / std::log(b));
        }
        default: {  // power
          Result<std::optional<Item>> e = NumberOf(args[0], call, false);
          if (!e.ok()) return e.status();
          if (!*e) return Collection();
          const Item& exponent = **e;
          if (exponent.kind() == ItemKind::kInteger && exponent.integer() >= 0 &&
              exponent.integer() <= 128) {
            // Exact for whole exponents.
            if (integer) {
              std::int64_t r = 1;
              for (std::int64_t i = 0; i < exponent.integer(); ++i) {
                if (__builtin_mul_overflow(r, x.integer(), &r) || !InInt32(r)) return Collection();
              }
              return One(Item::Integer(r));
            }
            std::optional<Decimal> r = Decimal::FromInt(1);
            for (std::int64_t i = 0; i < exponent.integer() && r; ++i)
              r = Decimal::Multiply(*r, x.decimal());
            if (!r) return Collection();
            return One(Item::FromDecimal(*r));
          }
          const long double r = std::pow(AsLongDouble(x), AsLongDouble(exponent));
          if (!std::isfinite(r)) return Collection();
          if (integer && exponent.kind() == ItemKind::kInteger) {
            std::optional<Decimal> d = Decimal::FromLongDouble(r);
            return d ? One(Item::FromDecimal(*d)) : Collection();
          }
          return DecimalResult(r);
        }
      }
    }

    // ---- utility ----
    case FI::kNow:
      return One(Item::FromTemporal(env.clock.Now()));
    case FI::kToday: {
      Temporal t = env.clock.Now();
      t.kind = TemporalKind::kDate;
      t.precision = TemporalPrecision::kDay;
      t.has_timezone = false;
      t.hour = t.minute = t.second = t.millisecond = 0;
      return One(Item::FromTemporal(t));
    }
    case FI::kTimeOfDay: {
      Temporal t = env.clock.Now();
      t.kind = TemporalKind::kTime;
      t.has_timezone = false;
      return One(Item::FromTemporal(t));
    }

    // ---- types ----
    case FI::kIs: {
      Result<std::optional<Item>> one = Single(input, call, "the input");
      if (!one.ok()) return one.status();
      if (!*one) return Collection();
      return One(Item::Boolean(call.type.Matches(**one)));
    }
    case FI::kAs:
    case FI::kOfType: {
      Collection out;
      for (const Item& item : input) {
        if (call.type.Matches(item)) out.push_back(item);
      }
      return out;
    }
    case FI::kType: {
      Collection out;
      for (const Item& item : input) out.push_back(Item::FromTypeInfo(TypeOf(item)));
      return out;
    }
    case FI::kNot: {
      Result<std::optional<bool>> b = ToBoolean3(input, "the input of not()");
      if (!b.ok()) return b.status();
      if (!*b) return Collection();
      return One(Item::Boolean(!**b));
    }

    // ---- FHIR ----
    case FI::kExtension: {
      Result<std::optional<std::string>> url = StringOf(args[0], call, "the url");
      if (!url.ok()) return url.status();
      if (!*url) return Collection();
      Collection out;
      for (const Item& item : input) {
        if (item.is_node()) AppendExtensions(item.node(), **url, env.model, out);
      }
      return out;
    }
    case FI::kHasValue: {
      if (input.size() != 1) return One(Item::Boolean(false));
      const Item& item = input[0];
      if (!item.is_node()) return One(Item::Boolean(item.kind() != ItemKind::kTypeInfo));
      const Node& n = item.node();
      const bool primitive =
          n.type == nullptr ? (n.value != nullptr && !n.value->IsObject() && !n.value->IsArray())
                            : n.type->IsPrimitive();
      return One(Item::Boolean(primitive && n.value != nullptr && !n.value->IsNull()));
    }
    case FI::kGetValue: {
      if (input.size() != 1) return Collection();
      std::optional<Item> s = ToSystem(input[0]);
      if (!s || s->kind() == ItemKind::kQuantity) return Collection();
      return One(std::move(*s));
    }
    case FI::kHtmlChecks:
      return One(Item::Boolean(true));
    case FI::kChildren:
    case FI::kDescendants: {
      Collection out;
      for (const Item& item : input) {
        if (item.is_node()) AppendChildren(item.node(), env.model, out);
      }
      if (id == FI::kChildren) return out;
      // Level by level, as repeat(children()).
      for (std::size_t i = 0; i < out.size(); ++i) {
        if (out.size() > env.max_collection_size) {
          return ResourceExhausted("descendants(): more than " +
                                   std::to_string(env.max_collection_size) + " elements");
        }
        const Node n = out[i].node();
        AppendChildren(n, env.model, out);
      }
      return out;
    }
    case FI::kLowBoundary:
    case FI::kHighBoundary:
    case FI::kPrecision: {
      Result<std::optional<Item>> one = Single(input, call, "the input");
      if (!one.ok()) return one.status();
      if (!*one) return Collection();
      std::optional<Item> s = ToSystem(**one);
      if (!s) return Collection();
      if (id == FI::kPrecision) {
        switch (s->kind()) {
          case ItemKind::kDecimal:
            return One(Item::Integer(s->decimal().scale()));
          case ItemKind::kInteger:
            return One(Item::Integer(0));
          case ItemKind::kDate:
          case ItemKind::kDateTime:
          case ItemKind::kTime:
            return One(Item::Integer(s->temporal().DigitPrecision()));
          default:
            return Collection();
        }
      }
      std::optional<std::int64_t> digits;
      if (!args.empty()) {
        Result<std::optional<std::int64_t>> p = IntegerOf(args[0], call, "the precision");
        if (!p.ok()) return p.status();
        digits = *p;
      }
      return Boundary(*s, digits, id == FI::kHighBoundary);
    }
    default:
      return Internal("function '" + call.name + "' is not a value function");
  }
}

}  // namespace fhirengine::fhirpath::internal
