// Search parameter parsing: one function per FHIR parameter type turns a
// value into the index-row conditions of the store's query model, with
// the semantics of https://hl7.org/fhir/R4/search.html.
#include "engine/search/search_request.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>

#include "engine/fhir/resource_subset.h"

namespace fhirengine::search {
namespace {

using store::Clause;
using store::Column;
using store::Compare;
using store::CompareOp;
using store::RowMatch;

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr int kMaxChainDepth = 4;
constexpr std::size_t kMaxValuesPerParam = 100;

// Splits at unescaped `sep`, keeping escapes in the pieces.
std::vector<std::string> SplitRaw(std::string_view text, char sep) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      out.back() += text[i];
      out.back() += text[++i];
    } else if (text[i] == sep) {
      out.emplace_back();
    } else {
      out.back() += text[i];
    }
  }
  return out;
}

std::string Unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    out += text[i];
  }
  return out;
}

Compare Cmp(Column column, CompareOp op, store::Operand operand = {}) {
  return Compare{column, op, std::move(operand)};
}

RowMatch All(std::vector<Compare> all) { return RowMatch{std::move(all)}; }

enum class Prefix { kEq, kNe, kGt, kLt, kGe, kLe, kSa, kEb, kAp };

// Strips a two-letter prefix from a date, number or quantity value.
Prefix TakePrefix(std::string_view& value) {
  static constexpr std::pair<std::string_view, Prefix> kPrefixes[] = {
      {"eq", Prefix::kEq}, {"ne", Prefix::kNe}, {"gt", Prefix::kGt},
      {"lt", Prefix::kLt}, {"ge", Prefix::kGe}, {"le", Prefix::kLe},
      {"sa", Prefix::kSa}, {"eb", Prefix::kEb}, {"ap", Prefix::kAp}};
  if (value.size() > 2 && value[0] >= 'a' && value[0] <= 'z') {
    for (const auto& [text, prefix] : kPrefixes) {
      if (value.substr(0, 2) == text) {
        value.remove_prefix(2);
        return prefix;
      }
    }
  }
  return Prefix::kEq;
}

// Row conditions for a resource range [low, high] against the search range
// [pl, ph] under `prefix` (search.html#prefix, for ranges).
std::vector<RowMatch> RangeMatches(Prefix prefix, std::int64_t pl, std::int64_t ph,
                                   std::int64_t now_ms) {
  const Column lo = Column::kLow;
  const Column hi = Column::kHigh;
  switch (prefix) {
    case Prefix::kEq:
      return {All({Cmp(lo, CompareOp::kGe, pl), Cmp(hi, CompareOp::kLe, ph)})};
    case Prefix::kNe:
      return {All({Cmp(lo, CompareOp::kLt, pl)}), All({Cmp(hi, CompareOp::kGt, ph)})};
    case Prefix::kGt:
      return {All({Cmp(hi, CompareOp::kGt, ph)})};
    case Prefix::kLt:
      return {All({Cmp(lo, CompareOp::kLt, pl)})};
    case Prefix::kGe:
      return {All({Cmp(hi, CompareOp::kGt, ph)}),
              All({Cmp(lo, CompareOp::kGe, pl), Cmp(hi, CompareOp::kLe, ph)})};
    case Prefix::kLe:
      return {All({Cmp(lo, CompareOp::kLt, pl)}),
              All({Cmp(lo, CompareOp::kGe, pl), Cmp(hi, CompareOp::kLe, ph)})};
    case Prefix::kSa:
      return {All({Cmp(lo, CompareOp::kGt, ph)})};
    case Prefix::kEb:
      return {All({Cmp(hi, CompareOp::kLt, pl)})};
    case Prefix::kAp: {
      // Within 10% of the distance between the value and now, and at
      // least a day (the spec leaves the gap to the server).
      const std::int64_t distance = pl > now_ms ? pl - now_ms : now_ms - pl;
      const std::int64_t gap = std::max<std::int64_t>(distance / 10, 86'400'000);
      const std::int64_t wl = pl > kMin + gap ? pl - gap : kMin;
      const std::int64_t wh = ph < kMax - gap ? ph + gap : kMax;
      return {All({Cmp(lo, CompareOp::kLe, wh), Cmp(hi, CompareOp::kGe, wl)})};
    }
  }
  return {};
}

