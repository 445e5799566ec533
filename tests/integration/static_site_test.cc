// The embedded dashboard's answers (StaticSite over the files compiled in
// from web/): content types, ETag and 304, the security headers, 404 for
// unknown and traversal paths, 405 for other methods.
#include "engine/rest/static_site.h"

#include <gtest/gtest.h>

#include <string>

namespace fhirengine::rest {
namespace {

std::string Header(const RestResponse& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

RestRequest Get(std::string target) {
  RestRequest r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

TEST(StaticSite, ServesTheEmbeddedIndexAtTheRoot) {
  StaticSite site(EmbeddedWebAssets());
  RestResponse r = site.Respond(Get("/?lang=sv"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("assets/app.js"), std::string::npos);
  EXPECT_EQ(Header(r, "Content-Security-Policy"), std::string(kDashboardCsp));
  EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Header(r, "Cache-Control"), "no-cache");
}

TEST(StaticSite, ConnectionsAreLimitedToThisOrigin) {
  // 'self' alone: a scheme source such as ws: or wss: would let the page
  // open WebSockets to any host.
  const std::string csp(kDashboardCsp);
  EXPECT_NE(csp.find("connect-src 'self';"), std::string::npos) << csp;
  EXPECT_EQ(csp.find(" ws:"), std::string::npos) << csp;
  EXPECT_EQ(csp.find(" wss:"), std::string::npos) << csp;
}

TEST(StaticSite, ServesEveryEmbeddedFileWithItsType) {
  StaticSite site(EmbeddedWebAssets());
  bool saw_js = false;
  for (const EmbeddedFile& f : EmbeddedWebAssets()) {
    RestResponse r = site.Respond(Get("/" + std::string(f.path)));
    EXPECT_EQ(r.status, 200) << f.path;
    EXPECT_EQ(r.body, f.content) << f.path;
    if (f.path.ends_with(".js")) {
      saw_js = true;
      EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
    }
    if (f.path.ends_with(".svg")) EXPECT_EQ(r.content_type, "image/svg+xml");
    if (f.path.ends_with(".css")) EXPECT_EQ(r.content_type, "text/css; charset=utf-8");
  }
  EXPECT_TRUE(saw_js);
}

TEST(StaticSite, AnswersAMatchingIfNoneMatchWith304) {
  StaticSite site(EmbeddedWebAssets());
  RestResponse first = site.Respond(Get("/assets/app.js"));
  const std::string etag = Header(first, "ETag");
  ASSERT_EQ(etag.size(), 18u);  // "..." around 16 hex digits
  RestRequest again = Get("/assets/app.js");
  again.if_none_match = "\"other\", W/" + etag;
  RestResponse r = site.Respond(again);
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  again.if_none_match = "\"other\"";
  EXPECT_EQ(site.Respond(again).status, 200);
}

TEST(StaticSite, UnknownAndTraversalPathsAre404) {
  StaticSite site(EmbeddedWebAssets());
  for (const char* target :
       {"/assets/nope.js", "/assets/../index.html", "/assets/%2e%2e/CMakeLists.txt",
        "/assets/../../etc/passwd", "/assets/", "/assets//app.js"}) {
    EXPECT_EQ(site.Respond(Get(target)).status, 404) << target;
  }
}

TEST(StaticSite, OtherMethodsAre405) {
  StaticSite site(EmbeddedWebAssets());
  RestRequest post = Get("/");
  post.method = "POST";
  RestResponse r = site.Respond(post);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Header(r, "Allow"), "GET, HEAD");
}

}  // namespace
}  // namespace fhirengine::rest
