// The whole configuration file as `serve` and `check-config` read it: the
// ingest checks (${ENV}, schema, plugins, adapters: every problem) and then
// the server settings (ServerConfig) from the substituted text.
#pragma once

#include <string>
#include <vector>

#include "adapters/api/registry.h"
#include "engine/app/server_config.h"
#include "engine/ingest/config_check.h"

namespace fhirengine::app {

struct EngineConfig {
  ServerConfig server;
  ingest::IngestConfig ingest;
};

// Reads and checks `path`, registering built-in adapter types and the
// file's plugins into `registry`. On failure, every problem as one line
// "FILE: $.path: problem; hint: ..." (never containing substituted values).
Result<EngineConfig> LoadEngineConfig(const std::string& path, adapters::AdapterRegistry& registry,
                                      std::vector<std::string>& problems);

}  // namespace fhirengine::app
