// Conversions between FHIR elements and System values, and the equality,
// equivalence and ordering rules of FHIRPath (specification section 6.1).
#include "engine/fhirpath/value.h"

#include <algorithm>

namespace fhirengine::fhirpath {
namespace {

constexpr std::string_view kUcumSystem = "http://unitsofmeasure.org";

std::string_view SystemName(ItemKind k) {
  switch (k) {
    case ItemKind::kBoolean:
      return "Boolean";
    case ItemKind::kString:
      return "String";
    case ItemKind::kInteger:
      return "Integer";
    case ItemKind::kDecimal:
      return "Decimal";
    case ItemKind::kDate:
      return "Date";
    case ItemKind::kDateTime:
      return "DateTime";
    case ItemKind::kTime:
      return "Time";
    case ItemKind::kQuantity:
      return "Quantity";
    case ItemKind::kTypeInfo:
      return "Object";
    case ItemKind::kNode:
      return "Element";
  }
  return "Element";
}

bool IsNumber(ItemKind k) { return k == ItemKind::kInteger || k == ItemKind::kDecimal; }
bool IsDateLike(ItemKind k) { return k == ItemKind::kDate || k == ItemKind::kDateTime; }

Decimal AsDecimal(const Item& i) {
  return i.kind() == ItemKind::kInteger ? Decimal::FromInt(i.integer()) : i.decimal();
}

// A complex element (an object in the tree, not a primitive value).
bool IsComplexNode(const Item& i) {
  if (!i.is_node()) return false;
  const Node& n = i.node();
  if (n.type != nullptr) return !n.type->IsPrimitive();
  return n.value != nullptr && (n.value->IsObject() || n.value->IsArray());
}

bool NodesIdentical(const Node& a, const Node& b) {
  auto same = [](const json::Value* x, const json::Value* y) {
    if (x == y) return true;
    if (x == nullptr || y == nullptr) return false;
    return json::Equal(*x, *y);
  };
  return same(a.value, b.value) && same(a.twin, b.twin);
}

std::optional<Item> NumberItem(std::string_view text, bool integer_type) {
  if (integer_type || text.find_first_of(".eE") == std::string_view::npos) {
    std::int64_t v = 0;
    bool negative = false;
    std::size_t i = 0;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
    bool ok = i < text.size();
    for (; ok && i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9' || v > 100'000'000'000'000LL) {
        ok = false;
        break;
      }
      v = v * 10 + (text[i] - '0');
    }
    if (ok) return Item::Integer(negative ? -v : v);
  }
  std::optional<Decimal> d = Decimal::Parse(text);
  if (!d) return std::nullopt;
  return Item::FromDecimal(*d);
}

std::optional<Item> QuantityFromNode(const json::Value& v) {
  const json::Value* value = v.Find("value");
  if (value == nullptr || !value->IsNumber()) return std::nullopt;
  std::optional<Decimal> d = Decimal::Parse(value->text());
  if (!d) return std::nullopt;
  const json::Value* code = v.Find("code");
  const json::Value* system = v.Find("system");
  const json::Value* unit = v.Find("unit");
  std::string u = "1";
  if (code != nullptr && code->IsString() &&
      (system == nullptr || (system->IsString() && system->text() == kUcumSystem))) {
    u = std::string(code->text());
  } else if (unit != nullptr && unit->IsString()) {
    u = std::string(unit->text());
  } else if (code != nullptr && code->IsString()) {
    u = std::string(code->text());
  }
  return Item::FromQuantity(Quantity{*d, std::move(u)});
}

// Lower-cases ASCII and Latin-1 letters (UTF-8) and collapses whitespace
// runs to one space, trimming the ends: the normal form for `~` on strings.
std::string NormalizeForEquivalence(std::string_view s) {
  std::string out;
  bool pending_space = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c + 32));
    } else if (c == 0xC3 && i + 1 < s.size()) {
      // U+00C0..U+00DE (except U+00D7) are upper case of U+00E0..U+00FE.
      unsigned char next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9E && next != 0x97)
        next = static_cast<unsigned char>(next + 0x20);
      out.push_back(static_cast<char>(c));
      out.push_back(static_cast<char>(next));
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::optional<bool> SystemEqual(const Item& a, const Item& b) {
  const ItemKind ka = a.kind();
  const ItemKind kb = b.kind();
  if (IsNumber(ka) && IsNumber(kb)) {
    if (ka == ItemKind::kInteger && kb == ItemKind::kInteger) return a.integer() == b.integer();
    return Decimal::Compare(AsDecimal(a), AsDecimal(b)) == 0;
  }
  if (IsDateLike(ka) && IsDateLike(kb)) {
    std::optional<int> c = CompareTemporal(a.temporal().AsDateTime(), b.temporal().AsDateTime());
    if (!c) return std::nullopt;
    return *c == 0;
  }
  if (ka != kb) return false;
  switch (ka) {
    case ItemKind::kBoolean:
      return a.boolean() == b.boolean();
    case ItemKind::kString:
      return a.string() == b.string();
    case ItemKind::kTime: {
      std::optional<int> c = CompareTemporal(a.temporal(), b.temporal());
      if (!c) return std::nullopt;
      return *c == 0;
    }
    case ItemKind::kQuantity: {
      auto values = CommonValues(a.quantity(), b.quantity());
      if (!values) return std::nullopt;
      return Decimal::Compare(values->first, values->second) == 0;
    }
    case ItemKind::kTypeInfo:
      return a.type_info().ns == b.type_info().ns && a.type_info().name == b.type_info().name;
    default:
      return false;
  }
}

