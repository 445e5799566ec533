// JSON Patch: the RFC 6902 Appendix A examples (A.1-A.16), JSON Pointer
// escapes and array index rules, malformed patches, limits and atomicity.
#include "engine/json/json_patch.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"

namespace fhirengine::json {
namespace {

Document MustParse(std::string_view text) {
  Result<Document> doc = json::Parse(text);
  FE_CHECK(doc.ok());
  return std::move(doc).value();
}

// Applies `patch` to `target`: the compact JSON of the result, or the error.
Result<std::string> ApplyText(std::string_view target, std::string_view patch,
                              const JsonPatchLimits& limits = {}) {
  Result<JsonPatch> p = JsonPatch::Parse(patch, {}, limits);
  if (!p.ok()) return p.status();
  Document doc = MustParse(target);
  Result<Document> out = p->ApplyTo(doc.root());
  if (!out.ok()) return out.status();
  return Write(out->root());
}

// Whether `patch` turns `target` into a document equal to `expected`.
::testing::AssertionResult Patches(std::string_view target, std::string_view patch,
                                   std::string_view expected) {
  Result<std::string> out = ApplyText(target, patch);
  if (!out.ok()) return ::testing::AssertionFailure() << out.status().ToString();
  Document got = MustParse(*out);
  Document want = MustParse(expected);
  if (!Equal(got.root(), want.root())) {
    return ::testing::AssertionFailure() << "got " << *out << ", want " << expected;
  }
  return ::testing::AssertionSuccess();
}

StatusCode CodeOf(std::string_view target, std::string_view patch) {
  Result<std::string> out = ApplyText(target, patch);
  return out.ok() ? StatusCode::kOk : out.status().code();
}

std::string MessageOf(std::string_view target, std::string_view patch) {
  Result<std::string> out = ApplyText(target, patch);
  return out.ok() ? "" : out.status().message();
}

// ---- RFC 6902 Appendix A ---------------------------------------------------------

TEST(JsonPatchRfc6902, A1AddingAnObjectMember) {
  EXPECT_TRUE(Patches(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])",
                      R"({"baz":"qux","foo":"bar"})"));
}

TEST(JsonPatchRfc6902, A2AddingAnArrayElement) {
  EXPECT_TRUE(Patches(R"({"foo":["bar","baz"]})", R"([{"op":"add","path":"/foo/1","value":"qux"}])",
                      R"({"foo":["bar","qux","baz"]})"));
}

TEST(JsonPatchRfc6902, A3RemovingAnObjectMember) {
  EXPECT_TRUE(Patches(R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])",
                      R"({"foo":"bar"})"));
}

TEST(JsonPatchRfc6902, A4RemovingAnArrayElement) {
  EXPECT_TRUE(Patches(R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])",
                      R"({"foo":["bar","baz"]})"));
}

TEST(JsonPatchRfc6902, A5ReplacingAValue) {
  EXPECT_TRUE(Patches(R"({"baz":"qux","foo":"bar"})",
                      R"([{"op":"replace","path":"/baz","value":"boo"}])",
                      R"({"baz":"boo","foo":"bar"})"));
}

TEST(JsonPatchRfc6902, A6MovingAValue) {
  EXPECT_TRUE(Patches(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
                      R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
                      R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"));
}

TEST(JsonPatchRfc6902, A7MovingAnArrayElement) {
  EXPECT_TRUE(Patches(R"({"foo":["all","grass","cows","eat"]})",
                      R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
                      R"({"foo":["all","cows","eat","grass"]})"));
}

TEST(JsonPatchRfc6902, A8TestingAValueSuccess) {
  EXPECT_TRUE(Patches(R"({"baz":"qux","foo":["a",2,"c"]})",
                      R"([{"op":"test","path":"/baz","value":"qux"},
                          {"op":"test","path":"/foo/1","value":2}])",
                      R"({"baz":"qux","foo":["a",2,"c"]})"));
}

