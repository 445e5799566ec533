// Index extraction: FHIRPath over the resource, then one reduction per
// FHIR datatype and parameter type.
#include "engine/search/index_extractor.h"

#include <cstdlib>
#include <limits>
#include <map>
#include <span>

#include "engine/fhir/type_model.h"
#include "engine/fhirpath/value.h"
#include "engine/json/json_parser.h"

namespace fhirengine::search {
namespace {

using fhirpath::Item;
using fhirpath::ItemKind;

std::string_view Text(const json::Value* obj, std::string_view key) {
  if (obj == nullptr) return {};
  const json::Value* v = obj->Find(key);
  return (v != nullptr && (v->IsString() || v->IsNumber())) ? v->text() : std::string_view();
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3u : 9u)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool ReadInt(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

class Extractor {
 public:
  Extractor(const SearchParameter& param, std::vector<IndexEntry>& out)
      : param_(param), out_(out) {}

  void Add(const Item& item) {
    if (!item.is_node()) {
      AddSystemValue(item);
      return;
    }
    const fhirpath::Node& node = item.node();
    if (node.value == nullptr || node.type == nullptr) return;
    const json::Value& v = *node.value;
    const std::string& type = node.type->name;
    switch (param_.type) {
      case ParamType::kToken:
        Token(v, type);
        return;
      case ParamType::kString:
        String(v, type);
        return;
      case ParamType::kReference:
        Reference(v, type);
        return;
      case ParamType::kDate:
        Date(v, type);
        return;
      case ParamType::kNumber:
        if (v.IsNumber()) {
          IndexEntry& e = New();
          e.value = v.text();
          e.number = std::strtod(e.value.c_str(), nullptr);
        }
        return;
      case ParamType::kQuantity:
        Quantity(v, type);
        return;
      case ParamType::kUri:
        if (v.IsString()) New().value = v.text();
        return;
      case ParamType::kComposite:
      case ParamType::kSpecial:
        return;
    }
  }

 private:
  IndexEntry& New() {
    IndexEntry& e = out_.emplace_back();
    e.param = param_.code;
    e.type = param_.type;
    return e;
  }

  void AddSystemValue(const Item& item) {
    if (item.kind() == ItemKind::kString) {
      if (param_.type == ParamType::kString) {
        IndexEntry& e = New();
        e.display = item.string();
        e.value = NormalizeForSearch(item.string());
      } else if (param_.type == ParamType::kToken || param_.type == ParamType::kUri) {
        New().value = item.string();
      }
    } else if (item.kind() == ItemKind::kBoolean && param_.type == ParamType::kToken) {
      New().value = item.boolean() ? "true" : "false";
    }
  }

  void TokenEntry(std::string_view system, std::string_view code, std::string_view display) {
    if (code.empty() && display.empty()) return;
    IndexEntry& e = New();
    e.system = system;
    e.value = code;
    e.display = display;
  }

  void Token(const json::Value& v, const std::string& type) {
    if (type == "Coding") {
      TokenEntry(Text(&v, "system"), Text(&v, "code"), Text(&v, "display"));
    } else if (type == "CodeableConcept") {
      const std::string_view text = Text(&v, "text");
      bool any = false;
      if (const json::Value* codings = v.Find("coding")) {
        for (const json::Value& c : codings->elements()) {
          std::string_view display = Text(&c, "display");
          TokenEntry(Text(&c, "system"), Text(&c, "code"), display.empty() ? text : display);
          any = true;
        }
      }
      if (!any && !text.empty()) TokenEntry("", "", text);
    } else if (type == "Identifier") {
      const json::Value* id_type = v.Find("type");
      TokenEntry(Text(&v, "system"), Text(&v, "value"),
                 id_type != nullptr ? Text(id_type, "text") : std::string_view());
      // :of-type matches type-system|type-code|value; kept as its own entries.
      if (id_type != nullptr) {
        if (const json::Value* codings = id_type->Find("coding")) {
          for (const json::Value& c : codings->elements()) {
            IndexEntry& e = New();
            e.param += ":of-type";
            e.system = std::string(Text(&c, "system")) + "|" + std::string(Text(&c, "code"));
            e.value = Text(&v, "value");
          }
        }
      }
    } else if (type == "ContactPoint") {
      TokenEntry(Text(&v, "system"), Text(&v, "value"), "");
    } else if (v.IsBool()) {
      TokenEntry("", v.GetBool() ? "true" : "false", "");
    } else if (v.IsString() || v.IsNumber()) {
      TokenEntry("", v.text(), "");
    }
  }

  void StringEntry(std::string_view text) {
    if (text.empty()) return;
    IndexEntry& e = New();
    e.display = text;
    e.value = NormalizeForSearch(text);
  }

  void String(const json::Value& v, const std::string& type) {
    if (v.IsString()) {
      StringEntry(v.text());
      return;
    }
    static constexpr std::string_view kHumanName[] = {"text", "family", "given", "prefix",
                                                      "suffix"};
    static constexpr std::string_view kAddress[] = {"text",  "line",       "city",   "district",
                                                    "state", "postalCode", "country"};
    std::span<const std::string_view> parts;
    if (type == "HumanName") parts = kHumanName;
    if (type == "Address") parts = kAddress;
    for (std::string_view part : parts) {
      const json::Value* p = v.Find(part);
      if (p == nullptr) continue;
      if (p->IsArray()) {
        for (const json::Value& e : p->elements()) {
          if (e.IsString()) StringEntry(e.text());
        }
      } else if (p->IsString()) {
        StringEntry(p->text());
      }
    }
  }

  void Reference(const json::Value& v, const std::string& type) {
    std::string_view ref;
    if (type == "Reference") {
      ref = Text(&v, "reference");
    } else if (v.IsString()) {  // canonical, uri
      ref = v.text();
    }
    if (ref.empty()) return;
    IndexEntry& e = New();
    e.display = ref;
    // "Type/id", "Type/id/_history/n" or "http://server/fhir/Type/id".
    std::string_view path = ref;
    if (std::size_t h = path.find("/_history/"); h != std::string_view::npos) {
      path = path.substr(0, h);
    }
    const std::size_t slash = path.rfind('/');
    if (slash != std::string_view::npos && slash > 0 && !ref.starts_with('#')) {
      std::string_view id = path.substr(slash + 1);
      std::string_view before = path.substr(0, slash);
      std::string_view rtype =
          before.substr(before.rfind('/') == std::string_view::npos ? 0 : before.rfind('/') + 1);
      if (!rtype.empty() && rtype[0] >= 'A' && rtype[0] <= 'Z' && !id.empty()) {
        e.system = rtype;
        e.value = id;
        return;
      }
    }
    e.value = ref;
  }

  void DateEntry(std::string_view low_text, std::string_view high_text) {
    std::optional<std::pair<std::int64_t, std::int64_t>> lo = DateRange(low_text);
    std::optional<std::pair<std::int64_t, std::int64_t>> hi = DateRange(high_text);
    if (!lo && !hi) return;
    IndexEntry& e = New();
    e.low = lo ? lo->first : std::numeric_limits<std::int64_t>::min();
    e.high = hi ? hi->second : std::numeric_limits<std::int64_t>::max();
  }

  void Date(const json::Value& v, const std::string& type) {
    if (v.IsString()) {
      DateEntry(v.text(), v.text());
    } else if (type == "Period") {
      DateEntry(Text(&v, "start"), Text(&v, "end"));
    } else if (type == "Timing") {
      if (const json::Value* events = v.Find("event")) {
        for (const json::Value& ev : events->elements()) {
          if (ev.IsString()) DateEntry(ev.text(), ev.text());
        }
      }
    }
  }

  void Quantity(const json::Value& v, const std::string& type) {
    std::string_view value = Text(&v, "value");
    if (value.empty()) return;
    IndexEntry& e = New();
    e.number = std::strtod(std::string(value).c_str(), nullptr);
    if (type == "Money") {
      e.system = "urn:iso:std:iso:4217";
      e.value = Text(&v, "currency");
    } else {
      e.system = Text(&v, "system");
      std::string_view code = Text(&v, "code");
      e.value = code.empty() ? Text(&v, "unit") : code;
      e.display = Text(&v, "unit");
    }
  }

  const SearchParameter& param_;
  std::vector<IndexEntry>& out_;
};

}  // namespace

const json::Value* ReferenceTypeStubs::Resolve(std::string_view reference) {
  std::string_view path = reference;
  if (std::size_t h = path.find("/_history/"); h != std::string_view::npos) {
    path = path.substr(0, h);
  }
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == path.size()) return nullptr;
  std::string_view type = path.substr(0, slash);
  if (std::size_t before = type.rfind('/'); before != std::string_view::npos) {
    type = type.substr(before + 1);
  }
  if (fhir::TypeModel::R4().FindResource(type) == nullptr) return nullptr;
  auto it = stubs_.find(type);
  if (it == stubs_.end()) {
    Result<json::Document> doc = json::Parse(R"({"resourceType":")" + std::string(type) + R"("})");
    if (!doc.ok()) return nullptr;
    it = stubs_.emplace(std::string(type), std::move(doc).value()).first;
  }
  return &it->second.root();
}

std::string NormalizeForSearch(std::string_view text) {
  // U+00C0..U+00FF folded to ASCII ('\0': keep the character, lower-cased).
  static constexpr char kLatin1[] =
      "aaaaaaaceeeeiiii"    // C0-CF
      "dnooooo\0ouuuuyts"   // D0-DF (D7 multiplication sign kept, DE thorn, DF sharp s)
      "aaaaaaaceeeeiiii"    // E0-EF
      "dnooooo\0ouuuuyty";  // F0-FF (F7 division sign kept)
  // The result is never longer than the text: a folded letter takes one byte
  // for two, and "ss" two for the two of 'ß'. So write in place, then trim.
  std::string out(text.size(), '\0');
  char* w = out.data();
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      *w++ = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : static_cast<char>(c);
      continue;
    }
    if (c == 0xC3 && i + 1 < text.size()) {
      const auto c2 = static_cast<unsigned char>(text[i + 1]);
      if (c2 >= 0x80 && c2 <= 0xBF) {
        const char folded = kLatin1[c2 - 0x80];
        if (folded != '\0') {
          *w++ = folded;
          if (c2 == 0x9F) *w++ = 's';  // ß -> ss
          ++i;
          continue;
        }
      }
    }
    *w++ = static_cast<char>(c);
  }
  out.resize(static_cast<std::size_t>(w - out.data()));
  return out;
}

