// Loading the whole configuration file (see engine_config.h).
#include "engine/app/engine_config.h"

#include <filesystem>

#include "engine/app/cli.h"

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
  return EngineConfig{std::move(server).value(), std::move(check.ingest)};
}

}  // namespace fhirengine::app
