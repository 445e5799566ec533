// ParseSearch on its own: how FHIR search parameters (prefixes, escapes,
// comma alternatives, modifiers, chains, _has) and the result parameters
// (_include, _revinclude, _sort, _count, _total, _summary) become the
// store's query model, and which inputs are errors under strict and lenient
// handling (https://hl7.org/fhir/R4/search.html).
#include "engine/search/search_request.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "engine/search/index_extractor.h"

namespace fhirengine::search {
namespace {

using store::Clause;
using store::Column;
using store::CompareOp;
using store::RowMatch;

Result<ParsedSearch> Parse(std::string_view type, std::vector<UrlParam> params, bool strict = false,
                           std::int64_t now_ms = 0) {
  SearchOptions options;
  options.strict = strict;
  options.max_count = 1000;
  options.base_url = "http://fhir.example/fhir";
  options.now_ms = now_ms;
  return ParseSearch(type, params, options);
}

std::string ColumnText(Column c) {
  switch (c) {
    case Column::kSystem:
      return "system";
    case Column::kValue:
      return "value";
    case Column::kDisplay:
      return "display";
    case Column::kLow:
      return "low";
    case Column::kHigh:
      return "high";
    case Column::kNumber:
      return "number";
  }
  return "?";
}

std::string OpText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "<>";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
    case CompareOp::kIsNull:
      return " null";
    case CompareOp::kStartsWith:
      return " starts ";
    case CompareOp::kContains:
      return " contains ";
    case CompareOp::kPrefixOf:
      return " prefix-of ";
  }
  return "?";
}

std::string OperandText(const store::Operand& operand) {
  if (const auto* s = std::get_if<std::string>(&operand)) return "'" + *s + "'";
  if (const auto* i = std::get_if<std::int64_t>(&operand)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&operand)) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.10g", *d);
    return buffer;
  }
  return "";
}

// "low>=1&high<=2 | high>2": the alternatives of a clause, each the
// comparisons one index row must pass.
std::string Render(const std::vector<RowMatch>& any) {
  std::string out;
  for (std::size_t i = 0; i < any.size(); ++i) {
    if (i > 0) out += " | ";
    for (std::size_t j = 0; j < any[i].all.size(); ++j) {
      if (j > 0) out += "&";
      const store::Compare& c = any[i].all[j];
      out += ColumnText(c.column) + OpText(c.op) + OperandText(c.operand);
    }
  }
  return out;
}

// The single clause a one-parameter search produces.
Clause OnlyClause(std::string_view type, const std::string& name, const std::string& value) {
  Result<ParsedSearch> parsed = Parse(type, {{name, value}}, /*strict=*/true);
  EXPECT_TRUE(parsed.ok()) << name << "=" << value << ": " << parsed.status().ToString();
  if (!parsed.ok() || parsed->query.clauses.size() != 1) {
    ADD_FAILURE() << name << "=" << value << " gave no single clause";
    return Clause{};
  }
  return parsed->query.clauses[0];
}

std::string DateRendering(const std::string& value) {
  return Render(OnlyClause("Encounter", "date", value).any);
}

// ---- dates: every prefix against a day (search.html#prefix, ranges) --------

class DatePrefixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto range = DateRange("2024-03-10");
    ASSERT_TRUE(range.has_value());
    lo_ = std::to_string(range->first);
    hi_ = std::to_string(range->second);
  }
  std::string lo_, hi_;
};

TEST_F(DatePrefixTest, EqMeansTheResourceRangeLiesWithinTheDay) {
  EXPECT_EQ(DateRendering("2024-03-10"), "low>=" + lo_ + "&high<=" + hi_);
  EXPECT_EQ(DateRendering("eq2024-03-10"), "low>=" + lo_ + "&high<=" + hi_);
}

TEST_F(DatePrefixTest, NeIsTheNegationOfEq) {
  EXPECT_EQ(DateRendering("ne2024-03-10"), "low<" + lo_ + " | high>" + hi_);
}

TEST_F(DatePrefixTest, GtAndLtOverlapTheRangeAboveOrBelow) {
  EXPECT_EQ(DateRendering("gt2024-03-10"), "high>" + hi_);
  EXPECT_EQ(DateRendering("lt2024-03-10"), "low<" + lo_);
}