// Row conditions for a number column against `v` written with `decimals`
// digits after the point (the implied precision of eq: search.html#number).
std::vector<RowMatch> NumberMatches(Prefix prefix, double v, int decimals) {
  const Column n = Column::kNumber;
  const double half = 0.5 * std::pow(10.0, -decimals);
  switch (prefix) {
    case Prefix::kEq:
      return {All({Cmp(n, CompareOp::kGe, v - half), Cmp(n, CompareOp::kLt, v + half)})};
    case Prefix::kNe:
      return {All({Cmp(n, CompareOp::kLt, v - half)}), All({Cmp(n, CompareOp::kGe, v + half)})};
    case Prefix::kGt:
    case Prefix::kSa:
      return {All({Cmp(n, CompareOp::kGt, v)})};
    case Prefix::kLt:
    case Prefix::kEb:
      return {All({Cmp(n, CompareOp::kLt, v)})};
    case Prefix::kGe:
      return {All({Cmp(n, CompareOp::kGe, v)})};
    case Prefix::kLe:
      return {All({Cmp(n, CompareOp::kLe, v)})};
    case Prefix::kAp: {
      const double gap = std::abs(v) * 0.1;
      return {All({Cmp(n, CompareOp::kGe, v - gap), Cmp(n, CompareOp::kLe, v + gap)})};
    }
  }
  return {};
}

// A FHIR decimal ("-1.50", "1e3"): its value and digits after the point.
std::optional<std::pair<double, int>> ParseNumber(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::size_t i = 0;
  if (text[i] == '-' || text[i] == '+') ++i;
  int digits = 0, decimals = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++decimals;
    if (decimals == 0) return std::nullopt;
  }
  if (digits == 0) return std::nullopt;
  int exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    const char* begin = text.data() + i;
    if (i < text.size() && text[i] == '+') ++begin;
    auto [end, ec] = std::from_chars(begin, text.data() + text.size(), exponent);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    i = text.size();
  }
  if (i != text.size()) return std::nullopt;
  const std::string owned(text);
  return std::make_pair(std::strtod(owned.c_str(), nullptr), decimals - exponent);
}

bool IsResourceType(std::string_view s, const SearchParameterRegistry& registry) {
  return !s.empty() && s[0] >= 'A' && s[0] <= 'Z' && !registry.ForType(s).empty();
}

class Parser {
 public:
  Parser(const SearchOptions& options, const SearchParameterRegistry& registry)
      : options_(options), registry_(registry) {}

  // Adds the clause for `name[:modifier]=value` of `type` to `clauses`.
  // kUnimplemented for unsupported features, kNotFound for unknown names,
  // kInvalidArgument for malformed values.
  Status Param(const std::string& type, std::string_view name, std::string_view value,
               std::vector<Clause>& clauses, int depth) {
    if (depth > kMaxChainDepth) {
      return InvalidArgument("chains and _has nest at most " + std::to_string(kMaxChainDepth) +
                             " deep");
    }
    if (name.starts_with("_has:")) return Has(type, name, value, clauses, depth);
    // A chain: "location.partof" or "subject:Patient.name".
    if (std::size_t dot = name.find('.'); dot != std::string_view::npos) {
      return Chain(type, name.substr(0, dot), name.substr(dot + 1), value, clauses, depth);
    }
    std::string_view code = name;
    std::string_view modifier;
    if (std::size_t colon = name.find(':'); colon != std::string_view::npos) {
      code = name.substr(0, colon);
      modifier = name.substr(colon + 1);
    }
    if (code == "_id") return Id(modifier, value, clauses);
    if (code == "_lastUpdated") return LastUpdated(modifier, value, clauses);
    const SearchParameter* param = Find(type, code);
    if (param == nullptr) {
      return Status(StatusCode::kNotFound, "unknown search parameter '" + std::string(code) +
                                               "' for " + (type.empty() ? "all types" : type));
    }
    if (!param->compiled) {
      return Status(StatusCode::kUnimplemented,
                    "search parameter '" + std::string(code) + "' is not supported" +
                        (param->type == ParamType::kComposite ? " (composite parameters)" : ""));
    }
    Clause clause;
    clause.param = param->code;
    if (modifier == "missing") {
      if (value != "true" && value != "false") {
        return InvalidArgument(std::string(name) + ": :missing takes true or false");
      }
      clause.kind = Clause::Kind::kMissing;
      clause.missing = value == "true";
      clauses.push_back(std::move(clause));
      return Status::Ok();
    }
    const std::vector<std::string> alternatives = SplitRaw(value, ',');
    if (alternatives.size() > kMaxValuesPerParam) {
      return InvalidArgument(std::string(name) + ": more than " +
                             std::to_string(kMaxValuesPerParam) + " values");
    }
    for (const std::string& raw : alternatives) {
      if (raw.empty()) return InvalidArgument(std::string(name) + ": empty value");
      if (Status s = Value(*param, modifier, raw, clause); !s.ok()) {
        return Status(s.code(), std::string(name) + "=" + std::string(value) + ": " + s.message());
      }
    }
    clauses.push_back(std::move(clause));
    return Status::Ok();
  }