TEST(JsonPatchRfc6902, A9TestingAValueError) {
  const char* target = R"({"baz":"qux"})";
  const char* patch = R"([{"op":"test","path":"/baz","value":"bar"}])";
  EXPECT_EQ(CodeOf(target, patch), StatusCode::kFailedPrecondition);
  EXPECT_NE(MessageOf(target, patch).find("operation 0 (test '/baz')"), std::string::npos)
      << MessageOf(target, patch);
}

TEST(JsonPatchRfc6902, A10AddingANestedMemberObject) {
  EXPECT_TRUE(Patches(R"({"foo":"bar"})",
                      R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])",
                      R"({"foo":"bar","child":{"grandchild":{}}})"));
}

TEST(JsonPatchRfc6902, A11IgnoringUnrecognizedElements) {
  EXPECT_TRUE(Patches(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])",
                      R"({"foo":"bar","baz":"qux"})"));
}

TEST(JsonPatchRfc6902, A12AddingToANonexistentTarget) {
  const char* target = R"({"foo":"bar"})";
  const char* patch = R"([{"op":"add","path":"/baz/bat","value":"qux"}])";
  EXPECT_EQ(CodeOf(target, patch), StatusCode::kNotFound);
  EXPECT_NE(MessageOf(target, patch).find("'/baz' does not exist"), std::string::npos)
      << MessageOf(target, patch);
}

TEST(JsonPatchRfc6902, A13InvalidJsonPatchDocument) {
  // Two "op" members: JSON with duplicate names is refused outright.
  Result<JsonPatch> p =
      JsonPatch::Parse(R"([{"op":"add","path":"/baz","value":"qux","op":"remove"}])");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find("not valid JSON"), std::string::npos) << p.status().message();
}

TEST(JsonPatchRfc6902, A14TildeEscapeOrdering) {
  EXPECT_TRUE(Patches(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])",
                      R"({"/":9,"~1":10})"));
}

TEST(JsonPatchRfc6902, A15ComparingStringsAndNumbers) {
  EXPECT_EQ(CodeOf(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":"10"}])"),
            StatusCode::kFailedPrecondition);
}

TEST(JsonPatchRfc6902, A16AddingAnArrayValue) {
  EXPECT_TRUE(Patches(R"({"foo":["bar"]})",
                      R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])",
                      R"({"foo":["bar",["abc","def"]]})"));
}

// ---- JSON Pointer ----------------------------------------------------------------

TEST(JsonPointer, UnescapesTildeZeroAndOne) {
  Result<JsonPointer> p = JsonPointer::Parse("/a~1b/m~0n/~01/");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->tokens.size(), 4u);
  EXPECT_EQ(p->tokens[0], "a/b");
  EXPECT_EQ(p->tokens[1], "m~n");
  EXPECT_EQ(p->tokens[2], "~1");
  EXPECT_EQ(p->tokens[3], "");
  EXPECT_TRUE(JsonPointer::Parse("")->tokens.empty());
}

TEST(JsonPointer, RefusesBadSyntax) {
  for (const char* bad : {"a", "#/a", "/a~", "/a~2", "/~x"}) {
    Result<JsonPointer> p = JsonPointer::Parse(bad);
    EXPECT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(JsonPatch, EmptyKeyAndEscapedKeysAddress) {
  EXPECT_TRUE(Patches(R"({"":1,"a/b":2,"m~n":3})",
                      R"([{"op":"replace","path":"/","value":10},
                          {"op":"replace","path":"/a~1b","value":20},
                          {"op":"replace","path":"/m~0n","value":30}])",
                      R"({"":10,"a/b":20,"m~n":30})"));
}

// ---- array index rules -----------------------------------------------------------

TEST(JsonPatch, AddAtArraySizeAppendsButNotBeyond) {
  EXPECT_TRUE(
      Patches(R"({"a":[1,2]})", R"([{"op":"add","path":"/a/2","value":3}])", R"({"a":[1,2,3]})"));
  EXPECT_EQ(CodeOf(R"({"a":[1,2]})", R"([{"op":"add","path":"/a/3","value":3}])"),
            StatusCode::kNotFound);
}

