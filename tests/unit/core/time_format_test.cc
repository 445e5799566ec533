// FHIR instants and HTTP dates: formatting, parsing, calendar edges.
#include "engine/core/time_format.h"

#include <gtest/gtest.h>

namespace fhirengine {
namespace {

TEST(FormatInstant, UtcWithMilliseconds) {
  EXPECT_EQ(FormatInstant(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatInstant(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(FormatInstant(951'782'400'000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatInstant(-1), "1969-12-31T23:59:59.999Z");
}

TEST(ParseInstant, RoundTripsAndHonoursZones) {
  EXPECT_EQ(*ParseInstant("2023-11-14T22:13:20.123Z"), 1'700'000'000'123);
  EXPECT_EQ(*ParseInstant("2023-11-14T22:13:20Z"), 1'700'000'000'000);
  EXPECT_EQ(*ParseInstant("2023-11-14T23:13:20.1+01:00"), 1'700'000'000'100);
  EXPECT_EQ(*ParseInstant("2023-11-14T21:13:20.123456-01:00"), 1'700'000'000'123);
  EXPECT_EQ(*ParseInstant("1970-01-01T00:00:00Z"), 0);
  for (std::int64_t ms : {0LL, 1'700'000'000'123LL, 951'782'400'000LL, 4'102'444'800'000LL}) {
    EXPECT_EQ(*ParseInstant(FormatInstant(ms)), ms);
  }
}

TEST(ParseInstant, RejectsWhatIsNotAnInstant) {
  for (const char* bad : {"", "2023", "2023-11-14", "2023-11-14T22:13:20", "2023-11-14T22:13Z",
                          "2023-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2023-11-14T24:00:00Z",
                          "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20Z ", "yesterday",
                          "2023-11-14 22:13:20Z", "2023-11-14T22:13:20+0100"}) {
    EXPECT_FALSE(ParseInstant(bad).ok()) << bad;
  }
  EXPECT_TRUE(ParseInstant("2024-02-29T00:00:00Z").ok()) << "leap year";
}

TEST(HttpDate, FormatsImfFixdate) {
  EXPECT_EQ(FormatHttpDate(784'111'777'000), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(FormatHttpDate(784'111'777'999), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(FormatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(HttpDate, ParsesImfFixdateOnly) {
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784'111'777'000);
  EXPECT_EQ(ParseHttpDate(FormatHttpDate(1'700'000'000'000)), 1'700'000'000'000);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), std::nullopt) << "RFC 850";
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), std::nullopt) << "asctime";
  EXPECT_EQ(ParseHttpDate("Sun, 31 Feb 1994 08:49:37 GMT"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 UTC"), std::nullopt);
  EXPECT_EQ(ParseHttpDate(""), std::nullopt);
}

}  // namespace
}  // namespace fhirengine