std::optional<std::pair<std::int64_t, std::int64_t>> DateRange(std::string_view s) {
  std::size_t pos = 0;
  int year = 0, month = 1, day = 1, hh = 0, mm = 0, ss = 0;
  if (!ReadInt(s, pos, 4, year)) return std::nullopt;
  int precision = 0;  // 0 year, 1 month, 2 day, 3 second, 4 millisecond
  std::int64_t millis = 0;
  std::int64_t offset_ms = 0;
  if (pos < s.size() && s[pos] == '-') {
    ++pos;
    if (!ReadInt(s, pos, 2, month) || month < 1 || month > 12) return std::nullopt;
    precision = 1;
    if (pos < s.size() && s[pos] == '-') {
      ++pos;
      if (!ReadInt(s, pos, 2, day) || day < 1 || day > 31) return std::nullopt;
      precision = 2;
      if (pos < s.size() && s[pos] == 'T') {
        ++pos;
        if (!ReadInt(s, pos, 2, hh) || pos >= s.size() || s[pos++] != ':' ||
            !ReadInt(s, pos, 2, mm) || pos >= s.size() || s[pos++] != ':' ||
            !ReadInt(s, pos, 2, ss)) {
          return std::nullopt;
        }
        precision = 3;
        if (pos < s.size() && s[pos] == '.') {
          ++pos;
          int digits = 0;
          std::int64_t frac = 0;
          while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (digits < 3) frac = frac * 10 + (s[pos] - '0');
            ++digits;
            ++pos;
          }
          for (int d = digits; d < 3; ++d) frac *= 10;
          millis = frac;
          precision = 4;
        }
        if (pos < s.size() && s[pos] == 'Z') {
          ++pos;
        } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
          const bool minus = s[pos++] == '-';
          int oh = 0, om = 0;
          if (!ReadInt(s, pos, 2, oh) || pos >= s.size() || s[pos++] != ':' ||
              !ReadInt(s, pos, 2, om)) {
            return std::nullopt;
          }
          offset_ms = (oh * 60 + om) * 60000LL * (minus ? -1 : 1);
        }
      }
    }
  }
  if (pos != s.size()) return std::nullopt;
  const std::int64_t day_ms = 86400000LL;
  auto at = [&](int y, unsigned m, unsigned d) { return DaysFromCivil(y, m, d) * day_ms; };
  std::int64_t low = 0, high = 0;
  switch (precision) {
    case 0:
      low = at(year, 1, 1);
      high = at(year + 1, 1, 1) - 1;
      break;
    case 1:
      low = at(year, static_cast<unsigned>(month), 1);
      high = (month == 12 ? at(year + 1, 1, 1) : at(year, static_cast<unsigned>(month + 1), 1)) - 1;
      break;
    case 2:
      low = at(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
      high = low + day_ms - 1;
      break;
    default: {
      low = at(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) +
            ((hh * 60LL + mm) * 60 + ss) * 1000 + millis - offset_ms;
      high = precision == 3 ? low + 999 : low;
      break;
    }
  }
  return std::make_pair(low, high);
}

