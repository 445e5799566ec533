// Batch and transaction Bundles, conditional update and conditional delete,
// against the real `fhir-engine serve` over HTTP on loopback: urn:uuid
// references resolved, atomicity (one bad entry writes nothing), the FHIR
// processing order, If-Match in entries, batches with failing entries, XML
// Bundles, the entry limit, and conditional update/delete on _id.
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

std::size_t EntryCount(const std::string& body) {
  Result<json::Document> doc = json::Parse(body);
  if (!doc.ok()) return 0;
  const json::Value* v = doc->root().Find("entry");
  return v == nullptr ? 0 : v->elements().size();
}

const HeaderList kJson = {{"Content-Type", "application/fhir+json"}};

// "Location/abc" from ".../fhir/Location/abc/_history/1".
std::string TypeAndId(const std::string& location) {
  const std::size_t fhir = location.find("/fhir/");
  const std::size_t history = location.find("/_history/");
  if (fhir == std::string::npos || history == std::string::npos) return "";
  return location.substr(fhir + 6, history - fhir - 6);
}

std::string Ward(const std::string& id, const std::string& name) {
  return R"({"resourceType":"Location",)" + (id.empty() ? "" : R"("id":")" + id + R"(",)") +
         R"("status":"active","name":")" + name + R"("})";
}

std::string Entry(const std::string& method, const std::string& url,
                  const std::string& resource = "", const std::string& full_url = "",
                  const std::string& request_extra = "") {
  std::string e = "{";
  if (!full_url.empty()) e += R"("fullUrl":")" + full_url + R"(",)";
  if (!resource.empty()) e += R"("resource":)" + resource + ",";
  e += R"("request":{"method":")" + method + R"(","url":")" + url + "\"" + request_extra + "}}";
  return e;
}

std::string Bundle(const std::string& type, const std::vector<std::string>& entries) {
  std::string b = R"({"resourceType":"Bundle","type":")" + type + R"(","entry":[)";
  for (std::size_t i = 0; i < entries.size(); ++i) b += (i ? "," : "") + entries[i];
  return b + "]}";
}

