// Profile validation of mapped resources (see profile_conformance.h).
#include "engine/ingest/profile_conformance.h"

#include <utility>

namespace fhirengine::ingest {

using validation::Issue;
using validation::IssueType;
using validation::Severity;

std::size_t CountErrors(const std::vector<Issue>& issues) {
  std::size_t n = 0;
  for (const Issue& i : issues) {
    n += i.severity == Severity::kError || i.severity == Severity::kFatal;
  }
  return n;
}

ProfileConformance::ProfileConformance(std::shared_ptr<const profiles::ProfileRegistry> registry)
    : registry_(std::move(registry)) {}

const profiles::ProfileValidator* ProfileConformance::Validator(std::string_view url) const {
  std::lock_guard lock(mutex_);
  if (auto it = validators_.find(url); it != validators_.end()) return it->second.get();
  if (registry_ == nullptr || validators_.size() >= kMaxCompiledProfiles) return nullptr;
  Result<std::unique_ptr<profiles::ProfileValidator>> v =
      profiles::ProfileValidator::Create(*registry_, url);
  if (!v.ok()) return nullptr;
  // A compiled validator never moves: the map owns it through unique_ptr.
  return validators_.emplace(std::string(url), std::move(*v)).first->second.get();
}

std::vector<Issue> ProfileConformance::Check(const json::Value& resource) const {
  std::vector<Issue> issues;
  const json::Value* meta = resource.Find("meta");
  const json::Value* profile = meta != nullptr ? meta->Find("profile") : nullptr;
  if (profile == nullptr || !profile->IsArray()) return issues;
  if (profile->size() > kMaxProfilesPerResource) {
    issues.push_back(Issue{Severity::kError, IssueType::kTooCostly, "meta.profile",
                           "a mapped resource may claim at most " +
                               std::to_string(kMaxProfilesPerResource) + " profiles"});
    return issues;
  }
  validation::IssueCollector sink;
  std::size_t i = 0;
  for (const json::Value& url : profile->elements()) {
    const std::string where = "meta.profile[" + std::to_string(i++) + "]";
    if (!url.IsString()) continue;  // the structural validation reports it
    // A versioned canonical ("...|1.0.0") names the same loaded profile.
    std::string_view canonical = url.text();
    canonical = canonical.substr(0, canonical.find('|'));
    const profiles::ProfileValidator* v = Validator(canonical);
    if (v == nullptr) {
      sink.Report(Issue{Severity::kError, IssueType::kNotSupported, where,
                        "profile " + std::string(canonical) +
                            " is not loaded (see \"profiles\" in docs/adapters.md)"});
      continue;
    }
    v->Validate(resource, sink);
  }
  return sink.issues();
}

}  // namespace fhirengine::ingest