  const SearchParameter* Find(const std::string& type, std::string_view code) const {
    if (!type.empty()) return registry_.Find(type, code);
    // A system search: the parameters every resource has (_tag, _profile,
    // ...), the same for every type.
    return code.starts_with('_') ? registry_.Find("Basic", code) : nullptr;
  }

 private:
  Status Id(std::string_view modifier, std::string_view value, std::vector<Clause>& clauses) {
    if (!modifier.empty() && modifier != "not") {
      return Status(StatusCode::kUnimplemented,
                    "_id: modifier :" + std::string(modifier) + " is not supported");
    }
    Clause c;
    c.kind = Clause::Kind::kId;
    c.negate = modifier == "not";
    for (const std::string& raw : SplitRaw(value, ',')) c.ids.push_back(Unescape(raw));
    clauses.push_back(std::move(c));
    return Status::Ok();
  }

  Status LastUpdated(std::string_view modifier, std::string_view value,
                     std::vector<Clause>& clauses) {
    if (!modifier.empty()) {
      return Status(StatusCode::kUnimplemented,
                    "_lastUpdated: modifier :" + std::string(modifier) + " is not supported");
    }
    Clause c;
    c.kind = Clause::Kind::kLastUpdated;
    for (const std::string& raw : SplitRaw(value, ',')) {
      std::string_view v = raw;
      const Prefix prefix = TakePrefix(v);
      std::optional<std::pair<std::int64_t, std::int64_t>> range = DateRange(v);
      if (!range) return InvalidArgument("_lastUpdated: '" + raw + "' is not a date");
      for (RowMatch& m : RangeMatches(prefix, range->first, range->second, options_.now_ms)) {
        c.any.push_back(std::move(m));
      }
    }
    clauses.push_back(std::move(c));
    return Status::Ok();
  }

