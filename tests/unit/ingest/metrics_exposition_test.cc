// The Prometheus text exposition and the /health JSON of adapter health.
#include "engine/ingest/metrics_exposition.h"

#include <gtest/gtest.h>

#include <sstream>

#include "engine/ingest/adapter_health.h"
#include "engine/json/json_parser.h"

namespace fhirengine::ingest {
namespace {

HealthSnapshot Sample() {
  HealthSnapshot s;
  s.name = "ehr";
  s.type = "fhir-rest";
  s.state = AdapterState::kIdle;
  s.last_success_ms = 1'700'000'000'500;
  s.lag_ms = 2'500;
  s.errors = 3;
  s.stored = 10;
  s.unchanged = 4;
  s.quarantined = 1;
  return s;
}

TEST(MetricsExpositionTest, EveryFamilyHasHelpTypeAndLabelledSamples) {
  HealthSnapshot odd = Sample();
  odd.name = "we\"ird";
  odd.state = AdapterState::kFailed;
  odd.lag_ms.reset();
  const std::string text = PrometheusText({Sample(), odd}, {{"ehr", 7}});
  EXPECT_NE(text.find("# HELP fhir_engine_adapter_records_total "), std::string::npos);
  EXPECT_NE(text.find("# TYPE fhir_engine_adapter_records_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("fhir_engine_adapter_records_total{adapter=\"ehr\",outcome=\"stored\"} 10\n"),
            std::string::npos);
  EXPECT_NE(text.find("fhir_engine_adapter_errors_total{adapter=\"ehr\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("fhir_engine_adapter_lag_seconds{adapter=\"ehr\"} 2.5\n"), std::string::npos);
  EXPECT_NE(text.find("fhir_engine_adapter_up{adapter=\"ehr\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("fhir_engine_adapter_up{adapter=\"we\\\"ird\"} 0\n"), std::string::npos);
  EXPECT_EQ(text.find("fhir_engine_adapter_lag_seconds{adapter=\"we"), std::string::npos);
  EXPECT_NE(text.find("fhir_engine_adapter_last_success_timestamp_seconds{adapter=\"ehr\"} "
                      "1700000000.5\n"),
            std::string::npos);
  EXPECT_NE(text.find("fhir_engine_adapter_quarantine_size{adapter=\"ehr\"} 7\n"),
            std::string::npos);
  // Every line is a comment or "name{labels} value".
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    EXPECT_TRUE(line.starts_with("fhir_engine_adapter_")) << line;
    EXPECT_NE(line.find("} "), std::string::npos) << line;
  }
}

TEST(MetricsExpositionTest, HealthIsDegradedWhenAnyAdapterIsDown) {
  EXPECT_EQ(HealthJson({}), R"({"status":"ok","adapters":[]})");
  const std::string ok = HealthJson({Sample()});
  EXPECT_TRUE(ok.starts_with(
      R"({"status":"ok","adapters":[{"name":"ehr","type":"fhir-rest","state":"idle","up":true,"last_success":"2023-11-14T22:13:20.500Z")"))
      << ok;
  HealthSnapshot down = Sample();
  down.state = AdapterState::kBackingOff;
  down.degraded = true;
  down.last_error = "connection refused";
  const std::string degraded = HealthJson({Sample(), down});
  EXPECT_TRUE(degraded.starts_with(R"({"status":"degraded")")) << degraded;
  EXPECT_NE(degraded.find(R"("state":"backing-off")"), std::string::npos);
  EXPECT_NE(degraded.find(R"("last_error":"connection refused")"), std::string::npos);
}

TEST(MetricsExpositionTest, AnErrorQuotingASourcesBytesKeepsHealthValidJson) {
  AdapterHealth health("ehr", "fhir-rest", 900'000, 0);
  // A peer's Latin-1 error text, far longer than the cap.
  health.RecordError("upstream said: \xD6verbelastad " + std::string(10'000, 'x'), 1'000);
  const HealthSnapshot s = health.Snapshot(2'000);
  EXPECT_EQ(s.last_error.rfind("upstream said: \xEF\xBF\xBDverbelastad ", 0), 0u);
  EXPECT_LE(s.last_error.size(), AdapterHealth::kMaxErrorBytes);
  Result<json::Document> doc = json::Parse(HealthJson({s}));
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
}

}  // namespace
}  // namespace fhirengine::ingest
