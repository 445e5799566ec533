// Profile validation of mapped resources in the delivery pipeline: each
// resource is checked against every profile its meta.profile names, with the
// validators compiled once per profile and kept for the adapter's lifetime.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json/json_value.h"
#include "engine/profiles/profile_validator.h"
#include "engine/validation/issue.h"

namespace fhirengine::ingest {

class ProfileConformance {
 public:
  // At most this many profiles in one resource's meta.profile (more is an
  // error finding), and compiled validators kept (a bound on memory that a
  // source naming ever new profile URLs cannot pass).
  static constexpr std::size_t kMaxProfilesPerResource = 8;
  static constexpr std::size_t kMaxCompiledProfiles = 256;

  // `registry` is shared, read-only; it outlives nothing here.
  explicit ProfileConformance(std::shared_ptr<const profiles::ProfileRegistry> registry);

  // The findings of validating `resource` against each profile in its
  // meta.profile (none when it names none). A profile that is not loaded is
  // an error finding (the resource claims a conformance nobody can check).
  // Thread-safe.
  std::vector<validation::Issue> Check(const json::Value& resource) const;

 private:
  // The validator for `url`, compiled on first use; nullptr when `url` is
  // not in the registry.
  const profiles::ProfileValidator* Validator(std::string_view url) const;

  std::shared_ptr<const profiles::ProfileRegistry> registry_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::unique_ptr<profiles::ProfileValidator>, std::less<>>
      validators_;
};

// The number of issues of severity error or fatal.
std::size_t CountErrors(const std::vector<validation::Issue>& issues);

}  // namespace fhirengine::ingest