class BundleTest : public SharedEngineTest {
 protected:
  static void SetUpTestSuite() {
    StartEngine("bundle", R"({"server": {"threads": 2}, "store": {"durability": "normal"}})");
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
  static HttpResponse Post(const std::string& bundle, const HeaderList& headers = kJson) {
    return Call("POST", "/fhir", headers, bundle);
  }
  static std::string Put(const std::string& id, const std::string& name) {
    HttpResponse r = Call("PUT", "/fhir/Location/" + id, kJson, Ward(id, name));
    EXPECT_TRUE(r.status == 200 || r.status == 201) << Describe(r);
    return r.Header("ETag");
  }
};

// ---- transaction -------------------------------------------------------------

TEST_F(BundleTest, TransactionResolvesUrnUuidReferencesEverywhere) {
  const std::string ward_urn = "urn:uuid:8f5c5a3e-0b7a-4d1e-9f4a-1d2c3b4a5e6f";
  const std::string bed_urn = "urn:oid:1.2.752.129.2.1.4.1";
  const std::string bed =
      R"({"resourceType":"Location","status":"active","name":"Bed 1",)"
      R"("extension":[{"url":"http://example.org/fhir/StructureDefinition/ward",)"
      R"("valueReference":{"reference":")" +
      ward_urn +
      R"("}}],"contained":[{"resourceType":"Location","id":"room",)"
      R"("partOf":{"reference":")" +
      ward_urn + R"("}}],"partOf":{"reference":")" + ward_urn + R"("}})";
  const std::string encounter =
      R"({"resourceType":"Encounter","status":"in-progress","class":{"system":)"
      R"("http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},)"
      R"("location":[{"location":{"reference":")" +
      bed_urn + R"("}}]})";
  HttpResponse r =
      Post(Bundle("transaction",
                  {Entry("POST", "Location", bed, bed_urn), Entry("POST", "Encounter", encounter),
                   Entry("POST", "Location", Ward("", "Ward 7"), ward_urn)}));
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(JsonString(r.body, {"resourceType"}), "Bundle");
  EXPECT_EQ(JsonString(r.body, {"type"}), "transaction-response");
  ASSERT_EQ(EntryCount(r.body), 3u);
  for (const char* i : {"0", "1", "2"}) {
    EXPECT_EQ(JsonString(r.body, {"entry", i, "response", "status"}), "201 Created");
    EXPECT_EQ(JsonString(r.body, {"entry", i, "response", "etag"}), "W/\"1\"");
    EXPECT_FALSE(JsonString(r.body, {"entry", i, "response", "lastModified"}).empty());
  }
  const std::string bed_ref = TypeAndId(JsonString(r.body, {"entry", "0", "response", "location"}));
  const std::string encounter_ref =
      TypeAndId(JsonString(r.body, {"entry", "1", "response", "location"}));
  const std::string ward_ref =
      TypeAndId(JsonString(r.body, {"entry", "2", "response", "location"}));
  ASSERT_TRUE(bed_ref.starts_with("Location/")) << bed_ref;
  ASSERT_TRUE(ward_ref.starts_with("Location/")) << ward_ref;
  ASSERT_TRUE(encounter_ref.starts_with("Encounter/")) << encounter_ref;

  // Read back: every reference now names the assigned ids.
  HttpResponse read_bed = Call("GET", "/fhir/" + bed_ref);
  ASSERT_EQ(read_bed.status, 200) << Describe(read_bed);
  EXPECT_EQ(JsonString(read_bed.body, {"partOf", "reference"}), ward_ref);
  EXPECT_EQ(JsonString(read_bed.body, {"contained", "0", "partOf", "reference"}), ward_ref);
  EXPECT_EQ(JsonString(read_bed.body, {"extension", "0", "valueReference", "reference"}), ward_ref);
  EXPECT_EQ(read_bed.body.find("urn:"), std::string::npos) << read_bed.body;
  HttpResponse read_encounter = Call("GET", "/fhir/" + encounter_ref);
  ASSERT_EQ(read_encounter.status, 200);
  EXPECT_EQ(JsonString(read_encounter.body, {"location", "0", "location", "reference"}), bed_ref);
}

TEST_F(BundleTest, UnresolvedUrnReferenceFailsTheTransaction) {
  const std::string orphan =
      R"({"resourceType":"Location","id":"urn-none-2","partOf":{"reference":)"
      R"("urn:uuid:00000000-0000-4000-8000-000000000001"}})";
  HttpResponse r =
      Post(Bundle("transaction", {Entry("PUT", "Location/urn-none-1", Ward("urn-none-1", "a")),
                                  Entry("PUT", "Location/urn-none-2", orphan)}));
  EXPECT_EQ(r.status, 400) << Describe(r);
  EXPECT_EQ(JsonString(r.body, {"issue", "0", "expression", "0"}), "Bundle.entry[1]");
  EXPECT_EQ(Call("GET", "/fhir/Location/urn-none-1").status, 404) << "nothing written";
}

