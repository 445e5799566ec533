// FhirApi with an access policy, in-process over a real store: interactions
// that search on the side (If-None-Exist, a transaction's ifNoneExist and
// conditional references) need the search right on the type they search,
// so a token without it learns nothing about resources it may not see.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>

#include "engine/auth/access_guard.h"
#include "engine/rest/fhir_api.h"

namespace fhirengine::rest {
namespace {

// Grants every request the scopes it was built with.
class FixedScopes final : public AccessPolicy {
 public:
  explicit FixedScopes(std::string_view scopes) {
    auto grant = std::make_shared<auth::AccessGrant>();
    grant->client_id = "test";
    grant->scope = *auth::ScopeSet::Parse(scopes);
    grant->expires_at_ms = INT64_MAX;
    access_ = std::make_shared<auth::ScopedAccess>(std::move(grant));
  }
  Result<std::shared_ptr<const RequestAccess>> Authenticate(const RestRequest&) const override {
    return access_;
  }

 private:
  std::shared_ptr<const RequestAccess> access_;
};

class FhirApiAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fe-api-access-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::StoreOptions options;
    options.path = (dir_ / "db").string();
    auto opened = store::ResourceStore::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    open_ = std::make_unique<FhirApi>(*store_, FhirApiOptions{"http://fhir.test/fhir", "test"});
    // One Patient that the restricted client must not learn about.
    RestRequest seed =
        Post("/fhir/Patient", R"({"resourceType":"Patient","identifier":[{"system":"urn:t",)"
                              R"("value":"secret-1"}],"gender":"other"})");
    ASSERT_EQ(Call(*open_, seed).status, 201);
  }
  void TearDown() override {
    guarded_.reset();
    open_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  FhirApi& Guarded(std::string_view scopes) {
    policy_ = std::make_unique<FixedScopes>(scopes);
    FhirApiOptions options{"http://fhir.test/fhir", "test"};
    options.access_policy = policy_.get();
    guarded_ = std::make_unique<FhirApi>(*store_, options);
    return *guarded_;
  }
  static RestRequest Post(std::string target, std::string body) {
    RestRequest req;
    req.method = "POST";
    req.target = std::move(target);
    req.content_type = "application/fhir+json";
    req.body = std::move(body);
    return req;
  }
  static RestResponse Call(FhirApi& api, RestRequest request) {
    std::promise<RestResponse> done;
    api.Handle(std::move(request),
               Responder{[](std::function<void()> work) { work(); },
                         [&done](RestResponse r) { done.set_value(std::move(r)); }});
    return done.get_future().get();
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::ResourceStore> store_;
  std::unique_ptr<FhirApi> open_;
  std::unique_ptr<FixedScopes> policy_;
  std::unique_ptr<FhirApi> guarded_;
};

TEST_F(FhirApiAccessTest, IfNoneExistNeedsSearchOnTheType) {
  RestRequest req = Post("/fhir/Patient", R"({"resourceType":"Patient","gender":"male"})");
  req.if_none_exist = "identifier=urn:t|secret-1";
  // Create alone would answer 200 with the matching Patient: a read.
  RestResponse r = Call(Guarded("system/Patient.c"), req);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.body.find("secret-1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("system/Patient.s"), std::string::npos) << r.body;
  r = Call(Guarded("system/Patient.cs"), req);
  EXPECT_EQ(r.status, 200) << r.body;
  // Without If-None-Exist create is enough.
  req.if_none_exist.clear();
  EXPECT_EQ(Call(Guarded("system/Patient.c"), req).status, 201);
}

TEST_F(FhirApiAccessTest, ValidateNeedsReadOnTheType) {
  // mode=delete tells whether an instance exists: as much as a read.
  const RestRequest req = Post("/fhir/Patient/$validate", R"({"resourceType":"Patient"})");
  RestResponse r = Call(Guarded("system/Patient.c system/Observation.r"), req);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("system/Patient.r"), std::string::npos) << r.body;
  r = Call(Guarded("system/Patient.r"), req);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("All OK"), std::string::npos) << r.body;
}

TEST_F(FhirApiAccessTest, TransactionIfNoneExistNeedsSearchOnTheType) {
  const std::string bundle =
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":)"
      R"({"resourceType":"Patient","gender":"male"},"request":{"method":"POST",)"
      R"("url":"Patient","ifNoneExist":"identifier=urn:t|secret-1"}}]})";
  RestResponse r = Call(Guarded("system/Patient.c"), Post("/fhir", bundle));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.body.find("secret-1\""), std::string::npos) << r.body;
  EXPECT_EQ(Call(Guarded("system/Patient.cs"), Post("/fhir", bundle)).status, 200);
}

TEST_F(FhirApiAccessTest, ConditionalReferenceNeedsSearchOnTheReferencedType) {
  const std::string bundle =
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":)"
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},)"
      R"("subject":{"reference":"Patient?identifier=urn:t|secret-1"}},)"
      R"("request":{"method":"POST","url":"Observation"}}]})";
  // Resolving the reference searches Patient: an existence oracle without s.
  RestResponse r = Call(Guarded("system/Observation.c"), Post("/fhir", bundle));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("system/Patient.s"), std::string::npos) << r.body;
  r = Call(Guarded("system/Observation.c system/Patient.s"), Post("/fhir", bundle));
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(FhirApiAccessTest, ChainsAndHasNeedSearchOnEveryTypeTheyReach) {
  RestRequest get;
  get.method = "GET";
  // A chain filters Encounters by their Patient's identifier: a Patient search.
  get.target = "/fhir/Encounter?subject:Patient.identifier=urn:t%7Csecret-1";
  RestResponse r = Call(Guarded("system/Encounter.rs"), get);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("system/Patient.s"), std::string::npos) << r.body;
  EXPECT_EQ(Call(Guarded("system/Encounter.rs system/Patient.s"), get).status, 200);
  // Without a type the chain may reach any target type.
  get.target = "/fhir/Encounter?subject.identifier=urn:t%7Csecret-1";
  EXPECT_EQ(Call(Guarded("system/Encounter.rs system/Patient.s"), get).status, 403);
  EXPECT_EQ(Call(Guarded("system/Encounter.rs system/*.s"), get).status, 200);
  // Nested hops each count.
  get.target = "/fhir/Encounter?subject:Patient.organization:Organization.name=x";
  r = Call(Guarded("system/Encounter.rs system/Patient.s"), get);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("system/Organization.s"), std::string::npos) << r.body;
  // _has filters Patients by the Observations that point at them.
  get.target = "/fhir/Patient?_has:Observation:subject:code=x";
  r = Call(Guarded("system/Patient.rs"), get);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("system/Observation.s"), std::string::npos) << r.body;
  EXPECT_EQ(Call(Guarded("system/Patient.rs system/Observation.s"), get).status, 200);
  // The same in a POST _search body and in a batch entry.
  RestRequest post = Post("/fhir/Encounter/_search", "subject:Patient.identifier=x");
  post.content_type = "application/x-www-form-urlencoded";
  EXPECT_EQ(Call(Guarded("system/Encounter.rs"), post).status, 403);
  const std::string batch =
      R"({"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET",)"
      R"("url":"Encounter?subject:Patient.identifier=x"}}]})";
  r = Call(Guarded("system/Encounter.rs"), Post("/fhir", batch));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("403"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace fhirengine::rest
