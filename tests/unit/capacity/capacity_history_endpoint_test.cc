// GET /capacity/history as a handler: status, content type, the trend body,
// and 400/405 with a clear JSON error for bad parameters and methods.
#include <gtest/gtest.h>

#include <future>
#include <string>

#include "engine/capacity/capacity_history.h"
#include "tests/unit/capacity/capacity_fhir_fixture.h"

namespace fhirengine::capacity {
namespace {

class CapacityHistoryEndpointTest : public CapacityFhirTest {
 protected:
  rest::RestResponse Call(const std::string& method, const std::string& target) {
    CapacityHistoryEndpoint endpoint(fhir_->history());
    std::promise<rest::RestResponse> done;
    rest::RestRequest request;
    request.method = method;
    request.target = target;
    endpoint.Handle(std::move(request), rest::Responder{[](std::function<void()> work) { work(); },
                                                        [&done](rest::RestResponse r) {
                                                          done.set_value(std::move(r));
                                                        }});
    return done.get_future().get();
  }
};

TEST_F(CapacityHistoryEndpointTest, AnswersTheTrendAsJson) {
  ASSERT_TRUE(fhir_->history().TakeSnapshot().ok());
  rest::RestResponse r = Call("GET", "/capacity/history?hours=2&subject=Organization/h1");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(
      r.body.rfind(
          R"({"subject":"Organization/h1","hours":2,"points":[{"time":"2023-11-14T22:13:20.000Z")",
          0),
      0u)
      << r.body;
  r = Call("GET", "/capacity/history");  // the region over the default 24 hours
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"({"subject":"","hours":24,"points":[{)"), std::string::npos) << r.body;
}

TEST_F(CapacityHistoryEndpointTest, RefusesBadParametersWithAClearMessage) {
  auto expect400 = [this](const std::string& target, const std::string& error) {
    const rest::RestResponse r = Call("GET", target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(r.content_type, "application/json") << target;
    EXPECT_EQ(r.body, R"({"error":")" + error + R"("})") << target;
  };
  expect400("/capacity/history?hours=abc", "hours 'abc' is not a whole number");
  expect400("/capacity/history?hours=", "hours '' is not a whole number");
  expect400("/capacity/history?hours=-1", "hours '-1' is not a whole number");
  expect400("/capacity/history?hours=123456", "hours '123456' is not a whole number");
  expect400("/capacity/history?hours=0", "hours must be between 1 and 48");
  expect400("/capacity/history?hours=49", "hours must be between 1 and 48");
  expect400("/capacity/history?subject=Location/w1", "subject must be Organization/{id}");
  expect400("/capacity/history?subject=Organization/a%20b", "subject must be Organization/{id}");
}

TEST_F(CapacityHistoryEndpointTest, AllowsOnlyGetAndHead) {
  const rest::RestResponse r = Call("POST", "/capacity/history");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, R"({"error":"GET /capacity/history only"})");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Allow");
  EXPECT_EQ(r.headers[0].second, "GET, HEAD");
  EXPECT_EQ(Call("HEAD", "/capacity/history").status, 200);
}

}  // namespace
}  // namespace fhirengine::capacity
