// Loading the whole configuration file (see engine_config.h).
#include "engine/app/engine_config.h"

#include <algorithm>
#include <filesystem>

#include "engine/app/cli.h"
#include "engine/app/server_profiles.h"

namespace fhirengine::app {

Result<EngineConfig> LoadEngineConfig(const std::string& path, adapters::AdapterRegistry& registry,
                                      std::vector<std::string>& problems) {
  Result<std::string> text = ReadFile(path, 1u << 20);
  if (!text.ok()) {
    problems.push_back(text.status().message());
    return text.status();
  }
  if (registry.Names().empty()) adapters::RegisterBuiltinAdapters(registry);
  // Relative paths in the file resolve against its folder ("." for a bare
  // file name, so a plugin is never looked up on the library path).
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  ingest::ConfigCheck check = ingest::CheckConfig(*text, dir, registry);
  for (const ingest::ConfigProblem& p : check.problems) {
    problems.push_back(ingest::FormatProblem(path, p));
  }
  if (!problems.empty()) return InvalidArgument(path + ": the configuration has problems");
  // The schema passed; ServerConfig's own checks (ranges it shares with the
  // schema) find nothing new unless the two disagree.
  Result<ServerConfig> server = ParseServerConfig(check.substituted_text, path);
  if (!server.ok()) {
    problems.push_back(server.status().message());
    return server.status();
  }
  ResolveServerConfigPaths(*server, path);
  // Profiles are read once here, for serve and check-config alike, when an
  // adapter maps (the identity mapping validates structure only).
  const bool maps = std::any_of(check.ingest.adapters.begin(), check.ingest.adapters.end(),
                                [](const ingest::AdapterEntry& a) { return a.mapping != nullptr; });
  if (maps) {
    Result<std::shared_ptr<const profiles::ProfileRegistry>> profiles = LoadServerProfiles(*server);
    if (!profiles.ok()) {
      problems.push_back(path + ": " + profiles.status().message());
      return profiles.status();
    }
    check.ingest.profiles = std::move(profiles).value();
  }
  return EngineConfig{std::move(server).value(), std::move(check.ingest)};
}

}  // namespace fhirengine::app
