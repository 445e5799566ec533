// The FHIR patch interaction (JSON Patch, RFC 6902) against the real
// `fhir-engine serve` over real HTTP: success, every error status with its
// OperationOutcome, If-Match, Prefer, XML responses, and that a refused
// patch leaves the resource and its version untouched.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/json/json_parser.h"
#include "tests/support/engine_process.h"
#include "tests/support/http_assertions.h"
#include "tests/support/http_client.h"
#include "tests/support/shared_engine.h"

namespace fhirengine::testing {
namespace {

namespace fs = std::filesystem;

// The first issue's code and diagnostics, "code: diagnostics".
std::string FirstIssue(const HttpResponse& r) {
  return JsonString(r.body, {"issue", "0", "code"}) + ": " +
         JsonString(r.body, {"issue", "0", "diagnostics"});
}

const HeaderList kJson = {{"Content-Type", "application/fhir+json"}};
const HeaderList kPatch = {{"Content-Type", "application/json-patch+json"}};

HeaderList PatchWith(std::string name, std::string value) {
  HeaderList h = kPatch;
  h.emplace_back(std::move(name), std::move(value));
  return h;
}

std::string Ward(const std::string& id, const std::string& name) {
  return R"({"resourceType":"Location","id":")" + id + R"(","status":"active","name":")" + name +
         R"(","alias":["A"],"physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"wa"}]}})";
}

class PatchTest : public SharedEngineTest {
 protected:
  static void SetUpTestSuite() {
    StartEngine("patch", R"({
      "server": {"threads": 2, "limits": {"max-body-bytes": 1048576, "max-header-bytes": 8192,
                 "request-timeout-ms": 5000, "idle-timeout-ms": 20000, "max-connections": 64}},
      "store": {"durability": "normal"}})");
  }
  static void TearDownTestSuite() { StopEngine(); }

  static std::string base() { return engine_->base_url(); }

  // One request on a fresh connection.
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

  // Creates Location `id` (version 1).
  static void PutWard(const std::string& id) {
    HttpResponse r = Call("PUT", "/fhir/Location/" + id, kJson, Ward(id, "Avd 1"));
    ASSERT_EQ(r.status, 201) << Describe(r);
  }

  // The current ETag of Location `id`, after checking it still reads.
  static std::string CurrentETag(const std::string& id) {
    HttpResponse r = Call("GET", "/fhir/Location/" + id);
    EXPECT_EQ(r.status, 200) << Describe(r);
    return r.Header("ETag");
  }
};

// ---- success -------------------------------------------------------------------

TEST_F(PatchTest, AppliesThePatchAndAnswersLikeAnUpdate) {
  PutWard("ward-p1");
  HttpResponse r = Call("PATCH", "/fhir/Location/ward-p1", kPatch,
                        R"([{"op":"test","path":"/name","value":"Avd 1"},
                            {"op":"replace","path":"/name","value":"Avd 2"},
                            {"op":"add","path":"/alias/-","value":"B"},
                            {"op":"add","path":"/description","value":"medicine"},
                            {"op":"remove","path":"/status"}])");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.Header("ETag"), "W/\"2\"");
  EXPECT_FALSE(r.Header("Last-Modified").empty());
  EXPECT_FALSE(r.HasHeader("Location")) << "as an update of an existing resource";
  EXPECT_EQ(r.Header("Content-Type"), "application/fhir+json; charset=utf-8");
  EXPECT_EQ(JsonString(r.body, {"name"}), "Avd 2");
  EXPECT_EQ(JsonString(r.body, {"alias", "1"}), "B");
  EXPECT_EQ(JsonString(r.body, {"description"}), "medicine");
  EXPECT_EQ(JsonString(r.body, {"status"}), "");
  EXPECT_EQ(JsonString(r.body, {"meta", "versionId"}), "2");
  // Stored canonically, like every write.
  EXPECT_EQ(r.body.rfind(R"({"resourceType":"Location","id":"ward-p1","meta":{)", 0), 0u) << r.body;

  HttpResponse read = Call("GET", "/fhir/Location/ward-p1");
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(read.body, r.body);
  HttpResponse v1 = Call("GET", "/fhir/Location/ward-p1/_history/1");
  EXPECT_EQ(JsonString(v1.body, {"name"}), "Avd 1") << "the old version is kept";
}

