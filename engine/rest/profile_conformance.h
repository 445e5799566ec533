// The profiles the REST API checks resources against: the ProfileRegistry
// loaded at start-up, the profiles each resource type must conform to before
// it is stored (config "profiles": {"required": ...}), and one compiled
// ProfileValidator per profile URL, built on first use and kept.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/json/json_value.h"
#include "engine/profiles/profile_registry.h"
#include "engine/profiles/profile_validator.h"
#include "engine/validation/issue.h"

namespace fhirengine::rest {

// Resource type -> profile canonical URLs every stored resource of that
// type must conform to.
using RequiredProfiles = std::map<std::string, std::vector<std::string>, std::less<>>;

// Shared by all io threads; thread-safe (validators are compiled under a
// mutex, then used read-only).
class ProfileConformance {
 public:
  // kInvalidArgument when a required profile is not in `registry`, or
  // constrains another resource type than the one it is required for.
  static Result<std::shared_ptr<const ProfileConformance>> Create(
      std::shared_ptr<const profiles::ProfileRegistry> registry, RequiredProfiles required);

  // The validator of `url`, compiled once; kNotFound when the registry does
  // not hold that profile. The pointer lives as long as this object.
  Result<const profiles::ProfileValidator*> Validator(std::string_view url) const;

  // The profiles required for `type` (empty when none).
  const std::vector<std::string>& RequiredFor(std::string_view type) const;
  const RequiredProfiles& required() const { return required_; }
  const profiles::ProfileRegistry& registry() const { return *registry_; }

  // Validates `resource` (of `type`) against every profile required for its
  // type, reporting into `sink`.
  void CheckRequired(const json::Value& resource, std::string_view type,
                     validation::IssueSink& sink) const;

 private:
  ProfileConformance(std::shared_ptr<const profiles::ProfileRegistry> registry,
                     RequiredProfiles required);

  std::shared_ptr<const profiles::ProfileRegistry> registry_;
  RequiredProfiles required_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::unique_ptr<profiles::ProfileValidator>, std::less<>>
      validators_;
};

}  // namespace fhirengine::rest
