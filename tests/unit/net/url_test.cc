// ParseHttpUrl: what the HTTP client connects to and writes in the request
// line, and the URLs it refuses.
#include "engine/net/url.h"

#include <gtest/gtest.h>

namespace fhirengine::net {
namespace {

TEST(ParseHttpUrl, SplitsHttpsUrlWithPortPathAndQuery) {
  Result<HttpUrl> u =
      ParseHttpUrl("HTTPS://Fhir.Example.ORG:8443/fhir/Patient?name=x&_count=2#frag");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_TRUE(u->https);
  EXPECT_EQ(u->host, "fhir.example.org");
  EXPECT_FALSE(u->host_is_ip);
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->host_header, "fhir.example.org:8443");
  EXPECT_EQ(u->target, "/fhir/Patient?name=x&_count=2");
  EXPECT_EQ(u->Origin(), "https://fhir.example.org:8443");
  EXPECT_EQ(u->ForMessages(), "https://fhir.example.org:8443/fhir/Patient");
}

TEST(ParseHttpUrl, DefaultsPortAndPath) {
  Result<HttpUrl> u = ParseHttpUrl("http://127.0.0.1");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_FALSE(u->https);
  EXPECT_TRUE(u->host_is_ip);
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->host_header, "127.0.0.1");
  EXPECT_EQ(u->target, "/");
  Result<HttpUrl> s = ParseHttpUrl("https://example.org?q=1");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->port, 443);
  EXPECT_EQ(s->target, "/?q=1");
}

TEST(ParseHttpUrl, Ipv6LiteralIsBracketedOnlyInHostHeader) {
  Result<HttpUrl> u = ParseHttpUrl("https://[::1]:9443/a");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->host, "::1");
  EXPECT_TRUE(u->host_is_ip);
  EXPECT_EQ(u->host_header, "[::1]:9443");
  EXPECT_EQ(u->Origin(), "https://[::1]:9443");
}

TEST(ParseHttpUrl, RefusesWhatIsNotAbsoluteHttp) {
  for (const char* bad : {"/fhir/metadata", "ftp://example.org/x", "https://", "http://:80/",
                          "https://user:secret@example.org/", "http://example.org:99999/",
                          "http://example.org:0/", "http://exa mple.org/", "mailto:a@b"}) {
    Result<HttpUrl> u = ParseHttpUrl(bad);
    EXPECT_FALSE(u.ok()) << bad;
    if (!u.ok()) {
      EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument) << bad;
      EXPECT_EQ(u.status().message().find("secret"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace fhirengine::net
