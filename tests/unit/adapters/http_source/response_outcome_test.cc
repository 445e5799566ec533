// Retry-After parsing, HTTP status to poll outcome mapping, and the static
// Authorization headers of the pulling adapters.
#include "adapters/http_source/response_outcome.h"

#include <gtest/gtest.h>

#include "adapters/http_source/source_fetcher.h"
#include "engine/core/time_format.h"
#include "tests/unit/adapters/http_source/pull_test_support.h"

namespace fhirengine::adapters::http_source {
namespace {

using std::chrono::milliseconds;

TEST(RetryAfter, ParsesDeltaSecondsAndHttpDates) {
  const std::int64_t now = *ParseInstant("2026-11-23T10:00:00.000Z");
  EXPECT_EQ(ParseRetryAfter("120", now), milliseconds(120'000));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("Mon, 23 Nov 2026 10:00:30 GMT", now), milliseconds(30'000));
  EXPECT_EQ(ParseRetryAfter("Mon, 23 Nov 2026 09:00:00 GMT", now), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999", now), kMaxRetryAfter);
  EXPECT_EQ(ParseRetryAfter("86400", now), kMaxRetryAfter);
  EXPECT_FALSE(ParseRetryAfter("", now).has_value());
  EXPECT_FALSE(ParseRetryAfter("-5", now).has_value());
  EXPECT_FALSE(ParseRetryAfter("soon", now).has_value());
}

TEST(ClassifyResponse, MapsStatusesToOutcomes) {
  net::HttpResponse ok;
  ok.status = 200;
  EXPECT_TRUE(ClassifyResponse(ok, "GET x", 0).status.ok());

  net::HttpResponse throttled;
  throttled.status = 429;
  throttled.headers.emplace_back("retry-after", "7");
  ResponseOutcome t = ClassifyResponse(throttled, "GET https://ehr/fhir/Location", 0);
  EXPECT_EQ(t.status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(t.throttled);
  EXPECT_EQ(t.retry_after, milliseconds(7000));
  EXPECT_NE(t.status.message().find("GET https://ehr/fhir/Location: HTTP 429"), std::string::npos);

  net::HttpResponse unavailable;
  unavailable.status = 503;
  ResponseOutcome u = ClassifyResponse(unavailable, "GET x", 0);
  EXPECT_TRUE(u.throttled);
  EXPECT_FALSE(u.retry_after.has_value());

  net::HttpResponse unauthorized;
  unauthorized.status = 401;
  EXPECT_EQ(ClassifyResponse(unauthorized, "GET x", 0).status.code(),
            StatusCode::kFailedPrecondition);

  net::HttpResponse bad = pull_testing::JsonResponse(
      400, R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid",)"
           R"("diagnostics":"_lastUpdated: 'gtx' is not a date"}]})");
  ResponseOutcome b = ClassifyResponse(bad, "GET x", 0);
  EXPECT_EQ(b.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(b.status.message().find("is not a date"), std::string::npos);

  net::HttpResponse server_error;
  server_error.status = 500;
  server_error.body = std::string(5000, 'x') + "\n\x01";
  ResponseOutcome e = ClassifyResponse(server_error, "GET x", 0);
  EXPECT_EQ(e.status.code(), StatusCode::kUnavailable);
  EXPECT_LT(e.status.message().size(), 300u);
}

TEST(SourceFetcher, SendsStaticCredentialsAndAccept) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");

  auto client = std::make_shared<pull_testing::ScriptedHttpClient>(
      [](const net::HttpRequest&) { return pull_testing::JsonResponse(200, "{}"); });
  AuthSettings basic;
  basic.type = AuthType::kBasic;
  basic.username = "Aladdin";
  basic.password = "open sesame";
  SourceFetcher fetcher(client, MakeStaticAuthorizer(basic));
  FetchResult r =
      fetcher.Get(*ParseSourceUrl("https://ehr.test/fhir/Location"), "application/fhir+json");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(client->requests().size(), 1u);
  const net::HttpRequest sent = client->requests()[0];
  EXPECT_EQ(sent.url, "https://ehr.test/fhir/Location");
  bool saw_auth = false, saw_accept = false;
  for (const auto& [k, v] : sent.headers) {
    if (k == "Authorization") saw_auth = v == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==";
    if (k == "Accept") saw_accept = v == "application/fhir+json";
  }
  EXPECT_TRUE(saw_auth);
  EXPECT_TRUE(saw_accept);
}

// An authorizer whose first token is stale: a 401 makes it renew once.
class RenewingAuthorizer : public RequestAuthorizer {
 public:
  Result<std::string> Authorization() override { return "Bearer token-" + std::to_string(gen); }
  bool InvalidateAfterUnauthorized() override {
    ++gen;
    ++invalidations;
    return true;
  }
  int gen = 1;
  int invalidations = 0;
};

TEST(SourceFetcher, RetriesOnceAfter401WithRenewedCredentials) {
  auto client = std::make_shared<pull_testing::ScriptedHttpClient>([](const net::HttpRequest& r) {
    for (const auto& [k, v] : r.headers) {
      if (k == "Authorization" && v == "Bearer token-2")
        return pull_testing::JsonResponse(200, "{}");
    }
    return pull_testing::JsonResponse(401, "");
  });
  auto auth = std::make_shared<RenewingAuthorizer>();
  SourceFetcher fetcher(client, auth);
  FetchResult r = fetcher.Get(*ParseSourceUrl("https://ehr.test/fhir/Location"), "x");
  EXPECT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(auth->invalidations, 1);
  EXPECT_EQ(client->requests().size(), 2u);

  // Still refused after renewing: one retry only, then a clear error.
  auth->gen = 5;
  FetchResult refused = fetcher.Get(*ParseSourceUrl("https://ehr.test/fhir/Location"), "x");
  EXPECT_EQ(refused.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(client->requests().size(), 4u);
  EXPECT_EQ(refused.status.message().find("token-"), std::string::npos);
}

}  // namespace
}  // namespace fhirengine::adapters::http_source
