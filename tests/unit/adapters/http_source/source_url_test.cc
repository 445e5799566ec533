// Source URLs: parsing, and the origin check that keeps paging links (and
// credentials) on the configured server.
#include "adapters/http_source/source_url.h"

#include <gtest/gtest.h>

namespace fhirengine::adapters::http_source {
namespace {

TEST(SourceUrl, ParsesSchemeHostPortAndTarget) {
  Result<SourceUrl> url = ParseSourceUrl("HTTPS://EHR.Example.org/fhir/Location?_count=10#x");
  ASSERT_TRUE(url.ok()) << url.status().message();
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "ehr.example.org");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/fhir/Location?_count=10");
  EXPECT_EQ(url->Origin(), "https://ehr.example.org:443");
  EXPECT_EQ(url->ToString(), "https://ehr.example.org/fhir/Location?_count=10");
  Result<SourceUrl> local = ParseSourceUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->port, 8080);
  EXPECT_EQ(local->target, "/");
  EXPECT_EQ(local->ToString(), "http://127.0.0.1:8080/");
}

TEST(SourceUrl, RejectsWhatIsNotAnAbsoluteHttpUrl) {
  EXPECT_FALSE(ParseSourceUrl("ftp://host/x").ok());
  EXPECT_FALSE(ParseSourceUrl("/fhir/Location").ok());
  EXPECT_FALSE(ParseSourceUrl("http:///path").ok());
  EXPECT_FALSE(ParseSourceUrl("http://host:0/").ok());
  EXPECT_FALSE(ParseSourceUrl("http://host:99999/").ok());
  EXPECT_FALSE(ParseSourceUrl("http://host/a b").ok());
  Result<SourceUrl> userinfo = ParseSourceUrl("https://user:secret@host/fhir");
  ASSERT_FALSE(userinfo.ok());
  EXPECT_EQ(userinfo.status().message().find("secret"), std::string::npos);
}

TEST(SourceUrl, FollowsLinksOnTheSameOriginOnly) {
  const SourceUrl base = *ParseSourceUrl("https://ehr.example.org/fhir");
  Result<SourceUrl> same =
      ResolveSameOriginLink(base, "https://ehr.example.org:443/fhir/Location?_offset=10");
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_EQ(same->target, "/fhir/Location?_offset=10");
  Result<SourceUrl> relative = ResolveSameOriginLink(base, "/fhir/Location?page=2");
  ASSERT_TRUE(relative.ok());
  EXPECT_EQ(relative->ToString(), "https://ehr.example.org/fhir/Location?page=2");

  Result<SourceUrl> other = ResolveSameOriginLink(base, "https://attacker.example/steal");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("attacker.example"), std::string::npos);
  EXPECT_FALSE(ResolveSameOriginLink(base, "http://ehr.example.org/fhir/Location").ok());
  EXPECT_FALSE(ResolveSameOriginLink(base, "https://ehr.example.org:8443/fhir").ok());
  EXPECT_FALSE(ResolveSameOriginLink(base, "//attacker.example/x").ok());
  EXPECT_FALSE(ResolveSameOriginLink(base, "javascript:alert(1)").ok());
}

TEST(SourceUrl, EncodesQueryComponents) {
  EXPECT_EQ(EncodeQueryComponent("gt2026-01-02T03:04:05.000+01:00"),
            "gt2026-01-02T03%3A04%3A05.000%2B01%3A00");
  std::string url = "/fhir/Location";
  AppendQueryParam(url, "_count", "10");
  AppendQueryParam(url, "name", "a&b");
  EXPECT_EQ(url, "/fhir/Location?_count=10&name=a%26b");
}

}  // namespace
}  // namespace fhirengine::adapters::http_source
