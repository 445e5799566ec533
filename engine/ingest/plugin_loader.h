// Loads adapter plugins: shared libraries exporting the C ABI of
// adapters/api/adapter_plugin.h, each wrapped into an AdapterType for the
// registry. Libraries stay loaded for the life of the process (adapters
// created from them may run until exit; unloading buys nothing).
#pragma once

#include <string>

#include "adapters/api/registry.h"
#include "engine/core/status.h"

namespace fhirengine::ingest {

// Opens `path`, checks its ABI version and wraps its type. Errors name the
// file: kNotFound (cannot be opened, no entry point), kFailedPrecondition
// (another ABI version), kInvalidArgument (an empty type name or schema).
Result<adapters::AdapterType> LoadAdapterPlugin(const std::string& path);

}  // namespace fhirengine::ingest