TEST_F(BundleTest, OneBadEntryWritesNothing) {
  const std::string etag = Put("atom-existing", "before");
  ASSERT_EQ(etag, "W/\"1\"");
  // Entry 2 fails in the store (a version conflict found inside the transaction).
  HttpResponse conflict = Post(
      Bundle("transaction", {Entry("PUT", "Location/atom-new", Ward("atom-new", "new")),
                             Entry("POST", "Location", Ward("", "created")),
                             Entry("PUT", "Location/atom-existing", Ward("atom-existing", "after"),
                                   "", R"(,"ifMatch":"W/\"7\"")"),
                             Entry("DELETE", "Location/atom-existing-other")}));
  EXPECT_EQ(conflict.status, 412) << Describe(conflict);
  EXPECT_EQ(JsonString(conflict.body, {"resourceType"}), "OperationOutcome");
  EXPECT_EQ(JsonString(conflict.body, {"issue", "0", "expression", "0"}), "Bundle.entry[2]");
  EXPECT_NE(JsonString(conflict.body, {"issue", "0", "diagnostics"}).find("Bundle.entry[2]"),
            std::string::npos);
  EXPECT_EQ(Call("GET", "/fhir/Location/atom-new").status, 404) << "rolled back";
  HttpResponse existing = Call("GET", "/fhir/Location/atom-existing");
  EXPECT_EQ(JsonString(existing.body, {"name"}), "before");
  EXPECT_EQ(existing.Header("ETag"), "W/\"1\"");

  // Entry 1 is invalid: 422 with the validator's finding under the entry.
  HttpResponse invalid = Post(Bundle(
      "transaction",
      {Entry("PUT", "Location/atom-new", Ward("atom-new", "new")),
       Entry("POST", "Location", R"({"resourceType":"Location","status":"active","floor":1})"),
       Entry("POST", "Location", Ward("", "fine"))}));
  EXPECT_EQ(invalid.status, 422) << Describe(invalid);
  EXPECT_EQ(JsonString(invalid.body, {"issue", "0", "expression", "0"}),
            "Bundle.entry[1].resource.floor");
  EXPECT_EQ(Call("GET", "/fhir/Location/atom-new").status, 404);

  // A bad request in an entry: 400 naming it, nothing written.
  HttpResponse bad_url =
      Post(Bundle("transaction", {Entry("PUT", "Location/atom-new", Ward("atom-new", "new")),
                                  Entry("PUT", "Location/other-id", Ward("atom-new", "x"))}));
  EXPECT_EQ(bad_url.status, 400) << Describe(bad_url);
  EXPECT_EQ(JsonString(bad_url.body, {"issue", "0", "expression", "0"}), "Bundle.entry[1]");
  EXPECT_EQ(Call("GET", "/fhir/Location/atom-new").status, 404);
}

TEST_F(BundleTest, WritingOneResourceTwiceIs400) {
  HttpResponse r = Post(Bundle("transaction", {Entry("PUT", "Location/dup-1", Ward("dup-1", "a")),
                                               Entry("DELETE", "Location/dup-1")}));
  EXPECT_EQ(r.status, 400) << Describe(r);
  EXPECT_NE(r.body.find("Bundle.entry[1]"), std::string::npos);
  EXPECT_NE(r.body.find("Bundle.entry[0]"), std::string::npos) << "names the other entry";
  EXPECT_EQ(Call("GET", "/fhir/Location/dup-1").status, 404);
}

TEST_F(BundleTest, TransactionReadsRunAfterTheWritesAndRepliesKeepRequestOrder) {
  Put("order-1", "old name");
  Put("order-gone", "to delete");
  HttpResponse r = Post(Bundle(
      "transaction",
      {Entry("GET", "Location/order-1"), Entry("GET", "Location/order-gone"),
       Entry("PUT", "Location/order-1", Ward("order-1", "new name")),
       Entry("POST", "Location", Ward("", "posted")), Entry("DELETE", "Location/order-gone")}));
  ASSERT_EQ(r.status, 200) << Describe(r);
  ASSERT_EQ(EntryCount(r.body), 5u);
  // GET entries come last in processing, so they see the writes.
  EXPECT_EQ(JsonString(r.body, {"entry", "0", "response", "status"}), "200 OK");
  EXPECT_EQ(JsonString(r.body, {"entry", "0", "resource", "name"}), "new name");
  EXPECT_EQ(JsonString(r.body, {"entry", "0", "response", "etag"}), "W/\"2\"");
  EXPECT_EQ(JsonString(r.body, {"entry", "1", "response", "status"}), "410 Gone");
  EXPECT_EQ(JsonString(r.body, {"entry", "2", "response", "status"}), "200 OK");
  EXPECT_EQ(JsonString(r.body, {"entry", "3", "response", "status"}), "201 Created");
  EXPECT_EQ(JsonString(r.body, {"entry", "4", "response", "status"}), "204 No Content");
  EXPECT_EQ(JsonString(r.body, {"entry", "4", "response", "etag"}), "W/\"2\"");
}