TEST(JsonPatch, IndexEqualToSizeIsOnlyForAdd) {
  EXPECT_EQ(CodeOf(R"({"a":[1,2]})", R"([{"op":"remove","path":"/a/2"}])"), StatusCode::kNotFound);
  EXPECT_EQ(CodeOf(R"({"a":[1,2]})", R"([{"op":"replace","path":"/a/2","value":0}])"),
            StatusCode::kNotFound);
  EXPECT_EQ(CodeOf(R"({"a":[1,2]})", R"([{"op":"test","path":"/a/2","value":0}])"),
            StatusCode::kNotFound);
}

TEST(JsonPatch, LeadingZerosAndNonDigitsAreNotIndexes) {
  const char* target = R"({"a":[1,2,3]})";
  EXPECT_EQ(CodeOf(target, R"([{"op":"remove","path":"/a/01"}])"), StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(target, R"([{"op":"add","path":"/a/01","value":0}])"),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(target, R"([{"op":"remove","path":"/a/x"}])"), StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(target, R"([{"op":"remove","path":"/a/-1"}])"), StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(target, R"([{"op":"remove","path":"/a/99999999999999999999999"}])"),
            StatusCode::kNotFound);
  EXPECT_TRUE(Patches(target, R"([{"op":"remove","path":"/a/0"}])", R"({"a":[2,3]})"));
  // On an object "01" is just a member name.
  EXPECT_TRUE(
      Patches(R"({"01":1})", R"([{"op":"replace","path":"/01","value":2}])", R"({"01":2})"));
}

TEST(JsonPatch, DashIsOnlyForAdd) {
  EXPECT_EQ(CodeOf(R"({"a":[1]})", R"([{"op":"remove","path":"/a/-"}])"),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(R"({"a":[1]})", R"([{"op":"replace","path":"/a/-","value":2}])"),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(Patches(R"({"a":[]})", R"([{"op":"add","path":"/a/-","value":1}])", R"({"a":[1]})"));
}

// ---- the other operations' details -------------------------------------------------

TEST(JsonPatch, AddReplacesAnExistingMember) {
  EXPECT_TRUE(Patches(R"({"a":1,"b":2})", R"([{"op":"add","path":"/a","value":[3]}])",
                      R"({"a":[3],"b":2})"));
}

TEST(JsonPatch, RootPathReplacesTheWholeDocument) {
  EXPECT_TRUE(Patches(R"({"a":1})", R"([{"op":"add","path":"","value":{"b":2}}])", R"({"b":2})"));
  EXPECT_TRUE(Patches(R"({"a":1})", R"([{"op":"replace","path":"","value":[1]}])", R"([1])"));
  EXPECT_TRUE(Patches(R"({"a":1})", R"([{"op":"test","path":"","value":{"a":1}}])", R"({"a":1})"));
}

TEST(JsonPatch, ReplaceAndRemoveNeedAnExistingTarget) {
  EXPECT_EQ(CodeOf(R"({"a":1})", R"([{"op":"replace","path":"/b","value":1}])"),
            StatusCode::kNotFound);
  EXPECT_EQ(CodeOf(R"({"a":1})", R"([{"op":"remove","path":"/b"}])"), StatusCode::kNotFound);
  EXPECT_EQ(CodeOf(R"({"a":"s"})", R"([{"op":"add","path":"/a/b","value":1}])"),
            StatusCode::kNotFound);
  EXPECT_NE(MessageOf(R"({"a":"s"})", R"([{"op":"add","path":"/a/b","value":1}])").find("string"),
            std::string::npos);
}

TEST(JsonPatch, CopyIsDeepAndIndependentOfItsSource) {
  EXPECT_TRUE(Patches(R"({"a":{"x":[1]}})",
                      R"([{"op":"copy","from":"/a","path":"/b"},
                          {"op":"add","path":"/b/x/-","value":2},
                          {"op":"remove","path":"/a/x/0"}])",
                      R"({"a":{"x":[]},"b":{"x":[1,2]}})"));
}

