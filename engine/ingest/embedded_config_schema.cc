// Embeds config/config.schema.json with the assembler's .incbin, as
// engine/fhir/embedded_definitions.cc does (OBJECT_DEPENDS in
// engine/CMakeLists.txt rebuilds this file when the schema changes).
#include "engine/ingest/embedded_config_schema.h"

#include <cstddef>

#if !defined(FE_CONFIG_SCHEMA_PATH)
#error "FE_CONFIG_SCHEMA_PATH must name config/config.schema.json"
#endif

__asm__(
    ".pushsection .rodata\n"
    ".balign 16\n"
    ".global fe_config_schema_begin\n"
    "fe_config_schema_begin:\n"
    ".incbin \"" FE_CONFIG_SCHEMA_PATH
    "\"\n"
    ".global fe_config_schema_end\n"
    "fe_config_schema_end:\n"
    ".byte 0\n"
    ".popsection\n");

extern "C" const char fe_config_schema_begin[];
extern "C" const char fe_config_schema_end[];

namespace fhirengine::ingest {

std::string_view EmbeddedConfigSchema() {
  return {fe_config_schema_begin,
          static_cast<std::size_t>(fe_config_schema_end - fe_config_schema_begin)};
}

}  // namespace fhirengine::ingest
