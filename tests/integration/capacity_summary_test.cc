// GET /capacity/summary on the real `fhir-engine serve`: a small hierarchy
// PUT through the FHIR API appears in the summary exactly (docs/capacity.md),
// a bed's status change shows up without a restart, only GET and HEAD are
// allowed, and with the rollup disabled neither it nor the live feed exists.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>

#include "tests/support/engine_process.h"
#include "tests/support/http_assertions.h"
#include "tests/support/http_client.h"
#include "tests/support/shared_engine.h"

namespace fhirengine::testing {
namespace {

const HeaderList kJson = {{"Content-Type", "application/fhir+json"}};
constexpr const char* kBase = "https://fhir-engine.example.org/fhir";
constexpr const char* kPhysical = "http://terminology.hl7.org/CodeSystem/location-physical-type";

std::string Bed(const std::string& id, const std::string& op, const std::string& category) {
  return R"({"resourceType":"Location","id":")" + id + R"(","extension":[{"url":")" + kBase +
         R"(/StructureDefinition/bed-category","valueCodeableConcept":{"coding":[{"system":")" +
         kBase + R"(/CodeSystem/bed-category","code":")" + category +
         R"("}]}}],"status":"active","operationalStatus":{"system":"http://terminology.hl7.org/CodeSystem/v2-0116","code":")" +
         op + R"("},"name":"Bed )" + id + R"(","physicalType":{"coding":[{"system":")" + kPhysical +
         R"(","code":"bd"}]},"partOf":{"reference":"Location/cap-w1"}})";
}

class CapacitySummaryTest : public SharedEngineTest {
 protected:
  static void SetUpTestSuite() {
    StartEngine("capacity", R"({"server": {"threads": 2}, "store": {"durability": "normal"},
                                "capacity": {"enabled": true}})");
  }
  static void TearDownTestSuite() { StopEngine(); }

  static HttpResponse Call(std::string_view method, std::string_view target,
                           const HeaderList& headers = {}, std::string_view body = {}) {
    HttpClient client(engine_->port());
    if (!client.connected()) {
      HttpResponse r;
      r.error = "connect: " + client.connect_error();
      return r;
    }
    return client.Request(method, target, headers, body);
  }
  static void Put(const std::string& path, const std::string& body) {
    HttpResponse r = Call("PUT", "/fhir/" + path, kJson, body);
    ASSERT_TRUE(r.status == 200 || r.status == 201) << path << ": " << Describe(r);
  }
  // The summary without its "generated" time and "sequence" number.
  static std::string Summary() {
    HttpResponse r = Call("GET", "/capacity/summary");
    EXPECT_EQ(r.status, 200) << Describe(r);
    EXPECT_EQ(r.Header("Content-Type"), "application/json");
    static const std::regex kVolatile(R"re("generated":"[^"]*","sequence":[0-9]+,)re");
    return std::regex_replace(r.body, kVolatile, "");
  }
  // Polls the summary until it contains `needle` (the rollup applies the
  // change feed on its own thread), up to a deadline.
  static std::string SummaryOnce(const std::string& needle) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::string s = Summary();
    while (s.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      s = Summary();
    }
    return s;
  }
};

std::string Beds(int total, int occupied, int free) {
  return R"({"total":)" + std::to_string(total) + R"(,"occupied":)" + std::to_string(occupied) +
         R"(,"free":)" + std::to_string(free) +
         R"(,"closed":0,"housekeeping":0,"isolated":0,"unknown":0})";
}

std::string Expected(int occupied, int free) {
  const int total = occupied + free;
  const std::string counts =
      R"("sources":[],"beds":)" + Beds(total, occupied, free) +
      R"(,"by_category":{"intensive-care":)" + Beds(total, occupied, free) +
      R"(},"discharge_ready":{"patients":0,"wait_days_total":0.0,"wait_days_max":0.0})";
  return R"({"region":{"reference":"","name":"Region","stale":false,)" + counts +
         R"(,"children":[{"kind":"organization","reference":"Organization/cap-h1","name":"Test Hospital","organization_kind":"hospital","stale":false,)" +
         counts +
         R"(,"children":[{"kind":"site","reference":"Location/cap-s1","name":"Test Site","stale":false,)" +
         counts +
         R"(,"children":[{"kind":"ward","reference":"Location/cap-w1","name":"Test Ward","stale":false,)" +
         counts + R"(}]}]}]},"sources":[]})";
}

TEST_F(CapacitySummaryTest, ShowsAHierarchyPutOverRestAndFollowsABedChange) {
  Put("Organization/cap-h1",
      std::string(
          R"({"resourceType":"Organization","id":"cap-h1","name":"Test Hospital","type":[{"coding":[{"system":")") +
          kBase + R"(/CodeSystem/organization-kind","code":"hospital"}]}]})");
  // The beds first, then the ward, then the site: the order must not matter.
  Put("Location/cap-b1", Bed("cap-b1", "O", "intensive-care"));
  Put("Location/cap-b2", Bed("cap-b2", "U", "intensive-care"));
  Put("Location/cap-w1",
      std::string(
          R"({"resourceType":"Location","id":"cap-w1","status":"active","name":"Test Ward","physicalType":{"coding":[{"system":")") +
          kPhysical + R"(","code":"wa"}]},"partOf":{"reference":"Location/cap-s1"}})");
  Put("Location/cap-s1",
      std::string(
          R"({"resourceType":"Location","id":"cap-s1","status":"active","name":"Test Site","physicalType":{"coding":[{"system":")") +
          kPhysical +
          R"(","code":"si"}]},"managingOrganization":{"reference":"Organization/cap-h1"}})");
  EXPECT_EQ(SummaryOnce("Location/cap-s1"), Expected(1, 1));

  Put("Location/cap-b2", Bed("cap-b2", "O", "intensive-care"));
  EXPECT_EQ(SummaryOnce(R"("occupied":2)"), Expected(2, 0));
}

TEST_F(CapacitySummaryTest, OnlyGetAndHeadAreAllowed) {
  HttpResponse r = Call("POST", "/capacity/summary", kJson, "{}");
  EXPECT_EQ(r.status, 405) << Describe(r);
  EXPECT_EQ(r.Header("Allow"), "GET, HEAD");
  EXPECT_EQ(Call("HEAD", "/capacity/summary").status, 200);
}

// With the rollup switched off there is nothing to show: the summary and
// the live feed are unknown paths, not a feed that never says anything.
class CapacityDisabledTest : public SharedEngineTest {
 protected:
  static void SetUpTestSuite() {
    StartEngine("capacity-off", R"({"server": {"threads": 2}, "store": {"durability": "normal"},
                                    "capacity": {"enabled": false}})");
  }
  static void TearDownTestSuite() { StopEngine(); }
};

TEST_F(CapacityDisabledTest, SummaryAndLiveFeedAreUnknownPaths) {
  HttpClient client(engine_->port());
  ASSERT_TRUE(client.connected()) << client.connect_error();
  EXPECT_EQ(client.Request("GET", "/capacity/summary").status, 404);
  HttpClient upgrade(engine_->port());
  ASSERT_TRUE(upgrade.connected()) << upgrade.connect_error();
  HttpResponse live = upgrade.Request("GET", "/capacity/live",
                                      {{"Connection", "Upgrade"},
                                       {"Upgrade", "websocket"},
                                       {"Sec-WebSocket-Version", "13"},
                                       {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}});
  EXPECT_EQ(live.status, 404) << Describe(live);
}

}  // namespace
}  // namespace fhirengine::testing