std::size_t Mix(std::size_t h, std::size_t v) {
  return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

// Structural hash matching json::Equal (object member order ignored).
std::size_t JsonHash(const json::Value& v) {
  const std::size_t kind = static_cast<std::size_t>(v.kind());
  switch (v.kind()) {
    case json::Kind::kNumber:
    case json::Kind::kString:
      return Mix(kind, std::hash<std::string_view>{}(v.text()));
    case json::Kind::kArray: {
      std::size_t h = kind;
      for (const json::Value& e : v.elements()) h = Mix(h, JsonHash(e));
      return h;
    }
    case json::Kind::kObject: {
      std::size_t sum = 0;
      for (const json::Member& m : v.members()) {
        sum += Mix(std::hash<std::string_view>{}(m.key), JsonHash(m.value));
      }
      return Mix(kind, sum);
    }
    default:
      return kind;
  }
}

bool DecimalsEquivalent(const Decimal& a, const Decimal& b) {
  const int scale = std::min(a.scale(), b.scale());
  return Decimal::Compare(a.RoundedTo(scale), b.RoundedTo(scale)) == 0;
}

}  // namespace

ItemKind Item::kind() const {
  switch (v_.index()) {
    case 0:
      return ItemKind::kNode;
    case 1:
      return ItemKind::kBoolean;
    case 2:
      return ItemKind::kString;
    case 3:
      return ItemKind::kInteger;
    case 4:
      return ItemKind::kDecimal;
    case 5:
      switch (std::get<Temporal>(v_).kind) {
        case TemporalKind::kDate:
          return ItemKind::kDate;
        case TemporalKind::kDateTime:
          return ItemKind::kDateTime;
        case TemporalKind::kTime:
          return ItemKind::kTime;
      }
      return ItemKind::kDate;
    case 6:
      return ItemKind::kQuantity;
    default:
      return ItemKind::kTypeInfo;
  }
}

bool DerivesFrom(const fhir::TypeDef* type, std::string_view target) {
  if (type == nullptr) return false;
  if (type->kind == fhir::TypeKind::kBackbone &&
      (target == "BackboneElement" || target == "Element")) {
    return true;
  }
  for (const fhir::TypeDef* t = type; t != nullptr; t = t->base) {
    if (t->name == target) return true;
  }
  return false;
}

