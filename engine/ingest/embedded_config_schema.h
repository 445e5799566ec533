// config/config.schema.json, compiled into the binary so the schema the
// engine checks against is always the one shipped with it.
#pragma once

#include <string_view>

namespace fhirengine::ingest {

std::string_view EmbeddedConfigSchema();

}  // namespace fhirengine::ingest
