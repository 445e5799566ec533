// The real `fhir-engine serve` over real HTTP on loopback: every interaction
// of the first REST slice in JSON and XML, the error statuses with their
// OperationOutcomes, keep-alive, the server's limits (body, header, slow
// clients, connection cap), graceful shutdown with a request in flight, and
// a restart on the same database.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "engine/json/json_parser.h"
#include "tests/support/engine_process.h"
#include "tests/support/http_assertions.h"
#include "tests/support/http_client.h"
#include "tests/support/shared_engine.h"

namespace fhirengine::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

std::string WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

std::size_t JsonArraySize(const std::string& body, const std::string& key) {
  Result<json::Document> doc = json::Parse(body);
  if (!doc.ok()) return 0;
  const json::Value* v = doc->root().Find(key);
  return v == nullptr ? 0 : v->elements().size();
}

const HeaderList kJson = {{"Content-Type", "application/fhir+json"}};
const HeaderList kXml = {{"Content-Type", "application/fhir+xml"},
                         {"Accept", "application/fhir+xml"}};

constexpr const char* kPatient =
    R"({"resourceType":"Patient","id":"ignored-by-create","active":true,)"
    R"("name":[{"family":"Berg","given":["Anna"]}]})";

std::string Ward(const std::string& id, const std::string& name) {
  return R"({"resourceType":"Location","id":")" + id + R"(","status":"active","name":")" + name +
         R"(","physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"wa"}]}})";
}

// The server-assigned id in a Location header .../{type}/{id}/_history/{n}.
std::string IdFromLocation(const std::string& location) {
  static const std::regex kPattern(R"(/fhir/[A-Za-z]+/([A-Za-z0-9\-.]+)/_history/\d+$)");
  std::smatch m;
  return std::regex_search(location, m, kPattern) ? m[1].str() : "";
}

// Starts one engine for the whole suite (a ctest process runs one test, so
// in practice one engine per test), with small limits the tests can reach.
class RestServerTest : public SharedEngineTest {
 protected:
  static void SetUpTestSuite() {
    StartEngine("rest", R"({
      "server": {"threads": 2, "limits": {"max-body-bytes": 1048576, "max-header-bytes": 8192,
                 "request-timeout-ms": 1500, "idle-timeout-ms": 20000, "max-connections": 64}},
      "store": {"durability": "normal"}})");
  }
  static void TearDownTestSuite() { StopEngine(); }

  static std::uint16_t port() { return engine_->port(); }
  static std::string base() { return engine_->base_url(); }

  // One request on a fresh connection.
  static HttpResponse Call(std::string_view method, std::string_view target,
                           const HeaderList& headers = {}, std::string_view body = {}) {
    HttpClient client(port());
    if (!client.connected()) {
      HttpResponse r;
      r.error = "connect: " + client.connect_error();
      return r;
    }
    return client.Request(method, target, headers, body);
  }

  // Creates a Patient; its server-assigned id.
  static std::string CreatePatient() {
    HttpResponse r = Call("POST", "/fhir/Patient", kJson, kPatient);
    EXPECT_EQ(r.status, 201) << Describe(r);
    return IdFromLocation(r.Header("Location"));
  }
};

// ---- basics ------------------------------------------------------------------

TEST_F(RestServerTest, HealthAnswersOk) {
  HttpResponse r = Call("GET", "/health");
  EXPECT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.body, R"({"status":"ok","adapters":[]})");
}

TEST_F(RestServerTest, ListeningLineNamesTheBase) {
  EXPECT_EQ(base(), "http://127.0.0.1:" + std::to_string(port()) + "/fhir");
}

TEST_F(RestServerTest, MetadataIsACapabilityStatementOfWhatIsImplemented) {
  HttpResponse r = Call("GET", "/fhir/metadata");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.Header("Content-Type"), "application/fhir+json; charset=utf-8");
  EXPECT_EQ(JsonString(r.body, {"resourceType"}), "CapabilityStatement");
  EXPECT_EQ(JsonString(r.body, {"fhirVersion"}), "4.0.1");
  EXPECT_EQ(JsonString(r.body, {"format", "0"}), "json");
  EXPECT_EQ(JsonString(r.body, {"format", "1"}), "xml");
  EXPECT_EQ(JsonString(r.body, {"rest", "0", "mode"}), "server");
  EXPECT_EQ(JsonString(r.body, {"rest", "0", "interaction", "0", "code"}), "history-system");
  EXPECT_NE(r.body.find(R"("type":"Location")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("type":"Encounter")"), std::string::npos);
  EXPECT_EQ(r.body.find(R"("type":"DomainResource")"), std::string::npos) << "abstract type";
  for (const char* code : {"read", "vread", "create", "update", "patch", "delete",
                           "history-instance", "history-type", "search-type", "search-system"}) {
    EXPECT_NE(r.body.find(std::string(R"({"code":")") + code + "\"}"), std::string::npos) << code;
  }
  // The search parameters, with their definitions, and what can be included.
  EXPECT_NE(
      r.body.find(
          R"({"name":"partof","definition":"http://hl7.org/fhir/SearchParameter/Location-partof","type":"reference"})"),
      std::string::npos);
  EXPECT_NE(
      r.body.find(
          R"({"name":"physical-type","definition":"https://fhir-engine.example.org/fhir/SearchParameter/Location-physical-type","type":"token"})"),
      std::string::npos);
  EXPECT_NE(r.body.find(R"("Encounter:location")"), std::string::npos);
  EXPECT_EQ(r.body.find(R"({"name":"near")"), std::string::npos) << "special: not supported";
  for (const char* code : {"transaction", "batch"}) {
    EXPECT_NE(r.body.find(std::string(R"({"code":")") + code + "\"}"), std::string::npos) << code;
  }
  EXPECT_NE(r.body.find(R"("conditionalUpdate":true)"), std::string::npos);
  EXPECT_NE(r.body.find(R"("conditionalDelete":"single")"), std::string::npos);
  // Nothing claimed that is not implemented yet.
  for (const char* code : {"operation"}) {
    EXPECT_EQ(r.body.find(std::string(R"("code":")") + code + "\""), std::string::npos) << code;
  }
}

TEST_F(RestServerTest, MetadataInXmlByAcceptAndFormat) {
  HttpResponse r = Call("GET", "/fhir/metadata", {{"Accept", "application/fhir+xml"}});
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.Header("Content-Type"), "application/fhir+xml; charset=utf-8");
  EXPECT_NE(r.body.find("<CapabilityStatement xmlns=\"http://hl7.org/fhir\">"), std::string::npos);
  EXPECT_NE(r.body.find("<fhirVersion value=\"4.0.1\"/>"), std::string::npos);

  for (const char* format :
       {"xml", "text/xml", "application/xml", "application/fhir%2Bxml", "application/fhir+xml"}) {
    HttpResponse x = Call("GET", std::string("/fhir/metadata?_format=") + format);
    EXPECT_EQ(x.status, 200) << format;
    EXPECT_EQ(x.Header("Content-Type"), "application/fhir+xml; charset=utf-8") << format;
  }
  for (const char* format : {"json", "application/json", "application/fhir+json"}) {
    HttpResponse j = Call("GET", std::string("/fhir/metadata?_format=") + format,
                          {{"Accept", "application/fhir+xml"}});
    EXPECT_EQ(j.Header("Content-Type"), "application/fhir+json; charset=utf-8")
        << format << ": _format wins over Accept";
  }
}

