// Version ETags and If-None-Match lists.
#include "engine/rest/etag.h"

#include <gtest/gtest.h>

namespace fhirengine::rest {
namespace {

TEST(VersionETag, FormatsWeak) { EXPECT_EQ(FormatVersionETag(3), "W/\"3\""); }

TEST(VersionETag, ParsesWeakAndStrongForms) {
  EXPECT_EQ(ParseVersionETag("W/\"3\""), 3);
  EXPECT_EQ(ParseVersionETag("\"12\""), 12);
  EXPECT_EQ(ParseVersionETag("  W/\"7\" "), 7);
  EXPECT_EQ(ParseVersionETag("W/\"9223372036854775807\""), INT64_MAX);
}

TEST(VersionETag, RejectsEverythingElse) {
  for (const char* bad : {"", "3", "W/3", "W/\"\"", "W/\"0\"", "W/\"-1\"", "W/\"+1\"", "W/\"1a\"",
                          "w/\"1\"", "\"1", "*", "W/\"99999999999999999999\"", "W/\"1\"x"}) {
    EXPECT_EQ(ParseVersionETag(bad), std::nullopt) << bad;
  }
}

TEST(ETagList, MatchesAnyListedVersionOrWildcard) {
  EXPECT_TRUE(ETagListMatches("W/\"2\"", 2));
  EXPECT_TRUE(ETagListMatches("W/\"1\", W/\"2\"", 2));
  EXPECT_TRUE(ETagListMatches("\"2\"", 2)) << "weak comparison";
  EXPECT_TRUE(ETagListMatches(" * ", 5));
  EXPECT_FALSE(ETagListMatches("W/\"1\", W/\"3\"", 2));
  EXPECT_FALSE(ETagListMatches("garbage", 2));
  EXPECT_FALSE(ETagListMatches("", 2));
}

TEST(ETagList, WildcardDetection) {
  EXPECT_TRUE(IsETagWildcard("*"));
  EXPECT_TRUE(IsETagWildcard(" * "));
  EXPECT_FALSE(IsETagWildcard("W/\"1\""));
}

}  // namespace
}  // namespace fhirengine::rest