std::optional<Item> ToSystem(const Item& item) {
  if (!item.is_node()) return item;
  const Node& n = item.node();
  if (n.value == nullptr || n.value->IsNull()) return std::nullopt;
  const json::Value& v = *n.value;
  if (n.type != nullptr && n.type->IsPrimitive()) {
    using fhir::Primitive;
    switch (n.type->primitive) {
      case Primitive::kBoolean:
        if (v.IsBool()) return Item::Boolean(v.GetBool());
        break;
      case Primitive::kInteger:
      case Primitive::kPositiveInt:
      case Primitive::kUnsignedInt:
        if (v.IsNumber()) return NumberItem(v.text(), true);
        break;
      case Primitive::kDecimal:
        if (v.IsNumber()) {
          if (std::optional<Decimal> d = Decimal::Parse(v.text())) return Item::FromDecimal(*d);
        }
        break;
      case Primitive::kDate:
        if (v.IsString()) {
          if (std::optional<Temporal> t = ParseDate(v.text())) return Item::FromTemporal(*t);
        }
        break;
      case Primitive::kDateTime:
      case Primitive::kInstant:
        if (v.IsString()) {
          if (std::optional<Temporal> t = ParseDateTime(v.text())) {
            // A dateTime of date precision still is a FHIR dateTime: keep it
            // a DateTime so comparisons with Date literals behave the same.
            return Item::FromTemporal(*t);
          }
        }
        break;
      case Primitive::kTime:
        if (v.IsString()) {
          if (std::optional<Temporal> t = ParseTime(v.text())) return Item::FromTemporal(*t);
        }
        break;
      default:
        break;
    }
    // Strings, codes, uris... and any value that did not parse as its type.
    if (v.IsString() || v.IsNumber()) return Item::String(std::string(v.text()));
    if (v.IsBool()) return Item::Boolean(v.GetBool());
    return std::nullopt;
  }
  if (n.type != nullptr) {
    if (DerivesFrom(n.type, "Quantity") && v.IsObject()) return QuantityFromNode(v);
    return std::nullopt;
  }
  switch (v.kind()) {
    case json::Kind::kString:
      return Item::String(std::string(v.text()));
    case json::Kind::kNumber:
      return NumberItem(v.text(), false);
    case json::Kind::kTrue:
    case json::Kind::kFalse:
      return Item::Boolean(v.GetBool());
    default:
      return std::nullopt;
  }
}

TypeInfo TypeOf(const Item& item) {
  if (item.is_node()) {
    const Node& n = item.node();
    if (n.type != nullptr) {
      return {"FHIR", n.type->kind == fhir::TypeKind::kBackbone ? "BackboneElement" : n.type->name};
    }
    if (std::optional<Item> s = ToSystem(item))
      return {"System", std::string(SystemName(s->kind()))};
    return {"FHIR", "Element"};
  }
  return {"System", std::string(SystemName(item.kind()))};
}

std::string TypeName(const Item& item) {
  TypeInfo t = TypeOf(item);
  return t.ns == "System" ? "System." + t.name : t.name;
}

std::optional<bool> ItemsEqual(const Item& a, const Item& b) {
  const bool ca = IsComplexNode(a);
  const bool cb = IsComplexNode(b);
  if (ca && cb) return NodesIdentical(a.node(), b.node());
  std::optional<Item> sa = ToSystem(a);
  std::optional<Item> sb = ToSystem(b);
  if ((ca && !sa) || (cb && !sb)) return false;  // a complex element and a value
  if (!sa || !sb) return std::nullopt;           // a primitive without a value
  return SystemEqual(*sa, *sb);
}

std::size_t EqualityHash(const Item& item) {
  if (IsComplexNode(item)) {
    const Node& n = item.node();
    return n.value != nullptr ? JsonHash(*n.value) : 0;
  }
  std::optional<Item> s = ToSystem(item);
  if (!s) return 0;
  switch (s->kind()) {
    case ItemKind::kBoolean:
      return s->boolean() ? 2 : 1;
    case ItemKind::kString:
      return std::hash<std::string>{}(s->string());
    case ItemKind::kInteger:
      return std::hash<std::string>{}(std::to_string(s->integer()));
    case ItemKind::kDecimal:
      return std::hash<std::string>{}(s->decimal().Trimmed().ToString());
    case ItemKind::kDate:
    case ItemKind::kDateTime:
    case ItemKind::kTime:
      return 7;
    case ItemKind::kQuantity:
      return 8;
    case ItemKind::kTypeInfo:
      return Mix(std::hash<std::string>{}(s->type_info().ns),
                 std::hash<std::string>{}(s->type_info().name));
    case ItemKind::kNode:
      return 0;
  }
  return 0;
}

