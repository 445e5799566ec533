// FhirApi in-process, over a real store on a temporary file, without HTTP:
// the CapabilityStatement, stamping, status mapping, and the 503 of a full
// write queue and a patch racing an update (which no HTTP test can provoke
// reliably).
#include "engine/rest/fhir_api.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>

#include "engine/core/time_format.h"
#include "engine/fhir/resource_format.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"
#include "engine/rest/capability_statement.h"
#include "engine/validation/structural_validator.h"

namespace fhirengine::rest {
namespace {

class FhirApiTest : public ::testing::Test {
 protected:
  void SetUp() override { Open({}); }
  void TearDown() override {
    api_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open(store::StoreOptions options) {
    api_.reset();
    store_.reset();
    dir_ = std::filesystem::temp_directory_path() /
           ("fe-api-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    options.path = (dir_ / "db").string();
    auto opened = store::ResourceStore::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    api_ = std::make_unique<FhirApi>(*store_, FhirApiOptions{"http://fhir.test/fhir", "test"});
  }
  // Runs one request; `resume` runs inline (on the store's writer thread
  // for writes), which is enough here.
  RestResponse Call(RestRequest request) {
    std::promise<RestResponse> done;
    api_->Handle(std::move(request),
                 Responder{[](std::function<void()> work) { work(); },
                           [&done](RestResponse r) { done.set_value(std::move(r)); }});
    return done.get_future().get();
  }
  std::string Header(const RestResponse& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::ResourceStore> store_;
  std::unique_ptr<FhirApi> api_;
};

TEST(CapabilityStatement, IsValidR4AndListsEveryConcreteType) {
  json::Document doc;
  json::Value cs = BuildCapabilityStatement(doc, {"http://x/fhir", "1.0", 0});
  validation::IssueCollector issues;
  ASSERT_TRUE(validation::ValidateStructure(cs, issues).ok());
  for (const auto& issue : issues.issues())
    ADD_FAILURE() << issue.expression << ": " << issue.message;
  std::size_t concrete = 0;
  for (const fhir::TypeDef* t : fhir::TypeModel::R4().resources()) concrete += !t->is_abstract;
  const json::Value* rest = cs.Find("rest");
  ASSERT_NE(rest, nullptr);
  EXPECT_EQ(rest->elements()[0].Find("resource")->elements().size(), concrete);
  EXPECT_GT(concrete, 140u);
}

TEST(CapabilityStatement, AdvertisesTheSmartTokenEndpointWhenAuthIsOn) {
  json::Document doc;
  json::Value open = BuildCapabilityStatement(doc, {"http://x/fhir", "1.0", 0});
  EXPECT_EQ(open.Find("rest")->elements()[0].Find("security"), nullptr);
  json::Value cs =
      BuildCapabilityStatement(doc, {"https://x/fhir", "1.0", 0, "https://x/auth/token"});
  validation::IssueCollector issues;
  ASSERT_TRUE(validation::ValidateStructure(cs, issues).ok());
  for (const auto& issue : issues.issues())
    ADD_FAILURE() << issue.expression << ": " << issue.message;
  const json::Value* security = cs.Find("rest")->elements()[0].Find("security");
  ASSERT_NE(security, nullptr);
  EXPECT_EQ(json::Write(*security->Find("service")),
            R"([{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/)"
            R"(restful-security-service","code":"SMART-on-FHIR"}]}])");
  EXPECT_EQ(json::Write(*security->Find("extension")),
            R"([{"url":"http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",)"
            R"("extension":[{"url":"token","valueUri":"https://x/auth/token"}]}])");
  // The XML form keeps the element order R4 defines (security before resource).
  Result<std::string> xml = fhir::SerializeResource(cs, fhir::Format::kXml);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  EXPECT_LT(xml->find("<security>"), xml->find("<resource>"));
}

TEST_F(FhirApiTest, CreateStampsMetaAndStoresCanonicalJson) {
  RestRequest req;
  req.method = "POST";
  req.target = "/fhir/Location";
  req.content_type = "application/fhir+json";
  req.body =
      R"({"name":"Avd 7","meta":{"source":"#adt","versionId":"99"},"resourceType":"Location"})";
  RestResponse r = Call(req);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string location = Header(r, "Location");
  ASSERT_EQ(location.rfind("http://fhir.test/fhir/Location/", 0), 0u) << location;
  const std::string id = location.substr(31, 32);
  Result<store::StoredResource> stored = store_->Read("Location", id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->json, r.body);
  const std::string prefix =
      R"({"resourceType":"Location","id":")" + id + R"(","meta":{"versionId":"1","lastUpdated":")";
  EXPECT_EQ(stored->json.rfind(prefix, 0), 0u) << stored->json;
  EXPECT_NE(stored->json.find(R"("source":"#adt"})"), std::string::npos)
      << "other meta elements are kept: " << stored->json;
}

TEST_F(FhirApiTest, FullWriteQueueIs503WithRetryAfter) {
  store::StoreOptions options;
  options.max_queued_batches = 0;  // every Submit is refused
  Open(options);
  RestRequest req;
  req.method = "PUT";
  req.target = "/fhir/Patient/p1";
  req.content_type = "application/fhir+json";
  req.body = R"({"resourceType":"Patient","id":"p1"})";
  RestResponse r = Call(req);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(Header(r, "Retry-After"), "1");
  EXPECT_NE(r.body.find(R"("code":"transient")"), std::string::npos) << r.body;
}

// A patch guards the version it read: an update committed between that read
// and the patch's write makes the patch 409, never a silent overwrite. The
// update's stamp holds the writer so the patch is sure to read version 1
// while the update is in flight (no HTTP test can order that).
TEST_F(FhirApiTest, PatchRacingAnUpdateIs409) {
  RestRequest put;
  put.method = "PUT";
  put.target = "/fhir/Patient/p1";
  put.content_type = "application/fhir+json";
  put.body = R"({"resourceType":"Patient","id":"p1","active":true})";
  ASSERT_EQ(Call(put).status, 201);

  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  store::WriteOp update;
  update.type = "Patient";
  update.id = "p1";
  update.stamp = [&entered, released](std::int64_t version, std::int64_t ms) {
    entered.set_value();
    released.wait();
    return R"({"resourceType":"Patient","id":"p1","meta":{"versionId":")" +
           std::to_string(version) + R"(","lastUpdated":")" + FormatInstant(ms) +
           R"("},"active":false})";
  };
  std::promise<Result<std::vector<store::WriteResult>>> update_done;
  store_->Submit({std::move(update)}, [&update_done](Result<std::vector<store::WriteResult>> r) {
    update_done.set_value(std::move(r));
  });
  const bool writer_held =
      entered.get_future().wait_for(std::chrono::seconds(20)) == std::future_status::ready;
  if (!writer_held) release.set_value();  // never leave the writer blocked
  ASSERT_TRUE(writer_held);

  RestRequest patch;
  patch.method = "PATCH";
  patch.target = "/fhir/Patient/p1";
  patch.content_type = "application/json-patch+json";
  patch.body = R"([{"op":"add","path":"/gender","value":"unknown"}])";
  std::promise<RestResponse> patched;
  api_->Handle(std::move(patch),
               Responder{[](std::function<void()> work) { work(); },
                         [&patched](RestResponse r) { patched.set_value(std::move(r)); }});
  release.set_value();

  Result<std::vector<store::WriteResult>> updated = update_done.get_future().get();
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->front().version, 2);
  std::future<RestResponse> answer = patched.get_future();
  ASSERT_EQ(answer.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  RestResponse r = answer.get();
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find(R"("code":"conflict")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("is at version 2, not 1"), std::string::npos) << r.body;
  Result<store::StoredResource> stored = store_->Read("Patient", "p1");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->version, 2);
  EXPECT_EQ(stored->json.find("gender"), std::string::npos) << "the update was not overwritten";
}

