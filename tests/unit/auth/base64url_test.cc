// Base64url: RFC 4648 test vectors in the URL alphabet, and strict decoding.
#include "engine/auth/base64url.h"

#include <gtest/gtest.h>

namespace fhirengine::auth {
namespace {

TEST(Base64Url, EncodesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode("fooba"), "Zm9vYmE");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
}

TEST(Base64Url, UsesTheUrlAlphabet) {
  EXPECT_EQ(Base64UrlEncode(std::string("\xfb\xff\xbf", 3)), "-_-_");
  Result<std::string> d = Base64UrlDecode("-_-_");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, std::string("\xfb\xff\xbf", 3));
}

TEST(Base64Url, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    Result<std::string> back = Base64UrlDecode(Base64UrlEncode(all.substr(0, n)));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, all.substr(0, n));
  }
}

TEST(Base64Url, RefusesPaddingForeignCharactersAndBadLengths) {
  EXPECT_FALSE(Base64UrlDecode("Zg==").ok());
  EXPECT_FALSE(Base64UrlDecode("Zm+v").ok());  // '+' is standard base64, not base64url
  EXPECT_FALSE(Base64UrlDecode("Zm/v").ok());
  EXPECT_FALSE(Base64UrlDecode("Zm9vY").ok());  // 5 characters: 1 mod 4
  EXPECT_FALSE(Base64UrlDecode("Zh").ok());     // non-zero trailing bits: not canonical
  EXPECT_FALSE(Base64UrlDecode("Zm 9v").ok());
}

}  // namespace
}  // namespace fhirengine::auth