  // One comma-separated alternative of a parameter value: adds its
  // row matches to `clause` (or sets negate for :not).
  Status Value(const SearchParameter& param, std::string_view modifier, const std::string& raw,
               Clause& clause) {
    auto unsupported = [&]() {
      return Status(StatusCode::kUnimplemented,
                    "modifier :" + std::string(modifier) + " is not supported for " +
                        std::string(ParamTypeName(param.type)) + " parameters");
    };
    switch (param.type) {
      case ParamType::kToken:
        return Token(param, modifier, raw, clause, unsupported);
      case ParamType::kString: {
        const std::string text = Unescape(raw);
        if (modifier.empty()) {
          clause.any.push_back(
              All({Cmp(Column::kValue, CompareOp::kStartsWith, NormalizeForSearch(text))}));
        } else if (modifier == "contains") {
          clause.any.push_back(
              All({Cmp(Column::kValue, CompareOp::kContains, NormalizeForSearch(text))}));
        } else if (modifier == "exact") {
          // The text as written is kept in display when it differs from
          // its normalised form, else only in value.
          clause.any.push_back(All({Cmp(Column::kDisplay, CompareOp::kEq, text)}));
          clause.any.push_back(All({Cmp(Column::kDisplay, CompareOp::kIsNull),
                                    Cmp(Column::kValue, CompareOp::kEq, text)}));
        } else {
          return unsupported();
        }
        return Status::Ok();
      }
      case ParamType::kUri: {
        const std::string text = Unescape(raw);
        if (modifier.empty()) {
          clause.any.push_back(All({Cmp(Column::kValue, CompareOp::kEq, text)}));
        } else if (modifier == "below") {
          clause.any.push_back(All({Cmp(Column::kValue, CompareOp::kStartsWith, text)}));
        } else if (modifier == "above") {
          clause.any.push_back(All({Cmp(Column::kValue, CompareOp::kPrefixOf, text)}));
        } else {
          return unsupported();
        }
        return Status::Ok();
      }
      case ParamType::kReference:
        return Reference(param, modifier, Unescape(raw), clause, unsupported);
      case ParamType::kDate: {
        if (!modifier.empty()) return unsupported();
        std::string_view v = raw;
        const Prefix prefix = TakePrefix(v);
        std::optional<std::pair<std::int64_t, std::int64_t>> range = DateRange(v);
        if (!range) return InvalidArgument("'" + std::string(v) + "' is not a FHIR date");
        for (RowMatch& m : RangeMatches(prefix, range->first, range->second, options_.now_ms)) {
          clause.any.push_back(std::move(m));
        }
        return Status::Ok();
      }
      case ParamType::kNumber: {
        if (!modifier.empty()) return unsupported();
        std::string_view v = raw;
        const Prefix prefix = TakePrefix(v);
        std::optional<std::pair<double, int>> number = ParseNumber(v);
        if (!number) return InvalidArgument("'" + std::string(v) + "' is not a number");
        for (RowMatch& m : NumberMatches(prefix, number->first, number->second)) {
          clause.any.push_back(std::move(m));
        }
        return Status::Ok();
      }
      case ParamType::kQuantity:
        return Quantity(modifier, raw, clause, unsupported);
      case ParamType::kComposite:
      case ParamType::kSpecial:
        break;
    }
    return Status(StatusCode::kUnimplemented,
                  std::string(ParamTypeName(param.type)) + " parameters are not supported");
  }

  template <typename Unsupported>
  Status Token(const SearchParameter& param, std::string_view modifier, const std::string& raw,
               Clause& clause, Unsupported unsupported) {
    if (modifier == "text") {
      clause.any.push_back(
          All({Cmp(Column::kDisplay, CompareOp::kStartsWith, NormalizeForSearch(Unescape(raw)))}));
      return Status::Ok();
    }
    if (modifier == "of-type") {
      // type-system|type-code|value, on the "<code>:of-type" rows.
      const std::vector<std::string> parts = SplitRaw(raw, '|');
      if (parts.size() != 3 || parts[1].empty() || parts[2].empty()) {
        return InvalidArgument(":of-type takes [type system]|[type code]|[identifier value]");
      }
      clause.param = param.code + ":of-type";
      clause.any.push_back(
          All({Cmp(Column::kSystem, CompareOp::kEq, Unescape(parts[0]) + "|" + Unescape(parts[1])),
               Cmp(Column::kValue, CompareOp::kEq, Unescape(parts[2]))}));
      return Status::Ok();
    }
    if (!modifier.empty() && modifier != "not") return unsupported();
    clause.negate = modifier == "not";
    const std::vector<std::string> parts = SplitRaw(raw, '|');
    if (parts.size() > 2) return InvalidArgument("a token is [system]|[code]");
    if (parts.size() == 1) {
      clause.any.push_back(All({Cmp(Column::kValue, CompareOp::kEq, Unescape(parts[0]))}));
      return Status::Ok();
    }
    const std::string system = Unescape(parts[0]);
    const std::string code = Unescape(parts[1]);
    RowMatch m;
    if (system.empty()) {
      m.all.push_back(Cmp(Column::kSystem, CompareOp::kIsNull));
    } else {
      m.all.push_back(Cmp(Column::kSystem, CompareOp::kEq, system));
    }
    if (!code.empty()) {
      m.all.push_back(Cmp(Column::kValue, CompareOp::kEq, code));
    } else if (system.empty()) {
      return InvalidArgument("'|' alone is not a token");
    }
    clause.any.push_back(std::move(m));
    return Status::Ok();
  }

