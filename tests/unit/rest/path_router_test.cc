// PathRouter: exact paths, prefixes and the fallback.
#include "engine/rest/path_router.h"

#include <gtest/gtest.h>

#include <string>

namespace fhirengine::rest {
namespace {

class NamedHandler : public RequestHandler {
 public:
  explicit NamedHandler(std::string name) : name_(std::move(name)) {}
  void Handle(RestRequest, Responder responder) override {
    RestResponse response;
    response.body = name_;
    responder.reply(std::move(response));
  }
  RestResponse ProtocolError(int status, std::string_view) const override {
    RestResponse response;
    response.status = status;
    response.body = name_;
    return response;
  }

 private:
  std::string name_;
};

std::string Answer(PathRouter& router, std::string target) {
  std::string body;
  RestRequest request;
  request.target = std::move(target);
  router.Handle(std::move(request), Responder{[](std::function<void()> work) { work(); },
                                              [&](RestResponse r) { body = r.body; }});
  return body;
}

TEST(PathRouter, ExactPathsPrefixesAndFallback) {
  NamedHandler fhir("fhir"), health("health"), admin("admin");
  PathRouter router(fhir);
  router.AddExact("/health", health);
  router.AddPrefix("/admin/", admin);
  EXPECT_EQ(Answer(router, "/health"), "health");
  EXPECT_EQ(Answer(router, "/health?verbose=1"), "health");
  EXPECT_EQ(Answer(router, "/health/x"), "fhir");
  EXPECT_EQ(Answer(router, "/healthz"), "fhir");
  EXPECT_EQ(Answer(router, "/admin/quarantine?adapter=a"), "admin");
  EXPECT_EQ(Answer(router, "/admin"), "fhir");
  EXPECT_EQ(Answer(router, "/fhir/Location/1"), "fhir");
  EXPECT_EQ(router.ProtocolError(413, "too big").body, "fhir");
}

}  // namespace
}  // namespace fhirengine::rest
