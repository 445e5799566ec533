// ToValidUtf8: replacement of invalid bytes, and caps at character boundaries.
#include "engine/core/utf8_text.h"

#include <gtest/gtest.h>

namespace fhirengine {
namespace {

TEST(Utf8Text, KeepsValidTextAndReplacesEveryInvalidByte) {
  EXPECT_EQ(ToValidUtf8("Avd \xC3\x96ster", 100), "Avd \xC3\x96ster");
  // Latin-1 "Öster": 0xD6 starts no valid sequence here.
  EXPECT_EQ(ToValidUtf8("\xD6ster", 100), "\xEF\xBF\xBDster");
  // An overlong '/', a surrogate, a code point above U+10FFFF.
  EXPECT_EQ(ToValidUtf8("\xC0\xAF", 100), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80", 100), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(ToValidUtf8("\xF4\x90\x80\x80", 100).substr(0, 3), "\xEF\xBF\xBD");
}

TEST(Utf8Text, CapsWithoutCuttingACharacter) {
  EXPECT_EQ(ToValidUtf8("ab\xC3\x96", 3), "ab");
  EXPECT_EQ(ToValidUtf8("ab\xC3\x96", 4), "ab\xC3\x96");
  EXPECT_EQ(ToValidUtf8("abc", 0), "");
}

}  // namespace
}  // namespace fhirengine