  template <typename Unsupported>
  Status Reference(const SearchParameter& param, std::string_view modifier, std::string text,
                   Clause& clause, Unsupported unsupported) {
    std::string type_restriction;
    if (!modifier.empty()) {
      if (!IsResourceType(modifier, registry_)) return unsupported();
      type_restriction = modifier;
    }
    if (!options_.base_url.empty() && text.starts_with(options_.base_url + "/")) {
      text.erase(0, options_.base_url.size() + 1);
    }
    std::string_view path = text;
    if (std::size_t h = path.find("/_history/"); h != std::string_view::npos) {
      path = path.substr(0, h);
    }
    RowMatch m;
    const std::size_t slash = path.rfind('/');
    if (slash == std::string_view::npos) {
      // A bare id: any target type, or the one named by the modifier (or
      // the only target the parameter has).
      if (type_restriction.empty() && param.target.size() == 1) type_restriction = param.target[0];
      if (!type_restriction.empty()) {
        m.all.push_back(Cmp(Column::kSystem, CompareOp::kEq, type_restriction));
      }
      m.all.push_back(Cmp(Column::kValue, CompareOp::kEq, std::string(path)));
    } else {
      std::string_view id = path.substr(slash + 1);
      std::string_view before = path.substr(0, slash);
      std::string_view rtype =
          before.substr(before.rfind('/') == std::string_view::npos ? 0 : before.rfind('/') + 1);
      if (IsResourceType(rtype, registry_) && !id.empty()) {
        if (!type_restriction.empty() && type_restriction != rtype) {
          return InvalidArgument("the reference '" + text + "' is not a " + type_restriction);
        }
        m.all.push_back(Cmp(Column::kSystem, CompareOp::kEq, std::string(rtype)));
        m.all.push_back(Cmp(Column::kValue, CompareOp::kEq, std::string(id)));
      } else {  // a canonical or other URL, stored as written
        m.all.push_back(Cmp(Column::kValue, CompareOp::kEq, text));
      }
    }
    clause.any.push_back(std::move(m));
    return Status::Ok();
  }

  template <typename Unsupported>
  Status Quantity(std::string_view modifier, const std::string& raw, Clause& clause,
                  Unsupported unsupported) {
    if (!modifier.empty()) return unsupported();
    const std::vector<std::string> parts = SplitRaw(raw, '|');
    if (parts.size() != 1 && parts.size() != 3) {
      return InvalidArgument("a quantity is [prefix][number] or [prefix][number]|[system]|[code]");
    }
    std::string_view v = parts[0];
    const Prefix prefix = TakePrefix(v);
    std::optional<std::pair<double, int>> number = ParseNumber(v);
    if (!number) return InvalidArgument("'" + std::string(v) + "' is not a number");
    std::vector<RowMatch> matches = NumberMatches(prefix, number->first, number->second);
    if (parts.size() == 3) {
      const std::string system = Unescape(parts[1]);
      const std::string code = Unescape(parts[2]);
      std::vector<RowMatch> with_units;
      for (const RowMatch& m : matches) {
        if (!system.empty()) {
          RowMatch r = m;
          r.all.push_back(Cmp(Column::kSystem, CompareOp::kEq, system));
          if (!code.empty()) r.all.push_back(Cmp(Column::kValue, CompareOp::kEq, code));
          with_units.push_back(std::move(r));
        } else if (!code.empty()) {  // "||mg": the code or the unit
          RowMatch by_code = m;
          by_code.all.push_back(Cmp(Column::kValue, CompareOp::kEq, code));
          RowMatch by_unit = m;
          by_unit.all.push_back(Cmp(Column::kDisplay, CompareOp::kEq, code));
          with_units.push_back(std::move(by_code));
          with_units.push_back(std::move(by_unit));
        } else {
          with_units.push_back(m);
        }
      }
      matches = std::move(with_units);
    }
    for (RowMatch& m : matches) clause.any.push_back(std::move(m));
    return Status::Ok();
  }