TEST_F(DatePrefixTest, GeAndLeAddTheEqualCase) {
  EXPECT_EQ(DateRendering("ge2024-03-10"), "high>" + hi_ + " | low>=" + lo_ + "&high<=" + hi_);
  EXPECT_EQ(DateRendering("le2024-03-10"), "low<" + lo_ + " | low>=" + lo_ + "&high<=" + hi_);
}

TEST_F(DatePrefixTest, SaAndEbNeedNoOverlapAtAll) {
  EXPECT_EQ(DateRendering("sa2024-03-10"), "low>" + hi_);
  EXPECT_EQ(DateRendering("eb2024-03-10"), "high<" + lo_);
}

TEST_F(DatePrefixTest, ApWidensByTenPercentOfTheDistanceToNow) {
  auto range = DateRange("2024-03-10");
  ASSERT_TRUE(range.has_value());
  // Now is 100 days later: the window grows by 10 days on either side.
  const std::int64_t day = 86'400'000;
  const std::int64_t now = range->first + 100 * day;
  Result<ParsedSearch> parsed = Parse("Encounter", {{"date", "ap2024-03-10"}}, true, now);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(Render(parsed->query.clauses.at(0).any),
            "low<=" + std::to_string(range->second + 10 * day) +
                "&high>=" + std::to_string(range->first - 10 * day));
  // Close to now: at least a day.
  parsed = Parse("Encounter", {{"date", "ap2024-03-10"}}, true, range->first);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(Render(parsed->query.clauses.at(0).any),
            "low<=" + std::to_string(range->second + day) +
                "&high>=" + std::to_string(range->first - day));
}

TEST(SearchRequestDates, PrecisionSetsTheSearchedRange) {
  auto month = DateRange("2024-03");
  ASSERT_TRUE(month.has_value());
  EXPECT_EQ(DateRendering("2024-03"),
            "low>=" + std::to_string(month->first) + "&high<=" + std::to_string(month->second));
  auto instant = DateRange("2024-03-10T10:00:00+01:00");
  ASSERT_TRUE(instant.has_value());
  EXPECT_EQ(DateRendering("gt2024-03-10T10:00:00+01:00"),
            "high>" + std::to_string(instant->second));
}

