// Quantities: the UCUM subset, calendar durations and unit arithmetic.
#include "engine/fhirpath/quantity.h"

#include <gtest/gtest.h>

namespace fhirengine::fhirpath {
namespace {

Quantity Q(std::string_view value, std::string unit) {
  return Quantity{*Decimal::Parse(value), std::move(unit)};
}

std::optional<int> Cmp(const Quantity& a, const Quantity& b) {
  auto v = CommonValues(a, b);
  if (!v) return std::nullopt;
  return Decimal::Compare(v->first, v->second);
}

TEST(Quantity, PrefixesAndAtomsConvert) {
  EXPECT_EQ(Cmp(Q("4.0000", "g"), Q("4000.0", "mg")), 0);
  EXPECT_EQ(Cmp(Q("1", "kg"), Q("1000000", "mg")), 0);
  EXPECT_EQ(Cmp(Q("1", "dL"), Q("100", "mL")), 0);
  EXPECT_EQ(Cmp(Q("185", "[lb_av]"), Q("83.91458845", "kg")), 0);
  EXPECT_EQ(Cmp(Q("120", "mm[Hg]"), Q("16", "kPa")), -1);  // 15.99864 kPa
  EXPECT_EQ(Cmp(Q("5", "mmol/L"), Q("5", "umol/mL")), 0);
}

TEST(Quantity, ProductsQuotientsAndPowers) {
  EXPECT_EQ(Cmp(Q("1", "m2"), Q("10000", "cm2")), 0);
  EXPECT_EQ(Cmp(Q("1", "g/(m.s)"), Q("1", "g/m/s")), 0);
  EXPECT_EQ(Cmp(Q("1", "km/h"), Q("1000", "m/h")), 0);
  EXPECT_EQ(Cmp(Q("1", "s-1"), Q("1", "Hz")), 0);
  EXPECT_EQ(Cmp(Q("1", "10*3/uL"), Q("1000000", "/mL")), 0);
  EXPECT_EQ(Cmp(Q("1", "{beats}/min"), Q("60", "/h")), 0);
}

TEST(Quantity, DifferentDimensionsDoNotCompare) {
  EXPECT_FALSE(Cmp(Q("1", "g"), Q("1", "m")).has_value());
  EXPECT_FALSE(Cmp(Q("1", "cm2"), Q("1", "cm")).has_value());
  EXPECT_FALSE(Cmp(Q("1", "furlong"), Q("1", "m")).has_value());
  EXPECT_FALSE(Cmp(Q("1", "U"), Q("1", "[iU]")).has_value());
  EXPECT_EQ(Cmp(Q("1", "furlong"), Q("2", "furlong")), -1);  // unknown, but the same unit
}

TEST(Quantity, CalendarDurations) {
  EXPECT_EQ(Cmp(Q("7", "days"), Q("1", "week")), 0);
  EXPECT_EQ(Cmp(Q("7", "days"), Q("1", "wk")), 0);
  EXPECT_EQ(Cmp(Q("6", "days"), Q("1", "week")), -1);
  EXPECT_EQ(Cmp(Q("1", "year"), Q("12", "months")), 0);
  // Calendar years and months are not UCUM's mean 'a' and 'mo'.
  EXPECT_FALSE(Cmp(Q("1", "year"), Q("1", "a")).has_value());
  EXPECT_FALSE(Cmp(Q("1", "month"), Q("30", "days")).has_value());
  EXPECT_EQ(ArithmeticTimeUnit("wk"), TimeUnit::kWeek);
  EXPECT_FALSE(ArithmeticTimeUnit("mo").has_value());
  EXPECT_FALSE(ArithmeticTimeUnit("cm").has_value());
}

TEST(Quantity, ConvertsToAnotherUnit) {
  std::optional<Quantity> q = ConvertQuantity(Q("1.5", "kg"), "g");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->ToString(), "1500 'g'");
  EXPECT_EQ(ConvertQuantity(Q("2", "year"), "months")->ToString(), "24 months");
  EXPECT_FALSE(ConvertQuantity(Q("1", "kg"), "m").has_value());
}

TEST(Quantity, ArithmeticCombinesUnits) {
  EXPECT_EQ(AddQuantities(Q("1", "kg"), Q("500", "g"), false)->ToString(), "1.5 'kg'");
  EXPECT_EQ(AddQuantities(Q("1", "kg"), Q("500", "g"), true)->ToString(), "0.5 'kg'");
  EXPECT_FALSE(AddQuantities(Q("1", "kg"), Q("1", "m"), false).has_value());
  std::optional<Quantity> area = MultiplyQuantities(Q("2.0", "cm"), Q("2.0", "m"));
  ASSERT_TRUE(area);
  EXPECT_EQ(area->ToString(), "4.00 'cm.m'");
  EXPECT_EQ(Cmp(*area, Q("0.040", "m2")), 0);
  EXPECT_EQ(DivideQuantities(Q("4.0", "g"), Q("2.0", "m"))->ToString(), "2 'g/m'");
  EXPECT_EQ(DivideQuantities(Q("1.0", "m"), Q("1.0", "m"))->unit, "1");
  EXPECT_EQ(DivideQuantities(Q("1", "g"), Q("1", "m.s"))->unit, "g/(m.s)");
}

TEST(Quantity, WritesCalendarKeywordsUnquoted) {
  EXPECT_EQ(Q("1", "week").ToString(), "1 week");
  EXPECT_EQ(Q("1", "wk").ToString(), "1 'wk'");
}

TEST(Quantity, HostileUnitsAreRejectedNotRecursed) {
  EXPECT_FALSE(ParseUcum(std::string(5000, '(') + "m" + std::string(5000, ')')).has_value());
  EXPECT_FALSE(ParseUcum("m1000").has_value());
  EXPECT_FALSE(ParseUcum("").has_value());
  EXPECT_FALSE(ParseUcum("{unclosed").has_value());
}

}  // namespace
}  // namespace fhirengine::fhirpath