bool ItemsEquivalent(const Item& a, const Item& b) {
  const bool ca = IsComplexNode(a);
  const bool cb = IsComplexNode(b);
  if (ca && cb) return NodesIdentical(a.node(), b.node());
  std::optional<Item> sa = ToSystem(a);
  std::optional<Item> sb = ToSystem(b);
  if (!sa || !sb) return !sa && !sb && !ca && !cb;
  const ItemKind ka = sa->kind();
  const ItemKind kb = sb->kind();
  if (IsNumber(ka) && IsNumber(kb)) return DecimalsEquivalent(AsDecimal(*sa), AsDecimal(*sb));
  if (IsDateLike(ka) && IsDateLike(kb)) {
    const Temporal x = sa->temporal().AsDateTime();
    const Temporal y = sb->temporal().AsDateTime();
    if (!SamePrecision(x, y)) return false;
    std::optional<int> c = CompareTemporal(x, y);
    return c && *c == 0;
  }
  if (ka != kb) return false;
  switch (ka) {
    case ItemKind::kString:
      return NormalizeForEquivalence(sa->string()) == NormalizeForEquivalence(sb->string());
    case ItemKind::kTime: {
      if (!SamePrecision(sa->temporal(), sb->temporal())) return false;
      std::optional<int> c = CompareTemporal(sa->temporal(), sb->temporal());
      return c && *c == 0;
    }
    case ItemKind::kQuantity: {
      auto values = CommonValues(sa->quantity(), sb->quantity());
      return values && DecimalsEquivalent(values->first, values->second);
    }
    default: {
      std::optional<bool> e = SystemEqual(*sa, *sb);
      return e && *e;
    }
  }
}

Result<std::optional<int>> CompareItems(const Item& a, const Item& b) {
  std::optional<Item> sa = ToSystem(a);
  std::optional<Item> sb = ToSystem(b);
  if (!sa || !sb) {
    if ((!sa && !IsComplexNode(a)) || (!sb && !IsComplexNode(b))) {
      return std::optional<int>();  // a primitive without a value: empty
    }
    return InvalidArgument("cannot order " + TypeName(a) + " and " + TypeName(b));
  }
  const ItemKind ka = sa->kind();
  const ItemKind kb = sb->kind();
  if (IsNumber(ka) && IsNumber(kb)) {
    return std::optional<int>(Decimal::Compare(AsDecimal(*sa), AsDecimal(*sb)));
  }
  if (IsDateLike(ka) && IsDateLike(kb)) {
    return CompareTemporal(sa->temporal().AsDateTime(), sb->temporal().AsDateTime());
  }
  if (ka == kb) {
    switch (ka) {
      case ItemKind::kString: {
        const int c = sa->string().compare(sb->string());
        return std::optional<int>(c < 0 ? -1 : (c > 0 ? 1 : 0));
      }
      case ItemKind::kTime:
        return CompareTemporal(sa->temporal(), sb->temporal());
      case ItemKind::kQuantity: {
        auto values = CommonValues(sa->quantity(), sb->quantity());
        if (!values) return std::optional<int>();
        return std::optional<int>(Decimal::Compare(values->first, values->second));
      }
      default:
        break;
    }
  }
  return InvalidArgument("cannot order " + TypeName(*sa) + " and " + TypeName(*sb));
}

std::optional<std::string> ItemToText(const Item& item) {
  std::optional<Item> s = ToSystem(item);
  if (!s) return std::nullopt;
  switch (s->kind()) {
    case ItemKind::kBoolean:
      return std::string(s->boolean() ? "true" : "false");
    case ItemKind::kString:
      return s->string();
    case ItemKind::kInteger:
      return std::to_string(s->integer());
    case ItemKind::kDecimal:
      return s->decimal().ToString();
    case ItemKind::kDate:
    case ItemKind::kDateTime:
    case ItemKind::kTime:
      return s->temporal().ToString();
    case ItemKind::kQuantity:
      return s->quantity().ToString();
    default:
      return std::nullopt;
  }
}

const fhir::TypeDef* ResourceType(const json::Value& resource, const fhir::TypeModel& model) {
  const json::Value* rt = resource.Find("resourceType");
  if (rt == nullptr || !rt->IsString()) return nullptr;
  return model.FindResource(rt->text());
}

}  // namespace fhirengine::fhirpath
