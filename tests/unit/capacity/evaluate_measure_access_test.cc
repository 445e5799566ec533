// $evaluate-measure through the FhirApi's operation registry: GET only (405
// with Allow otherwise) and, with an access policy, the SMART read right on
// Measure (403 naming the missing scope without it).
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>

#include "engine/auth/access_guard.h"
#include "tests/unit/capacity/capacity_fhir_fixture.h"

namespace fhirengine::capacity {
namespace {

// Grants every request the scopes it was built with.
class FixedScopes final : public rest::AccessPolicy {
 public:
  explicit FixedScopes(std::string_view scopes) {
    auto grant = std::make_shared<auth::AccessGrant>();
    grant->client_id = "test";
    grant->scope = *auth::ScopeSet::Parse(scopes);
    grant->expires_at_ms = INT64_MAX;
    access_ = std::make_shared<auth::ScopedAccess>(std::move(grant));
  }
  Result<std::shared_ptr<const rest::RequestAccess>> Authenticate(
      const rest::RestRequest&) const override {
    return access_;
  }

 private:
  std::shared_ptr<const rest::RequestAccess> access_;
};

class EvaluateMeasureAccessTest : public CapacityFhirTest {
 protected:
  rest::RestResponse Call(const std::string& method, const std::string& scopes) {
    FixedScopes policy(scopes);
    rest::FhirApiOptions options{"http://fhir.test/fhir", "test"};
    options.operations = &operations_;
    if (!scopes.empty()) options.access_policy = &policy;
    rest::FhirApi api(*store_, options);
    std::promise<rest::RestResponse> done;
    rest::RestRequest request;
    request.method = method;
    request.target = "/fhir/Measure/regional-bed-capacity/$evaluate-measure";
    api.Handle(std::move(request),
               rest::Responder{[](std::function<void()> work) { work(); },
                               [&done](rest::RestResponse r) { done.set_value(std::move(r)); }});
    return done.get_future().get();
  }
};

TEST_F(EvaluateMeasureAccessTest, AnswersOnlyGet) {
  const rest::RestResponse r = Call("POST", "");
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.body.find("OperationOutcome"), std::string::npos);
  EXPECT_NE(r.body.find("$evaluate-measure is answered on GET "
                        "Measure/regional-bed-capacity/$evaluate-measure"),
            std::string::npos)
      << r.body;
  bool allow = false;
  for (const auto& [name, value] : r.headers) allow |= name == "Allow" && value == "GET, HEAD";
  EXPECT_TRUE(allow);
  EXPECT_EQ(Call("DELETE", "").status, 405);
}

TEST_F(EvaluateMeasureAccessTest, NeedsTheReadRightOnMeasure) {
  const rest::RestResponse denied = Call("GET", "system/Location.rs system/Patient.cruds");
  EXPECT_EQ(denied.status, 403);
  EXPECT_NE(denied.body.find("the access token's scopes do not allow $evaluate-measure on Measure"),
            std::string::npos)
      << denied.body;
  EXPECT_EQ(Call("GET", "system/Measure.s").status, 403);  // search is not read
  EXPECT_EQ(Call("GET", "system/Measure.r").status, 200);
  EXPECT_EQ(Call("GET", "system/*.rs").status, 200);
}

}  // namespace
}  // namespace fhirengine::capacity
