// Throughput of search-index extraction (search::ExtractIndexEntries with the
// official R4 SearchParameters) in resources per second: a synthetic bed
// Location, a synthetic Encounter, and the official R4 example corpus.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_value.h"
#include "engine/search/index_extractor.h"
#include "engine/search/search_parameters.h"
#include "tests/support/r4_examples.h"

namespace fhirengine {
namespace {

// A regional bed: identifiers, physicalType, operationalStatus, partOf,
// managingOrganization and address, as the bed-occupancy feeds send them.
constexpr const char* kBedLocation = R"({
  "resourceType": "Location", "id": "bed-0712-3",
  "meta": {"lastUpdated": "2024-03-01T08:00:00Z", "profile": ["http://example.org/fhir/StructureDefinition/bed"]},
  "identifier": [
    {"system": "urn:oid:1.2.752.29.4.19", "value": "SE2321000222-B0712-3"},
    {"use": "secondary", "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "PLAC"}]},
     "system": "http://example.org/fhir/sid/bed", "value": "0712-3"}
  ],
  "status": "active",
  "operationalStatus": {"system": "http://terminology.hl7.org/CodeSystem/v2-0116", "code": "O", "display": "Occupied"},
  "name": "Vårdplats 3, avdelning 712",
  "alias": ["712-3"],
  "mode": "instance",
  "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "HOSP"}]}],
  "physicalType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "bd", "display": "Bed"}]},
  "address": {"use": "work", "line": ["Sjukhusvägen 1"], "city": "Umeå", "postalCode": "90185", "country": "SE"},
  "managingOrganization": {"reference": "Organization/region-vasterbotten"},
  "partOf": {"reference": "Location/ward-712"}
})";

// An inpatient stay: status, class, period, location history, serviceProvider
// and identifier.
constexpr const char* kEncounter = R"({
  "resourceType": "Encounter", "id": "enc-2024-000123",
  "meta": {"lastUpdated": "2024-03-01T08:05:00Z"},
  "identifier": [{"system": "http://example.org/fhir/sid/encounter", "value": "2024-000123"}],
  "status": "in-progress",
  "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP", "display": "inpatient encounter"},
  "type": [{"coding": [{"system": "http://snomed.info/sct", "code": "183452005"}]}],
  "subject": {"reference": "Patient/p-000123"},
  "period": {"start": "2024-03-01T07:55:00+01:00"},
  "location": [
    {"location": {"reference": "Location/ward-712"}, "status": "active", "period": {"start": "2024-03-01T07:55:00+01:00"}},
    {"location": {"reference": "Location/bed-0712-3"}, "status": "active", "physicalType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "bd"}]}, "period": {"start": "2024-03-01T08:00:00+01:00"}}
  ],
  "serviceProvider": {"reference": "Organization/ward-712-org"}
})";

json::Document ParseOrDie(const char* text) {
  Result<json::Document> doc = json::Parse(text);
  FE_CHECK(doc.ok());
  return std::move(doc).value();
}

// FHIR_R4_EXAMPLES_DIR, or the package the build's tests fetch.
std::filesystem::path CorpusDir() {
  const char* env = std::getenv("FHIR_R4_EXAMPLES_DIR");
  return (env != nullptr && *env != '\0') ? std::filesystem::path(env)
                                          : std::filesystem::path(FE_DEFAULT_R4_EXAMPLES_DIR);
}

struct Corpus {
  std::vector<json::Document> docs;
  std::string error;  // why there are no documents
};

const Corpus& Examples() {
  static const Corpus corpus = [] {
    Corpus c;
    const std::filesystem::path dir = CorpusDir();
    for (const testing::ExampleFile& file : testing::LoadR4Examples(dir.string())) {
      Result<json::Document> doc = json::Parse(file.text);
      if (doc.ok()) c.docs.push_back(std::move(*doc));
    }
    if (c.docs.empty()) {
      c.error = "no R4 examples in " + dir.string() +
                " (run tools/fetch_r4_examples.sh build/r4-examples, or set FHIR_R4_EXAMPLES_DIR)";
    }
    return c;
  }();
  return corpus;
}

// Extracts from `resources` once per iteration; items_per_second is
// resources/s, with entries and failures per resource beside it.
void ExtractAll(benchmark::State& state, const std::vector<const json::Value*>& resources) {
  const search::SearchParameterRegistry& registry = search::SearchParameterRegistry::R4();
  std::int64_t entries = 0;
  std::int64_t failures = 0;
  for (auto _ : state) {
    for (const json::Value* resource : resources) {
      search::ExtractionResult r = search::ExtractIndexEntries(*resource, registry);
      entries += static_cast<std::int64_t>(r.entries.size());
      failures += static_cast<std::int64_t>(r.failures.size());
      benchmark::DoNotOptimize(r);
    }
  }
  const auto n = static_cast<double>(state.iterations()) * static_cast<double>(resources.size());
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.counters["entries/resource"] = static_cast<double>(entries) / n;
  state.counters["failures/resource"] = static_cast<double>(failures) / n;
}

// (a) One bed Location.
void BM_ExtractBedLocation(benchmark::State& state) {
  static const json::Document doc = ParseOrDie(kBedLocation);
  ExtractAll(state, {&doc.root()});
}
BENCHMARK(BM_ExtractBedLocation);

// (b) One Encounter.
void BM_ExtractEncounter(benchmark::State& state) {
  static const json::Document doc = ParseOrDie(kEncounter);
  ExtractAll(state, {&doc.root()});
}
BENCHMARK(BM_ExtractEncounter);

// (c) Every official example, one pass per iteration.
void BM_ExtractR4Examples(benchmark::State& state) {
  const Corpus& corpus = Examples();
  if (corpus.docs.empty()) return state.SkipWithError(corpus.error.c_str());
  std::vector<const json::Value*> resources;
  resources.reserve(corpus.docs.size());
  for (const json::Document& doc : corpus.docs) resources.push_back(&doc.root());
  ExtractAll(state, resources);
}
BENCHMARK(BM_ExtractR4Examples)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fhirengine

BENCHMARK_MAIN();
