// The in-memory model of a StructureDefinition's snapshot: its elements with
// the parts the profile validator checks (cardinality, types, fixed/pattern,
// binding, constraints, slicing), loaded from the definition's JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/json/json_value.h"

namespace fhirengine::profiles {

inline constexpr std::uint32_t kUnbounded = UINT32_MAX;

struct TypeRef {
  std::string code;                          // "Reference", "CodeableConcept", "Extension"
  std::vector<std::string> profiles;         // type.profile
  std::vector<std::string> target_profiles;  // type.targetProfile
};

struct ElementBinding {
  std::string strength;   // required | extensible | preferred | example
  std::string value_set;  // canonical, without a "|version" suffix
};

struct Constraint {
  std::string key;       // "ele-1"
  std::string severity;  // error | warning
  std::string human;
  std::string expression;
};

struct Discriminator {
  std::string type;  // value | pattern | exists | type | profile
  std::string path;  // "system", "coding.system", "url", "$this"
};

struct Slicing {
  std::vector<Discriminator> discriminators;
  std::string rules;  // closed | open | openAtEnd
};

struct ElementModel {
  std::string id;
  std::string path;
  std::string slice_name;
  std::uint32_t min = 0;
  std::uint32_t max = kUnbounded;
  std::vector<TypeRef> types;
  // fixed[x] / pattern[x]: point into the profile's document (null when absent).
  const json::Value* fixed = nullptr;
  const json::Value* pattern = nullptr;
  std::optional<ElementBinding> binding;
  std::vector<Constraint> constraints;
  std::optional<Slicing> slicing;
};

// One StructureDefinition. Immutable once loaded; keeps its JSON alive.
struct ProfileModel {
  std::string url;
  std::string name;
  std::string type;  // the constrained type: "Location", "Extension"
  std::string kind;  // resource | complex-type | primitive-type | logical
  std::string base_definition;
  std::vector<ElementModel> snapshot;  // in snapshot order
  std::shared_ptr<const json::Document> source;
};

// The end of the message for a StructureDefinition without a snapshot.
inline constexpr std::string_view kNoSnapshot = "(generate snapshots before validating)";

// Loads a StructureDefinition resource. kInvalidArgument when it is not one,
// has no url or no snapshot (the validator needs snapshots: generate them first).
Result<std::shared_ptr<const ProfileModel>> LoadStructureDefinition(
    std::shared_ptr<const json::Document> document);

}  // namespace fhirengine::profiles
