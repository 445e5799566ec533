// Transaction ingest through FhirApi in-process (no HTTP): 1,000-entry
// transaction Bundles of Locations chained by urn:uuid references, parsed,
// validated, resolved, committed by the store (durability normal, a fresh
// temporary database) and answered. Reports resources per second.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <string>

#include "engine/core/check.h"
#include "engine/rest/fhir_api.h"

namespace fhirengine::rest {
namespace {

std::string TransactionBundle(int entries) {
  std::string b = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
  for (int i = 0; i < entries; ++i) {
    const std::string urn = "urn:uuid:00000000-0000-4000-8000-" + std::to_string(100000000000 + i);
    const std::string parent =
        "urn:uuid:00000000-0000-4000-8000-" + std::to_string(100000000000 + (i > 0 ? i - 1 : 0));
    if (i > 0) b += ',';
    b += R"({"fullUrl":")" + urn +
         R"(","resource":{"resourceType":"Location","status":"active","name":"Bed )" +
         std::to_string(i) +
         R"(","operationalStatus":{"system":"http://terminology.hl7.org/CodeSystem/v2-0116",)"
         R"("code":"U"},"physicalType":{"coding":[{"system":)"
         R"("http://terminology.hl7.org/CodeSystem/location-physical-type","code":"bd"}]},)"
         R"("partOf":{"reference":")" +
         parent + R"("}},"request":{"method":"POST","url":"Location"}})";
  }
  return b + "]}";
}

void BM_TransactionIngest(benchmark::State& state) {
  const int entries = static_cast<int>(state.range(0));
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("fe-bundle-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    store::StoreOptions options;
    options.path = (dir / "db").string();
    options.durability = store::Durability::kNormal;
    auto store = store::ResourceStore::Open(options);
    FE_CHECK(store.ok());
    FhirApiOptions api_options;
    api_options.base_url = "http://bench.test/fhir";
    FhirApi api(**store, api_options);
    const std::string body = TransactionBundle(entries);
    for (auto _ : state) {
      RestRequest req;
      req.method = "POST";
      req.target = "/fhir";
      req.content_type = "application/fhir+json";
      req.body = body;
      std::promise<RestResponse> done;
      api.Handle(std::move(req),
                 Responder{[](std::function<void()> work) { work(); },
                           [&done](RestResponse r) { done.set_value(std::move(r)); }});
      RestResponse r = done.get_future().get();
      if (r.status != 200) state.SkipWithError(r.body.substr(0, 200).c_str());
      benchmark::DoNotOptimize(r.body.data());
    }
    state.SetItemsProcessed(state.iterations() * entries);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_TransactionIngest)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace fhirengine::rest

BENCHMARK_MAIN();