TEST_F(RestServerTest, PrettyOutputOnRequest) {
  HttpResponse compact = Call("GET", "/fhir/metadata");
  HttpResponse pretty = Call("GET", "/fhir/metadata?_pretty=true");
  ASSERT_EQ(pretty.status, 200);
  EXPECT_EQ(compact.body.find("\n  \""), std::string::npos);
  EXPECT_NE(pretty.body.find("\n  \"resourceType\": \"CapabilityStatement\""), std::string::npos);
}

// ---- create, read, vread -------------------------------------------------------

TEST_F(RestServerTest, CreateAssignsIdVersionAndTimestamp) {
  HttpResponse r = Call("POST", "/fhir/Patient", kJson, kPatient);
  ASSERT_EQ(r.status, 201) << Describe(r);
  const std::string location = r.Header("Location");
  const std::string id = IdFromLocation(location);
  ASSERT_FALSE(id.empty()) << location;
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{32}"))) << id;
  EXPECT_EQ(location, base() + "/Patient/" + id + "/_history/1");
  EXPECT_EQ(r.Header("ETag"), "W/\"1\"");
  EXPECT_TRUE(
      std::regex_match(r.Header("Last-Modified"),
                       std::regex(R"([A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT)")))
      << r.Header("Last-Modified");
  EXPECT_EQ(r.Header("Content-Type"), "application/fhir+json; charset=utf-8");
  EXPECT_EQ(JsonString(r.body, {"id"}), id) << "the id in the body is ignored";
  EXPECT_EQ(JsonString(r.body, {"meta", "versionId"}), "1");
  EXPECT_TRUE(std::regex_match(JsonString(r.body, {"meta", "lastUpdated"}),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << r.body;
  EXPECT_EQ(JsonString(r.body, {"name", "0", "family"}), "Berg");
  // Stored canonically: resourceType, id, meta first.
  EXPECT_EQ(r.body.rfind(R"({"resourceType":"Patient","id":")", 0), 0u) << r.body;

  HttpResponse read = Call("GET", "/fhir/Patient/" + id);
  ASSERT_EQ(read.status, 200) << Describe(read);
  EXPECT_EQ(read.body, r.body);
  EXPECT_EQ(read.Header("ETag"), "W/\"1\"");
  EXPECT_EQ(read.Header("Last-Modified"), r.Header("Last-Modified"));
}

TEST_F(RestServerTest, CreateIgnoresEvenAnInvalidBodyId) {
  HttpResponse r = Call("POST", "/fhir/Patient", kJson,
                        R"({"resourceType":"Patient","id":"not_valid!","active":true})");
  EXPECT_EQ(r.status, 201) << Describe(r);
  EXPECT_NE(JsonString(r.body, {"id"}), "not_valid!");
}

TEST_F(RestServerTest, TwoCreatesGetDifferentIds) {
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.insert(CreatePatient());
  EXPECT_EQ(ids.size(), 5u);
}

TEST_F(RestServerTest, UpdateCreatesThenUpdatesAndKeepsVersions) {
  HttpResponse first = Call("PUT", "/fhir/Location/ward-u1", kJson, Ward("ward-u1", "Avd 1"));
  ASSERT_EQ(first.status, 201) << Describe(first);
  EXPECT_EQ(first.Header("Location"), base() + "/Location/ward-u1/_history/1");
  EXPECT_EQ(first.Header("ETag"), "W/\"1\"");
  HttpResponse second = Call("PUT", "/fhir/Location/ward-u1", kJson, Ward("ward-u1", "Avd 2"));
  ASSERT_EQ(second.status, 200) << Describe(second);
  EXPECT_EQ(second.Header("ETag"), "W/\"2\"");
  EXPECT_FALSE(second.HasHeader("Location"));
  EXPECT_EQ(JsonString(second.body, {"meta", "versionId"}), "2");
  EXPECT_EQ(JsonString(second.body, {"name"}), "Avd 2");

  HttpResponse v1 = Call("GET", "/fhir/Location/ward-u1/_history/1");
  ASSERT_EQ(v1.status, 200) << Describe(v1);
  EXPECT_EQ(JsonString(v1.body, {"name"}), "Avd 1");
  EXPECT_EQ(JsonString(v1.body, {"meta", "versionId"}), "1");
  EXPECT_EQ(v1.Header("ETag"), "W/\"1\"");
  HttpResponse current = Call("GET", "/fhir/Location/ward-u1");
  EXPECT_EQ(JsonString(current.body, {"name"}), "Avd 2");

  HttpResponse v3 = Call("GET", "/fhir/Location/ward-u1/_history/3");
  EXPECT_EQ(v3.status, 404) << Describe(v3);
  EXPECT_TRUE(IsOperationOutcome(v3));
  EXPECT_EQ(Call("GET", "/fhir/Location/ward-u1/_history/x").status, 404);
}

TEST_F(RestServerTest, UpdateRequiresTheUrlIdInTheBody) {
  HttpResponse other = Call("PUT", "/fhir/Location/ward-a", kJson, Ward("ward-b", "B"));
  EXPECT_EQ(other.status, 400) << Describe(other);
  EXPECT_TRUE(IsOperationOutcome(other));
  EXPECT_NE(other.body.find("ward-b"), std::string::npos);
  HttpResponse none = Call("PUT", "/fhir/Patient/p-none", kJson, R"({"resourceType":"Patient"})");
  EXPECT_EQ(none.status, 400) << Describe(none);
  HttpResponse wrong_type = Call("PUT", "/fhir/Patient/ward-a", kJson, Ward("ward-a", "A"));
  EXPECT_EQ(wrong_type.status, 400) << Describe(wrong_type);
  EXPECT_NE(wrong_type.body.find("Location"), std::string::npos);
  EXPECT_EQ(Call("GET", "/fhir/Location/ward-a").status, 404);
}

TEST_F(RestServerTest, ReadOfUnknownResourceIs404) {
  HttpResponse r = Call("GET", "/fhir/Patient/does-not-exist");
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(IsOperationOutcome(r)) << r.body;
  EXPECT_EQ(JsonString(r.body, {"issue", "0", "code"}), "not-found");
}

// ---- delete ------------------------------------------------------------------

TEST_F(RestServerTest, DeleteThenReadIsGoneAndUpdateRecreates) {
  ASSERT_EQ(Call("PUT", "/fhir/Location/ward-d", kJson, Ward("ward-d", "D")).status, 201);
  HttpResponse del = Call("DELETE", "/fhir/Location/ward-d");
  EXPECT_EQ(del.status, 204) << Describe(del);
  EXPECT_TRUE(del.body.empty());
  EXPECT_EQ(del.Header("ETag"), "W/\"2\"");

  HttpResponse gone = Call("GET", "/fhir/Location/ward-d");
  EXPECT_EQ(gone.status, 410) << Describe(gone);
  EXPECT_TRUE(IsOperationOutcome(gone));
  EXPECT_EQ(JsonString(gone.body, {"issue", "0", "code"}), "deleted");
  // The version before the delete is still there.
  EXPECT_EQ(Call("GET", "/fhir/Location/ward-d/_history/1").status, 200);
  EXPECT_EQ(Call("GET", "/fhir/Location/ward-d/_history/2").status, 410);

  // Deleting again, or deleting what never existed, changes nothing.
  EXPECT_EQ(Call("DELETE", "/fhir/Location/ward-d").status, 204);
  EXPECT_EQ(Call("DELETE", "/fhir/Location/never-was").status, 204);
  HttpResponse outcome =
      Call("DELETE", "/fhir/Location/never-was", {{"Prefer", "return=OperationOutcome"}});
  EXPECT_EQ(outcome.status, 200);
  EXPECT_TRUE(IsOperationOutcome(outcome)) << outcome.body;

  HttpResponse again = Call("PUT", "/fhir/Location/ward-d", kJson, Ward("ward-d", "D2"));
  EXPECT_EQ(again.status, 201) << Describe(again);
  EXPECT_EQ(again.Header("ETag"), "W/\"3\"");
  EXPECT_EQ(Call("GET", "/fhir/Location/ward-d").status, 200);
}

TEST_F(RestServerTest, DeleteWithOperationOutcomePreference) {
  ASSERT_EQ(Call("PUT", "/fhir/Location/ward-do", kJson, Ward("ward-do", "D")).status, 201);
  HttpResponse r =
      Call("DELETE", "/fhir/Location/ward-do", {{"Prefer", "return=OperationOutcome"}});
  EXPECT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(JsonString(r.body, {"issue", "0", "severity"}), "information");
  EXPECT_NE(r.body.find("Deleted Location/ward-do"), std::string::npos) << r.body;
}

// ---- Prefer ------------------------------------------------------------------

TEST_F(RestServerTest, PreferReturnShapesTheWriteResponse) {
  HttpResponse minimal =
      Call("POST", "/fhir/Patient",
           {{"Content-Type", "application/fhir+json"}, {"Prefer", "return=minimal"}}, kPatient);
  EXPECT_EQ(minimal.status, 201) << Describe(minimal);
  EXPECT_TRUE(minimal.body.empty());
  EXPECT_FALSE(minimal.Header("Location").empty());
  EXPECT_EQ(minimal.Header("ETag"), "W/\"1\"");

  HttpResponse outcome =
      Call("PUT", "/fhir/Location/ward-p",
           {{"Content-Type", "application/fhir+json"}, {"Prefer", "return=OperationOutcome"}},
           Ward("ward-p", "P"));
  EXPECT_EQ(outcome.status, 201) << Describe(outcome);
  EXPECT_TRUE(IsOperationOutcome(outcome));
  EXPECT_EQ(JsonString(outcome.body, {"issue", "0", "severity"}), "information");

  HttpResponse representation =
      Call("PUT", "/fhir/Location/ward-p",
           {{"Content-Type", "application/fhir+json"}, {"Prefer", "return=representation"}},
           Ward("ward-p", "P2"));
  EXPECT_EQ(representation.status, 200);
  EXPECT_EQ(JsonString(representation.body, {"name"}), "P2");
}

// ---- conditional requests -------------------------------------------------------

TEST_F(RestServerTest, IfMatchGuardsUpdatesAndDeletes) {
  ASSERT_EQ(Call("PUT", "/fhir/Location/ward-m", kJson, Ward("ward-m", "M1")).status, 201);
  ASSERT_EQ(Call("PUT", "/fhir/Location/ward-m", kJson, Ward("ward-m", "M2")).status, 200);

  HttpResponse stale = Call("PUT", "/fhir/Location/ward-m",
                            {{"Content-Type", "application/fhir+json"}, {"If-Match", "W/\"1\""}},
                            Ward("ward-m", "stale"));
  EXPECT_EQ(stale.status, 412) << Describe(stale);
  EXPECT_TRUE(IsOperationOutcome(stale));
  EXPECT_EQ(JsonString(Call("GET", "/fhir/Location/ward-m").body, {"name"}), "M2");

  HttpResponse fresh = Call("PUT", "/fhir/Location/ward-m",
                            {{"Content-Type", "application/fhir+json"}, {"If-Match", "W/\"2\""}},
                            Ward("ward-m", "M3"));
  EXPECT_EQ(fresh.status, 200) << Describe(fresh);
  EXPECT_EQ(fresh.Header("ETag"), "W/\"3\"");

  HttpResponse garbage =
      Call("PUT", "/fhir/Location/ward-m",
           {{"Content-Type", "application/fhir+json"}, {"If-Match", "three"}}, Ward("ward-m", "x"));
  EXPECT_EQ(garbage.status, 400) << Describe(garbage);

  HttpResponse missing = Call("PUT", "/fhir/Location/ward-none",
                              {{"Content-Type", "application/fhir+json"}, {"If-Match", "W/\"1\""}},
                              Ward("ward-none", "x"));
  EXPECT_EQ(missing.status, 412) << Describe(missing);

  EXPECT_EQ(Call("DELETE", "/fhir/Location/ward-m", {{"If-Match", "W/\"2\""}}).status, 412);
  EXPECT_EQ(Call("DELETE", "/fhir/Location/ward-m", {{"If-Match", "W/\"3\""}}).status, 204);
}

TEST_F(RestServerTest, IfNoneMatchStarOnUpdateCreatesOnlyOnce) {
  const HeaderList create_only = {{"Content-Type", "application/fhir+json"},
                                  {"If-None-Match", "*"}};
  EXPECT_EQ(Call("PUT", "/fhir/Location/ward-n", create_only, Ward("ward-n", "N")).status, 201);
  HttpResponse second = Call("PUT", "/fhir/Location/ward-n", create_only, Ward("ward-n", "N2"));
  EXPECT_EQ(second.status, 412) << Describe(second);
}

TEST_F(RestServerTest, ConditionalReadAnswers304) {
  ASSERT_EQ(Call("PUT", "/fhir/Location/ward-c", kJson, Ward("ward-c", "C")).status, 201);
  HttpResponse full = Call("GET", "/fhir/Location/ward-c");
  ASSERT_EQ(full.status, 200);

  HttpResponse same = Call("GET", "/fhir/Location/ward-c", {{"If-None-Match", "W/\"1\""}});
  EXPECT_EQ(same.status, 304) << Describe(same);
  EXPECT_TRUE(same.body.empty());
  EXPECT_EQ(same.Header("ETag"), "W/\"1\"");
  EXPECT_EQ(Call("GET", "/fhir/Location/ward-c", {{"If-None-Match", "W/\"7\", W/\"1\""}}).status,
            304);
  EXPECT_EQ(Call("GET", "/fhir/Location/ward-c", {{"If-None-Match", "W/\"7\""}}).status, 200);

  const std::string last_modified = full.Header("Last-Modified");
  EXPECT_EQ(Call("GET", "/fhir/Location/ward-c", {{"If-Modified-Since", last_modified}}).status,
            304);
  EXPECT_EQ(
      Call("GET", "/fhir/Location/ward-c", {{"If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"}})
          .status,
      200);
  EXPECT_EQ(Call("GET", "/fhir/Location/ward-c", {{"If-Modified-Since", "yesterday"}}).status, 200)
      << "an unparseable date is ignored";
}

TEST_F(RestServerTest, ConditionalCreateOnId) {
  ASSERT_EQ(Call("PUT", "/fhir/Patient/pc-1", kJson,
                 R"({"resourceType":"Patient","id":"pc-1","active":true})")
                .status,
            201);
  HttpResponse match =
      Call("POST", "/fhir/Patient",
           {{"Content-Type", "application/fhir+json"}, {"If-None-Exist", "_id=pc-1"}}, kPatient);
  EXPECT_EQ(match.status, 200) << Describe(match);
  EXPECT_EQ(JsonString(match.body, {"id"}), "pc-1");
  EXPECT_EQ(match.Header("ETag"), "W/\"1\"");

  HttpResponse none = Call(
      "POST", "/fhir/Patient",
      {{"Content-Type", "application/fhir+json"}, {"If-None-Exist", "_id=pc-unknown"}}, kPatient);
  EXPECT_EQ(none.status, 201) << Describe(none);

  // Any search criteria: one Patient with that family name so far...
  HttpResponse one =
      Call("POST", "/fhir/Patient",
           {{"Content-Type", "application/fhir+json"}, {"If-None-Exist", "family=Berg"}}, kPatient);
  EXPECT_EQ(one.status, 200) << Describe(one);
  EXPECT_EQ(JsonString(one.body, {"id"}), JsonString(none.body, {"id"}));
  // ... and two after this.
  ASSERT_EQ(Call("PUT", "/fhir/Patient/pc-2", kJson,
                 R"({"resourceType":"Patient","id":"pc-2","name":[{"family":"Berg"}]})")
                .status,
            201);
  HttpResponse several =
      Call("POST", "/fhir/Patient",
           {{"Content-Type", "application/fhir+json"}, {"If-None-Exist", "family=Berg"}}, kPatient);
  EXPECT_EQ(several.status, 412) << Describe(several);
  HttpResponse unknown =
      Call("POST", "/fhir/Patient",
           {{"Content-Type", "application/fhir+json"}, {"If-None-Exist", "nonsense=1"}}, kPatient);
  EXPECT_EQ(unknown.status, 400) << Describe(unknown);
}

// ---- validation and body errors --------------------------------------------------

TEST_F(RestServerTest, InvalidResourceIs422WithTheFindings) {
  HttpResponse r = Call("POST", "/fhir/Location", kJson,
                        R"({"resourceType":"Location","position":{"latitude":"north"}})");
  EXPECT_EQ(r.status, 422) << Describe(r);
  EXPECT_TRUE(IsOperationOutcome(r));
  EXPECT_NE(r.body.find("Location.position.latitude"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("Location.position.longitude"), std::string::npos) << r.body;
}

TEST_F(RestServerTest, UnparseableBodiesAre400) {
  HttpResponse json = Call("POST", "/fhir/Patient", kJson, R"({"resourceType":"Patient",)");
  EXPECT_EQ(json.status, 400) << Describe(json);
  EXPECT_TRUE(IsOperationOutcome(json));
  HttpResponse xml = Call("POST", "/fhir/Patient", {{"Content-Type", "application/fhir+xml"}},
                          "<Patient xmlns=\"http://hl7.org/fhir\"><active value=\"true\">");
  EXPECT_EQ(xml.status, 400) << Describe(xml);
  EXPECT_TRUE(IsOperationOutcome(xml));
  HttpResponse empty = Call("POST", "/fhir/Patient", kJson, "");
  EXPECT_EQ(empty.status, 400) << Describe(empty);
  HttpResponse not_resource = Call("POST", "/fhir/Patient", kJson, R"({"active":true})");
  EXPECT_EQ(not_resource.status, 400) << Describe(not_resource);
}

TEST_F(RestServerTest, MediaTypeErrors) {
  HttpResponse unsupported =
      Call("POST", "/fhir/Patient", {{"Content-Type", "text/plain"}}, kPatient);
  EXPECT_EQ(unsupported.status, 415) << Describe(unsupported);
  EXPECT_TRUE(IsOperationOutcome(unsupported));
  HttpResponse charset =
      Call("POST", "/fhir/Patient", {{"Content-Type", "application/fhir+json; charset=latin1"}},
           kPatient);
  EXPECT_EQ(charset.status, 415) << Describe(charset);

  HttpResponse accept = Call("GET", "/fhir/metadata", {{"Accept", "text/html"}});
  EXPECT_EQ(accept.status, 406) << Describe(accept);
  EXPECT_TRUE(IsOperationOutcome(accept)) << accept.body;
  EXPECT_EQ(Call("GET", "/fhir/metadata?_format=yaml").status, 406);
  EXPECT_EQ(Call("GET", "/fhir/metadata", {{"Accept", "text/html, */*;q=0.1"}}).status, 200);
}

TEST_F(RestServerTest, UrlErrors) {
  HttpResponse type = Call("GET", "/fhir/Bed/1");
  EXPECT_EQ(type.status, 404) << Describe(type);
  EXPECT_NE(type.body.find("unknown resource type 'Bed'"), std::string::npos);
  EXPECT_EQ(Call("POST", "/fhir/Bed", kJson, "{}").status, 404);
  EXPECT_EQ(Call("GET", "/fhir/DomainResource/1").status, 404) << "abstract";

  HttpResponse id = Call("GET", "/fhir/Patient/" + std::string(65, 'a'));
  EXPECT_EQ(id.status, 400) << Describe(id);
  EXPECT_TRUE(IsOperationOutcome(id));
  EXPECT_EQ(Call("GET", "/fhir/Patient/a_b").status, 400);
  EXPECT_EQ(Call("GET", "/fhir/Patient/a%2Fb").status, 400);

  EXPECT_EQ(Call("GET", "/elsewhere").status, 404);
  EXPECT_EQ(Call("GET", "/fhir/Patient/1/_history/1/more").status, 404);

  HttpResponse method = Call("DELETE", "/fhir/metadata");
  EXPECT_EQ(method.status, 405) << Describe(method);
  EXPECT_EQ(method.Header("Allow"), "GET, HEAD");
  EXPECT_TRUE(IsOperationOutcome(method));
  HttpResponse post_instance = Call("POST", "/fhir/Patient/1", kJson, kPatient);
  EXPECT_EQ(post_instance.status, 405);
  EXPECT_EQ(post_instance.Header("Allow"), "GET, HEAD, PUT, DELETE, PATCH");

  // Real FHIR interactions this slice does not implement say so.
  for (auto [method_name, target] : std::vector<std::pair<std::string, std::string>>{
           {"PATCH", "/fhir/Patient"}, {"GET", "/fhir/Patient/$everything"}}) {
    HttpResponse r = Call(method_name, target, kJson, method_name == "GET" ? "" : "{}");
    EXPECT_EQ(r.status, 501) << method_name << " " << target;
    EXPECT_EQ(JsonString(r.body, {"issue", "0", "code"}), "not-supported") << r.body;
  }
}

TEST_F(RestServerTest, ErrorsComeInTheNegotiatedFormat) {
  HttpResponse r = Call("GET", "/fhir/Patient/nope", {{"Accept", "application/fhir+xml"}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Header("Content-Type"), "application/fhir+xml; charset=utf-8");
  EXPECT_NE(r.body.find("<OperationOutcome xmlns=\"http://hl7.org/fhir\">"), std::string::npos)
      << r.body;
}

// ---- XML -------------------------------------------------------------------------

TEST_F(RestServerTest, XmlCreateReadAndUpdate) {
  const std::string created_xml =
      "<Patient xmlns=\"http://hl7.org/fhir\"><active value=\"true\"/>"
      "<name><family value=\"Lind\"/><given value=\"Eva\"/></name></Patient>";
  HttpResponse created = Call("POST", "/fhir/Patient", kXml, created_xml);
  ASSERT_EQ(created.status, 201) << Describe(created);
  EXPECT_EQ(created.Header("Content-Type"), "application/fhir+xml; charset=utf-8");
  EXPECT_NE(created.body.find("<versionId value=\"1\"/>"), std::string::npos) << created.body;
  EXPECT_NE(created.body.find("<family value=\"Lind\"/>"), std::string::npos);
  const std::string id = IdFromLocation(created.Header("Location"));
  ASSERT_FALSE(id.empty());

  // Stored once, served in either format.
  HttpResponse as_json = Call("GET", "/fhir/Patient/" + id);
  EXPECT_EQ(JsonString(as_json.body, {"name", "0", "given", "0"}), "Eva") << as_json.body;
  HttpResponse as_xml = Call("GET", "/fhir/Patient/" + id + "?_format=xml");
  EXPECT_EQ(as_xml.status, 200);
  EXPECT_NE(as_xml.body.find("<id value=\"" + id + "\"/>"), std::string::npos) << as_xml.body;

  const std::string updated_xml = "<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"" + id +
                                  "\"/><active value=\"false\"/></Patient>";
  HttpResponse updated = Call("PUT", "/fhir/Patient/" + id, kXml, updated_xml);
  EXPECT_EQ(updated.status, 200) << Describe(updated);
  EXPECT_NE(updated.body.find("<active value=\"false\"/>"), std::string::npos) << updated.body;
  EXPECT_NE(updated.body.find("<versionId value=\"2\"/>"), std::string::npos);

  // Well-formed but invalid (a position needs a longitude): 422, in XML.
  HttpResponse invalid = Call("POST", "/fhir/Location", kXml,
                              "<Location xmlns=\"http://hl7.org/fhir\"><position>"
                              "<latitude value=\"63.8\"/></position></Location>");
  EXPECT_EQ(invalid.status, 422) << Describe(invalid);
  EXPECT_NE(invalid.body.find("<OperationOutcome"), std::string::npos) << invalid.body;
  EXPECT_NE(invalid.body.find("Location.position.longitude"), std::string::npos);
  // Not even readable as a Patient (a boolean that is not one): 400, in XML.
  HttpResponse unreadable = Call("POST", "/fhir/Patient", kXml,
                                 "<Patient xmlns=\"http://hl7.org/fhir\"><active value=\"maybe\"/>"
                                 "</Patient>");
  EXPECT_EQ(unreadable.status, 400) << Describe(unreadable);
  EXPECT_NE(unreadable.body.find("<OperationOutcome"), std::string::npos);
}

TEST_F(RestServerTest, XmlBodyWithoutContentTypeIsDetected) {
  HttpResponse r =
      Call("POST", "/fhir/Patient", {},
           "<Patient xmlns=\"http://hl7.org/fhir\"><active value=\"true\"/></Patient>");
  EXPECT_EQ(r.status, 201) << Describe(r);
  EXPECT_EQ(r.Header("Content-Type"), "application/fhir+json; charset=utf-8");
}

// ---- history ---------------------------------------------------------------------

TEST_F(RestServerTest, InstanceHistoryListsEveryVersionNewestFirst) {
  ASSERT_EQ(Call("PUT", "/fhir/Location/ward-h", kJson, Ward("ward-h", "H1")).status, 201);
  ASSERT_EQ(Call("PUT", "/fhir/Location/ward-h", kJson, Ward("ward-h", "H2")).status, 200);
  ASSERT_EQ(Call("DELETE", "/fhir/Location/ward-h").status, 204);
  HttpResponse r = Call("GET", "/fhir/Location/ward-h/_history");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(JsonString(r.body, {"resourceType"}), "Bundle");
  EXPECT_EQ(JsonString(r.body, {"type"}), "history");
  ASSERT_EQ(JsonArraySize(r.body, "entry"), 3u) << r.body;
  EXPECT_EQ(JsonString(r.body, {"entry", "0", "request", "method"}), "DELETE");
  EXPECT_EQ(JsonString(r.body, {"entry", "0", "response", "etag"}), "W/\"3\"");
  EXPECT_EQ(JsonString(r.body, {"entry", "1", "request", "method"}), "PUT");
  EXPECT_EQ(JsonString(r.body, {"entry", "1", "request", "url"}), "Location/ward-h");
  EXPECT_EQ(JsonString(r.body, {"entry", "1", "resource", "name"}), "H2");
  EXPECT_EQ(JsonString(r.body, {"entry", "1", "response", "status"}), "200 OK");
  EXPECT_EQ(JsonString(r.body, {"entry", "2", "response", "status"}), "201 Created");
  EXPECT_EQ(JsonString(r.body, {"entry", "2", "fullUrl"}), base() + "/Location/ward-h");
  EXPECT_TRUE(std::regex_match(JsonString(r.body, {"entry", "2", "response", "lastModified"}),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));

  HttpResponse xml = Call("GET", "/fhir/Location/ward-h/_history?_format=xml");
  EXPECT_EQ(xml.status, 200);
  EXPECT_NE(xml.body.find("<type value=\"history\"/>"), std::string::npos) << xml.body;

  EXPECT_EQ(Call("GET", "/fhir/Location/never-was/_history").status, 404);
}

TEST_F(RestServerTest, TypeHistoryPagesWithCountAndNextLinks) {
  for (int i = 0; i < 3; ++i) {
    const std::string id = "page-" + std::to_string(i);
    ASSERT_EQ(Call("PUT", "/fhir/Organization/" + id, kJson,
                   R"({"resourceType":"Organization","id":")" + id + R"(","name":"Org"})")
                  .status,
              201);
  }
  HttpResponse first = Call("GET", "/fhir/Organization/_history?_count=2");
  ASSERT_EQ(first.status, 200) << Describe(first);
  EXPECT_EQ(JsonArraySize(first.body, "entry"), 2u);
  EXPECT_EQ(JsonString(first.body, {"link", "1", "relation"}), "next");
  const std::string next = JsonString(first.body, {"link", "1", "url"});
  ASSERT_EQ(next.rfind(base(), 0), 0u) << next;
  HttpResponse second = Call("GET", next.substr(base().size() - std::string("/fhir").size()));
  ASSERT_EQ(second.status, 200) << Describe(second);
  EXPECT_EQ(JsonArraySize(second.body, "entry"), 1u) << second.body;
  EXPECT_EQ(second.body.find("\"next\""), std::string::npos);

  HttpResponse none = Call("GET", "/fhir/Organization/_history?_count=0");
  EXPECT_EQ(none.status, 200);
  EXPECT_EQ(JsonArraySize(none.body, "entry"), 0u);
  EXPECT_EQ(none.body.find("\"next\""), std::string::npos);

  HttpResponse future = Call("GET", "/fhir/Organization/_history?_since=2999-01-01T00:00:00Z");
  EXPECT_EQ(future.status, 200);
  EXPECT_EQ(JsonArraySize(future.body, "entry"), 0u);
  HttpResponse past = Call("GET", "/fhir/Organization/_history?_since=2000-01-01T00:00:00%2B01:00");
  EXPECT_EQ(JsonArraySize(past.body, "entry"), 3u) << past.body;

  EXPECT_EQ(Call("GET", "/fhir/Organization/_history?_since=yesterday").status, 400);
  EXPECT_EQ(Call("GET", "/fhir/Organization/_history?_since=2020-01-01").status, 400);
  EXPECT_EQ(Call("GET", "/fhir/Organization/_history?_count=-1").status, 400);
  HttpResponse at = Call("GET", "/fhir/Organization/_history?_at=2020");
  EXPECT_EQ(at.status, 400);
  EXPECT_EQ(JsonString(at.body, {"issue", "0", "code"}), "not-supported");
}

TEST_F(RestServerTest, SystemHistorySpansTypes) {
  ASSERT_EQ(Call("PUT", "/fhir/Location/ward-s", kJson, Ward("ward-s", "S")).status, 201);
  ASSERT_FALSE(CreatePatient().empty());
  HttpResponse r = Call("GET", "/fhir/_history?_count=2");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(JsonArraySize(r.body, "entry"), 2u);
  EXPECT_EQ(JsonString(r.body, {"entry", "0", "resource", "resourceType"}), "Patient");
  EXPECT_EQ(JsonString(r.body, {"entry", "1", "resource", "id"}), "ward-s");
}

// ---- HTTP --------------------------------------------------------------------------

TEST_F(RestServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  HttpClient client(port());
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 5; ++i) {
    const std::string id = "keep-" + std::to_string(i);
    HttpResponse put = client.Request("PUT", "/fhir/Location/" + id, kJson, Ward(id, "K"));
    ASSERT_EQ(put.status, 201) << Describe(put);
    EXPECT_TRUE(put.keep_alive);
    HttpResponse get = client.Request("GET", "/fhir/Location/" + id);
    ASSERT_EQ(get.status, 200) << Describe(get);
    EXPECT_TRUE(get.keep_alive);
  }
  // Errors keep the connection too.
  EXPECT_EQ(client.Request("GET", "/fhir/Bed/1").status, 404);
  EXPECT_EQ(client.Request("GET", "/health").status, 200);
  // All on one connection: the access log names the same connection each time.
  std::optional<std::string> first =
      engine_->WaitForLine({"\"path\":\"/fhir/Location/keep-0\"", "\"method\":\"PUT\""});
  std::optional<std::string> last =
      engine_->WaitForLine({"\"path\":\"/fhir/Location/keep-4\"", "\"method\":\"GET\""});
  ASSERT_TRUE(first && last);
  const std::string conn = first->substr(first->find("\"conn\":"), 12);
  EXPECT_EQ(conn, last->substr(last->find("\"conn\":"), 12));
}

TEST_F(RestServerTest, AccessLogHasNoQueryOrBody) {
  HttpResponse r = Call("GET", "/fhir/Patient/log-check?name=Anna+Berg&birthdate=1950");
  EXPECT_EQ(r.status, 404);
  std::optional<std::string> line = engine_->WaitForLine({"\"path\":\"/fhir/Patient/log-check\""});
  ASSERT_TRUE(line.has_value());
  EXPECT_NE(line->find("\"status\":404"), std::string::npos) << *line;
  EXPECT_NE(line->find("\"duration_ms\":"), std::string::npos) << *line;
  for (const std::string& l : engine_->Lines()) {
    EXPECT_EQ(l.find("Anna"), std::string::npos) << l;
    EXPECT_EQ(l.find("1950"), std::string::npos) << l;
  }
}

TEST_F(RestServerTest, HeadAnswersLikeGetWithoutABody) {
  ASSERT_EQ(Call("PUT", "/fhir/Location/ward-head", kJson, Ward("ward-head", "H")).status, 201);
  HttpClient client(port());
  HttpResponse head = client.Request("HEAD", "/fhir/Location/ward-head");
  EXPECT_EQ(head.status, 200) << Describe(head);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.Header("ETag"), "W/\"1\"");
  EXPECT_NE(head.Header("Content-Length"), "0");
  EXPECT_EQ(client.Request("GET", "/health").status, 200) << "the connection stays usable";
}

TEST_F(RestServerTest, OversizedBodyIs413) {
  HttpClient client(port());
  ASSERT_TRUE(client.connected());
  const std::string big(2u << 20, ' ');  // 2 MiB against a 1 MiB limit
  HttpResponse r = client.Request("POST", "/fhir/Patient", kJson, big);
  EXPECT_EQ(r.status, 413) << Describe(r);
  EXPECT_TRUE(IsOperationOutcome(r)) << r.body;
  EXPECT_FALSE(r.keep_alive);
  EXPECT_TRUE(client.WaitForClose(seconds(10)));

  // Announced with Expect: 100-continue, it is refused before the body is sent.
  HttpClient early(port());
  ASSERT_TRUE(
      early.SendRaw("POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Type: "
                    "application/fhir+json\r\nExpect: 100-continue\r\nContent-Length: " +
                    std::to_string(big.size()) + "\r\n\r\n"));
  HttpResponse refused = early.ReadResponse();
  EXPECT_EQ(refused.status, 413) << Describe(refused);
  EXPECT_EQ(Call("GET", "/health").status, 200);
}

TEST_F(RestServerTest, OversizedHeaderIs431) {
  HttpResponse r = Call("GET", "/fhir/metadata", {{"X-Padding", std::string(16384, 'x')}});
  EXPECT_EQ(r.status, 431) << Describe(r);
  EXPECT_TRUE(IsOperationOutcome(r)) << r.body;
  EXPECT_EQ(Call("GET", "/health").status, 200);
}

TEST_F(RestServerTest, MalformedRequestIs400AndClosed) {
  HttpClient client(port());
  ASSERT_TRUE(client.SendRaw("THIS IS NOT HTTP\r\n\r\n"));
  HttpResponse r = client.ReadResponse();
  EXPECT_EQ(r.status, 400) << Describe(r);
  EXPECT_TRUE(client.WaitForClose(seconds(10)));

  HttpClient bad_length(port());
  ASSERT_TRUE(
      bad_length.SendRaw("POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Length: "
                         "banana\r\n\r\n"));
  EXPECT_EQ(bad_length.ReadResponse().status, 400);
  EXPECT_EQ(Call("GET", "/health").status, 200);
}

TEST_F(RestServerTest, SlowClientIsCutOffWhileOthersAreServed) {
  HttpClient slow(port());
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.SendRaw("GET /fhir/metadata HTTP/1.1\r\nHost: 127.0.0.1\r\nAcc"));
  // The server is not stalled by it.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Call("GET", "/health").status, 200);
  // The request timeout (1.5 s here) ends it; 10 s is only the test's patience.
  EXPECT_TRUE(slow.WaitForClose(seconds(10)));
  EXPECT_TRUE(engine_->WaitForLine({"slow client cut off"}, seconds(10)).has_value());
  EXPECT_EQ(Call("GET", "/health").status, 200);
}

TEST_F(RestServerTest, PipelinedRequestsAreAnsweredInOrder) {
  HttpClient client(port());
  ASSERT_TRUE(
      client.SendRaw("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /fhir/Bed/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(client.ReadResponse().status, 200);
  EXPECT_EQ(client.ReadResponse().status, 404);
  EXPECT_EQ(client.ReadResponse().status, 200);
}

// ---- process-level: limits, shutdown, restart -----------------------------------------

class RestServerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<EngineProcess> Start(const std::string& config_json) {
    std::vector<std::string> args{"serve", "--port", "0", "--database", (dir_ / "db").string()};
    if (!config_json.empty()) {
      args.push_back("--config");
      args.push_back(WriteFile(dir_ / "config.json", config_json));
    }
    std::string error;
    std::unique_ptr<EngineProcess> engine = EngineProcess::Start(FHIR_ENGINE_BINARY, args, error);
    EXPECT_NE(engine, nullptr) << error;
    return engine;
  }

  fs::path dir_;
};

TEST_F(RestServerProcessTest, GracefulShutdownFinishesTheRequestInFlight) {
  std::unique_ptr<EngineProcess> engine =
      Start(R"({"server": {"limits": {"request-timeout-ms": 20000}}})");
  ASSERT_NE(engine, nullptr);
  const std::string body = R"({"resourceType":"Patient","id":"in-flight","active":true})";
  HttpClient client(engine->port());
  ASSERT_TRUE(
      client.SendRaw("PUT /fhir/Patient/in-flight HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     "application/fhir+json\r\nExpect: 100-continue\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n"));
  // The interim 100 Continue proves the server holds this request.
  HttpResponse interim = client.ReadResponse();
  ASSERT_EQ(interim.status, 100) << Describe(interim);
  HttpClient idle(engine->port());
  ASSERT_EQ(idle.Request("GET", "/health").status, 200);

  engine->Signal(SIGTERM);
  ASSERT_TRUE(
      engine->WaitForLine({"\"msg\":\"stopped accepting\"", "\"connections\":2"}).has_value());
  EXPECT_FALSE(HttpClient(engine->port()).connected()) << "no new connections";
  EXPECT_TRUE(idle.WaitForClose(seconds(10))) << "idle keep-alive connections are closed";

  ASSERT_TRUE(client.SendRaw(body));
  HttpResponse r = client.ReadResponse();
  EXPECT_EQ(r.status, 201) << Describe(r);
  EXPECT_FALSE(r.keep_alive) << "the last response closes the connection";
  client.Close();
  EXPECT_EQ(engine->WaitForExit(), 0);

  // It was stored: a new engine on the same database serves it.
  std::unique_ptr<EngineProcess> again = Start("");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(HttpClient(again->port()).Request("GET", "/fhir/Patient/in-flight").status, 200);
  EXPECT_EQ(again->Stop(), 0);
}

TEST_F(RestServerProcessTest, RestartServesEarlierWrites) {
  std::string id;
  std::string etag;
  {
    std::unique_ptr<EngineProcess> engine = Start("");
    ASSERT_NE(engine, nullptr);
    HttpClient client(engine->port());
    HttpResponse created = client.Request("POST", "/fhir/Patient", kJson, kPatient);
    ASSERT_EQ(created.status, 201) << Describe(created);
    id = IdFromLocation(created.Header("Location"));
    ASSERT_EQ(client.Request("PUT", "/fhir/Location/ward-r", kJson, Ward("ward-r", "R1")).status,
              201);
    HttpResponse updated =
        client.Request("PUT", "/fhir/Location/ward-r", kJson, Ward("ward-r", "R2"));
    ASSERT_EQ(updated.status, 200);
    etag = updated.Header("ETag");
    client.Close();
    EXPECT_EQ(engine->Stop(), 0);
  }
  std::unique_ptr<EngineProcess> engine = Start("");
  ASSERT_NE(engine, nullptr);
  HttpClient client(engine->port());
  HttpResponse patient = client.Request("GET", "/fhir/Patient/" + id);
  EXPECT_EQ(patient.status, 200) << Describe(patient);
  EXPECT_EQ(JsonString(patient.body, {"name", "0", "family"}), "Berg");
  HttpResponse ward = client.Request("GET", "/fhir/Location/ward-r");
  EXPECT_EQ(ward.Header("ETag"), etag);
  EXPECT_EQ(JsonString(ward.body, {"name"}), "R2");
  EXPECT_EQ(client.Request("GET", "/fhir/Location/ward-r/_history/1").status, 200);
  // (Type-level: the system history also holds the engine's own Measures and
  // capacity snapshots.)
  EXPECT_EQ(JsonArraySize(client.Request("GET", "/fhir/Patient/_history").body, "entry"), 1u);
  EXPECT_EQ(JsonArraySize(client.Request("GET", "/fhir/Location/_history").body, "entry"), 2u);
  // Versions go on from where they were.
  EXPECT_EQ(
      client.Request("PUT", "/fhir/Location/ward-r", kJson, Ward("ward-r", "R3")).Header("ETag"),
      "W/\"3\"");
  client.Close();
  engine->Signal(SIGINT);
  EXPECT_EQ(engine->WaitForExit(), 0) << "SIGINT stops it cleanly too";
}

TEST_F(RestServerProcessTest, ConnectionsBeyondTheCapAreRefused) {
  std::unique_ptr<EngineProcess> engine =
      Start(R"({"server": {"limits": {"max-connections": 2}}})");
  ASSERT_NE(engine, nullptr);
  HttpClient a(engine->port());
  HttpClient b(engine->port());
  ASSERT_EQ(a.Request("GET", "/health").status, 200);
  ASSERT_EQ(b.Request("GET", "/health").status, 200);
  HttpClient c(engine->port());
  ASSERT_TRUE(c.connected());  // the kernel accepts; the server answers and closes
  HttpResponse refused = c.ReadResponse();
  EXPECT_EQ(refused.status, 503) << Describe(refused);
  EXPECT_EQ(refused.Header("Retry-After"), "1");
  EXPECT_EQ(a.Request("GET", "/health").status, 200) << "the others are unaffected";
  EXPECT_EQ(engine->Stop(), 0);
}

TEST_F(RestServerProcessTest, AClientOverItsRateGets429) {
  // One request a second per client: the second one at once is over it.
  std::unique_ptr<EngineProcess> engine =
      Start(R"({"server": {"limits": {"max-requests-per-second-per-client": 1}}})");
  ASSERT_NE(engine, nullptr);
  HttpClient client(engine->port());
  ASSERT_EQ(client.Request("GET", "/fhir/metadata").status, 200);
  HttpResponse limited = client.Request("GET", "/fhir/metadata");
  EXPECT_EQ(limited.status, 429) << Describe(limited);
  EXPECT_EQ(limited.Header("Retry-After"), "1");
  EXPECT_TRUE(IsOperationOutcome(limited)) << limited.body;
  EXPECT_EQ(JsonString(limited.body, {"issue", "0", "code"}), "throttled");
  EXPECT_TRUE(limited.keep_alive) << "the connection stays usable";
  const int next = client.Request("GET", "/fhir/metadata").status;
  EXPECT_TRUE(next == 429 || next == 200) << next;
  EXPECT_EQ(engine->Stop(), 0);
}

TEST_F(RestServerProcessTest, BadConfigurationStopsTheStart) {
  const std::string config =
      WriteFile(dir_ / "bad.json", R"({"server": {"limits": {"max-body": 10}}})");
  std::string error;
  std::unique_ptr<EngineProcess> engine =
      EngineProcess::Start(FHIR_ENGINE_BINARY, {"serve", "--config", config}, error, seconds(30));
  EXPECT_EQ(engine, nullptr) << "it must not start";
}

TEST_F(RestServerProcessTest, PortInUseFailsToStart) {
  std::unique_ptr<EngineProcess> first = Start("");
  ASSERT_NE(first, nullptr);
  std::string error;
  std::unique_ptr<EngineProcess> second = EngineProcess::Start(
      FHIR_ENGINE_BINARY,
      {"serve", "--port", std::to_string(first->port()), "--database", (dir_ / "db2").string()},
      error, seconds(30));
  EXPECT_EQ(second, nullptr);
  EXPECT_EQ(first->Stop(), 0);
}

// ---- _summary and _elements on read and vread ---------------------------------

constexpr const char* kBloodPressure =
    R"({"resourceType":"Observation","text":{"status":"generated","div":)"
    R"("<div xmlns=\"http://www.w3.org/1999/xhtml\">BP</div>"},"status":"final",)"
    R"("category":[{"coding":[{"system":)"
    R"("http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],)"
    R"("code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},)"
    R"("effectiveDateTime":"2024-01-02","valueQuantity":{"value":107,"unit":"mmHg",)"
    R"("system":"http://unitsofmeasure.org","code":"mm[Hg]"},)"
    R"("referenceRange":[{"low":{"value":60,"unit":"mmHg"}}]})";

