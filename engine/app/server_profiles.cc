// Loading the server's profiles (see server_profiles.h).
#include "engine/app/server_profiles.h"

#include <cstdlib>
#include <filesystem>

namespace fhirengine::app {

std::string ServerDataDirectory() {
  const char* dir = std::getenv("FHIR_ENGINE_DATA_DIR");
  return dir != nullptr && *dir != '\0' ? std::string(dir) : std::string(FE_DEFAULT_DATA_DIR);
}

std::vector<std::string> DefaultProfileDirectories() {
  const std::filesystem::path data(ServerDataDirectory());
  std::vector<std::string> out;
  for (const char* sub : {"fhir-profiles/r4-base/definitions", "fhir-profiles/regional/snapshots",
                          "fhir-profiles/regional/terminology"}) {
    out.push_back((data / sub).string());
  }
  return out;
}

Result<std::shared_ptr<const profiles::ProfileRegistry>> LoadServerProfiles(
    const ServerConfig& config) {
  const std::vector<std::string> dirs =
      config.profile_directories.empty() ? DefaultProfileDirectories() : config.profile_directories;
  auto registry = std::make_shared<profiles::ProfileRegistry>();
  for (const std::string& dir : dirs) {
    std::vector<std::string> skipped;
    Status s = registry->AddDirectory(dir, &skipped);
    if (!s.ok()) {
      return Status(s.code(), "profiles: " + s.message() +
                                  (config.profile_directories.empty()
                                       ? " (a shipped default; set FHIR_ENGINE_DATA_DIR to the "
                                         "folder holding fhir-profiles/, or list \"profiles\": "
                                         "{\"directories\": [...]} in the config)"
                                       : ""));
    }
  }
  return std::shared_ptr<const profiles::ProfileRegistry>(std::move(registry));
}

}  // namespace fhirengine::app