  // head[:Type].rest=value: resources whose `head` reference points at a
  // resource matching rest=value.
  Status Chain(const std::string& type, std::string_view head, std::string_view rest,
               std::string_view value, std::vector<Clause>& clauses, int depth) {
    std::string_view code = head;
    std::string_view target_type;
    if (std::size_t colon = head.find(':'); colon != std::string_view::npos) {
      code = head.substr(0, colon);
      target_type = head.substr(colon + 1);
    }
    const SearchParameter* param = Find(type, code);
    if (param == nullptr) {
      return Status(StatusCode::kNotFound, "unknown search parameter '" + std::string(code) +
                                               "' in chain '" + std::string(head) + "." +
                                               std::string(rest) + "'");
    }
    if (param->type != ParamType::kReference) {
      return InvalidArgument("'" + std::string(code) +
                             "' is not a reference parameter: it cannot be chained");
    }
    std::vector<std::string> targets;
    if (!target_type.empty()) {
      targets.emplace_back(target_type);
    } else {
      targets = param->target;
    }
    Clause clause;
    clause.kind = Clause::Kind::kChain;
    clause.param = param->code;
    // The chained parameter applies to every target type that has it; a
    // failure on one target type only matters when no type accepts it.
    Status last_error;
    for (const std::string& target : targets) {
      if (!IsResourceType(target, registry_)) continue;
      store::SearchQuery sub;
      sub.type = target;
      Status s = Param(target, rest, value, sub.clauses, depth + 1);
      if (s.ok()) {
        clause.targets.push_back(std::move(sub));
      } else if (s.code() != StatusCode::kNotFound || last_error.ok()) {
        last_error = s;
      }
    }
    if (clause.targets.empty()) {
      return last_error.ok() ? Status(StatusCode::kNotFound, "no target of '" + std::string(code) +
                                                                 "' can be searched by '" +
                                                                 std::string(rest) + "'")
                             : last_error;
    }
    clauses.push_back(std::move(clause));
    return Status::Ok();
  }

  // _has:Type:reference:rest=value.
  Status Has(const std::string& type, std::string_view name, std::string_view value,
             std::vector<Clause>& clauses, int depth) {
    std::string_view spec = name.substr(5);
    const std::size_t c1 = spec.find(':');
    const std::size_t c2 = c1 == std::string_view::npos ? c1 : spec.find(':', c1 + 1);
    if (c2 == std::string_view::npos || c2 + 1 >= spec.size()) {
      return InvalidArgument("'" + std::string(name) +
                             "': _has is _has:[type]:[reference parameter]:[parameter]");
    }
    const std::string source_type(spec.substr(0, c1));
    const std::string_view ref_code = spec.substr(c1 + 1, c2 - c1 - 1);
    const std::string_view rest = spec.substr(c2 + 1);
    if (!IsResourceType(source_type, registry_)) {
      return InvalidArgument("'" + std::string(name) + "': '" + source_type +
                             "' is not a resource type");
    }
    const SearchParameter* ref = registry_.Find(source_type, ref_code);
    if (ref == nullptr || ref->type != ParamType::kReference) {
      return InvalidArgument("'" + std::string(name) + "': '" + std::string(ref_code) +
                             "' is not a reference parameter of " + source_type);
    }
    if (!type.empty() &&
        std::find(ref->target.begin(), ref->target.end(), type) == ref->target.end()) {
      return InvalidArgument("'" + std::string(name) + "': " + source_type + "." +
                             std::string(ref_code) + " cannot refer to " + type);
    }
    Clause clause;
    clause.kind = Clause::Kind::kReverseChain;
    clause.param = ref->code;
    store::SearchQuery sub;
    sub.type = source_type;
    if (Status s = Param(source_type, rest, value, sub.clauses, depth + 1); !s.ok()) return s;
    clause.targets.push_back(std::move(sub));
    clauses.push_back(std::move(clause));
    return Status::Ok();
  }

  const SearchOptions& options_;
  const SearchParameterRegistry& registry_;
};

Status ParseCountValue(std::string_view name, std::string_view text, std::size_t max,
                       std::size_t& out) {
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return InvalidArgument(std::string(name) + ": '" + std::string(text) +
                           "' is not a non-negative integer");
  }
  out = std::min(value, max);
  return Status::Ok();
}

