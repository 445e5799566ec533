// Compiling FHIRPath: the grammar, operator precedence, literals, errors
// that name their position, and the limits that keep hostile expressions
// from exhausting the stack.
#include "engine/fhirpath/parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/unit/fhirpath/fhirpath_test_util.h"

namespace fhirengine::fhirpath {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Values;

std::string CompileError(std::string_view text, const CompileOptions& options = {}) {
  Result<Expression> e = Compile(text, options);
  return e.ok() ? "compiled" : e.status().message();
}

TEST(FhirpathParser, OperatorPrecedenceFollowsTheSpecification) {
  EXPECT_THAT(Values("1 + 2 * 3 + 4"), ElementsAre("11"));
  EXPECT_THAT(Values("(1 + 2) * 3"), ElementsAre("9"));
  EXPECT_THAT(Values("10 - 2 - 3"), ElementsAre("5"));  // left associative
  EXPECT_THAT(Values("7 div 2 * 2"), ElementsAre("6"));
  EXPECT_THAT(Values("1 | 2 = 1 | 2"), ElementsAre("true"));  // | binds tighter than =
  EXPECT_THAT(Values("true or false and false"), ElementsAre("true"));
  EXPECT_THAT(Values("false implies false implies false"), ElementsAre("true"));  // right assoc
  EXPECT_THAT(Values("2 in (1 | 2) and true"), ElementsAre("true"));
  EXPECT_THAT(Values("'a' & 'b' + 'c'"), ElementsAre("abc"));
}

TEST(FhirpathParser, UnaryMinusAppliesToTheWholeInvocationChain) {
  EXPECT_THAT(Values("-(1)"), ElementsAre("-1"));
  EXPECT_THAT(Values("-5.5 'mg'"), ElementsAre("-5.5 'mg'"));
  EXPECT_THAT(Values("- - 2"), ElementsAre("2"));
  // -1.convertsToInteger() is -(true): an error, not (-1).convertsToInteger().
  EXPECT_THAT(Values("-1.convertsToInteger()")[0], HasSubstr("unary - needs a number"));
  EXPECT_THAT(Values("(-1).convertsToInteger()"), ElementsAre("true"));
}

TEST(FhirpathParser, Literals) {
  EXPECT_THAT(Values("true | false"), ElementsAre("true", "false"));
  EXPECT_THAT(Values("'it''s'.length()")[0], HasSubstr("column"));  // '' is not an escape
  EXPECT_THAT(Values("'\\'\\\\\\/\\f\\r\\n\\t\\\"\\`'.length()"), ElementsAre("9"));
  EXPECT_THAT(Values("'P\\u0065ter'"), ElementsAre("Peter"));
  EXPECT_THAT(Values("'\\ud83d\\udd25'.length()"), ElementsAre("1"));
  EXPECT_THAT(Values("1.50"), ElementsAre("1.50"));
  EXPECT_THAT(Values("2147483647"), ElementsAre("2147483647"));
  EXPECT_THAT(Values("@2015-02-04T14:34:28.123+10:00"),
              ElementsAre("2015-02-04T14:34:28.123+10:00"));
  EXPECT_THAT(Values("@T14:34"), ElementsAre("14:34"));
  EXPECT_THAT(Values("4 days"), ElementsAre("4 days"));
  EXPECT_THAT(Values("10 'mg'"), ElementsAre("10 'mg'"));
  EXPECT_THAT(Values("{}"), ElementsAre());
}

TEST(FhirpathParser, CommentsAndDelimitedIdentifiers) {
  EXPECT_THAT(Values("2 + 2 // to the end of the line + 4"), ElementsAre("4"));
  EXPECT_THAT(Values("2 + /* inline */ 2"), ElementsAre("4"));
  EXPECT_THAT(Values("2 // comment\n/ 2"), ElementsAre("1"));
  testing::Resource r(R"({"resourceType":"Patient","name":[{"given":["Ann"]}]})");
  EXPECT_THAT(r.Run("`Patient`.name.`given`").values, ElementsAre("Ann"));
}

TEST(FhirpathParser, KeywordsAreNamesAfterADot) {
  // contains/in/as/is are operators between operands and functions after '.'.
  EXPECT_THAT(Values("'abc'.contains('b') and (1 | 2) contains 2"), ElementsAre("true"));
  EXPECT_THAT(Values("1.is(Integer) and 1 is Integer"), ElementsAre("true"));
}

TEST(FhirpathParser, ErrorsNameTheColumn) {
  EXPECT_EQ(
      CompileError("name.where(use = 'official'"),
      "column 28: expected ')' to close the call of 'where', found the end of the expression");
  EXPECT_EQ(CompileError("name.foo()"), "column 6: unknown function 'foo'");
  EXPECT_EQ(CompileError("name.substring()"),
            "column 6: function 'substring' takes 1 to 2 argument(s), got 0");
  EXPECT_EQ(CompileError("1 +"),
            "column 4: expected an expression, found the end of the expression");
  EXPECT_EQ(CompileError("'abc"), "column 1: unterminated string");
  EXPECT_EQ(CompileError("@2015-13-01"), "column 1: invalid date/time literal @2015-13-01");
  EXPECT_EQ(CompileError("1 2"), "column 3: unexpected the number 2 after a complete expression");
  EXPECT_EQ(CompileError("$foo"),
            "column 1: unknown special variable '$foo' (FHIRPath has $this, $index and $total)");
  EXPECT_EQ(CompileError("2 + 2 /* never closed"), "column 7: unterminated /* comment");
  EXPECT_EQ(CompileError("name.given\n  .where(\n    #)"), "line 3, column 5: unexpected '#'");
  EXPECT_EQ(CompileError("x.ofType(1)"), "column 3: the argument of 'ofType' must be a type name");
  EXPECT_EQ(CompileError("x is string1"), "column 6: unknown type 'string1'");
  EXPECT_EQ(CompileError("x.as(FHIR.Nope)"), "column 3: unknown FHIR type 'Nope'");
  EXPECT_EQ(CompileError("2147483648"),
            "column 1: integer 2147483648 is out of range (FHIRPath integers are 32-bit)");
  EXPECT_EQ(CompileError("x.matches('(')").substr(0, 40),
            "column 3: invalid regular expression '('");
  EXPECT_EQ(CompileError("a and"),
            "column 6: expected an expression, found the end of the expression");
  EXPECT_EQ(CompileError("'åäö' + )"),
            "column 9: expected an expression, found ')'");  // characters, not bytes
  EXPECT_EQ(CompileError("and"), "column 1: expected an expression, found 'and'");
}

TEST(FhirpathParser, TypeSpecifiersResolveAgainstTheModel) {
  const fhir::TypeModel& m = fhir::TypeModel::R4();
  Result<internal::TypeSpec> q = internal::ResolveTypeSpec("Quantity", m);
  ASSERT_TRUE(q.ok());
  EXPECT_NE(q->fhir_type, nullptr);         // FHIR.Quantity
  EXPECT_TRUE(q->system_kind.has_value());  // and System.Quantity
  EXPECT_EQ(internal::ResolveTypeSpec("System.Boolean", m)->fhir_type, nullptr);
  EXPECT_FALSE(internal::ResolveTypeSpec("FHIR.Boolean", m).ok());   // FHIR's is 'boolean'
  EXPECT_TRUE(internal::ResolveTypeSpec("System.Patient", m).ok());  // matches nothing, no error
  EXPECT_NE(internal::ResolveTypeSpec("Patient.contact", m)->fhir_type, nullptr);
}

TEST(FhirpathParser, HostileNestingIsAnErrorNotAStackOverflow) {
  const std::string parens = std::string(10000, '(') + "1" + std::string(10000, ')');
  Result<Expression> e = Compile(parens);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(e.status().message(), HasSubstr("too deep"));

  std::string chain = "1";
  for (int i = 0; i < 10000; ++i) chain += " + 1";
  EXPECT_EQ(Compile(chain).status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(Compile(std::string(10000, '-') + "1").status().code(), StatusCode::kResourceExhausted);
  std::string path = "a";
  for (int i = 0; i < 10000; ++i) path += ".a";
  EXPECT_EQ(Compile(path).status().code(), StatusCode::kResourceExhausted);
  std::string calls;
  for (int i = 0; i < 5000; ++i) calls += "where(";
  calls += "true" + std::string(5000, ')');
  EXPECT_EQ(Compile(calls).status().code(), StatusCode::kResourceExhausted);
}

TEST(FhirpathParser, LimitsAreConfigurable) {
  std::string chain = "1";
  for (int i = 0; i < 150; ++i) chain += " + 1";
  EXPECT_THAT(Values(chain), ElementsAre("151"));
  CompileOptions tight;
  tight.max_depth = 20;
  EXPECT_EQ(Compile(chain, tight).status().code(), StatusCode::kResourceExhausted);
  tight.max_length = 8;
  EXPECT_EQ(Compile("name.given.first()", tight).status().code(), StatusCode::kResourceExhausted);
}

TEST(FhirpathParser, ACompiledExpressionIsSharedAcrossThreads) {
  testing::Resource r(
      R"({"resourceType":"Patient","name":[{"given":["Ann","Bo"]},{"given":["Cy"]}]})");
  Result<Expression> e = Compile("name.given.where($this.length() > 1).count() + name.count()");
  ASSERT_TRUE(e.ok());
  const Expression copy = *e;  // cheap: shares the tree
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        Result<Collection> c = Evaluate(copy, *r.get());
        if (c.ok() && c->size() == 1 && (*c)[0].integer() == 5) ++good;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(good.load(), 8 * 500);
  EXPECT_EQ(copy.text(), "name.given.where($this.length() > 1).count() + name.count()");
}

}  // namespace
}  // namespace fhirengine::fhirpath
