// Validates a resource against a profile's snapshot (cardinality, types,
// reference targets, fixed/pattern, slicing, extensions, bindings and
// invariants), reporting findings as validation::Issue with FHIRPath paths.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/fhirpath/fhirpath.h"
#include "engine/json/json_value.h"
#include "engine/profiles/profile_registry.h"
#include "engine/validation/issue.h"

namespace fhirengine::profiles {

namespace internal {
struct CompiledProfile;
}  // namespace internal

// One profile compiled once, with every type and extension definition it
// reaches (from the registry) and all invariants parsed. Immutable after
// Create: Validate is safe from many threads at once. Keeps pointers into
// `registry`, which must outlive it.
class ProfileValidator {
 public:
  // kNotFound when `profile_url` is not in the registry.
  static Result<std::unique_ptr<ProfileValidator>> Create(const ProfileRegistry& registry,
                                                          std::string_view profile_url);
  ~ProfileValidator();
  ProfileValidator(const ProfileValidator&) = delete;
  ProfileValidator& operator=(const ProfileValidator&) = delete;

  // Reports every finding about `resource` into `sink` (errors, warnings, and
  // an information issue per invariant that could not be compiled).
  void Validate(const json::Value& resource, validation::IssueSink& sink) const;

  const std::string& profile_url() const { return url_; }

  // Used by the implementation: the compiled definition for a URL, or nullptr.
  const internal::CompiledProfile* FindCompiled(std::string_view url) const;
  const ProfileRegistry& registry() const { return *registry_; }

 private:
  ProfileValidator() = default;
  const internal::CompiledProfile* Compile(std::string_view url);
  std::string url_;
  const ProfileRegistry* registry_ = nullptr;
  std::map<std::string, std::unique_ptr<internal::CompiledProfile>, std::less<>> compiled_;
  std::map<std::string, fhirpath::Expression, std::less<>> expressions_;
  std::vector<validation::Issue> compile_notes_;
  bool reaches_resource_ = false;  // an element of type Resource (contained)
  json::Document synthesized_;     // discriminator values taken from type profiles
};

}  // namespace fhirengine::profiles