TEST(JsonPatch, MoveNeedsAnExistingSourceAndRefusesItsOwnChild) {
  EXPECT_EQ(CodeOf(R"({"a":1})", R"([{"op":"move","from":"/b","path":"/c"}])"),
            StatusCode::kNotFound);
  Result<JsonPatch> into_child = JsonPatch::Parse(R"([{"op":"move","from":"/a","path":"/a/b"}])");
  ASSERT_FALSE(into_child.ok());
  EXPECT_EQ(into_child.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Patches(R"({"a":1})", R"([{"op":"move","from":"/a","path":"/a"}])", R"({"a":1})"));
  // "/ab" does not start with the token "a".
  EXPECT_TRUE(Patches(R"({"a":1})", R"([{"op":"move","from":"/a","path":"/ab"}])", R"({"ab":1})"));
}

TEST(JsonPatch, TestComparesNumbersByValueAndObjectsRegardlessOfOrder) {
  EXPECT_EQ(CodeOf(R"({"n":1.50})", R"([{"op":"test","path":"/n","value":15e-1}])"),
            StatusCode::kOk);
  EXPECT_EQ(CodeOf(R"({"n":0})", R"([{"op":"test","path":"/n","value":-0.0}])"), StatusCode::kOk);
  EXPECT_EQ(CodeOf(R"({"n":100})", R"([{"op":"test","path":"/n","value":1E2}])"), StatusCode::kOk);
  EXPECT_EQ(CodeOf(R"({"n":1.5})", R"([{"op":"test","path":"/n","value":1.05}])"),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeOf(R"({"n":-1})", R"([{"op":"test","path":"/n","value":1}])"),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeOf(R"({"o":{"a":1,"b":[true,null]}})",
                   R"([{"op":"test","path":"/o","value":{"b":[true,null],"a":1}}])"),
            StatusCode::kOk);
  EXPECT_EQ(CodeOf(R"({"o":[1,2]})", R"([{"op":"test","path":"/o","value":[2,1]}])"),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeOf(R"({"o":{"a":1}})", R"([{"op":"test","path":"/o","value":{"a":1,"b":2}}])"),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeOf(R"({"o":null})", R"([{"op":"test","path":"/o","value":false}])"),
            StatusCode::kFailedPrecondition);
}

// ---- malformed patches ------------------------------------------------------------

TEST(JsonPatch, MalformedOperationsNameTheirIndexAndProblem) {
  struct Case {
    const char* patch;
    const char* message;
  };
  const Case cases[] = {
      {R"({"op":"add"})", "must be an array of operations"},
      {R"([{"op":"add","path":"/a","value":1},"x"])", "operation 1: is a string"},
      {R"([{"path":"/a"}])", "operation 0: missing 'op'"},
      {R"([{"op":7,"path":"/a"}])", "operation 0: 'op' must be a string"},
      {R"([{"op":"delete","path":"/a"}])", "operation 0: unknown op 'delete'"},
      {R"([{"op":"remove"}])", "operation 0: missing 'path'"},
      {R"([{"op":"remove","path":5}])", "'path' must be a string"},
      {R"([{"op":"remove","path":"a"}])", "operation 0: 'path': 'a' is not a JSON Pointer"},
      {R"([{"op":"add","path":"/a"}])", "operation 0: missing 'value' (required by add)"},
      {R"([{"op":"replace","path":"/a"}])", "missing 'value' (required by replace)"},
      {R"([{"op":"test","path":"/a"}])", "missing 'value' (required by test)"},
      {R"([{"op":"copy","path":"/a"}])", "operation 0: missing 'from'"},
      {R"([{"op":"move","path":"/a","from":"x"}])", "'from': 'x' is not a JSON Pointer"},
      {R"([{"op":"remove","path":""}])", "cannot remove the whole document"},
      {R"([1,2)", "not valid JSON"},
  };
  for (const Case& c : cases) {
    Result<JsonPatch> p = JsonPatch::Parse(c.patch);
    ASSERT_FALSE(p.ok()) << c.patch;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << c.patch;
    EXPECT_NE(p.status().message().find(c.message), std::string::npos)
        << c.patch << " -> " << p.status().message();
  }
}

