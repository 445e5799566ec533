// The FHIRPath data model: a collection of items, each either a FHIR element
// in a resource's JSON tree (with its type from the R4 type model) or a System
// value (Boolean, String, Integer, Decimal, Date, DateTime, Time, Quantity),
// and the equality, equivalence and ordering rules between them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/core/status.h"
#include "engine/fhir/type_model.h"
#include "engine/fhirpath/date_time.h"
#include "engine/fhirpath/decimal.h"
#include "engine/fhirpath/quantity.h"
#include "engine/json/json_value.h"

namespace fhirengine::fhirpath {

// A FHIR element: points into a json::Document owned by the caller, so it is
// valid only while that document lives. Primitive elements carry their
// "_name" twin (id and extensions) beside the value.
struct Node {
  const json::Value* value = nullptr;     // nullptr when only the "_name" twin exists
  const json::Value* twin = nullptr;      // the primitive's "_name" object, or nullptr
  const fhir::TypeDef* type = nullptr;    // nullptr when the model does not know the element
  const json::Value* resource = nullptr;  // the (possibly contained) resource holding it
};

// What type() returns: {namespace: 'FHIR' | 'System', name: ...}.
struct TypeInfo {
  std::string ns;
  std::string name;
};

enum class ItemKind : std::uint8_t {
  kNode,
  kBoolean,
  kString,
  kInteger,
  kDecimal,
  kDate,
  kDateTime,
  kTime,
  kQuantity,
  kTypeInfo,
};

class Item {
 public:
  static Item FromNode(const Node& n) { return Item(n); }
  static Item Boolean(bool b) { return Item(b); }
  static Item String(std::string s) { return Item(std::move(s)); }
  static Item Integer(std::int64_t i) { return Item(i); }
  static Item FromDecimal(const Decimal& d) { return Item(d); }
  static Item FromTemporal(const Temporal& t) { return Item(t); }
  static Item FromQuantity(Quantity q) { return Item(std::move(q)); }
  static Item FromTypeInfo(TypeInfo t) { return Item(std::move(t)); }

  ItemKind kind() const;
  bool is_node() const { return std::holds_alternative<Node>(v_); }

  // Accessors: REQUIRES the matching kind (checked).
  const Node& node() const { return Get<Node>(); }
  bool boolean() const { return Get<bool>(); }
  const std::string& string() const { return Get<std::string>(); }
  std::int64_t integer() const { return Get<std::int64_t>(); }
  const Decimal& decimal() const { return Get<Decimal>(); }
  const Temporal& temporal() const { return Get<Temporal>(); }
  const Quantity& quantity() const { return Get<Quantity>(); }
  const TypeInfo& type_info() const { return Get<TypeInfo>(); }

 private:
  template <typename T>
  explicit Item(T v) : v_(std::move(v)) {}
  template <typename T>
  const T& Get() const {
    FE_CHECK(std::holds_alternative<T>(v_));
    return std::get<T>(v_);
  }
  std::variant<Node, bool, std::string, std::int64_t, Decimal, Temporal, Quantity, TypeInfo> v_;
};

using Collection = std::vector<Item>;

// The System value behind an item: FHIR primitives become Boolean, Integer,
// Decimal, String, Date, DateTime or Time; a FHIR Quantity (and Age,
// Duration, ...) becomes a System.Quantity (its UCUM code, else its unit).
// System values come back unchanged. nullopt for complex elements and for
// primitives that only carry extensions.
std::optional<Item> ToSystem(const Item& item);

// Whether `type` is `target` or derives from it (code -> string, Age ->
// Quantity, Patient -> DomainResource -> Resource; backbones are
// BackboneElement and Element).
bool DerivesFrom(const fhir::TypeDef* type, std::string_view target);

// The item's type as type() reports it: FHIR.HumanName, FHIR.string,
// FHIR.BackboneElement, System.Integer...
TypeInfo TypeOf(const Item& item);
// "HumanName", "string", "BackboneElement" for FHIR items; "System.Integer"
// and so on for System values (the CLI's "type" field).
std::string TypeName(const Item& item);

// FHIRPath `=` on two items: nullopt when the answer is empty (dates of
// different precision, quantities whose units cannot be compared).
std::optional<bool> ItemsEqual(const Item& a, const Item& b);
// FHIRPath `~` on two items.
bool ItemsEquivalent(const Item& a, const Item& b);
// A hash consistent with ItemsEqual: items that may be equal hash alike
// (dates, times and quantities share one bucket each, as offsets and units
// make different texts equal). For indexes of large collections.
std::size_t EqualityHash(const Item& item);

// Ordering for < <= > >=: -1/0/1, nullopt when indeterminate (precision),
// kInvalidArgument when the two cannot be compared (a number and a string).
Result<std::optional<int>> CompareItems(const Item& a, const Item& b);

// The text of a System value as toString() writes it ("1.0", "2014-12-14",
// "4 'mg'", "true"); for FHIR primitives their value; nullopt for others.
std::optional<std::string> ItemToText(const Item& item);

// The FHIR type of a resource's JSON (by its resourceType), or nullptr.
const fhir::TypeDef* ResourceType(const json::Value& resource, const fhir::TypeModel& model);

}  // namespace fhirengine::fhirpath
