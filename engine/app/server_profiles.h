// The conformance resources the server validates mapped resources against:
// one ProfileRegistry, loaded once at start-up from the config's "profiles"
// directories or the shipped defaults, then shared read-only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/app/server_config.h"
#include "engine/core/status.h"
#include "engine/profiles/profile_registry.h"

namespace fhirengine::app {

// The shipped folders, relative to the data directory: the regional
// snapshots and terminology, and the R4 base definitions they need
// (fhir-profiles/r4-base/definitions, derived by tools/derive_profile_base.py).
std::vector<std::string> DefaultProfileDirectories();

// The data directory the defaults are relative to: $FHIR_ENGINE_DATA_DIR
// when set, else the source tree the binary was built from.
std::string ServerDataDirectory();

// Loads every directory of config.profile_directories (or the defaults when
// it is empty) into one registry. kNotFound naming the folder when one does
// not exist; kInvalidArgument naming the file when one cannot be loaded.
Result<std::shared_ptr<const profiles::ProfileRegistry>> LoadServerProfiles(
    const ServerConfig& config);

}  // namespace fhirengine::app
