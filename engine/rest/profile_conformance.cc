// ProfileConformance: required profiles and the compiled validators.
#include "engine/rest/profile_conformance.h"

#include <utility>

namespace fhirengine::rest {

ProfileConformance::ProfileConformance(std::shared_ptr<const profiles::ProfileRegistry> registry,
                                       RequiredProfiles required)
    : registry_(std::move(registry)), required_(std::move(required)) {}

Result<std::shared_ptr<const ProfileConformance>> ProfileConformance::Create(
    std::shared_ptr<const profiles::ProfileRegistry> registry, RequiredProfiles required) {
  FE_CHECK(registry != nullptr);
  for (const auto& [type, urls] : required) {
    for (const std::string& url : urls) {
      const profiles::ProfileModel* model = registry->FindProfile(url);
      if (model == nullptr) {
        return InvalidArgument("the profile " + url + " required for " + type +
                               " is not loaded (add its folder to profiles.directories)");
      }
      if (model->type != type) {
        return InvalidArgument("the profile " + url + " required for " + type + " constrains " +
                               model->type + ", not " + type);
      }
    }
  }
  std::shared_ptr<ProfileConformance> out(
      new ProfileConformance(std::move(registry), std::move(required)));
  // Compile the required ones now: a write never waits for it, and a
  // profile that cannot compile stops the start, not the first request.
  for (const auto& [type, urls] : out->required_) {
    for (const std::string& url : urls) {
      Result<const profiles::ProfileValidator*> v = out->Validator(url);
      if (!v.ok()) return v.status();
    }
  }
  return std::shared_ptr<const ProfileConformance>(std::move(out));
}

Result<const profiles::ProfileValidator*> ProfileConformance::Validator(
    std::string_view url) const {
  std::lock_guard lock(mutex_);
  if (auto it = validators_.find(url); it != validators_.end()) return it->second.get();
  Result<std::unique_ptr<profiles::ProfileValidator>> created =
      profiles::ProfileValidator::Create(*registry_, url);
  if (!created.ok()) return created.status();
  const profiles::ProfileValidator* raw = created->get();
  validators_.emplace(std::string(url), std::move(created).value());
  return raw;
}

const std::vector<std::string>& ProfileConformance::RequiredFor(std::string_view type) const {
  static const std::vector<std::string> kNone;
  auto it = required_.find(type);
  return it == required_.end() ? kNone : it->second;
}

void ProfileConformance::CheckRequired(const json::Value& resource, std::string_view type,
                                       validation::IssueSink& sink) const {
  for (const std::string& url : RequiredFor(type)) {
    Result<const profiles::ProfileValidator*> v = Validator(url);
    // Create compiled every required profile: it is there.
    FE_CHECK(v.ok());
    (*v)->Validate(resource, sink);
  }
}

}  // namespace fhirengine::rest
