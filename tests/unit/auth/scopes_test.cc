// SMART scopes: v2 and v1 syntax, what each grants, narrowing, rendering.
#include "engine/auth/scopes.h"

#include <gtest/gtest.h>

namespace fhirengine::auth {
namespace {

TEST(Scope, ParsesV2Permissions) {
  Result<Scope> s = ParseScope("system/Location.rs");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->type, "Location");
  EXPECT_EQ(s->perms, kPermRead | kPermSearch);
  s = ParseScope("system/*.cruds");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->type, "*");
  EXPECT_EQ(s->perms, kAllPermissions);
  s = ParseScope("system/Encounter.cud");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(PermissionLetters(s->perms), "cud");
}

TEST(Scope, MapsV1Suffixes) {
  EXPECT_EQ(ParseScope("system/Encounter.read")->perms, kPermRead | kPermSearch);
  EXPECT_EQ(ParseScope("system/Encounter.write")->perms, kPermCreate | kPermUpdate | kPermDelete);
  EXPECT_EQ(ParseScope("system/*.*")->perms, kAllPermissions);
}

TEST(Scope, RefusesWhatABackendServiceCannotHold) {
  for (const char* bad :
       {"patient/Location.rs", "user/*.cruds", "system/Location.sr", "system/Location.",
        "system/Location.x", "system/Location.rr", "system/location.rs", "system/Location",
        "launch", "openid", "system/Observation.rs?category=laboratory", "system/.rs"}) {
    EXPECT_FALSE(ParseScope(bad).ok()) << bad;
  }
}

TEST(ScopeSet, AllowsPerTypeAndWildcard) {
  Result<ScopeSet> set = ScopeSet::Parse("system/Location.rs  system/Encounter.read system/*.s");
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->Allows("Location", kPermRead));
  EXPECT_TRUE(set->Allows("Location", kPermRead | kPermSearch));
  EXPECT_FALSE(set->Allows("Location", kPermCreate));
  EXPECT_TRUE(set->Allows("Encounter", kPermSearch));
  EXPECT_FALSE(set->Allows("Patient", kPermRead));
  EXPECT_TRUE(set->Allows("Patient", kPermSearch));  // the wildcard's s
  EXPECT_TRUE(set->Allows("*", kPermSearch));
  EXPECT_FALSE(set->Allows("*", kPermRead));  // r only on two types, not on all
}

TEST(ScopeSet, TypeScopesDoNotAddUpToAWildcard) {
  Result<ScopeSet> set = ScopeSet::Parse("system/Location.s system/Encounter.s");
  ASSERT_TRUE(set.ok());
  EXPECT_FALSE(set->Allows("*", kPermSearch));
}

TEST(ScopeSet, NarrowsRequestedToAllowed) {
  Result<ScopeSet> allowed = ScopeSet::Parse("system/Location.rs system/Encounter.cruds");
  ASSERT_TRUE(allowed.ok());
  auto narrow = [&](std::string_view requested) {
    Result<ScopeSet> r = ScopeSet::Parse(requested);
    FE_CHECK(r.ok());
    return allowed->Narrow(*r).ToString();
  };
  EXPECT_EQ(narrow("system/Location.cruds"), "system/Location.rs");
  EXPECT_EQ(narrow("system/*.rs"), "system/Encounter.rs system/Location.rs");
  EXPECT_EQ(narrow("system/Encounter.read system/Patient.rs"), "system/Encounter.rs");
  EXPECT_EQ(narrow("system/Patient.rs"), "");
  Result<ScopeSet> wide = ScopeSet::Parse("system/*.rs system/Location.cruds");
  ASSERT_TRUE(wide.ok());
  Result<ScopeSet> req = ScopeSet::Parse("system/*.cruds");
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(wide->Narrow(*req).ToString(), "system/*.rs system/Location.cruds");
}

TEST(ScopeSet, RefusesTooManyScopes) {
  std::string many;
  for (int i = 0; i < 101; ++i) many += "system/Location.r ";
  EXPECT_FALSE(ScopeSet::Parse(many).ok());
  EXPECT_TRUE(ScopeSet::Parse("")->empty());
}

}  // namespace
}  // namespace fhirengine::auth
