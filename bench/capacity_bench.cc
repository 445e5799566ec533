// The capacity rollup's cost per change at country scale: a CapacityIndex
// holding 100,000 beds (20 organizations x 5 sites x 50 wards x 20 beds)
// applies bed status changes, discharge-ready Encounter changes and ward
// moves (changes/s, JSON parse included), and renders the whole picture
// (tree + summary JSON) as the live feed does after each coalesced change.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/capacity/capacity_index.h"
#include "engine/capacity/capacity_summary_json.h"

namespace fhirengine::capacity {
namespace {

constexpr int kOrgs = 20, kSitesPerOrg = 5, kWardsPerSite = 50, kBedsPerWard = 20;
constexpr int kWards = kOrgs * kSitesPerOrg * kWardsPerSite;
constexpr int kBeds = kWards * kBedsPerWard;  // 100,000
constexpr const char* kBase = "https://fhir-engine.example.org/fhir";
constexpr const char* kPhysical = "http://terminology.hl7.org/CodeSystem/location-physical-type";
constexpr std::int64_t kNow = 1'795'507'200'000;  // 2026-11-24T08:00:00Z

std::string Place(const std::string& id, const char* code, const std::string& parent,
                  const std::string& org) {
  std::string json = R"({"resourceType":"Location","id":")" + id +
                     R"(","meta":{"source":"urn:fhir-engine:adapter:ehr-)" + org +
                     R"("},"status":"active","name":"Place )" + id +
                     R"(","physicalType":{"coding":[{"system":")" + kPhysical + R"(","code":")" +
                     code + R"("}]})";
  if (!parent.empty()) json += R"(,"partOf":{"reference":"Location/)" + parent + R"("})";
  if (code[0] == 's')
    json += R"(,"managingOrganization":{"reference":"Organization/)" + org + R"("})";
  return json + "}";
}

std::string Bed(int bed, int ward, const char* op) {
  const std::string org = std::to_string(ward / (kSitesPerOrg * kWardsPerSite));
  return R"({"resourceType":"Location","id":"b)" + std::to_string(bed) +
         R"(","meta":{"source":"urn:fhir-engine:adapter:ehr-)" + org +
         R"("},"extension":[{"url":")" + kBase +
         R"(/StructureDefinition/bed-category","valueCodeableConcept":{"coding":[{"system":")" +
         kBase + R"(/CodeSystem/bed-category","code":")" +
         (bed % 10 == 0 ? "intensive-care" : "general") +
         R"("}]}}],"status":"active","operationalStatus":{"system":"http://terminology.hl7.org/CodeSystem/v2-0116","code":")" +
         op + R"("},"name":"Bed )" + std::to_string(bed) +
         R"(","physicalType":{"coding":[{"system":")" + kPhysical +
         R"(","code":"bd"}]},"partOf":{"reference":"Location/w)" + std::to_string(ward) + R"("}})";
}

std::string Encounter(int n, int bed, bool ready) {
  std::string json = R"({"resourceType":"Encounter","id":"e)" + std::to_string(n) + R"(",)";
  if (ready) {
    json +=
        R"("extension":[{"url":")" + std::string(kBase) +
        R"(/StructureDefinition/discharge-ready","valueDateTime":"2026-11-20T09:00:00+01:00"}],)";
  }
  return json +
         R"("status":"in-progress","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"location":[{"location":{"reference":"Location/b)" +
         std::to_string(bed) +
         R"("},"status":"active","period":{"start":"2026-11-18T14:30:00+01:00"}}],"serviceProvider":{"reference":"Organization/0"}})";
}

// The 100,000-bed region, with versions 1 for everything.
std::unique_ptr<CapacityIndex> BuildRegion() {
  auto index = std::make_unique<CapacityIndex>();
  for (int o = 0; o < kOrgs; ++o) {
    const std::string org = std::to_string(o);
    index->Apply(
        "Organization", org, 1, false,
        R"({"resourceType":"Organization","id":")" + org + R"(","name":"Org )" + org + R"("})");
    for (int s = 0; s < kSitesPerOrg; ++s) {
      const int site = o * kSitesPerOrg + s;
      index->Apply("Location", "s" + std::to_string(site), 1, false,
                   Place("s" + std::to_string(site), "si", "", org));
      for (int w = 0; w < kWardsPerSite; ++w) {
        const int ward = site * kWardsPerSite + w;
        index->Apply("Location", "w" + std::to_string(ward), 1, false,
                     Place("w" + std::to_string(ward), "wa", "s" + std::to_string(site), org));
      }
    }
  }
  for (int b = 0; b < kBeds; ++b) {
    index->Apply("Location", "b" + std::to_string(b), 1, false,
                 Bed(b, b / kBedsPerWard, b % 3 == 0 ? "U" : "O"));
  }
  return index;
}

