// Builds an R4 MeasureReport (SANER style: status complete, type summary,
// one group per Measure group with population counts) from one node of the
// capacity picture and a regional Measure. Pure: no store, no clock.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "engine/capacity/capacity_model.h"
#include "engine/core/status.h"
#include "engine/json/json_value.h"

namespace fhirengine::capacity {

// Canonicals of the regional capacity definitions (fhir-profiles/regional/measures).
inline constexpr std::string_view kRegionalBase = "https://fhir-engine.example.org/fhir";
inline constexpr std::string_view kMeasuredValueSystem =
    "https://fhir-engine.example.org/fhir/CodeSystem/capacity-measured-value";
inline constexpr std::string_view kMeasureGroupSystem =
    "https://fhir-engine.example.org/fhir/CodeSystem/capacity-measure-group";
inline constexpr std::string_view kBedCategorySystem =
    "https://fhir-engine.example.org/fhir/CodeSystem/bed-category";
// On the MeasureReport: valueBoolean, true when any source the counts use is
// stale (docs/capacity.md, Freshness). Always present.
inline constexpr std::string_view kStaleExtensionUrl =
    "https://fhir-engine.example.org/fhir/StructureDefinition/capacity-stale";
// On the MeasureReport, once per stale source: valueString, the adapter name.
inline constexpr std::string_view kStaleSourceExtensionUrl =
    "https://fhir-engine.example.org/fhir/StructureDefinition/capacity-stale-source";

struct ReportPeriod {
  std::int64_t start_ms = 0;  // Unix epoch ms
  std::int64_t end_ms = 0;
};

// The MeasureReport for `measure` (a Measure resource of the regional
// capacity Measures) evaluated on `node` at `now_ms`, built in `doc`.
// `sources` is the snapshot's source freshness, for naming the stale ones.
// A Location node is the subject; an Organization node is the reporter and
// there is no subject (R4 allows no Organization subject); the region has
// neither. kInvalidArgument when the Measure has no url
// or a group or population code this builder cannot compute (naming it).
Result<json::Value> BuildMeasureReport(json::Document& doc, const json::Value& measure,
                                       const CapacityNode& node,
                                       std::span<const SourceFreshness> sources,
                                       ReportPeriod period, std::int64_t now_ms);

}  // namespace fhirengine::capacity
