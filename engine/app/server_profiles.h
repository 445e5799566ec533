// The conformance resources `serve` validates against: the ProfileRegistry,
// loaded once at start-up from the config's "profiles": {"directories"} or,
// without it, the regional profiles shipped in this source tree.
#pragma once

#include <memory>

#include "engine/app/server_config.h"
#include "engine/core/status.h"
#include "engine/profiles/profile_registry.h"

namespace fhirengine::app {

// Loads every folder of `config.profile_directories` (each must exist), or,
// when there are none, fhir-profiles/regional/snapshots and
// fhir-profiles/regional/terminology of the source tree the binary was built
// from (skipped when that tree is gone: the registry is then empty).
// kInvalidArgument naming the folder for one that is missing or holds a
// malformed file. The registry is immutable and shared by every validator.
Result<std::shared_ptr<const profiles::ProfileRegistry>> LoadServerProfiles(
    const ServerConfig& config);

}  // namespace fhirengine::app
