// Partial dates and times: parsing, output, precision-aware comparison and
// calendar arithmetic.
#include "engine/fhirpath/date_time.h"

#include <gtest/gtest.h>

namespace fhirengine::fhirpath {
namespace {

Temporal L(std::string_view literal) {
  std::optional<Temporal> t = ParseTemporalLiteral(literal);
  EXPECT_TRUE(t.has_value()) << literal;
  return t.value_or(Temporal());
}

TEST(Temporal, ParsesEveryPrecision) {
  EXPECT_EQ(L("2015").precision, TemporalPrecision::kYear);
  EXPECT_EQ(L("2015-02").precision, TemporalPrecision::kMonth);
  EXPECT_EQ(L("2015-02-04").kind, TemporalKind::kDate);
  EXPECT_EQ(L("2015T").kind, TemporalKind::kDateTime);
  EXPECT_EQ(L("2015-02-04T14").precision, TemporalPrecision::kHour);
  EXPECT_EQ(L("2015-02-04T14:34:28.123").precision, TemporalPrecision::kMillisecond);
  const Temporal tz = L("2015-02-04T14:34:28+10:00");
  EXPECT_TRUE(tz.has_timezone);
  EXPECT_EQ(tz.tz_offset_minutes, 600);
  EXPECT_EQ(L("T14:34").kind, TemporalKind::kTime);
  EXPECT_EQ(ParseDateTime("2015-02-04T14:34:28.1234567Z")->millisecond, 123);
}

TEST(Temporal, RejectsInvalidValues) {
  for (std::string_view bad : {"2015-13", "2015-02-30", "2015-02-04T24:00", "2015-02-04T14:60",
                               "15-02-04", "2015-02-04T14:34:28+1000", "2015-02T14", "T25"}) {
    EXPECT_FALSE(ParseTemporalLiteral(bad).has_value()) << bad;
  }
  EXPECT_TRUE(ParseDate("2016-02-29").has_value());
  EXPECT_FALSE(ParseDate("2015-02-29").has_value());
  EXPECT_FALSE(ParseTime("14:34:28Z").has_value());
}

TEST(Temporal, WritesItsOwnPrecision) {
  EXPECT_EQ(L("2014-12-14").ToString(), "2014-12-14");
  EXPECT_EQ(L("2015-02-04T14:34:28.1+10:00").ToString(), "2015-02-04T14:34:28.100+10:00");
  EXPECT_EQ(L("2015-02-04T14:34Z").ToString(), "2015-02-04T14:34Z");
  EXPECT_EQ(L("T09:05").ToString(), "09:05");
  EXPECT_EQ(L("0001").ToString(), "0001");
}

TEST(Temporal, DifferentPrecisionIsIndeterminate) {
  EXPECT_FALSE(CompareTemporal(L("2018-03"), L("2018-03-01")).has_value());
  EXPECT_FALSE(CompareTemporal(L("2018-03-01T10:30"), L("2018-03-01T10:30:00")).has_value());
  // ...unless a coarser field already differs.
  EXPECT_EQ(CompareTemporal(L("2018-03"), L("2019-01-01")), -1);
  // Seconds and milliseconds are one precision.
  EXPECT_EQ(CompareTemporal(L("2018-03-01T10:30:00"), L("2018-03-01T10:30:00.0")), 0);
  EXPECT_EQ(CompareTemporal(L("T10:30:00"), L("T10:30:00.001")), -1);
}

TEST(Temporal, TimeZonesAreNormalised) {
  EXPECT_EQ(CompareTemporal(L("2017-11-05T01:30:00.0-04:00"), L("2017-11-05T01:15:00.0-05:00")),
            -1);
  EXPECT_EQ(CompareTemporal(L("2012-04-15T15:00:00+02:00"), L("2012-04-15T16:00:00+03:00")), 0);
  EXPECT_EQ(CompareTemporal(L("2012-12-31T23:30:00-01:00"), L("2013-01-01T00:30:00Z")), 0);
  // One side without an offset cannot be placed on the time line.
  EXPECT_FALSE(CompareTemporal(L("2012-04-15T15:00:00Z"), L("2012-04-15T10:00:00")).has_value());
}

TEST(Temporal, CalendarArithmeticClampsToMonthEnd) {
  EXPECT_EQ(AddToTemporal(L("2016-01-31"), 1, TimeUnit::kMonth)->ToString(), "2016-02-29");
  EXPECT_EQ(AddToTemporal(L("1973-12-25"), 1, TimeUnit::kYear)->ToString(), "1974-12-25");
  EXPECT_EQ(AddToTemporal(L("1974-12-25"), -1, TimeUnit::kMonth)->ToString(), "1974-11-25");
  EXPECT_EQ(AddToTemporal(L("1973-12-25"), 1, TimeUnit::kWeek)->ToString(), "1974-01-01");
  EXPECT_EQ(AddToTemporal(L("2014"), 400, TimeUnit::kDay)->ToString(), "2015");
}

TEST(Temporal, FinerUnitsAreTruncatedToThePrecision) {
  EXPECT_EQ(AddToTemporal(L("2019-03-01"), 24, TimeUnit::kHour)->ToString(), "2019-03-02");
  EXPECT_EQ(AddToTemporal(L("2019-03-01"), 23, TimeUnit::kHour)->ToString(), "2019-03-01");
  EXPECT_EQ(
      AddToTemporal(L("1973-12-25T00:00:00.000+10:00"), 10, TimeUnit::kMillisecond)->ToString(),
      "1973-12-25T00:00:00.010+10:00");
}

TEST(Temporal, TimesWrapAroundMidnight) {
  EXPECT_EQ(AddToTemporal(L("T23:30"), 45, TimeUnit::kMinute)->ToString(), "00:15");
  EXPECT_EQ(AddToTemporal(L("T00:15"), -1, TimeUnit::kHour)->ToString(), "23:15");
  EXPECT_FALSE(AddToTemporal(L("T10:00"), 1, TimeUnit::kDay).has_value());
}

TEST(Temporal, ArithmeticStaysWithinYearsOneToNineThousand) {
  EXPECT_FALSE(AddToTemporal(L("9999-12-31"), 1, TimeUnit::kDay).has_value());
  EXPECT_FALSE(AddToTemporal(L("0001"), -1, TimeUnit::kYear).has_value());
  EXPECT_FALSE(AddToTemporal(L("2000"), INT64_MAX, TimeUnit::kMillisecond).has_value());
}

TEST(Temporal, DigitPrecision) {
  EXPECT_EQ(L("2014").DigitPrecision(), 4);
  EXPECT_EQ(L("2014-01-05T10:30:00.000").DigitPrecision(), 17);
  EXPECT_EQ(L("T10:30").DigitPrecision(), 4);
  EXPECT_EQ(L("T10:30:00.000").DigitPrecision(), 9);
}

}  // namespace
}  // namespace fhirengine::fhirpath
