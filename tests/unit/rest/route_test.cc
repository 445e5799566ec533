// Request targets to interactions: decoding, the R4 URL patterns, and the
// status of everything that is not (yet) an interaction here.
#include "engine/rest/route.h"

#include <gtest/gtest.h>

namespace fhirengine::rest {
namespace {

RouteResult Match(std::string_view method, std::string_view target) {
  Result<RequestTarget> t = ParseRequestTarget(target);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return MatchRoute(method, t->segments);
}

Route RouteOf(std::string_view method, std::string_view target) {
  RouteResult r = Match(method, target);
  EXPECT_TRUE(std::holds_alternative<Route>(r))
      << target << ": " << std::get<RouteError>(r).message;
  return std::holds_alternative<Route>(r) ? std::get<Route>(r) : Route{};
}

int ErrorOf(std::string_view method, std::string_view target) {
  RouteResult r = Match(method, target);
  return std::holds_alternative<RouteError>(r) ? std::get<RouteError>(r).http_status : 0;
}

TEST(RequestTarget, SplitsPathAndDecodesQuery) {
  Result<RequestTarget> t =
      ParseRequestTarget("/fhir/Patient/p1?_format=application/fhir+json&name=a%20b&x&_pretty=");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/fhir/Patient/p1");
  EXPECT_EQ(t->segments, (std::vector<std::string>{"fhir", "Patient", "p1"}));
  ASSERT_EQ(t->query.size(), 4u);
  EXPECT_EQ(*t->Find("_format"), "application/fhir json") << "'+' is a space in a query";
  EXPECT_EQ(*t->Find("name"), "a b");
  EXPECT_EQ(*t->Find("x"), "");
  EXPECT_EQ(t->Find("missing"), nullptr);
}

TEST(RequestTarget, PercentDecodesPathSegments) {
  Result<RequestTarget> t = ParseRequestTarget("/fhir/Patient/a%2Fb+c/");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->segments, (std::vector<std::string>{"fhir", "Patient", "a/b+c"}))
      << "'+' stays in a path; a trailing slash is dropped";
}

TEST(RequestTarget, RejectsWhatIsNotAnOriginFormTarget) {
  EXPECT_FALSE(ParseRequestTarget("http://example.org/fhir").ok());
  EXPECT_FALSE(ParseRequestTarget("*").ok());
  EXPECT_FALSE(ParseRequestTarget("").ok());
  EXPECT_FALSE(ParseRequestTarget("/fhir/%zz").ok());
  EXPECT_FALSE(ParseRequestTarget("/fhir/Patient%").ok());
  EXPECT_FALSE(ParseRequestTarget("/fhir/Patient/%00").ok());
  EXPECT_FALSE(ParseRequestTarget("/fhir?a=%4").ok());
}

TEST(ResourceId, FollowsTheR4Pattern) {
  EXPECT_TRUE(IsValidId("a"));
  EXPECT_TRUE(IsValidId("Ward-7.bed-12"));
  EXPECT_TRUE(IsValidId(std::string(64, 'x')));
  EXPECT_FALSE(IsValidId(std::string(65, 'x')));
  EXPECT_FALSE(IsValidId(""));
  EXPECT_FALSE(IsValidId("a_b"));
  EXPECT_FALSE(IsValidId("a b"));
  EXPECT_FALSE(IsValidId("å"));
}

TEST(MatchRoute, MapsTheImplementedInteractions) {
  EXPECT_EQ(RouteOf("GET", "/health").interaction, Interaction::kHealth);
  EXPECT_EQ(RouteOf("GET", "/fhir/metadata").interaction, Interaction::kCapabilities);
  EXPECT_EQ(RouteOf("HEAD", "/fhir/metadata").interaction, Interaction::kCapabilities);
  EXPECT_EQ(RouteOf("GET", "/fhir/_history").interaction, Interaction::kHistorySystem);

  Route create = RouteOf("POST", "/fhir/Location");
  EXPECT_EQ(create.interaction, Interaction::kCreate);
  EXPECT_EQ(create.type, "Location");

  Route read = RouteOf("GET", "/fhir/Location/bed-1");
  EXPECT_EQ(read.interaction, Interaction::kRead);
  EXPECT_EQ(read.id, "bed-1");
  EXPECT_EQ(RouteOf("PUT", "/fhir/Location/bed-1").interaction, Interaction::kUpdate);
  EXPECT_EQ(RouteOf("DELETE", "/fhir/Location/bed-1").interaction, Interaction::kDelete);
  Route patch = RouteOf("PATCH", "/fhir/Location/bed-1");
  EXPECT_EQ(patch.interaction, Interaction::kPatch);
  EXPECT_EQ(patch.type, "Location");
  EXPECT_EQ(patch.id, "bed-1");
  EXPECT_EQ(RouteOf("GET", "/fhir/Location/_history").interaction, Interaction::kHistoryType);
  EXPECT_EQ(RouteOf("GET", "/fhir/Location/bed-1/_history").interaction,
            Interaction::kHistoryInstance);

  Route vread = RouteOf("GET", "/fhir/Location/bed-1/_history/12");
  EXPECT_EQ(vread.interaction, Interaction::kVread);
  EXPECT_EQ(vread.version, 12);
}

TEST(MatchRoute, UnknownTypesAndPathsAre404) {
  EXPECT_EQ(ErrorOf("GET", "/fhir/Bed/1"), 404);
  EXPECT_EQ(ErrorOf("POST", "/fhir/Bed"), 404);
  EXPECT_EQ(ErrorOf("GET", "/fhir/Resource/1"), 404) << "abstract";
  EXPECT_EQ(ErrorOf("GET", "/fhir/patient/1"), 404) << "types are case-sensitive";
  EXPECT_EQ(ErrorOf("GET", "/"), 404);
  EXPECT_EQ(ErrorOf("GET", "/metadata"), 404);
  EXPECT_EQ(ErrorOf("GET", "/fhir/Patient/1/_history/1/x"), 404);
  EXPECT_EQ(ErrorOf("GET", "/fhir/Patient/1/other"), 404);
  EXPECT_EQ(ErrorOf("GET", "/fhir//Patient"), 404);
  EXPECT_EQ(ErrorOf("GET", "/fhir/Patient/1/_history/abc"), 404);
  EXPECT_EQ(ErrorOf("GET", "/fhir/Patient/1/_history/0"), 404);
}

TEST(MatchRoute, BadIdsAre400) {
  EXPECT_EQ(ErrorOf("GET", "/fhir/Patient/a_b"), 400);
  EXPECT_EQ(ErrorOf("PUT", "/fhir/Patient/" + std::string(65, 'a')), 400);
  EXPECT_EQ(ErrorOf("GET", "/fhir/Patient/a_b/_history"), 400);
  EXPECT_EQ(ErrorOf("GET", "/fhir/Patient/1/_history/a_b"), 400);
}

TEST(MatchRoute, WrongMethodsAre405WithAllow) {
  RouteResult r = Match("DELETE", "/fhir/metadata");
  ASSERT_TRUE(std::holds_alternative<RouteError>(r));
  EXPECT_EQ(std::get<RouteError>(r).http_status, 405);
  EXPECT_EQ(std::get<RouteError>(r).allow, "GET, HEAD");
  EXPECT_EQ(std::get<RouteError>(Match("POST", "/fhir/Patient/1")).allow,
            "GET, HEAD, PUT, DELETE, PATCH");
  EXPECT_EQ(ErrorOf("PATCH", "/fhir/metadata"), 405);
  EXPECT_EQ(ErrorOf("PATCH", "/fhir/Patient/1/_history/1"), 405);
  EXPECT_EQ(ErrorOf("OPTIONS", "/fhir/Patient"), 405);
  EXPECT_EQ(ErrorOf("PUT", "/fhir/Patient/1/_history"), 405);
  EXPECT_EQ(ErrorOf("POST", "/health"), 405);
}

TEST(MatchRoute, SearchAtTypeAndSystemLevel) {
  for (auto [method, target] : {std::pair{"GET", "/fhir/Location"},
                                {"HEAD", "/fhir/Location"},
                                {"POST", "/fhir/Location/_search"},
                                {"GET", "/fhir/Location/_search"}}) {
    RouteResult r = Match(method, target);
    ASSERT_TRUE(std::holds_alternative<Route>(r)) << method << " " << target;
    EXPECT_EQ(std::get<Route>(r).interaction, Interaction::kSearchType);
    EXPECT_EQ(std::get<Route>(r).type, "Location");
  }
  for (auto [method, target] : {std::pair{"GET", "/fhir"}, {"POST", "/fhir/_search"}}) {
    RouteResult r = Match(method, target);
    ASSERT_TRUE(std::holds_alternative<Route>(r)) << method << " " << target;
    EXPECT_EQ(std::get<Route>(r).interaction, Interaction::kSearchSystem);
  }
  EXPECT_EQ(ErrorOf("PUT", "/fhir/Location/_search"), 405);
  EXPECT_EQ(ErrorOf("GET", "/fhir/Nonsense"), 404);
}

TEST(MatchRoute, UnimplementedFhirInteractionsAre501) {
  EXPECT_EQ(ErrorOf("PATCH", "/fhir/Patient"), 501) << "conditional patch";
  EXPECT_EQ(ErrorOf("POST", "/fhir/$validate"), 501) << "system-level $validate";
  EXPECT_EQ(ErrorOf("POST", "/fhir/Patient/$everything"), 501);
  EXPECT_EQ(ErrorOf("GET", "/fhir/Patient/1/$everything"), 501);
}

TEST(MatchRoute, ValidateOperationAtTypeAndInstanceLevel) {
  const Route type_level = RouteOf("POST", "/fhir/Location/$validate");
  EXPECT_EQ(type_level.interaction, Interaction::kValidate);
  EXPECT_EQ(type_level.type, "Location");
  EXPECT_EQ(type_level.id, "");
  const Route instance = RouteOf("POST", "/fhir/Location/bed-1/$validate");
  EXPECT_EQ(instance.interaction, Interaction::kValidate);
  EXPECT_EQ(instance.type, "Location");
  EXPECT_EQ(instance.id, "bed-1");
  EXPECT_EQ(ErrorOf("GET", "/fhir/Location/$validate"), 405);
  EXPECT_EQ(ErrorOf("POST", "/fhir/Nonsense/$validate"), 404);
  EXPECT_EQ(ErrorOf("POST", "/fhir/Location/bad_id/$validate"), 400);
}

TEST(MatchRoute, TypeLevelInteractions) {
  EXPECT_EQ(RouteOf("GET", "/fhir/Patient").interaction, Interaction::kSearchType);
  EXPECT_EQ(RouteOf("HEAD", "/fhir/Patient").interaction, Interaction::kSearchType);
  EXPECT_EQ(RouteOf("POST", "/fhir/Patient").interaction, Interaction::kCreate);
  const Route update = RouteOf("PUT", "/fhir/Patient");
  EXPECT_EQ(update.interaction, Interaction::kConditionalUpdate);
  EXPECT_EQ(update.type, "Patient");
  EXPECT_EQ(RouteOf("DELETE", "/fhir/Location").interaction, Interaction::kConditionalDelete);
  EXPECT_EQ(std::get<RouteError>(Match("OPTIONS", "/fhir/Patient")).allow,
            "GET, HEAD, POST, PUT, DELETE");
}

TEST(MatchRoute, PostOnTheBaseIsABundle) {
  EXPECT_EQ(RouteOf("POST", "/fhir").interaction, Interaction::kBatch);
  EXPECT_EQ(RouteOf("POST", "/fhir/").interaction, Interaction::kBatch);
}

}  // namespace
}  // namespace fhirengine::rest

namespace fhirengine::rest {
namespace {

TEST(EncodeQueryComponent, KeepsUnreservedAndColonEncodesTheRest) {
  EXPECT_EQ(EncodeQueryComponent("Encounter:location"), "Encounter:location");
  EXPECT_EQ(EncodeQueryComponent("a-b.c_d~e"), "a-b.c_d~e");
  EXPECT_EQ(EncodeQueryComponent("Location/w1"), "Location%2Fw1");
  EXPECT_EQ(EncodeQueryComponent("x|y z&=\xC3\xA5"), "x%7Cy%20z%26%3D%C3%A5");
  // What ParseQueryString decodes back to the original.
  std::vector<QueryParam> params;
  ASSERT_TRUE(ParseQueryString("v=" + EncodeQueryComponent("a+b/c|d e"), params).ok());
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].value, "a+b/c|d e");
}

}  // namespace
}  // namespace fhirengine::rest