CapacityIndex& Region() {
  static std::unique_ptr<CapacityIndex> region = BuildRegion();
  return *region;
}

// One bed status change per iteration, spread over 1,000 beds across the
// region (O <-> U), each with the next version.
void BM_BedStatusChange(benchmark::State& state) {
  CapacityIndex& index = Region();
  constexpr int kTouched = 1000;
  std::vector<std::string> occupied, unoccupied, ids;
  for (int i = 0; i < kTouched; ++i) {
    const int bed = i * (kBeds / kTouched);
    ids.push_back("b" + std::to_string(bed));
    occupied.push_back(Bed(bed, bed / kBedsPerWard, "O"));
    unoccupied.push_back(Bed(bed, bed / kBedsPerWard, "U"));
  }
  static std::int64_t version = 1;
  std::int64_t n = 0;
  for (auto _ : state) {
    const int i = static_cast<int>(n % kTouched);
    if (i == 0) ++version;
    const bool applied =
        index.Apply("Location", ids[static_cast<std::size_t>(i)], version, false,
                    (version % 2 == 0 ? occupied : unoccupied)[static_cast<std::size_t>(i)]);
    benchmark::DoNotOptimize(applied);
    ++n;
  }
  state.SetItemsProcessed(n);
  state.counters["beds"] = static_cast<double>(index.counted_beds());
}
BENCHMARK(BM_BedStatusChange);

// A discharge-ready Encounter flag set and cleared, on 1,000 patients.
void BM_DischargeReadyChange(benchmark::State& state) {
  CapacityIndex& index = Region();
  constexpr int kPatients = 1000;
  std::vector<std::string> ready, not_ready, ids;
  for (int i = 0; i < kPatients; ++i) {
    const int bed = i * (kBeds / kPatients) + 1;
    ids.push_back("e" + std::to_string(i));
    ready.push_back(Encounter(i, bed, true));
    not_ready.push_back(Encounter(i, bed, false));
  }
  static std::int64_t version = 0;
  std::int64_t n = 0;
  for (auto _ : state) {
    const int i = static_cast<int>(n % kPatients);
    if (i == 0) ++version;
    const bool applied =
        index.Apply("Encounter", ids[static_cast<std::size_t>(i)], version, false,
                    (version % 2 == 1 ? ready : not_ready)[static_cast<std::size_t>(i)]);
    benchmark::DoNotOptimize(applied);
    ++n;
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_DischargeReadyChange);

// A ward (20 beds) moving between two sites: O(subtree).
void BM_WardMove(benchmark::State& state) {
  CapacityIndex& index = Region();
  const std::string a = Place("w0", "wa", "s0", "0");
  const std::string b = Place("w0", "wa", "s1", "0");
  static std::int64_t version = 1;
  std::int64_t n = 0;
  for (auto _ : state) {
    ++version;
    benchmark::DoNotOptimize(index.Apply("Location", "w0", version, false, version % 2 ? a : b));
    ++n;
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_WardMove);

// The whole picture (5,000 wards) as a tree and as summary JSON: what one
// coalesced live-feed message or GET /capacity/summary costs.
void BM_SnapshotAndSummary(benchmark::State& state) {
  CapacityIndex& index = Region();
  const std::set<std::string> stale{"ehr-3"};
  std::size_t bytes = 0;
  for (auto _ : state) {
    CapacitySnapshot snap;
    snap.generated_ms = kNow;
    snap.region = index.Tree(kNow, stale);
    std::string json = CapacitySummaryJson(snap);
    bytes = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.counters["summary_bytes"] = static_cast<double>(bytes);
  state.counters["wards"] = kWards;
}
BENCHMARK(BM_SnapshotAndSummary)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fhirengine::capacity

BENCHMARK_MAIN();