TEST_F(FhirApiTest, ProtocolErrorsAreOperationOutcomes) {
  RestResponse r = api_->ProtocolError(413, "too big");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.content_type, "application/fhir+json; charset=utf-8");
  EXPECT_NE(r.body.find(R"("code":"too-long")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("too big"), std::string::npos);
}

TEST(StatusMapping, StoreStatusesToHttp) {
  EXPECT_EQ(HttpStatusFor(Status(StatusCode::kFailedPrecondition, "")), 412);
  EXPECT_EQ(HttpStatusFor(Status(StatusCode::kAlreadyExists, "")), 409);
  EXPECT_EQ(HttpStatusFor(Status(StatusCode::kNotFound, "")), 404);
  EXPECT_EQ(HttpStatusFor(Status(StatusCode::kUnavailable, "")), 503);
  EXPECT_EQ(HttpStatusFor(Status(StatusCode::kIoError, "")), 500);
  EXPECT_EQ(validation::IssueTypeCode(IssueTypeFor(410)), "deleted");
  EXPECT_EQ(validation::IssueTypeCode(IssueTypeFor(409)), "duplicate");
  EXPECT_EQ(ReasonPhrase(422), "Unprocessable Content");
}

TEST(NewResourceId, Is128BitsOfHex) {
  const std::string a = NewResourceId();
  const std::string b = NewResourceId();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
}

}  // namespace
}  // namespace fhirengine::rest