TEST_F(PatchTest, TestOpCanGuardOnTheStoredVersionId) {
  PutWard("ward-p2");
  HttpResponse r = Call("PATCH", "/fhir/Location/ward-p2", kPatch,
                        R"([{"op":"test","path":"/meta/versionId","value":"1"},
                            {"op":"replace","path":"/meta/versionId","value":"99"},
                            {"op":"copy","from":"/name","path":"/alias/0"}])");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(JsonString(r.body, {"meta", "versionId"}), "2") << "the server stamps meta";
  EXPECT_EQ(JsonString(r.body, {"alias", "0"}), "Avd 1");
  EXPECT_EQ(JsonString(r.body, {"alias", "1"}), "A");
}

// ---- failures that leave the resource untouched -----------------------------------

TEST_F(PatchTest, FailingTestIs422AndChangesNothing) {
  PutWard("ward-p3");
  HttpResponse r = Call("PATCH", "/fhir/Location/ward-p3", kPatch,
                        R"([{"op":"replace","path":"/name","value":"changed"},
                            {"op":"test","path":"/status","value":"inactive"}])");
  EXPECT_EQ(r.status, 422) << Describe(r);
  EXPECT_TRUE(IsOperationOutcome(r));
  EXPECT_EQ(JsonString(r.body, {"issue", "0", "code"}), "processing");
  EXPECT_NE(FirstIssue(r).find("operation 1 (test '/status')"), std::string::npos) << r.body;

  EXPECT_EQ(CurrentETag("ward-p3"), "W/\"1\"") << "no new version";
  HttpResponse read = Call("GET", "/fhir/Location/ward-p3");
  EXPECT_EQ(JsonString(read.body, {"name"}), "Avd 1");
  EXPECT_EQ(Call("GET", "/fhir/Location/ward-p3/_history/2").status, 404);
}

TEST_F(PatchTest, MissingPathIs422) {
  PutWard("ward-p4");
  HttpResponse r = Call("PATCH", "/fhir/Location/ward-p4", kPatch,
                        R"([{"op":"replace","path":"/partOf/reference","value":"Location/x"}])");
  EXPECT_EQ(r.status, 422) << Describe(r);
  EXPECT_NE(FirstIssue(r).find("'/partOf' does not exist"), std::string::npos) << r.body;
  EXPECT_EQ(CurrentETag("ward-p4"), "W/\"1\"");
}

TEST_F(PatchTest, ChangingResourceTypeOrIdIs422) {
  PutWard("ward-p5");
  for (const char* patch :
       {R"([{"op":"replace","path":"/id","value":"other"}])", R"([{"op":"remove","path":"/id"}])",
        R"([{"op":"replace","path":"/resourceType","value":"Patient"}])",
        R"([{"op":"replace","path":"","value":{"resourceType":"Location"}}])"}) {
    HttpResponse r = Call("PATCH", "/fhir/Location/ward-p5", kPatch, patch);
    EXPECT_EQ(r.status, 422) << patch << "\n" << Describe(r);
    EXPECT_TRUE(IsOperationOutcome(r)) << patch;
  }
  EXPECT_EQ(CurrentETag("ward-p5"), "W/\"1\"");
  EXPECT_EQ(Call("GET", "/fhir/Location/other").status, 404);
}

TEST_F(PatchTest, InvalidResultIs422WithTheValidatorsIssues) {
  PutWard("ward-p6");
  HttpResponse unknown = Call("PATCH", "/fhir/Location/ward-p6", kPatch,
                              R"([{"op":"add","path":"/bedCount","value":12}])");
  EXPECT_EQ(unknown.status, 422) << Describe(unknown);
  EXPECT_NE(unknown.body.find("unknown element 'bedCount'"), std::string::npos) << unknown.body;
  HttpResponse wrong_type = Call("PATCH", "/fhir/Location/ward-p6", kPatch,
                                 R"([{"op":"replace","path":"/name","value":["a"]}])");
  EXPECT_EQ(wrong_type.status, 422) << Describe(wrong_type);
  EXPECT_TRUE(IsOperationOutcome(wrong_type));
  EXPECT_EQ(CurrentETag("ward-p6"), "W/\"1\"");
}

// ---- request errors ------------------------------------------------------------------

