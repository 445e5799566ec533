// The FHIR R4 type model: for every resource, datatype and backbone element,
// its elements in definition order with types (choice [x] included),
// cardinality, summary membership and representation. Derived from the official
// StructureDefinitions (fhir-profiles/r4-base/type-model.json) and immutable
// once loaded, so it is shared freely across threads.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/core/status.h"

namespace fhirengine::fhir {

inline constexpr std::uint32_t kUnbounded = UINT32_MAX;

enum class TypeKind : std::uint8_t { kPrimitive, kComplex, kResource, kBackbone, kLogical };

// The 20 R4 primitive types (see primitive_types.h for their lexical rules).
enum class Primitive : std::uint8_t {
  kNone,  // not a primitive type
  kBase64Binary,
  kBoolean,
  kCanonical,
  kCode,
  kDate,
  kDateTime,
  kDecimal,
  kId,
  kInstant,
  kInteger,
  kMarkdown,
  kOid,
  kPositiveInt,
  kString,
  kTime,
  kUnsignedInt,
  kUri,
  kUrl,
  kUuid,
  kXhtml,
};

// How a primitive's value is written in JSON.
enum class JsonRepr : std::uint8_t { kString, kNumber, kBoolean };

struct TypeDef;

struct ElementType {
  std::string code;                          // "Reference", "string", "BackboneElement"
  const TypeDef* type = nullptr;             // resolved; a backbone's own TypeDef when inline
  std::string choice_suffix;                 // "Quantity" in valueQuantity (choice only)
  std::vector<std::string> target_profiles;  // Reference/canonical targets
};

struct Binding {
  std::string strength;  // required | extensible | preferred | example
  std::string value_set;
};

struct ElementDef {
  std::string name;  // JSON and XML name, without [x]
  std::string path;  // "Observation.value[x]"
  std::uint32_t min = 0;
  std::uint32_t max = 1;  // kUnbounded for "*"
  // One bit each: the flags sit in what would otherwise be padding.
  bool is_choice : 1 = false;
  bool xml_attr : 1 = false;    // Element.id, Extension.url: XML attributes
  bool is_summary : 1 = false;  // ElementDefinition.isSummary: kept by _summary=true
  std::vector<ElementType> types;
  std::optional<Binding> binding;

  bool repeating() const { return max > 1; }
  // min >= 1: servers return it whatever _elements or _summary=text asked.
  bool mandatory() const { return min >= 1; }
};

// A JSON property name resolved to its element and, for choices, its type.
struct Property {
  const ElementDef* element = nullptr;
  const ElementType* type = nullptr;
};

struct TypeDef {
  std::string name;  // "Patient", "HumanName", or the path of a backbone: "Encounter.location"
  TypeKind kind = TypeKind::kComplex;
  bool is_abstract = false;
  const TypeDef* base = nullptr;
  std::vector<ElementDef> elements;  // definition order, which is also XML order
  Primitive primitive = Primitive::kNone;
  JsonRepr json_repr = JsonRepr::kString;  // primitives only
  std::string regex;                       // primitives only: the official regex

  bool IsPrimitive() const { return kind == TypeKind::kPrimitive; }
  bool IsResource() const { return kind == TypeKind::kResource; }
  // The property for a JSON name ("valueQuantity", "status"), or nullptr.
  const Property* FindProperty(std::string_view json_name) const;
  // The element named `name` (without [x]), or nullptr.
  const ElementDef* FindElement(std::string_view name) const;

  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Property, StringHash, std::equal_to<>> properties;
};

class TypeModel {
 public:
  // The R4 model embedded in the binary, loaded on first use (thread-safe).
  static const TypeModel& R4();
  // Loads a model from the JSON that tools/derive_r4_base.py writes.
  static Result<std::unique_ptr<TypeModel>> Load(std::string_view json_text);

  // A resource, datatype, primitive or backbone (by path), or nullptr.
  const TypeDef* Find(std::string_view name) const;
  // A concrete (non-abstract) resource type, or nullptr.
  const TypeDef* FindResource(std::string_view name) const;
  // All resource types, abstract ones included, sorted by name.
  std::span<const TypeDef* const> resources() const { return resources_; }
  std::string_view fhir_version() const { return fhir_version_; }
  // Whether some element of some type is the choice `name`[x] ("value",
  // "effective", "onset"): navigation of untyped JSON guesses a choice
  // member (valueString for value) only for these names.
  bool IsChoiceName(std::string_view name) const;

 private:
  TypeModel() = default;
  std::deque<TypeDef> types_;
  std::unordered_map<std::string, const TypeDef*, TypeDef::StringHash, std::equal_to<>> by_name_;
  std::vector<const TypeDef*> resources_;
  std::unordered_set<std::string, TypeDef::StringHash, std::equal_to<>> choice_names_;
  std::string fhir_version_;
};

}  // namespace fhirengine::fhir