TEST(JsonPatch, NullIsAValidValue) {
  EXPECT_TRUE(
      Patches(R"({"a":1})", R"([{"op":"add","path":"/b","value":null}])", R"({"a":1,"b":null})"));
}

TEST(JsonPatch, EmptyPatchChangesNothing) {
  EXPECT_TRUE(Patches(R"({"a":[1,{"b":2}]})", "[]", R"({"a":[1,{"b":2}]})"));
}

// ---- limits --------------------------------------------------------------------------

TEST(JsonPatch, RefusesTooManyOperations) {
  std::string patch = "[";
  for (int i = 0; i < 11; ++i) patch += std::string(i ? "," : "") + R"({"op":"test","path":""})";
  Result<JsonPatch> p = JsonPatch::Parse(patch + "]", {}, {.max_operations = 10});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(p.status().message().find("11 operations; at most 10"), std::string::npos);
  EXPECT_EQ(JsonPatchLimits{}.max_operations, 10000u);
}

TEST(JsonPatch, RefusesAResultTooDeep) {
  Result<std::string> out = ApplyText(
      R"({"a":{"b":{}}})", R"([{"op":"add","path":"/a/b/c","value":{"d":{}}}])", {.max_depth = 4});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted);
  // Copying a subtree into itself deepens the document too.
  Result<std::string> copies = ApplyText(
      R"({"a":{"b":{}}})", R"([{"op":"copy","from":"/a","path":"/a/b/x"}])", {.max_depth = 4});
  EXPECT_EQ(copies.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(ApplyText(R"({"a":{"b":{}}})", R"([{"op":"add","path":"/a/b/c","value":{}}])",
                        {.max_depth = 4})
                  .ok());
}

TEST(JsonPatch, RefusesAResultTooLarge) {
  // Each copy doubles the document: without a bound, 40 operations need terabytes.
  std::string patch = R"([{"op":"add","path":"/a","value":"0123456789012345678901234567890123"})";
  for (int i = 0; i < 40; ++i) {
    patch += R"(,{"op":"copy","from":"","path":"/k)" + std::to_string(i) + "\"}";
  }
  patch += "]";
  Result<std::string> out = ApplyText(R"({})", patch, {.max_result_bytes = 1u << 20});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(out.status().message().find("(copy from '' to '/k"), std::string::npos)
      << out.status().message();
}

// ---- atomicity ------------------------------------------------------------------------

TEST(JsonPatch, FailureLeavesTheDocumentUnchanged) {
  Document doc = MustParse(R"({"a":[1,2],"b":{"c":"d"}})");
  const std::string before = Write(doc.root());
  Result<JsonPatch> p = JsonPatch::Parse(R"([{"op":"remove","path":"/a/0"},
                                             {"op":"add","path":"/b/e","value":1},
                                             {"op":"replace","path":"/b/c","value":"x"},
                                             {"op":"test","path":"/a/0","value":1}])");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  Status s = p->Apply(doc);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("operation 3 (test '/a/0')"), std::string::npos) << s.message();
  EXPECT_EQ(Write(doc.root()), before);
}

TEST(JsonPatch, ApplySwapsInTheResultOnSuccess) {
  Document doc = MustParse(R"({"a":[1,2]})");
  Result<JsonPatch> p = JsonPatch::Parse(R"([{"op":"add","path":"/a/-","value":3}])");
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->Apply(doc).ok());
  EXPECT_EQ(Write(doc.root()), R"({"a":[1,2,3]})");
  // The same patch applies again (it is immutable).
  ASSERT_TRUE(p->Apply(doc).ok());
  EXPECT_EQ(Write(doc.root()), R"({"a":[1,2,3,3]})");
}

TEST(JsonPatch, KeepsNumberTextAndMemberOrder) {
  Result<std::string> out =
      ApplyText(R"({"z":1.50,"a":2})", R"([{"op":"add","path":"/m","value":1.10}])");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, R"({"z":1.50,"a":2,"m":1.10})");
}

}  // namespace
}  // namespace fhirengine::json
