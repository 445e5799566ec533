// The configuration file's checks for `check-config` and `serve`: ${ENV}
// substitution, the embedded JSON Schema (config/config.schema.json), the
// plugins, and each adapter's type and settings. Every problem is
// collected with its JSON path and a hint; substituted values never appear
// in messages.
#pragma once

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/api/registry.h"
#include "engine/ingest/schema_check.h"
#include "engine/json/json_value.h"
#include "engine/mapping/mapping.h"
#include "engine/profiles/profile_registry.h"

namespace fhirengine::ingest {

// One entry of the config's "adapters".
struct AdapterEntry {
  std::string name;
  std::string type;
  bool enabled = true;
  std::chrono::milliseconds poll_interval{30'000};  // poll-interval-s, decimals allowed
  std::chrono::seconds stale_after{900};
  std::chrono::seconds max_backoff{300};     // cap of the jittered back-off after failures
  std::shared_ptr<json::Document> settings;  // an object (empty when absent)
  // "mapping", resolved against the config's folder, and the mapping loaded
  // from it (with "mapping-source" and the top-level "pseudonym-key"); both
  // empty: the identity mapping.
  std::string mapping_path;
  std::shared_ptr<const mapping::Mapping> mapping;
};

struct IngestConfig {
  std::vector<AdapterEntry> adapters;
  std::string config_dir;  // relative paths in settings resolve against it
  // The profiles mapped resources are validated against (engine/app's
  // LoadServerProfiles sets it before serving); null: profile validation off.
  std::shared_ptr<const profiles::ProfileRegistry> profiles;
};

struct ConfigCheck {
  std::vector<ConfigProblem> problems;  // empty: the file is good
  std::string substituted_text;         // the file after ${ENV} substitution
  IngestConfig ingest;
};

// Looks an environment variable up; nullptr when unset.
using GetEnv = std::function<const char*(const char* name)>;

// Checks the configuration `text`. Plugins named in "plugins" (relative to
// `config_dir`) are loaded and registered into `registry`; adapters'
// factories run once to check what schemas cannot (and are discarded).
ConfigCheck CheckConfig(
    std::string_view text, const std::string& config_dir, adapters::AdapterRegistry& registry,
    const GetEnv& getenv = [](const char* n) { return std::getenv(n); });

// "FILE: $.path: problem; hint: hint".
std::string FormatProblem(std::string_view file, const ConfigProblem& problem);

}  // namespace fhirengine::ingest
