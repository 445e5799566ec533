// Embeds the Measure files with the assembler's .incbin, as
// engine/fhir/embedded_definitions.cc does (OBJECT_DEPENDS rebuilds on change).
#include "engine/capacity/regional_measures.h"

#if !defined(FE_MEASURE_BED_CAPACITY_PATH) || !defined(FE_MEASURE_DISCHARGE_READY_PATH)
#error "FE_MEASURE_BED_CAPACITY_PATH and FE_MEASURE_DISCHARGE_READY_PATH must name the files"
#endif

__asm__(
    ".pushsection .rodata\n"
    ".balign 16\n"
    "fe_measure_bed_capacity_begin:\n"
    ".incbin \"" FE_MEASURE_BED_CAPACITY_PATH
    "\"\n"
    "fe_measure_bed_capacity_end:\n"
    ".byte 0\n"
    ".balign 16\n"
    "fe_measure_discharge_ready_begin:\n"
    ".incbin \"" FE_MEASURE_DISCHARGE_READY_PATH
    "\"\n"
    "fe_measure_discharge_ready_end:\n"
    ".byte 0\n"
    ".global fe_measure_bed_capacity_begin\n"
    ".global fe_measure_bed_capacity_end\n"
    ".global fe_measure_discharge_ready_begin\n"
    ".global fe_measure_discharge_ready_end\n"
    ".popsection\n");

extern "C" const char fe_measure_bed_capacity_begin[];
extern "C" const char fe_measure_bed_capacity_end[];
extern "C" const char fe_measure_discharge_ready_begin[];
extern "C" const char fe_measure_discharge_ready_end[];

namespace fhirengine::capacity {

const std::vector<EmbeddedMeasure>& RegionalMeasures() {
  static const std::vector<EmbeddedMeasure> kMeasures{
      {"regional-bed-capacity",
       {fe_measure_bed_capacity_begin,
        static_cast<std::size_t>(fe_measure_bed_capacity_end - fe_measure_bed_capacity_begin)}},
      {"regional-discharge-ready",
       {fe_measure_discharge_ready_begin,
        static_cast<std::size_t>(fe_measure_discharge_ready_end -
                                 fe_measure_discharge_ready_begin)}},
  };
  return kMeasures;
}

}  // namespace fhirengine::capacity