TEST(SearchRequestDates, MalformedDatesAreErrorsEvenWhenLenient) {
  for (const char* bad : {"2024-13-01", "yesterday", "gt", "xx2024-01-01", "2024-03-10T25:00"}) {
    Result<ParsedSearch> parsed = Parse("Encounter", {{"date", bad}});
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(Parse("Encounter", {{"_lastUpdated", "not-a-date"}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SearchRequestDates, LastUpdatedUsesTheSamePrefixes) {
  auto range = DateRange("2024-03-10");
  ASSERT_TRUE(range.has_value());
  Clause c = OnlyClause("Location", "_lastUpdated", "ge2024-03-10");
  EXPECT_EQ(c.kind, Clause::Kind::kLastUpdated);
  EXPECT_EQ(Render(c.any), "high>" + std::to_string(range->second) +
                               " | low>=" + std::to_string(range->first) +
                               "&high<=" + std::to_string(range->second));
}

// ---- numbers and quantities (search.html#number) ----------------------------

std::string NumberRendering(const std::string& value) {
  return Render(OnlyClause("RiskAssessment", "probability", value).any);
}

TEST(SearchRequestNumbers, EqCoversTheImpliedPrecision) {
  EXPECT_EQ(NumberRendering("100"), "number>=99.5&number<100.5");
  EXPECT_EQ(NumberRendering("eq100"), "number>=99.5&number<100.5");
  EXPECT_EQ(NumberRendering("1.50"), "number>=1.495&number<1.505");
  EXPECT_EQ(NumberRendering("ne100"), "number<99.5 | number>=100.5");
}

TEST(SearchRequestNumbers, OrderingPrefixesCompareTheValue) {
  EXPECT_EQ(NumberRendering("gt100"), "number>100");
  EXPECT_EQ(NumberRendering("lt100"), "number<100");
  EXPECT_EQ(NumberRendering("ge100"), "number>=100");
  EXPECT_EQ(NumberRendering("le100"), "number<=100");
  EXPECT_EQ(NumberRendering("sa100"), "number>100");
  EXPECT_EQ(NumberRendering("eb100"), "number<100");
  EXPECT_EQ(NumberRendering("ap100"), "number>=90&number<=110");
  EXPECT_EQ(NumberRendering("gt-0.5"), "number>-0.5");
}

TEST(SearchRequestNumbers, MalformedNumbersAreErrors) {
  for (const char* bad : {"abc", "1.", ".5", "1e", "gt", "1,5x", "0x10"}) {
    EXPECT_EQ(Parse("RiskAssessment", {{"probability", bad}}).status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(SearchRequestNumbers, QuantityWithSystemAndCode) {
  EXPECT_EQ(
      Render(OnlyClause("Observation", "value-quantity", "gt5.4|http://unitsofmeasure.org|mg").any),
      "number>5.4&system='http://unitsofmeasure.org'&value='mg'");
  // No system: the code or the unit as written.
  EXPECT_EQ(Render(OnlyClause("Observation", "value-quantity", "5||mg").any),
            "number>=4.5&number<5.5&value='mg' | number>=4.5&number<5.5&display='mg'");
  EXPECT_EQ(Parse("Observation", {{"value-quantity", "5|mg"}}).status().code(),
            StatusCode::kInvalidArgument);
}

// ---- escaping and comma alternatives ----------------------------------------

TEST(SearchRequestEscapes, SplitSearchValuesHonoursEscapes) {
  EXPECT_EQ(SplitSearchValues("a,b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(SplitSearchValues(R"(a\,b,c)"), (std::vector<std::string>{"a,b", "c"}));
  EXPECT_EQ(SplitSearchValues(R"(a\|b\$c\\d)"), (std::vector<std::string>{R"(a|b$c\d)"}));
  EXPECT_EQ(SplitSearchValues(R"(a\\,b)"), (std::vector<std::string>{R"(a\)", "b"}));
}

TEST(SearchRequestEscapes, EscapedPipeStaysInTheTokenSystem) {
  EXPECT_EQ(Render(OnlyClause("Location", "identifier", R"(urn:a\|b|x\,y)").any),
            "system='urn:a|b'&value='x,y'");
}

TEST(SearchRequestEscapes, EscapedDollarAndBackslashInStrings) {
  EXPECT_EQ(Render(OnlyClause("Location", "name", R"(a\$b)").any), "value starts 'a$b'");
  EXPECT_EQ(Render(OnlyClause("Location", "name", R"(a\\b)").any), R"(value starts 'a\b')");
}

TEST(SearchRequestEscapes, CommaIsOrWithinAParameterAndRepeatsAreAnd) {
  Clause c = OnlyClause("Location", "status", "active,suspended");
  EXPECT_EQ(Render(c.any), "value='active' | value='suspended'");
  Result<ParsedSearch> parsed =
      Parse("Location", {{"status", "active"}, {"status", "suspended"}}, true);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->query.clauses.size(), 2u);
  EXPECT_EQ(Render(parsed->query.clauses[0].any), "value='active'");
  EXPECT_EQ(Render(parsed->query.clauses[1].any), "value='suspended'");
}

TEST(SearchRequestEscapes, EmptyAlternativesAndTooManyValuesAreErrors) {
  EXPECT_EQ(Parse("Location", {{"status", "active,"}}).status().code(),
            StatusCode::kInvalidArgument);
  std::string many = "a";
  for (int i = 0; i < 200; ++i) many += ",a";
  EXPECT_EQ(Parse("Location", {{"status", many}}).status().code(), StatusCode::kInvalidArgument);
}

// ---- tokens, strings, uris, references: values and modifiers ---------------

TEST(SearchRequestTokens, SystemAndCodeForms) {
  EXPECT_EQ(Render(OnlyClause("Location", "identifier", "sys|v1").any), "system='sys'&value='v1'");
  EXPECT_EQ(Render(OnlyClause("Location", "identifier", "|v1").any), "system null&value='v1'");
  EXPECT_EQ(Render(OnlyClause("Location", "identifier", "sys|").any), "system='sys'");
  EXPECT_EQ(Render(OnlyClause("Location", "identifier", "v1").any), "value='v1'");
  EXPECT_EQ(Parse("Location", {{"identifier", "a|b|c"}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SearchRequestTokens, NotTextAndOfType) {
  Clause n = OnlyClause("Location", "status:not", "active");
  EXPECT_TRUE(n.negate);
  EXPECT_EQ(Render(n.any), "value='active'");
  EXPECT_EQ(Render(OnlyClause("Location", "type:text", "Intensive Care").any),
            "display starts 'intensive care'");
  Clause of_type = OnlyClause("Location", "identifier:of-type", "http://sys|MR|123");
  EXPECT_EQ(of_type.param, "identifier:of-type");
  EXPECT_EQ(Render(of_type.any), "system='http://sys|MR'&value='123'");
  EXPECT_EQ(Parse("Location", {{"identifier:of-type", "MR|123"}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SearchRequestStrings, DefaultContainsAndExact) {
  EXPECT_EQ(Render(OnlyClause("Location", "name", "Ward Ä").any), "value starts 'ward a'");
  EXPECT_EQ(Render(OnlyClause("Location", "name:contains", "ARD").any), "value contains 'ard'");
  EXPECT_EQ(Render(OnlyClause("Location", "name:exact", "Ward A").any),
            "display='Ward A' | display null&value='Ward A'");
}

TEST(SearchRequestUris, BelowAndAbove) {
  EXPECT_EQ(Render(OnlyClause("ValueSet", "url", "http://a/b").any), "value='http://a/b'");
  EXPECT_EQ(Render(OnlyClause("ValueSet", "url:below", "http://a/").any),
            "value starts 'http://a/'");
  EXPECT_EQ(Render(OnlyClause("ValueSet", "url:above", "http://a/b/c").any),
            "value prefix-of 'http://a/b/c'");
}

TEST(SearchRequestReferences, RelativeAbsoluteAndBareIds) {
  EXPECT_EQ(Render(OnlyClause("Location", "partof", "Location/w1").any),
            "system='Location'&value='w1'");
  // The server's own base is the same as a relative reference.
  EXPECT_EQ(Render(OnlyClause("Location", "partof", "http://fhir.example/fhir/Location/w1").any),
            "system='Location'&value='w1'");
  EXPECT_EQ(Render(OnlyClause("Location", "partof", "Location/w1/_history/2").any),
            "system='Location'&value='w1'");
  // partof has one target type, so a bare id means that type.
  EXPECT_EQ(Render(OnlyClause("Location", "partof", "w1").any), "system='Location'&value='w1'");
  // Encounter.subject has several: a type modifier narrows a bare id.
  EXPECT_EQ(Render(OnlyClause("Encounter", "subject", "p1").any), "value='p1'");
  EXPECT_EQ(Render(OnlyClause("Encounter", "subject:Group", "p1").any),
            "system='Group'&value='p1'");
}

TEST(SearchRequestReferences, TypeModifierMustAgreeWithTheReference) {
  EXPECT_EQ(Parse("Encounter", {{"subject:Group", "Patient/p1"}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SearchRequestModifiers, MissingTakesTrueOrFalse) {
  Clause m = OnlyClause("Location", "partof:missing", "true");
  EXPECT_EQ(m.kind, Clause::Kind::kMissing);
  EXPECT_TRUE(m.missing);
  EXPECT_FALSE(OnlyClause("Location", "partof:missing", "false").missing);
  EXPECT_EQ(Parse("Location", {{"partof:missing", "yes"}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SearchRequestModifiers, UnsupportedModifiersAreIgnoredOrErrors) {
  for (const auto& [name, value] : std::vector<UrlParam>{{"name:below", "x"},
                                                         {"date:exact", "2024"},
                                                         {"status:contains", "a"},
                                                         {"partof:NotAType", "x"},
                                                         {"_id:contains", "x"}}) {
    Result<ParsedSearch> lenient = Parse("Location", {{name, value}});
    if (name == "date:exact") lenient = Parse("Encounter", {{name, value}});
    ASSERT_TRUE(lenient.ok()) << name << ": " << lenient.status().ToString();
    EXPECT_TRUE(lenient->query.clauses.empty()) << name;
    ASSERT_EQ(lenient->ignored.size(), 1u) << name;
    EXPECT_NE(lenient->ignored[0].find("not supported"), std::string::npos) << lenient->ignored[0];
    EXPECT_TRUE(lenient->applied.empty()) << name;

    Result<ParsedSearch> strict =
        Parse(name == "date:exact" ? "Encounter" : "Location", {{name, value}}, /*strict=*/true);
    EXPECT_EQ(strict.status().code(), StatusCode::kInvalidArgument) << name;
  }
}

// ---- unknown parameters: strict vs lenient ----------------------------------

TEST(SearchRequestHandling, LenientIgnoresUnknownParametersAndSaysWhy) {
  Result<ParsedSearch> parsed = Parse("Location", {{"nosuch", "1"}, {"status", "active"}});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->ignored.size(), 1u);
  EXPECT_NE(parsed->ignored[0].find("nosuch"), std::string::npos) << parsed->ignored[0];
  ASSERT_EQ(parsed->applied.size(), 1u);
  EXPECT_EQ(parsed->applied[0].first, "status");
  EXPECT_EQ(parsed->query.clauses.size(), 1u);
}

TEST(SearchRequestHandling, StrictRefusesUnknownParametersNamingThem) {
  Result<ParsedSearch> parsed = Parse("Location", {{"nosuch", "1"}}, /*strict=*/true);
  ASSERT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("nosuch"), std::string::npos);
}

TEST(SearchRequestHandling, FormatIsNotASearchParameter) {
  Result<ParsedSearch> parsed = Parse("Location", {{"_format", "xml"}, {"_pretty", "true"}}, true);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(parsed->applied.empty());
  EXPECT_TRUE(parsed->query.clauses.empty());
}

// ---- chains and _has ---------------------------------------------------------

TEST(SearchRequestChains, OneLevel) {
  Clause c = OnlyClause("Encounter", "location.partof", "Location/site1");
  EXPECT_EQ(c.kind, Clause::Kind::kChain);
  EXPECT_EQ(c.param, "location");
  ASSERT_EQ(c.targets.size(), 1u);
  EXPECT_EQ(c.targets[0].type, "Location");
  ASSERT_EQ(c.targets[0].clauses.size(), 1u);
  EXPECT_EQ(c.targets[0].clauses[0].param, "partof");
  EXPECT_EQ(Render(c.targets[0].clauses[0].any), "system='Location'&value='site1'");
}

TEST(SearchRequestChains, TokenAtTheEnd) {
  Clause c = OnlyClause("Location", "organization.identifier", "urn:oid:1.2|SE1");
  ASSERT_EQ(c.targets.size(), 1u);
  EXPECT_EQ(c.targets[0].type, "Organization");
  EXPECT_EQ(Render(c.targets[0].clauses.at(0).any), "system='urn:oid:1.2'&value='SE1'");
}

TEST(SearchRequestChains, TypeModifierPicksOneTarget) {
  // Encounter.subject may be a Patient or a Group, both with identifiers;
  // the modifier keeps only the type it names.
  Clause any = OnlyClause("Encounter", "subject.identifier", "x");
  EXPECT_GE(any.targets.size(), 2u);
  Clause typed = OnlyClause("Encounter", "subject:Patient.identifier", "x");
  ASSERT_EQ(typed.targets.size(), 1u);
  EXPECT_EQ(typed.targets[0].type, "Patient");
}

TEST(SearchRequestChains, MultiLevel) {
  Clause c = OnlyClause("Encounter", "location.partof.name", "Ward");
  ASSERT_EQ(c.targets.size(), 1u);
  const Clause& inner = c.targets[0].clauses.at(0);
  EXPECT_EQ(inner.kind, Clause::Kind::kChain);
  EXPECT_EQ(inner.param, "partof");
  ASSERT_EQ(inner.targets.size(), 1u);
  EXPECT_EQ(inner.targets[0].type, "Location");
  EXPECT_EQ(Render(inner.targets[0].clauses.at(0).any), "value starts 'ward'");
}

TEST(SearchRequestChains, DepthIsLimited) {
  EXPECT_TRUE(Parse("Location", {{"partof.partof.partof.partof.name", "x"}}, true).ok());
  EXPECT_EQ(
      Parse("Location", {{"partof.partof.partof.partof.partof.name", "x"}}, true).status().code(),
      StatusCode::kInvalidArgument);
}

TEST(SearchRequestChains, OnlyReferencesChain) {
  EXPECT_EQ(Parse("Location", {{"status.name", "x"}}).status().code(),
            StatusCode::kInvalidArgument);
  // An unknown parameter at the end of a chain is an unknown parameter.
  Result<ParsedSearch> lenient = Parse("Encounter", {{"location.nosuch", "x"}});
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(lenient->ignored.size(), 1u);
  EXPECT_EQ(Parse("Encounter", {{"location.nosuch", "x"}}, true).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SearchRequestHas, ReverseChain) {
  Clause c = OnlyClause("Location", "_has:Encounter:location:status", "in-progress");
  EXPECT_EQ(c.kind, Clause::Kind::kReverseChain);
  EXPECT_EQ(c.param, "location");
  ASSERT_EQ(c.targets.size(), 1u);
  EXPECT_EQ(c.targets[0].type, "Encounter");
  EXPECT_EQ(Render(c.targets[0].clauses.at(0).any), "value='in-progress'");
}

TEST(SearchRequestHas, Nested) {
  Clause c = OnlyClause("Organization", "_has:Location:organization:_has:Encounter:location:status",
                        "in-progress");
  ASSERT_EQ(c.targets.size(), 1u);
  EXPECT_EQ(c.targets[0].type, "Location");
  const Clause& inner = c.targets[0].clauses.at(0);
  EXPECT_EQ(inner.kind, Clause::Kind::kReverseChain);
  EXPECT_EQ(inner.param, "location");
  EXPECT_EQ(inner.targets.at(0).type, "Encounter");
}

TEST(SearchRequestHas, MalformedOrImpossibleHasIsAnError) {
  for (const char* name : {"_has:Encounter:location", "_has:Encounter", "_has:NoType:x:status",
                           "_has:Encounter:status:status"}) {
    EXPECT_EQ(Parse("Location", {{name, "x"}}).status().code(), StatusCode::kInvalidArgument)
        << name;
  }
  // Encounter.location cannot point at an Organization.
  EXPECT_EQ(Parse("Organization", {{"_has:Encounter:location:status", "x"}}).status().code(),
            StatusCode::kInvalidArgument);
}

// ---- _include / _revinclude --------------------------------------------------

TEST(SearchRequestInclude, ForwardReverseIterateAndTarget) {
  Result<ParsedSearch> parsed = Parse("Encounter",
                                      {{"_include", "Encounter:location"},
                                       {"_include:iterate", "Location:partof:Location"},
                                       {"_revinclude", "Encounter:part-of"},
                                       {"_revinclude:iterate", "Location:partof"}},
                                      true);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->includes.size(), 4u);
  const auto& inc = parsed->includes;
  EXPECT_EQ(inc[0].source_type, "Encounter");
  EXPECT_EQ(inc[0].param, "location");
  EXPECT_FALSE(inc[0].reverse);
  EXPECT_FALSE(inc[0].iterate);
  EXPECT_EQ(inc[1].param, "partof");
  EXPECT_EQ(inc[1].target_type, "Location");
  EXPECT_TRUE(inc[1].iterate);
  EXPECT_TRUE(inc[2].reverse);
  EXPECT_FALSE(inc[2].iterate);
  EXPECT_TRUE(inc[3].reverse);
  EXPECT_TRUE(inc[3].iterate);
}

TEST(SearchRequestInclude, WildcardIsEveryReferenceParameter) {
  Result<ParsedSearch> parsed = Parse("Location", {{"_include", "Location:*"}}, true);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  std::vector<std::string> params;
  for (const store::IncludeSpec& s : parsed->includes) params.push_back(s.param);
  EXPECT_NE(std::find(params.begin(), params.end(), "partof"), params.end());
  EXPECT_NE(std::find(params.begin(), params.end(), "organization"), params.end());
  EXPECT_EQ(std::find(params.begin(), params.end(), "status"), params.end());
}

TEST(SearchRequestInclude, MalformedIncludesAreErrors) {
  for (const char* bad :
       {"Encounter", "Nope:location", "Encounter:status", "Encounter:location:Nope", "a:b:c:d"}) {
    EXPECT_EQ(Parse("Encounter", {{"_include", bad}}).status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
}

// ---- _sort, _count, _offset, _total, _summary --------------------------------

TEST(SearchRequestSort, MultiKeyWithDescending) {
  Result<ParsedSearch> parsed =
      Parse("Encounter", {{"_sort", "-date,status,_id,-_lastUpdated"}}, true);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const auto& sort = parsed->query.sort;
  ASSERT_EQ(sort.size(), 4u);
  EXPECT_EQ(sort[0].param, "date");
  EXPECT_TRUE(sort[0].descending);
  EXPECT_EQ(sort[0].column, Column::kLow);  // the start, also descending
  EXPECT_EQ(sort[1].param, "status");
  EXPECT_FALSE(sort[1].descending);
  EXPECT_EQ(sort[1].column, Column::kValue);
  EXPECT_EQ(sort[2].kind, store::SortKey::Kind::kId);
  EXPECT_EQ(sort[3].kind, store::SortKey::Kind::kLastUpdated);
  EXPECT_TRUE(sort[3].descending);
}

TEST(SearchRequestSort, UnknownSortKeyFollowsHandling) {
  Result<ParsedSearch> lenient = Parse("Encounter", {{"_sort", "nosuch"}});
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(lenient->ignored.size(), 1u);
  EXPECT_EQ(Parse("Encounter", {{"_sort", "nosuch"}}, true).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SearchRequestPaging, CountIsCappedAndMustBeANumber) {
  Result<ParsedSearch> parsed = Parse("Location", {{"_count", "5"}, {"_offset", "10"}}, true);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->page.count, 5u);
  EXPECT_EQ(parsed->page.offset, 10u);
  parsed = Parse("Location", {{"_count", "100000"}}, true);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->page.count, 1000u);
  parsed = Parse("Location", {}, true);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->page.count, 20u);
  for (const char* bad : {"-1", "ten", "", "5x", "1.5"}) {
    EXPECT_EQ(Parse("Location", {{"_count", bad}}).status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(Parse("Location", {{"_offset", "-3"}}).status().code(), StatusCode::kInvalidArgument);
}

TEST(SearchRequestPaging, TotalAndSummaryCount) {
  Result<ParsedSearch> parsed = Parse("Location", {{"_total", "none"}}, true);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->page.want_total);
  parsed = Parse("Location", {{"_total", "accurate"}}, true);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->page.want_total);
  EXPECT_EQ(Parse("Location", {{"_total", "some"}}).status().code(), StatusCode::kInvalidArgument);
  parsed = Parse("Location", {{"_summary", "count"}, {"_total", "none"}}, true);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->summary, SummaryMode::kCount);
  EXPECT_EQ(parsed->page.count, 0u);
  EXPECT_TRUE(parsed->page.want_total);
  EXPECT_EQ(Parse("Location", {{"_summary", "yes"}}).status().code(), StatusCode::kInvalidArgument);
}

TEST(SearchRequestPaging, SummaryModesAndElements) {
  for (auto [value, mode] :
       std::vector<std::pair<std::string, SummaryMode>>{{"true", SummaryMode::kTrue},
                                                        {"text", SummaryMode::kText},
                                                        {"data", SummaryMode::kData},
                                                        {"false", SummaryMode::kFalse}}) {
    Result<ParsedSearch> parsed = Parse("Location", {{"_summary", value}}, true);
    ASSERT_TRUE(parsed.ok()) << value;
    EXPECT_EQ(parsed->summary, mode) << value;
  }
  Result<ParsedSearch> elements = Parse("Location", {{"_elements", "name, status"}}, true);
  ASSERT_TRUE(elements.ok());
  EXPECT_EQ(elements->elements, (std::vector<std::string>{"name", "status"}));
  EXPECT_EQ(Parse("Location", {{"_elements", ""}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse("Location", {{"_summary", "true"}, {"_elements", "name"}}).status().code(),
            StatusCode::kInvalidArgument);
}

// ---- system search -------------------------------------------------------------

TEST(SearchRequestSystem, TypeAndId) {
  Result<ParsedSearch> parsed =
      Parse("", {{"_type", "Location,Encounter"}, {"_id", "a,b"}}, /*strict=*/true);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->query.type, "");
  EXPECT_EQ(parsed->query.types, (std::vector<std::string>{"Location", "Encounter"}));
  ASSERT_EQ(parsed->query.clauses.size(), 1u);
  EXPECT_EQ(parsed->query.clauses[0].kind, Clause::Kind::kId);
  EXPECT_EQ(parsed->query.clauses[0].ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Parse("", {{"_type", "Location,Nope"}}).status().code(), StatusCode::kInvalidArgument);
}

TEST(SearchRequestSystem, TypeSpecificParametersDoNotApply) {
  Result<ParsedSearch> lenient = Parse("", {{"name", "x"}});
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(lenient->ignored.size(), 1u);
  EXPECT_EQ(Parse("", {{"name", "x"}}, true).status().code(), StatusCode::kInvalidArgument);
  // Common parameters do.
  Result<ParsedSearch> tag = Parse("", {{"_tag", "sys|t"}}, true);
  ASSERT_TRUE(tag.ok()) << tag.status().ToString();
  EXPECT_EQ(tag->query.clauses.size(), 1u);
}

}  // namespace
}  // namespace fhirengine::search