TEST_F(BundleTest, IfMatchInEntries) {
  ASSERT_EQ(Put("ifm-1", "v1"), "W/\"1\"");
  ASSERT_EQ(Put("ifm-2", "v1"), "W/\"1\"");
  HttpResponse ok = Post(
      Bundle("transaction",
             {Entry("PUT", "Location/ifm-1", Ward("ifm-1", "v2"), "", R"(,"ifMatch":"W/\"1\"")"),
              Entry("DELETE", "Location/ifm-2", "", "", R"(,"ifMatch":"W/\"1\"")")}));
  ASSERT_EQ(ok.status, 200) << Describe(ok);
  EXPECT_EQ(JsonString(ok.body, {"entry", "0", "response", "etag"}), "W/\"2\"");
  EXPECT_EQ(JsonString(ok.body, {"entry", "1", "response", "status"}), "204 No Content");
  EXPECT_EQ(Call("GET", "/fhir/Location/ifm-2").status, 410);

  HttpResponse stale = Post(
      Bundle("transaction",
             {Entry("PUT", "Location/ifm-1", Ward("ifm-1", "v3"), "", R"(,"ifMatch":"W/\"1\"")")}));
  EXPECT_EQ(stale.status, 412) << Describe(stale);
  EXPECT_EQ(JsonString(stale.body, {"issue", "0", "expression", "0"}), "Bundle.entry[0]");
  HttpResponse malformed = Post(Bundle(
      "transaction",
      {Entry("PUT", "Location/ifm-1", Ward("ifm-1", "v3"), "", R"(,"ifMatch":"yesterday")")}));
  EXPECT_EQ(malformed.status, 400) << Describe(malformed);
  EXPECT_EQ(JsonString(Call("GET", "/fhir/Location/ifm-1").body, {"name"}), "v2");
}

TEST_F(BundleTest, ConditionalEntriesInATransaction) {
  Put("cond-1", "existing");
  // ifNoneExist matches: nothing created, and its fullUrl resolves to the match.
  const std::string urn = "urn:uuid:6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b";
  HttpResponse r = Post(
      Bundle("transaction",
             {Entry("POST", "Location", Ward("", "would duplicate"), urn,
                    R"(,"ifNoneExist":"_id=cond-1")"),
              Entry("PUT", "Location/cond-child",
                    R"({"resourceType":"Location","id":"cond-child","partOf":{"reference":")" +
                        urn + R"("}})"),
              Entry("PUT", "Encounter/cond-enc",
                    R"({"resourceType":"Encounter","id":"cond-enc","status":"planned","class":)"
                    R"({"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},)"
                    R"("location":[{"location":{"reference":"Location?_id=cond-1"}}]})"),
              Entry("PUT", "Location?_id=cond-new", Ward("cond-new", "conditional create")),
              Entry("DELETE", "Location?_id=cond-none")}));
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(JsonString(r.body, {"entry", "0", "response", "status"}), "200 OK");
  EXPECT_EQ(TypeAndId(JsonString(r.body, {"entry", "0", "response", "location"})),
            "Location/cond-1");
  EXPECT_EQ(JsonString(r.body, {"entry", "3", "response", "status"}), "201 Created");
  EXPECT_EQ(JsonString(r.body, {"entry", "4", "response", "status"}), "204 No Content");
  HttpResponse child = Call("GET", "/fhir/Location/cond-child");
  EXPECT_EQ(JsonString(child.body, {"partOf", "reference"}), "Location/cond-1");
  HttpResponse encounter = Call("GET", "/fhir/Encounter/cond-enc");
  EXPECT_EQ(JsonString(encounter.body, {"location", "0", "location", "reference"}),
            "Location/cond-1")
      << "conditional reference resolved through the criteria";
  EXPECT_EQ(Call("GET", "/fhir/Location/cond-new").status, 200);
  EXPECT_EQ(JsonString(Call("GET", "/fhir/Location/cond-1").body, {"name"}), "existing");

  // Criteria run through search; an unknown parameter there is an error,
  // never a condition silently dropped (which would match everything).
  HttpResponse unknown =
      Post(Bundle("transaction", {Entry("PUT", "Location?nonsense=x", Ward("", "x"))}));
  EXPECT_EQ(unknown.status, 400) << Describe(unknown);
  EXPECT_NE(unknown.body.find("nonsense"), std::string::npos) << unknown.body;
  HttpResponse by_name =
      Post(Bundle("transaction", {Entry("PUT", "Location?name=existing", Ward("", "renamed"))}));
  EXPECT_EQ(by_name.status, 200) << Describe(by_name);
  EXPECT_EQ(JsonString(Call("GET", "/fhir/Location/cond-1").body, {"name"}), "renamed")
      << "the one Location named 'existing' was updated";
}

TEST_F(BundleTest, PreferShapesEntryResponses) {
  HttpResponse minimal =
      Post(Bundle("transaction", {Entry("POST", "Location", Ward("", "m"))}),
           {{"Content-Type", "application/fhir+json"}, {"Prefer", "return=minimal"}});
  ASSERT_EQ(minimal.status, 200) << Describe(minimal);
  EXPECT_FALSE(JsonHas(minimal.body, {"entry", "0", "resource"}));
  EXPECT_FALSE(JsonString(minimal.body, {"entry", "0", "response", "location"}).empty());
  HttpResponse outcome =
      Post(Bundle("transaction", {Entry("POST", "Location", Ward("", "o"))}),
           {{"Content-Type", "application/fhir+json"}, {"Prefer", "return=OperationOutcome"}});
  ASSERT_EQ(outcome.status, 200) << Describe(outcome);
  EXPECT_FALSE(JsonHas(outcome.body, {"entry", "0", "resource"}));
  EXPECT_EQ(JsonString(outcome.body, {"entry", "0", "response", "outcome", "resourceType"}),
            "OperationOutcome");
}

// ---- batch -------------------------------------------------------------------

TEST_F(BundleTest, BatchEntriesSucceedAndFailOnTheirOwn) {
  Put("batch-1", "v1");
  HttpResponse r = Post(Bundle(
      "batch",
      {Entry("PUT", "Location/batch-new", Ward("batch-new", "new")),
       Entry("POST", "Location", R"({"resourceType":"Location","status":"active","floor":1})"),
       Entry("PUT", "Location/batch-1", Ward("batch-1", "v2"), "", R"(,"ifMatch":"W/\"9\"")"),
       Entry("GET", "Location/batch-missing"), Entry("GET", "Location/batch-1"),
       Entry("GET", "Location?name=x"), Entry("POST", "Location", Ward("", "posted")),
       Entry("PATCH", "Location/batch-1", "", "")}));
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(JsonString(r.body, {"type"}), "batch-response");
  ASSERT_EQ(EntryCount(r.body), 8u);
  const std::vector<std::string> expected = {"201 Created",
                                             "422 Unprocessable Content",
                                             "412 Precondition Failed",
                                             "404 Not Found",
                                             "200 OK",
                                             "200 OK",
                                             "201 Created",
                                             "400 Bad Request"};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::string index = std::to_string(i);
    EXPECT_EQ(JsonString(r.body, {"entry", index, "response", "status"}), expected[i]) << i;
    const bool failed = expected[i][0] != '2';
    EXPECT_EQ(JsonString(r.body, {"entry", index, "response", "outcome", "resourceType"}),
              failed ? "OperationOutcome" : "")
        << i;
  }
  EXPECT_EQ(
      JsonString(r.body, {"entry", "1", "response", "outcome", "issue", "0", "expression", "0"}),
      "Bundle.entry[1].resource.floor");
  EXPECT_EQ(Call("GET", "/fhir/Location/batch-new").status, 200) << "its neighbours failed alone";
  EXPECT_EQ(JsonString(Call("GET", "/fhir/Location/batch-1").body, {"name"}), "v1");
  EXPECT_EQ(JsonString(r.body, {"entry", "4", "resource", "name"}), "v1");
}

