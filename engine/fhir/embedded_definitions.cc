// Embeds the derived definition files with the assembler's .incbin: no
// generated source, no size limit, and the build re-runs when a file changes
// (OBJECT_DEPENDS in engine/CMakeLists.txt).
#include "engine/fhir/embedded_definitions.h"

#if !defined(FE_R4_TYPE_MODEL_PATH) || !defined(FE_R4_SEARCH_PARAMETERS_PATH) || \
    !defined(FE_REGIONAL_SEARCH_PARAMETERS_PATH)
#error \
    "FE_R4_TYPE_MODEL_PATH, FE_R4_SEARCH_PARAMETERS_PATH and FE_REGIONAL_SEARCH_PARAMETERS_PATH must name the files"
#endif

__asm__(
    ".pushsection .rodata\n"
    ".balign 16\n"
    ".global fe_r4_type_model_begin\n"
    "fe_r4_type_model_begin:\n"
    ".incbin \"" FE_R4_TYPE_MODEL_PATH
    "\"\n"
    ".global fe_r4_type_model_end\n"
    "fe_r4_type_model_end:\n"
    ".byte 0\n"
    ".balign 16\n"
    ".global fe_r4_search_parameters_begin\n"
    "fe_r4_search_parameters_begin:\n"
    ".incbin \"" FE_R4_SEARCH_PARAMETERS_PATH
    "\"\n"
    ".global fe_r4_search_parameters_end\n"
    "fe_r4_search_parameters_end:\n"
    ".byte 0\n"
    ".balign 16\n"
    ".global fe_regional_search_parameters_begin\n"
    "fe_regional_search_parameters_begin:\n"
    ".incbin \"" FE_REGIONAL_SEARCH_PARAMETERS_PATH
    "\"\n"
    ".global fe_regional_search_parameters_end\n"
    "fe_regional_search_parameters_end:\n"
    ".byte 0\n"
    ".popsection\n");

extern "C" const char fe_r4_type_model_begin[];
extern "C" const char fe_r4_type_model_end[];
extern "C" const char fe_r4_search_parameters_begin[];
extern "C" const char fe_r4_search_parameters_end[];
extern "C" const char fe_regional_search_parameters_begin[];
extern "C" const char fe_regional_search_parameters_end[];

namespace fhirengine::fhir {

std::string_view EmbeddedR4TypeModel() {
  return {fe_r4_type_model_begin,
          static_cast<std::size_t>(fe_r4_type_model_end - fe_r4_type_model_begin)};
}

std::string_view EmbeddedR4SearchParameters() {
  return {fe_r4_search_parameters_begin,
          static_cast<std::size_t>(fe_r4_search_parameters_end - fe_r4_search_parameters_begin)};
}

std::string_view EmbeddedRegionalSearchParameters() {
  return {fe_regional_search_parameters_begin,
          static_cast<std::size_t>(fe_regional_search_parameters_end -
                                   fe_regional_search_parameters_begin)};
}

}  // namespace fhirengine::fhir