// Creates the blood-pressure Observation; its server-assigned id.
std::string CreateObservation(std::uint16_t port) {
  HttpClient client(port);
  HttpResponse r = client.Request("POST", "/fhir/Observation", kJson, kBloodPressure);
  EXPECT_EQ(r.status, 201) << Describe(r);
  return IdFromLocation(r.Header("Location"));
}

bool TaggedSubsetted(const std::string& body) {
  return JsonString(body, {"meta", "tag", "0", "code"}) == "SUBSETTED" &&
         JsonString(body, {"meta", "tag", "0", "system"}) ==
             "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";
}

bool Has(const std::string& body, const std::string& key) {
  Result<json::Document> doc = json::Parse(body);
  return doc.ok() && doc->root().Find(key) != nullptr;
}

TEST_F(RestServerTest, ReadSummaryTrueKeepsSummaryElementsAndTagsSubsetted) {
  const std::string id = CreateObservation(port());
  ASSERT_FALSE(id.empty());
  HttpResponse full = Call("GET", "/fhir/Observation/" + id);
  ASSERT_EQ(full.status, 200) << Describe(full);
  HttpResponse r = Call("GET", "/fhir/Observation/" + id + "?_summary=true");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.Header("ETag"), full.Header("ETag"));
  EXPECT_EQ(JsonString(r.body, {"id"}), id);
  EXPECT_EQ(JsonString(r.body, {"meta", "versionId"}), "1");
  EXPECT_TRUE(TaggedSubsetted(r.body)) << r.body;
  EXPECT_EQ(JsonString(r.body, {"status"}), "final");
  EXPECT_EQ(JsonString(r.body, {"code", "coding", "0", "code"}), "85354-9");
  EXPECT_EQ(JsonString(r.body, {"valueQuantity", "unit"}), "mmHg");
  EXPECT_EQ(JsonString(r.body, {"effectiveDateTime"}), "2024-01-02");
  for (const char* gone : {"text", "category", "referenceRange"}) {
    EXPECT_FALSE(Has(r.body, gone)) << gone << " is not a summary element\n" << r.body;
  }
  // The full read is untouched.
  EXPECT_TRUE(Has(full.body, "category"));
  EXPECT_FALSE(TaggedSubsetted(full.body));
}