TEST_F(PatchTest, OtherContentTypesAre415) {
  PutWard("ward-p7");
  const std::string parameters =
      R"({"resourceType":"Parameters","parameter":[{"name":"operation","part":[)"
      R"({"name":"type","valueCode":"delete"},{"name":"path","valueString":"Location.alias"}]}]})";
  HttpResponse fhirpath = Call("PATCH", "/fhir/Location/ward-p7", kJson, parameters);
  EXPECT_EQ(fhirpath.status, 415) << Describe(fhirpath);
  EXPECT_TRUE(IsOperationOutcome(fhirpath));
  EXPECT_EQ(JsonString(fhirpath.body, {"issue", "0", "code"}), "not-supported");
  EXPECT_NE(FirstIssue(fhirpath).find("FHIRPath Patch"), std::string::npos) << fhirpath.body;

  HttpResponse merge = Call("PATCH", "/fhir/Location/ward-p7",
                            {{"Content-Type", "application/merge-patch+json"}}, R"({"name":"x"})");
  EXPECT_EQ(merge.status, 415) << Describe(merge);
  HttpResponse none = Call("PATCH", "/fhir/Location/ward-p7", {}, "[]");
  EXPECT_EQ(none.status, 415) << Describe(none);
  EXPECT_EQ(CurrentETag("ward-p7"), "W/\"1\"");
}

TEST_F(PatchTest, MalformedPatchIs400NamingTheOperation) {
  PutWard("ward-p8");
  struct Case {
    const char* body;
    const char* says;
  };
  for (const Case& c :
       {Case{R"({"op":"add","path":"/name","value":"x"})", "must be an array"},
        Case{R"([{"op":"test","path":"/name","value":"Avd 1"},{"op":"delete"}])",
             "operation 1: unknown op 'delete'"},
        Case{R"([{"op":"add","path":"name","value":"x"}])", "not a JSON Pointer"},
        Case{R"([{"op":"add","path":"/name"}])", "missing 'value'"},
        Case{R"([{"op":"remove","path":"/a"},)", "not valid JSON"}, Case{"", "no body"}}) {
    HttpResponse r = Call("PATCH", "/fhir/Location/ward-p8", kPatch, c.body);
    EXPECT_EQ(r.status, 400) << c.body << "\n" << Describe(r);
    EXPECT_NE(FirstIssue(r).find(c.says), std::string::npos) << c.body << "\n" << r.body;
  }
  EXPECT_EQ(CurrentETag("ward-p8"), "W/\"1\"");
}

TEST_F(PatchTest, TooManyOperationsIs413) {
  PutWard("ward-p9");
  std::string patch = "[";
  for (int i = 0; i <= 10000; ++i)
    patch += std::string(i ? "," : "") + R"({"op":"test","path":"/id","value":"ward-p9"})";
  patch += "]";
  HttpResponse r = Call("PATCH", "/fhir/Location/ward-p9", kPatch, patch);
  EXPECT_EQ(r.status, 413) << Describe(r);
  EXPECT_NE(FirstIssue(r).find("10001 operations; at most 10000"), std::string::npos) << r.body;
}

TEST_F(PatchTest, UnknownIs404AndDeletedIs410) {
  const char* patch = R"([{"op":"replace","path":"/name","value":"x"}])";
  HttpResponse unknown = Call("PATCH", "/fhir/Location/never-was", kPatch, patch);
  EXPECT_EQ(unknown.status, 404) << Describe(unknown);
  EXPECT_EQ(JsonString(unknown.body, {"issue", "0", "code"}), "not-found");
  EXPECT_EQ(Call("GET", "/fhir/Location/never-was").status, 404) << "patch never creates";

  PutWard("ward-p10");
  ASSERT_EQ(Call("DELETE", "/fhir/Location/ward-p10").status, 204);
  HttpResponse gone = Call("PATCH", "/fhir/Location/ward-p10", kPatch, patch);
  EXPECT_EQ(gone.status, 410) << Describe(gone);
  EXPECT_EQ(JsonString(gone.body, {"issue", "0", "code"}), "deleted");
  EXPECT_EQ(gone.Header("ETag"), "W/\"2\"");
  EXPECT_EQ(Call("GET", "/fhir/Location/ward-p10").status, 410);
}

TEST_F(PatchTest, WrongMethodsListPatchInAllow) {
  HttpResponse r = Call("POST", "/fhir/Location/ward-x", kJson, "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET, HEAD, PUT, DELETE, PATCH");
  HttpResponse history = Call("PATCH", "/fhir/Location/ward-x/_history", kPatch, "[]");
  EXPECT_EQ(history.status, 405);
  EXPECT_EQ(history.Header("Allow"), "GET, HEAD");
}

// ---- If-Match -----------------------------------------------------------------------

