// Loading the server's ProfileRegistry (see server_profiles.h).
#include "engine/app/server_profiles.h"

#include <string>
#include <vector>

#ifndef FE_REGIONAL_DIR
#error "FE_REGIONAL_DIR must name fhir-profiles/regional of the source tree"
#endif

namespace fhirengine::app {

Result<std::shared_ptr<const profiles::ProfileRegistry>> LoadServerProfiles(
    const ServerConfig& config) {
  const bool defaults = config.profile_directories.empty();
  const std::vector<std::string> folders =
      defaults
          ? std::vector<std::string>{FE_REGIONAL_DIR "/snapshots", FE_REGIONAL_DIR "/terminology"}
          : config.profile_directories;
  auto registry = std::make_shared<profiles::ProfileRegistry>();
  for (const std::string& folder : folders) {
    Status s = registry->AddDirectory(folder);
    if (s.code() == StatusCode::kNotFound && defaults) continue;
    if (!s.ok()) {
      return InvalidArgument("profiles.directories: " + folder + ": " + s.message());
    }
  }
  return std::shared_ptr<const profiles::ProfileRegistry>(std::move(registry));
}

}  // namespace fhirengine::app