TEST_F(RestServerTest, ReadSummaryTextDataAndFalse) {
  const std::string id = CreateObservation(port());
  ASSERT_FALSE(id.empty());
  HttpResponse text = Call("GET", "/fhir/Observation/" + id + "?_summary=text");
  ASSERT_EQ(text.status, 200) << Describe(text);
  EXPECT_EQ(JsonString(text.body, {"text", "status"}), "generated");
  EXPECT_EQ(JsonString(text.body, {"status"}), "final");  // mandatory: kept
  EXPECT_TRUE(Has(text.body, "code"));                    // mandatory: kept
  EXPECT_FALSE(Has(text.body, "valueQuantity"));
  EXPECT_FALSE(Has(text.body, "category"));
  EXPECT_TRUE(TaggedSubsetted(text.body));

  HttpResponse data = Call("GET", "/fhir/Observation/" + id + "?_summary=data");
  ASSERT_EQ(data.status, 200) << Describe(data);
  EXPECT_FALSE(Has(data.body, "text"));
  EXPECT_TRUE(Has(data.body, "category"));
  EXPECT_TRUE(Has(data.body, "referenceRange"));
  EXPECT_TRUE(TaggedSubsetted(data.body));

  HttpResponse all = Call("GET", "/fhir/Observation/" + id + "?_summary=false");
  ASSERT_EQ(all.status, 200) << Describe(all);
  EXPECT_EQ(all.body, Call("GET", "/fhir/Observation/" + id).body);
}

