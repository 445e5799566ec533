// mapped_ingest_bench: records/s through what the delivery pipeline runs per
// record before the store (ingest::MapAndValidate: the declarative mapping,
// meta.source, structural validation, validation against meta.profile) on
// one thread, for the shipped municipal CSV mapping and the hospital FHIR
// mapping, with the server's default profiles (fhir-profiles/).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/ingest/mapped_record.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"

namespace fhirengine::ingest {
namespace {

const std::string kSource = FE_SOURCE_DIR;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::shared_ptr<const profiles::ProfileRegistry> Profiles() {
  static const std::shared_ptr<const profiles::ProfileRegistry> registry = [] {
    auto r = std::make_shared<profiles::ProfileRegistry>();
    for (const char* dir :
         {"/fhir-profiles/r4-base/definitions", "/fhir-profiles/regional/snapshots",
          "/fhir-profiles/regional/terminology"}) {
      if (!r->AddDirectory(kSource + dir).ok()) std::abort();
    }
    return r;
  }();
  return registry;
}

// A shipped mapping file (each output claims its regional profile).
mapping::Mapping LoadMapping(const std::string& name) {
  const std::string path = kSource + "/mappings/" + name;
  const std::string text = ReadText(path);
  mapping::MappingOptions options;
  options.pseudonym_key = "benchmark-only-key-0123456789";
  Result<mapping::Mapping> m =
      mapping::Mapping::FromText(text, path, kSource + "/mappings", options);
  if (!m.ok()) {
    std::fprintf(stderr, "%s\n", m.status().ToString().c_str());
    std::abort();
  }
  return std::move(m).value();
}

// 1,000 municipal export rows (decoded, as the csv-file adapter delivers
// them): 4 municipalities, 25 units, 10 places, the four statuses.
std::vector<adapters::SourceRecord> MunicipalRows() {
  const char* statuses[] = {"Ledig", "Belagd", "St\xc3\xa4ngd",
                            "St\xc3\xa4"
                            "dning"};
  const char* types[] = {"korttidsplats", "s\xc3\xa4rskilt boende"};
  std::vector<adapters::SourceRecord> rows;
  for (int i = 0; i < 1000; ++i) {
    adapters::SourceRecord r;
    r.format = adapters::RecordFormat::kCsvRow;
    r.columns = {"kommun", "enhet", "enhetstyp", "plats", "platstyp", "status", "uppdaterad"};
    const int minute = i % 60;
    r.fields = {"018" + std::to_string(i % 4),
                "U" + std::to_string((i / 10) % 25),
                i % 2 ? "boende" : "korttid",
                std::to_string(i % 10 + 1),
                types[i % 2],
                statuses[i % 4],
                std::string("2026-11-23 14:") + (minute < 10 ? "0" : "") + std::to_string(minute)};
    r.locator = "bench.csv:" + std::to_string(i + 2);
    rows.push_back(std::move(r));
  }
  return rows;
}

// The hospital-fhir golden input (Locations and Encounters), as records.
std::vector<adapters::SourceRecord> HospitalRecords() {
  Result<json::Document> doc =
      json::Parse(ReadText(kSource + "/tests/golden/hospital-fhir/input.json"));
  if (!doc.ok() || !doc->root().IsArray()) std::abort();
  std::vector<adapters::SourceRecord> out;
  for (const json::Value& v : doc->root().elements()) {
    adapters::SourceRecord r;
    r.format = adapters::RecordFormat::kFhirResource;
    r.payload = json::Write(v);
    r.locator = "input.json";
    out.push_back(std::move(r));
  }
  return out;
}

void Run(benchmark::State& state, const mapping::Mapping& mapping,
         const std::vector<adapters::SourceRecord>& records) {
  const ProfileConformance conformance(Profiles());
  std::size_t i = 0, resources = 0, errors = 0, warnings = 0, failed = 0;
  // The pipeline's memo of validated resources, fresh for every pass over the
  // records: repeats within a file (a row's municipality, site and ward) hit
  // it as they do in the engine; a bed seen in an earlier pass does not.
  auto memo = std::make_unique<ValidationMemo>();
  for (auto _ : state) {
    Result<MappedOutputs> out =
        MapAndValidate(mapping, conformance, "bench", records[i], memo.get());
    if (++i == records.size()) {
      i = 0;
      state.PauseTiming();
      memo = std::make_unique<ValidationMemo>();
      state.ResumeTiming();
    }
    if (!out.ok()) {
      ++failed;
      continue;
    }
    resources += out->resources.size();
    errors += out->errors;
    warnings += out->findings.size() - out->errors;
    benchmark::DoNotOptimize(out->resources.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  const double n = static_cast<double>(state.iterations());
  state.counters["resources_per_record"] = static_cast<double>(resources) / n;
  state.counters["errors_per_record"] = static_cast<double>(errors) / n;
  state.counters["warnings_per_record"] = static_cast<double>(warnings) / n;
  state.counters["unmappable_share"] = static_cast<double>(failed) / n;
}

void BM_MunicipalCsvAsShipped(benchmark::State& state) {
  static const mapping::Mapping mapping = LoadMapping("municipal-csv.json");
  static const std::vector<adapters::SourceRecord> rows = MunicipalRows();
  Run(state, mapping, rows);
}
BENCHMARK(BM_MunicipalCsvAsShipped);

// One valid RegionalBed per row and nothing else (the shipped mapping also
// emits the row's Organization, site and ward): the cost of one bed.
constexpr std::string_view kValidBedMapping = R"({
  "name": "bench-valid-beds", "source-format": "csv", "source": "kommun",
  "outputs": [{
    "resourceType": "Location",
    "id": {"template": "{source}-{kommun}-{enhet}-{plats}"},
    "profile": "https://fhir-engine.example.org/fhir/StructureDefinition/RegionalBed",
    "extensions": [
      {"url": "https://fhir-engine.example.org/fhir/StructureDefinition/bed-category",
       "valueCodeableConcept.coding[0]": {"concept-map": "conceptmaps/municipal-place-type.json", "from": {"column": "platstyp"}}}
    ],
    "fields": {
      "identifier[0].system": "https://fhir-engine.example.org/fhir/NamingSystem/municipal-place",
      "identifier[0].value": {"template": "{kommun}-{enhet}-{plats}"},
      "status": "active",
      "mode": "instance",
      "name": {"template": "{enhet} plats {plats}"},
      "physicalType.coding[0].system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
      "physicalType.coding[0].code": "bd",
      "operationalStatus": {"concept-map": "conceptmaps/municipal-bed-status.json", "from": {"column": "status"}},
      "managingOrganization.reference": {"template": "Organization/{source}-{kommun}"},
      "partOf.reference": {"template": "Location/{source}-{kommun}-{enhet}"}
    }
  }]
})";

void BM_MunicipalCsvValidRegionalBeds(benchmark::State& state) {
  static const mapping::Mapping mapping = [] {
    Result<mapping::Mapping> m = mapping::Mapping::FromText(
        kValidBedMapping, "bench-valid-beds.json", kSource + "/mappings", {});
    if (!m.ok()) std::abort();
    return std::move(m).value();
  }();
  static const std::vector<adapters::SourceRecord> rows = MunicipalRows();
  Run(state, mapping, rows);
}
BENCHMARK(BM_MunicipalCsvValidRegionalBeds);

void BM_HospitalFhirAsShipped(benchmark::State& state) {
  static const mapping::Mapping mapping = LoadMapping("hospital-fhir.json");
  static const std::vector<adapters::SourceRecord> records = HospitalRecords();
  Run(state, mapping, records);
}
BENCHMARK(BM_HospitalFhirAsShipped);

}  // namespace
}  // namespace fhirengine::ingest

BENCHMARK_MAIN();