// ---- formats, limits, shape errors -------------------------------------------

TEST_F(BundleTest, XmlTransactionWithXmlResponse) {
  const std::string xml =
      R"(<Bundle xmlns="http://hl7.org/fhir"><type value="transaction"/>)"
      R"(<entry><fullUrl value="urn:uuid:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"/>)"
      R"(<resource><Location><status value="active"/><name value="XML ward"/></Location></resource>)"
      R"(<request><method value="POST"/><url value="Location"/></request></entry>)"
      R"(<entry><resource><Location><id value="xml-bed"/><status value="active"/>)"
      R"(<partOf><reference value="urn:uuid:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"/></partOf>)"
      R"(</Location></resource><request><method value="PUT"/><url value="Location/xml-bed"/>)"
      R"(</request></entry></Bundle>)";
  HttpResponse r =
      Post(xml, {{"Content-Type", "application/fhir+xml"}, {"Accept", "application/fhir+xml"}});
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.Header("Content-Type"), "application/fhir+xml; charset=utf-8");
  EXPECT_NE(r.body.find(R"(<type value="transaction-response"/>)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"(<status value="201 Created"/>)"), std::string::npos);
  EXPECT_NE(r.body.find(R"(<name value="XML ward"/>)"), std::string::npos);
  HttpResponse bed = Call("GET", "/fhir/Location/xml-bed");
  const std::string ward = JsonString(bed.body, {"partOf", "reference"});
  EXPECT_TRUE(ward.starts_with("Location/")) << bed.body;
  EXPECT_EQ(Call("GET", "/fhir/" + ward).status, 200);

  HttpResponse pretty = Post(Bundle("batch", {Entry("GET", "Location/xml-bed")}),
                             {{"Content-Type", "application/fhir+json"}});
  EXPECT_EQ(pretty.status, 200);
  HttpResponse pretty_json = Call("POST", "/fhir?_pretty=true", kJson,
                                  Bundle("batch", {Entry("GET", "Location/xml-bed")}));
  EXPECT_EQ(pretty_json.status, 200);
  EXPECT_NE(pretty_json.body.find("\n  \"type\": \"batch-response\""), std::string::npos)
      << pretty_json.body;
}

TEST_F(BundleTest, EntryLimitIs413) {
  std::vector<std::string> entries(10'001, Entry("GET", "Location/limit"));
  HttpResponse r = Post(Bundle("batch", entries));
  EXPECT_EQ(r.status, 413) << Describe(r);
  EXPECT_EQ(JsonString(r.body, {"issue", "0", "code"}), "too-long");
  EXPECT_NE(r.body.find("10001"), std::string::npos) << r.body;
}

TEST_F(BundleTest, OnlyBatchAndTransactionBundles) {
  HttpResponse collection = Post(Bundle("collection", {}));
  EXPECT_EQ(collection.status, 400) << Describe(collection);
  EXPECT_EQ(JsonString(collection.body, {"resourceType"}), "OperationOutcome");
  HttpResponse patient = Post(R"({"resourceType":"Patient"})");
  EXPECT_EQ(patient.status, 400) << Describe(patient);
  HttpResponse empty = Post(R"({"resourceType":"Bundle","type":"transaction"})");
  EXPECT_EQ(empty.status, 200) << Describe(empty);
  EXPECT_EQ(JsonString(empty.body, {"type"}), "transaction-response");
  HttpResponse other_server =
      Post(Bundle("transaction", {Entry("GET", "http://elsewhere.example/fhir/Location/1")}));
  EXPECT_EQ(other_server.status, 400) << Describe(other_server);
}

// ---- conditional update and delete over HTTP ----------------------------------

TEST_F(BundleTest, ConditionalUpdateOnId) {
  HttpResponse created = Call("PUT", "/fhir/Location?_id=cu-1", kJson, Ward("cu-1", "one"));
  EXPECT_EQ(created.status, 201) << Describe(created);
  EXPECT_EQ(created.Header("ETag"), "W/\"1\"");
  HttpResponse updated = Call("PUT", "/fhir/Location?_id=cu-1", kJson, Ward("", "two"));
  EXPECT_EQ(updated.status, 200) << Describe(updated);
  EXPECT_EQ(JsonString(updated.body, {"id"}), "cu-1") << "the match's id";
  EXPECT_EQ(updated.Header("ETag"), "W/\"2\"");
  HttpResponse other_id = Call("PUT", "/fhir/Location?_id=cu-1", kJson, Ward("cu-9", "x"));
  EXPECT_EQ(other_id.status, 400) << Describe(other_id);
  HttpResponse stale =
      Call("PUT", "/fhir/Location?_id=cu-1",
           {{"Content-Type", "application/fhir+json"}, {"If-Match", "W/\"1\""}}, Ward("cu-1", "x"));
  EXPECT_EQ(stale.status, 412) << Describe(stale);
  HttpResponse unknown = Call("PUT", "/fhir/Location?nonsense=one", kJson, Ward("", "x"));
  EXPECT_EQ(unknown.status, 400) << Describe(unknown);
  Put("cu-twin-1", "twin");
  Put("cu-twin-2", "twin");
  HttpResponse several = Call("PUT", "/fhir/Location?name:exact=twin", kJson, Ward("", "x"));
  EXPECT_EQ(several.status, 412) << "two matches: " << Describe(several);
  HttpResponse no_criteria = Call("PUT", "/fhir/Location", kJson, Ward("", "x"));
  EXPECT_EQ(no_criteria.status, 400) << Describe(no_criteria);
  HttpResponse fresh = Call("PUT", "/fhir/Location?_id=cu-new", kJson, Ward("", "new"));
  EXPECT_EQ(fresh.status, 201) << "no match, no body id: a new server id";
  EXPECT_NE(JsonString(fresh.body, {"id"}), "");
  EXPECT_EQ(JsonString(Call("GET", "/fhir/Location/cu-1").body, {"name"}), "two");
}

TEST_F(BundleTest, ConditionalDeleteOnId) {
  Put("cd-1", "doomed");
  HttpResponse deleted = Call("DELETE", "/fhir/Location?_id=cd-1");
  EXPECT_EQ(deleted.status, 204) << Describe(deleted);
  EXPECT_EQ(Call("GET", "/fhir/Location/cd-1").status, 410);
  HttpResponse none = Call("DELETE", "/fhir/Location?_id=cd-1");
  EXPECT_EQ(none.status, 204) << "no match is a successful no-op";
  HttpResponse unknown = Call("DELETE", "/fhir/Location?nonsense=doomed");
  EXPECT_EQ(unknown.status, 400) << Describe(unknown);
  Put("cd-2", "doomed-by-name");
  EXPECT_EQ(Call("DELETE", "/fhir/Location?name:exact=doomed-by-name").status, 204);
  EXPECT_EQ(Call("GET", "/fhir/Location/cd-2").status, 410) << "deleted through search criteria";
  EXPECT_EQ(Call("DELETE", "/fhir/Location").status, 400) << "criteria are required";
}

}  // namespace
}  // namespace fhirengine::testing