TEST_F(RestServerTest, ReadElementsKeepsListedAndMandatoryElements) {
  const std::string id = CreateObservation(port());
  ASSERT_FALSE(id.empty());
  HttpResponse r = Call("GET", "/fhir/Observation/" + id + "?_elements=category,effective");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(JsonString(r.body, {"category", "0", "coding", "0", "code"}), "vital-signs");
  EXPECT_EQ(JsonString(r.body, {"effectiveDateTime"}), "2024-01-02");
  EXPECT_EQ(JsonString(r.body, {"status"}), "final");
  EXPECT_TRUE(Has(r.body, "code"));
  EXPECT_EQ(JsonString(r.body, {"id"}), id);
  for (const char* gone : {"text", "valueQuantity", "referenceRange"}) {
    EXPECT_FALSE(Has(r.body, gone)) << gone << "\n" << r.body;
  }
  EXPECT_TRUE(TaggedSubsetted(r.body));
  // An unknown name is ignored by default...
  HttpResponse lenient = Call("GET", "/fhir/Observation/" + id + "?_elements=category,nosuch");
  EXPECT_EQ(lenient.status, 200) << Describe(lenient);
  EXPECT_TRUE(Has(lenient.body, "category"));
  // ...and rejected when the client asks for strict handling.
  HttpResponse strict = Call("GET", "/fhir/Observation/" + id + "?_elements=category,nosuch",
                             {{"Prefer", "handling=strict"}});
  EXPECT_EQ(strict.status, 400) << Describe(strict);
  EXPECT_TRUE(IsOperationOutcome(strict));
  EXPECT_NE(strict.body.find("nosuch"), std::string::npos) << strict.body;
}