Status ParseSort(std::string_view type, std::string_view value, const Parser& parser,
                 std::vector<store::SortKey>& out) {
  for (const std::string& raw : SplitRaw(value, ',')) {
    std::string_view key = raw;
    store::SortKey sort;
    if (key.starts_with('-')) {
      sort.descending = true;
      key.remove_prefix(1);
    }
    if (key == "_id") {
      sort.kind = store::SortKey::Kind::kId;
    } else if (key == "_lastUpdated") {
      sort.kind = store::SortKey::Kind::kLastUpdated;
    } else {
      const SearchParameter* param = parser.Find(std::string(type), key);
      if (param == nullptr || !param->compiled) {
        return Status(StatusCode::kNotFound,
                      "_sort: unknown search parameter '" + std::string(key) + "'");
      }
      sort.param = param->code;
      switch (param->type) {
        case ParamType::kDate:
          // A date sorts by when it starts, in both directions (the store
          // takes the latest start of several for a descending sort). The
          // end of an ongoing period is unknown (high is the maximum), so
          // sorting descending by it would tie every open period.
          sort.column = Column::kLow;
          break;
        case ParamType::kNumber:
        case ParamType::kQuantity:
          sort.column = Column::kNumber;
          break;
        case ParamType::kString:
        case ParamType::kToken:
        case ParamType::kReference:
        case ParamType::kUri:
          sort.column = Column::kValue;
          break;
        case ParamType::kComposite:
        case ParamType::kSpecial:
          return Status(StatusCode::kUnimplemented,
                        "_sort: '" + std::string(key) + "' cannot be sorted by");
      }
    }
    out.push_back(std::move(sort));
  }
  return Status::Ok();
}

// _include=Source:param[:Target], _revinclude likewise; "Source:*" is
// every reference parameter of Source.
Status ParseInclude(std::string_view name, std::string_view value, bool reverse, bool iterate,
                    const SearchParameterRegistry& registry, std::vector<store::IncludeSpec>& out) {
  const std::vector<std::string> parts = SplitRaw(value, ':');
  if (parts.size() < 2 || parts.size() > 3 || !IsResourceType(parts[0], registry)) {
    return InvalidArgument(
        std::string(name) + "=" + std::string(value) +
        ": expected [type]:[search parameter] or [type]:[parameter]:[target type]");
  }
  store::IncludeSpec spec;
  spec.source_type = parts[0];
  spec.reverse = reverse;
  spec.iterate = iterate;
  if (parts.size() == 3) {
    if (!IsResourceType(parts[2], registry)) {
      return InvalidArgument(std::string(name) + ": '" + parts[2] + "' is not a resource type");
    }
    spec.target_type = parts[2];
  }
  if (parts[1] == "*") {
    for (const auto& [code, param] : registry.ForType(spec.source_type)) {
      if (param->type != ParamType::kReference || !param->compiled) continue;
      store::IncludeSpec each = spec;
      each.param = param->code;
      out.push_back(std::move(each));
    }
    return Status::Ok();
  }
  const SearchParameter* param = registry.Find(spec.source_type, parts[1]);
  if (param == nullptr || param->type != ParamType::kReference) {
    return InvalidArgument(std::string(name) + ": '" + parts[1] +
                           "' is not a reference parameter of " + spec.source_type);
  }
  spec.param = param->code;
  out.push_back(std::move(spec));
  return Status::Ok();
}

}  // namespace

std::vector<std::string> SplitSearchValues(std::string_view value) {
  std::vector<std::string> out;
  for (const std::string& raw : SplitRaw(value, ',')) out.push_back(Unescape(raw));
  return out;
}