TEST_F(PatchTest, IfMatchGuardsTheVersion) {
  PutWard("ward-p11");
  const char* patch = R"([{"op":"replace","path":"/name","value":"Avd 2"}])";
  HttpResponse ok =
      Call("PATCH", "/fhir/Location/ward-p11", PatchWith("If-Match", "W/\"1\""), patch);
  ASSERT_EQ(ok.status, 200) << Describe(ok);
  EXPECT_EQ(ok.Header("ETag"), "W/\"2\"");

  HttpResponse stale =
      Call("PATCH", "/fhir/Location/ward-p11", PatchWith("If-Match", "W/\"1\""), patch);
  EXPECT_EQ(stale.status, 412) << Describe(stale);
  EXPECT_TRUE(IsOperationOutcome(stale));
  EXPECT_NE(FirstIssue(stale).find("is at version 2, not 1"), std::string::npos) << stale.body;

  // The precondition is checked before the patch is tried.
  HttpResponse stale_and_broken =
      Call("PATCH", "/fhir/Location/ward-p11", PatchWith("If-Match", "W/\"1\""),
           R"([{"op":"remove","path":"/nothing"}])");
  EXPECT_EQ(stale_and_broken.status, 412) << Describe(stale_and_broken);

  HttpResponse malformed =
      Call("PATCH", "/fhir/Location/ward-p11", PatchWith("If-Match", "two"), patch);
  EXPECT_EQ(malformed.status, 400) << Describe(malformed);
  HttpResponse none_match =
      Call("PATCH", "/fhir/Location/ward-p11", PatchWith("If-None-Match", "*"), patch);
  EXPECT_EQ(none_match.status, 400) << Describe(none_match);
  EXPECT_EQ(CurrentETag("ward-p11"), "W/\"2\"");
}

// ---- Prefer and formats ----------------------------------------------------------------

TEST_F(PatchTest, PreferReturnShapesTheResponse) {
  PutWard("ward-p12");
  HttpResponse minimal =
      Call("PATCH", "/fhir/Location/ward-p12", PatchWith("Prefer", "return=minimal"),
           R"([{"op":"replace","path":"/name","value":"Avd 2"}])");
  EXPECT_EQ(minimal.status, 200) << Describe(minimal);
  EXPECT_TRUE(minimal.body.empty()) << minimal.body;
  EXPECT_EQ(minimal.Header("ETag"), "W/\"2\"");

  HttpResponse outcome =
      Call("PATCH", "/fhir/Location/ward-p12", PatchWith("Prefer", "return=OperationOutcome"),
           R"([{"op":"replace","path":"/name","value":"Avd 3"}])");
  EXPECT_EQ(outcome.status, 200) << Describe(outcome);
  EXPECT_TRUE(IsOperationOutcome(outcome));
  EXPECT_EQ(JsonString(outcome.body, {"issue", "0", "severity"}), "information");
  EXPECT_NE(FirstIssue(outcome).find("Location/ward-p12 (version 3)"), std::string::npos)
      << outcome.body;
  EXPECT_EQ(outcome.Header("ETag"), "W/\"3\"");

  HttpResponse representation =
      Call("PATCH", "/fhir/Location/ward-p12", PatchWith("Prefer", "return=representation"),
           R"([{"op":"replace","path":"/name","value":"Avd 4"}])");
  EXPECT_EQ(representation.status, 200) << Describe(representation);
  EXPECT_EQ(JsonString(representation.body, {"name"}), "Avd 4");
  EXPECT_EQ(JsonString(representation.body, {"meta", "versionId"}), "4");
}

TEST_F(PatchTest, AnswersInXmlOnRequest) {
  PutWard("ward-p13");
  HttpResponse r = Call("PATCH", "/fhir/Location/ward-p13?_format=xml", kPatch,
                        R"([{"op":"replace","path":"/name","value":"Avd X"}])");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.Header("Content-Type"), "application/fhir+xml; charset=utf-8");
  EXPECT_NE(r.body.find("<Location xmlns=\"http://hl7.org/fhir\">"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<name value=\"Avd X\"/>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<versionId value=\"2\"/>"), std::string::npos) << r.body;

  HttpResponse error =
      Call("PATCH", "/fhir/Location/ward-p13",
           {{"Content-Type", "application/json-patch+json"}, {"Accept", "application/fhir+xml"}},
           R"([{"op":"test","path":"/name","value":"Avd 1"}])");
  EXPECT_EQ(error.status, 422) << Describe(error);
  EXPECT_EQ(error.Header("Content-Type"), "application/fhir+xml; charset=utf-8");
  EXPECT_NE(error.body.find("<OperationOutcome xmlns=\"http://hl7.org/fhir\">"), std::string::npos)
      << error.body;
}

TEST_F(PatchTest, CapabilityStatementAdvertisesPatch) {
  HttpResponse r = Call("GET", "/fhir/metadata");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"({"code":"patch"})"), std::string::npos);
  EXPECT_NE(r.body.find("FHIRPath Patch is not supported"), std::string::npos);
}

}  // namespace
}  // namespace fhirengine::testing
