// profile_validation_bench: validating a bed Location against a profile
// compiled once (resources/s), against the test bed profile alone and with the
// R4 base datatype definitions loaded (deep checks of every datatype).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "engine/json/json_parser.h"
#include "engine/profiles/profile_validator.h"

namespace fhirengine::profiles {
namespace {

const std::string kData = std::string(FE_SOURCE_DIR) + "/tests/unit/profiles/data";

json::Document LoadBed() {
  std::ifstream in(kData + "/Location-valid-bed.json");
  std::ostringstream text;
  text << in.rdbuf();
  Result<json::Document> doc = json::Parse(text.str());
  if (!doc.ok()) std::abort();
  return std::move(*doc);
}

void Run(benchmark::State& state, bool with_base) {
  ProfileRegistry registry;
  if (with_base) {
    const char* dir = std::getenv("FHIR_R4_EXAMPLES_DIR");
    if (!registry.AddDirectory(dir != nullptr ? dir : FE_DEFAULT_R4_EXAMPLES_DIR).ok()) {
      state.SkipWithError("R4 package not found (FHIR_R4_EXAMPLES_DIR)");
      return;
    }
  }
  if (!registry.AddDirectory(kData).ok()) std::abort();
  auto validator = ProfileValidator::Create(
      registry, "http://example.org/fhir/StructureDefinition/test-bed-location");
  if (!validator.ok()) std::abort();
  json::Document bed = LoadBed();
  for (auto _ : state) {
    validation::IssueCollector sink;
    (*validator)->Validate(bed.root(), sink);
    benchmark::DoNotOptimize(sink.issues().data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// The shipped regional bed profile (fhir-profiles/regional) over the R4
// base definitions, on the shipped example bed: what the pipeline will run.
void BM_ValidateRegionalBed(benchmark::State& state) {
  ProfileRegistry registry;
  const char* dir = std::getenv("FHIR_R4_EXAMPLES_DIR");
  const std::string regional = std::string(FE_SOURCE_DIR) + "/fhir-profiles/regional";
  if (!registry.AddDirectory(dir != nullptr ? dir : FE_DEFAULT_R4_EXAMPLES_DIR).ok() ||
      !registry.AddDirectory(regional + "/snapshots").ok() ||
      !registry.AddDirectory(regional + "/terminology").ok()) {
    state.SkipWithError("definitions not found (FHIR_R4_EXAMPLES_DIR, fhir-profiles/regional)");
    return;
  }
  auto validator = ProfileValidator::Create(
      registry, "https://fhir-engine.example.org/fhir/StructureDefinition/RegionalBed");
  if (!validator.ok()) std::abort();
  std::ifstream in(regional + "/examples/Location-example-bed.json");
  std::ostringstream text;
  text << in.rdbuf();
  Result<json::Document> bed = json::Parse(text.str());
  if (!bed.ok()) std::abort();
  for (auto _ : state) {
    validation::IssueCollector sink;
    (*validator)->Validate(bed->root(), sink);
    benchmark::DoNotOptimize(sink.issues().data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ValidateRegionalBed);

void BM_ValidateBedLocation(benchmark::State& state) { Run(state, false); }
void BM_ValidateBedLocationWithR4Base(benchmark::State& state) { Run(state, true); }
BENCHMARK(BM_ValidateBedLocation);
BENCHMARK(BM_ValidateBedLocationWithR4Base);

}  // namespace
}  // namespace fhirengine::profiles

BENCHMARK_MAIN();