ExtractionResult ExtractIndexEntries(const json::Value& resource,
                                     const SearchParameterRegistry& registry) {
  ExtractionResult result;
  const json::Value* rt = resource.Find("resourceType");
  if (rt == nullptr || !rt->IsString()) return result;
  fhirpath::EvaluationContext context;
  context.check_element_names = false;  // multi-base expressions name other types' elements
  ReferenceTypeStubs stubs;
  context.resolve = [&stubs](std::string_view reference) { return stubs.Resolve(reference); };
  // The input fhirpath::Evaluate would build, typed once for all parameters.
  const fhirpath::Collection input{fhirpath::Item::FromNode(
      {&resource, nullptr, fhirpath::ResourceType(resource, fhir::TypeModel::R4()), &resource})};
  const std::span<const SpecializedParameter> params = registry.SpecializedForType(rt->text());
  result.entries.reserve(params.size());  // about one entry per parameter, typically
  for (const SpecializedParameter& sp : params) {
    Result<fhirpath::Collection> values =
        fhirpath::EvaluateCollection(sp.expression, input, context);
    if (!values.ok()) {
      result.failures.push_back(sp.param->code + ": " + values.status().message());
      continue;
    }
    AppendIndexEntries(*sp.param, *values, result.entries);
  }
  return result;
}

void AppendIndexEntries(const SearchParameter& param, const fhirpath::Collection& values,
                        std::vector<IndexEntry>& out) {
  Extractor extractor(param, out);
  for (const Item& item : values) extractor.Add(item);
}

}  // namespace fhirengine::search
