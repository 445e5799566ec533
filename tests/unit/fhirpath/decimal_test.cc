// The exact decimal behind System.Decimal: scale kept, exact sums and
// products, bounded division, overflow as nullopt.
#include "engine/fhirpath/decimal.h"

#include <gtest/gtest.h>

namespace fhirengine::fhirpath {
namespace {

Decimal D(std::string_view text) {
  std::optional<Decimal> d = Decimal::Parse(text);
  EXPECT_TRUE(d.has_value()) << text;
  return d.value_or(Decimal());
}

TEST(Decimal, ParseKeepsScaleAndSign) {
  EXPECT_EQ(D("1.50").ToString(), "1.50");
  EXPECT_EQ(D("-0.001").ToString(), "-0.001");
  EXPECT_EQ(D("+12").ToString(), "12");
  EXPECT_EQ(D("007").ToString(), "7");
  EXPECT_EQ(D("1.5e2").ToString(), "150");
  EXPECT_EQ(D("15E-3").ToString(), "0.015");
  EXPECT_EQ(D("1234567890987654321.0").ToString(), "1234567890987654321.0");
  EXPECT_EQ(D("0.000000000000000000000000000001").scale(), 30);
}

TEST(Decimal, ParseRejectsMalformedText) {
  for (std::string_view bad : {"", "-", "1.", ".5", "1..2", "1e", "abc", "1.0a", "0x10"}) {
    EXPECT_FALSE(Decimal::Parse(bad).has_value()) << bad;
  }
}

TEST(Decimal, TooManyDigitsRoundInsteadOfFailing) {
  // 40 significant digits: the last two are rounded away.
  std::optional<Decimal> d = Decimal::Parse("1.234567890123456789012345678901234567891");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->ToString(), "1.2345678901234567890123456789012345679");
  // An integer part beyond 38 digits cannot be held.
  EXPECT_FALSE(Decimal::Parse("1" + std::string(40, '0')).has_value());
}

TEST(Decimal, SumsAreExact) {
  EXPECT_EQ(Decimal::Add(D("0.1"), D("0.2"))->ToString(), "0.3");
  EXPECT_EQ(Decimal::Add(D("1.2"), D("1.8"))->ToString(), "3.0");
  EXPECT_EQ(Decimal::Subtract(D("1.8"), D("1.2"))->ToString(), "0.6");
  EXPECT_EQ(Decimal::Subtract(D("1"), D("1.005"))->ToString(), "-0.005");
}

TEST(Decimal, ProductsAddScales) {
  EXPECT_EQ(Decimal::Multiply(D("1.2"), D("1.8"))->ToString(), "2.16");
  EXPECT_EQ(Decimal::Multiply(D("-0.5"), D("4"))->ToString(), "-2.0");
  // Too many digits: the finer operand gives up digits rather than failing.
  std::optional<Decimal> p =
      Decimal::Multiply(D("1.0000000000000000001"), D("3.0000000000000000001"));
  ASSERT_TRUE(p);
  EXPECT_EQ(Decimal::Compare(p->RoundedTo(6), D("3.000000")), 0);
  EXPECT_FALSE(
      Decimal::Multiply(D("1" + std::string(30, '0')), D("1" + std::string(30, '0'))).has_value());
}

TEST(Decimal, DivisionIsBoundedAndTrimmed) {
  EXPECT_EQ(Decimal::Divide(D("1"), D("2"))->ToString(), "0.5");
  EXPECT_EQ(Decimal::Divide(D("4.0"), D("2.0"))->ToString(), "2");
  EXPECT_EQ(Decimal::Divide(D("1.2"), D("1.8"))->ToString(), "0.6666666666666666666666666667");
  EXPECT_EQ(Decimal::Divide(D("-1"), D("3"))->RoundedTo(3).ToString(), "-0.333");
  EXPECT_FALSE(Decimal::Divide(D("1"), D("0")).has_value());
  EXPECT_FALSE(Decimal::Divide(D("1"), D("0.000")).has_value());
}

TEST(Decimal, TruncatedDivisionAndModulo) {
  EXPECT_EQ(Decimal::DivideTruncated(D("2.2"), D("1.8"))->ToString(), "1");
  EXPECT_EQ(Decimal::Modulo(D("2.2"), D("1.8"))->ToString(), "0.4");
  EXPECT_EQ(Decimal::DivideTruncated(D("-7"), D("2"))->ToString(), "-3");
  EXPECT_EQ(Decimal::Modulo(D("-7"), D("2"))->ToString(), "-1");
  EXPECT_FALSE(Decimal::Modulo(D("5"), D("0")).has_value());
}

TEST(Decimal, CompareIgnoresTrailingZeros) {
  EXPECT_EQ(Decimal::Compare(D("1.10"), D("1.1")), 0);
  EXPECT_EQ(Decimal::Compare(D("-0.0"), D("0")), 0);
  EXPECT_LT(Decimal::Compare(D("-2"), D("1")), 0);
  EXPECT_GT(Decimal::Compare(D("10000000000000000000000000000000000000"), D("0.5")), 0);
  EXPECT_LT(Decimal::Compare(D("0.00000000000000000000000000000000001"),
                             D("0.0000000000000000000000000000000001")),
            0);
}

TEST(Decimal, RoundingFloorCeiling) {
  EXPECT_EQ(D("3.14159").RoundedTo(3).ToString(), "3.142");
  EXPECT_EQ(D("-2.5").RoundedTo(0).ToString(), "-3");
  EXPECT_EQ(D("2.5").RoundedTo(0).ToString(), "3");
  EXPECT_EQ(D("-1.56").TruncatedTo(0).ToString(), "-1");
  EXPECT_EQ(D("-2.1").Floor().ToString(), "-3");
  EXPECT_EQ(D("-1.1").Ceiling().ToString(), "-1");
  EXPECT_EQ(D("1.1").Ceiling().ToString(), "2");
  EXPECT_EQ(D("1.5").WithScale(4)->ToString(), "1.5000");
  EXPECT_EQ(D("2.500").Trimmed().ToString(), "2.5");
}

TEST(Decimal, IntegralValues) {
  EXPECT_TRUE(D("1.000").IsIntegral());
  EXPECT_EQ(D("42.0").ToInt64(), 42);
  EXPECT_FALSE(D("1.5").ToInt64().has_value());
  EXPECT_FALSE(D("99999999999999999999").ToInt64().has_value());
}

TEST(Decimal, FromLongDoubleHidesBinaryNoise) {
  EXPECT_EQ(Decimal::FromLongDouble(0.1L + 0.2L)->ToString(), "0.3");
  EXPECT_EQ(Decimal::FromLongDouble(9.0L)->ToString(), "9");
  EXPECT_FALSE(Decimal::FromLongDouble(std::numeric_limits<long double>::infinity()).has_value());
  EXPECT_FALSE(Decimal::FromLongDouble(std::numeric_limits<long double>::quiet_NaN()).has_value());
}

}  // namespace
}  // namespace fhirengine::fhirpath