Result<ParsedSearch> ParseSearch(std::string_view type, std::span<const UrlParam> params,
                                 const SearchOptions& options,
                                 const SearchParameterRegistry& registry) {
  ParsedSearch out;
  out.query.type = type;
  out.page.count = options.default_count;
  Parser parser(options, registry);
  const std::string type_text(type);
  for (const auto& [name, value] : params) {
    Status status;
    bool applied = true;
    if (name == "_count") {
      status = ParseCountValue(name, value, options.max_count, out.page.count);
    } else if (name == "_offset") {
      status =
          ParseCountValue(name, value, std::numeric_limits<std::size_t>::max(), out.page.offset);
    } else if (name == "_sort") {
      status = ParseSort(type, value, parser, out.query.sort);
    } else if (name == "_include" || name == "_include:iterate" || name == "_revinclude" ||
               name == "_revinclude:iterate") {
      status = ParseInclude(name, value, name.starts_with("_revinclude"),
                            name.ends_with(":iterate"), registry, out.includes);
    } else if (name == "_summary") {
      if (value == "true") {
        out.summary = SummaryMode::kTrue;
      } else if (value == "text") {
        out.summary = SummaryMode::kText;
      } else if (value == "false") {
        out.summary = SummaryMode::kFalse;
      } else if (value == "data") {
        out.summary = SummaryMode::kData;
      } else if (value == "count") {
        out.summary = SummaryMode::kCount;
      } else {
        status =
            InvalidArgument("_summary: '" + value + "' is not true, false, text, data or count");
      }
    } else if (name == "_elements") {
      Result<std::vector<std::string>> names = fhir::ParseElementsList(value);
      if (names.ok()) {
        out.elements = std::move(names).value();
      } else {
        status = InvalidArgument("_elements: " + names.status().message());
      }
    } else if (name == "_total") {
      if (value == "none") {
        out.page.want_total = false;
      } else if (value == "estimate" || value == "accurate") {
        out.page.want_total = true;
      } else {
        status = InvalidArgument("_total: '" + value + "' is not none, estimate or accurate");
      }
    } else if (name == "_type" && type.empty()) {
      for (std::string& t : SplitSearchValues(value)) {
        if (!IsResourceType(t, registry)) {
          status = InvalidArgument("_type: '" + t + "' is not a resource type");
          break;
        }
        out.query.types.push_back(std::move(t));
      }
    } else if (name == "_format" || name == "_pretty") {
      applied = false;  // answered by content negotiation
    } else {
      status = parser.Param(type_text, name, value, out.query.clauses, 0);
    }
    if (!status.ok()) {
      // Unknown and unsupported parameters are the client's choice of
      // strictness; malformed values of known ones are always errors.
      const bool soft =
          status.code() == StatusCode::kNotFound || status.code() == StatusCode::kUnimplemented;
      if (soft && !options.strict) {
        out.ignored.push_back(status.message());
        continue;
      }
      return Status(soft && options.strict ? StatusCode::kInvalidArgument : status.code(),
                    status.message());
    }
    if (applied) out.applied.emplace_back(name, value);
  }
  if (!out.elements.empty() && out.summary != SummaryMode::kFalse &&
      out.summary != SummaryMode::kCount) {
    // As on read: which of the two would win is not defined.
    return InvalidArgument("_summary and _elements cannot be combined");
  }
  if (out.summary == SummaryMode::kCount) {
    out.page.count = 0;
    out.page.want_total = true;
  }
  return out;
}

std::vector<store::IndexRow> IndexRowsFor(const json::Value& resource,
                                          const SearchParameterRegistry& registry) {
  ExtractionResult extracted = ExtractIndexEntries(resource, registry);
  std::vector<store::IndexRow> rows;
  rows.reserve(extracted.entries.size());
  for (IndexEntry& e : extracted.entries) {
    // The store answers these from the resource row itself (and the
    // lastUpdated in the content is only a placeholder before the write).
    if (e.param == "_id" || e.param == "_lastUpdated") continue;
    store::IndexRow& row = rows.emplace_back();
    row.param = std::move(e.param);
    switch (e.type) {
      case ParamType::kToken:
        row.system = std::move(e.system);
        row.value = std::move(e.value);
        if (!e.display.empty()) row.display = NormalizeForSearch(e.display);
        break;
      case ParamType::kString:
        row.value = std::move(e.value);
        if (e.display != row.value) row.display = std::move(e.display);
        break;
      case ParamType::kReference:
      case ParamType::kUri:
        row.system = std::move(e.system);
        row.value = std::move(e.value);
        break;
      case ParamType::kDate:
        row.low = e.low;
        row.high = e.high;
        break;
      case ParamType::kNumber:
        row.number = e.number;
        break;
      case ParamType::kQuantity:
        row.system = std::move(e.system);
        row.value = std::move(e.value);
        if (e.display != row.value) row.display = std::move(e.display);
        row.number = e.number;
        break;
      case ParamType::kComposite:
      case ParamType::kSpecial:
        rows.pop_back();
        break;
    }
  }
  return rows;
}

}  // namespace fhirengine::search
