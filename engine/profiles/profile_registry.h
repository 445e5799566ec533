// Conformance resources for profile validation, by canonical URL:
// StructureDefinitions (with snapshots), ValueSets and CodeSystems, loaded
// from JSON files, and the ValueSet membership test the bindings use.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/json/json_value.h"
#include "engine/profiles/profile_model.h"

namespace fhirengine::profiles {

enum class Membership { kMember, kNotMember, kUnknown };

// Build it once, then share it read-only: const methods are thread-safe.
class ProfileRegistry {
 public:
  // Adds one conformance resource (StructureDefinition, ValueSet, CodeSystem;
  // a Bundle adds its entries; other resource types are ignored). A later
  // resource with the same URL replaces the earlier one.
  // kInvalidArgument for a StructureDefinition that cannot be loaded.
  Status Add(std::shared_ptr<const json::Document> document);
  // Reads and adds one JSON file (at most 64 MiB).
  Status AddFile(const std::filesystem::path& file);
  // Adds every *.json file of `dir` (not recursive; sorted by name; in a
  // directory named "package", an npm FHIR package, only the files named
  // StructureDefinition-*, ValueSet-* and CodeSystem-* are read). Resources
  // that are not conformance resources are ignored; StructureDefinitions
  // without a snapshot are skipped and named in `skipped` when given; the
  // first unreadable or malformed file fails with its name. kNotFound when
  // `dir` does not exist.
  Status AddDirectory(const std::filesystem::path& dir,
                      std::vector<std::string>* skipped = nullptr);

  const ProfileModel* FindProfile(std::string_view url) const;
  // The base definition of a type by name ("Identifier", "Location").
  const ProfileModel* FindType(std::string_view type_name) const;
  // The base definitions of the resource types here (Location, Organization,
  // ...: kind resource, url http://hl7.org/fhir/StructureDefinition/<type>).
  std::vector<const ProfileModel*> ResourceTypes() const;
  const json::Value* FindValueSet(std::string_view url) const;
  const json::Value* FindCodeSystem(std::string_view url) const;

  // Whether system|code is in the ValueSet (expansion.contains, else
  // compose.include of enumerated concepts, whole CodeSystems in this
  // registry, and included ValueSets). kUnknown when the ValueSet is not
  // here or uses filters or systems that are not here. An empty `system`
  // (a bare code) matches a concept of any system.
  Membership ValueSetContains(std::string_view value_set, std::string_view system,
                              std::string_view code) const;

  std::size_t profile_count() const { return profiles_.size(); }
  std::size_t value_set_count() const { return value_sets_.size(); }

 private:
  Membership ValueSetContains(std::string_view value_set, std::string_view system,
                              std::string_view code, int depth) const;
  std::vector<std::shared_ptr<const json::Document>> documents_;
  std::map<std::string, std::shared_ptr<const ProfileModel>, std::less<>> profiles_;
  std::map<std::string, const json::Value*, std::less<>> value_sets_;
  std::map<std::string, const json::Value*, std::less<>> code_systems_;
};

}  // namespace fhirengine::profiles