TEST_F(RestServerTest, VreadHonoursSummaryAndElements) {
  const std::string id = CreateObservation(port());
  ASSERT_FALSE(id.empty());
  HttpResponse r = Call("GET", "/fhir/Observation/" + id + "/_history/1?_summary=true");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_FALSE(Has(r.body, "category"));
  EXPECT_TRUE(TaggedSubsetted(r.body));
  HttpResponse e = Call("GET", "/fhir/Observation/" + id + "/_history/1?_elements=valueQuantity");
  ASSERT_EQ(e.status, 200) << Describe(e);
  EXPECT_EQ(JsonString(e.body, {"valueQuantity", "code"}), "mm[Hg]");
  EXPECT_FALSE(Has(e.body, "category"));
}

TEST_F(RestServerTest, SummaryAndElementsInXml) {
  const std::string id = CreateObservation(port());
  ASSERT_FALSE(id.empty());
  HttpResponse r = Call("GET", "/fhir/Observation/" + id + "?_summary=true",
                        {{"Accept", "application/fhir+xml"}});
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.Header("Content-Type"), "application/fhir+xml; charset=utf-8");
  EXPECT_NE(r.body.find("<code value=\"SUBSETTED\"/>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<valueQuantity>"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("<text>"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("<category>"), std::string::npos) << r.body;

  HttpResponse e = Call("GET", "/fhir/Observation/" + id + "?_elements=text&_format=xml");
  ASSERT_EQ(e.status, 200) << Describe(e);
  EXPECT_NE(e.body.find("<text>"), std::string::npos) << e.body;
  EXPECT_NE(e.body.find("<status value=\"final\"/>"), std::string::npos) << e.body;
  EXPECT_EQ(e.body.find("<valueQuantity>"), std::string::npos) << e.body;
  EXPECT_NE(e.body.find("<code value=\"SUBSETTED\"/>"), std::string::npos) << e.body;
}

TEST_F(RestServerTest, InvalidSummaryAndElementsAre400) {
  const std::string id = CreateObservation(port());
  ASSERT_FALSE(id.empty());
  const std::string read = "/fhir/Observation/" + id;
  for (const std::string query :
       {"?_summary=count", "?_summary=maybe", "?_summary=", "?_summary=true&_summary=false",
        "?_elements=", "?_elements=a,,b", "?_elements=Observation.status",
        "?_summary=true&_elements=status", "?_elements=status&_elements=code"}) {
    HttpResponse r = Call("GET", read + query);
    EXPECT_EQ(r.status, 400) << query << ": " << Describe(r);
    EXPECT_TRUE(IsOperationOutcome(r)) << query;
  }
  HttpResponse vread = Call("GET", read + "/_history/1?_summary=count");
  EXPECT_EQ(vread.status, 400) << Describe(vread);
  HttpResponse count = Call("GET", read + "?_summary=count");
  EXPECT_NE(count.body.find("count"), std::string::npos) << count.body;
  // The outcome comes in the negotiated format.
  HttpResponse xml = Call("GET", read + "?_summary=nope&_format=xml");
  EXPECT_EQ(xml.status, 400);
  EXPECT_NE(xml.body.find("<OperationOutcome"), std::string::npos) << xml.body;
  // _summary=false beside _elements is no conflict.
  HttpResponse both = Call("GET", read + "?_summary=false&_elements=status");
  EXPECT_EQ(both.status, 200) << Describe(both);
}

}  // namespace
}  // namespace fhirengine::testing
