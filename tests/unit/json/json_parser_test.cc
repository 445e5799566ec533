// json::Parse: exact numbers, limits, duplicate keys, encoding, positions.
#include "engine/json/json_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/json/json_writer.h"

namespace fhirengine::json {
namespace {

TEST(JsonParser, KeepsDecimalTextExactly) {
  Result<Document> doc = Parse(R"({"a":1.50,"b":1e3,"c":-0.000,"d":12345678901234567890})");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->root().Find("a")->text(), "1.50");
  EXPECT_EQ(doc->root().Find("b")->text(), "1e3");
  EXPECT_EQ(doc->root().Find("c")->text(), "-0.000");
  EXPECT_EQ(doc->root().Find("d")->text(), "12345678901234567890");
  EXPECT_TRUE(doc->root().Find("a")->IsNumber());
}

TEST(JsonParser, DistinguishesNumbersFromStrings) {
  Result<Document> doc = Parse(R"({"n":1.5,"s":"1.5"})");
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(doc->root().Find("n")->IsNumber());
  EXPECT_TRUE(doc->root().Find("s")->IsString());
  EXPECT_EQ(doc->root().Find("s")->text(), "1.5");
}

TEST(JsonParser, KeepsMemberOrderAndDecodesEscapes) {
  Result<Document> doc = Parse(R"({"z":"a\"b\\c\u00e5\n","a":[true,false,null]})");
  ASSERT_TRUE(doc.ok());
  ASSERT_EQ(doc->root().size(), 2u);
  EXPECT_EQ(doc->root().members()[0].key, "z");
  EXPECT_EQ(doc->root().members()[0].value.text(), "a\"b\\c\xC3\xA5\n");
  const Value& arr = doc->root().members()[1].value;
  ASSERT_EQ(arr.size(), 3u);
  EXPECT_TRUE(arr.elements()[0].GetBool());
  EXPECT_FALSE(arr.elements()[1].GetBool());
  EXPECT_TRUE(arr.elements()[2].IsNull());
}

TEST(JsonParser, RejectsDuplicateKeysAtAnyDepth) {
  Result<Document> top = Parse(R"({"a":1,"a":2})");
  ASSERT_FALSE(top.ok());
  EXPECT_NE(top.status().message().find("duplicate member name 'a'"), std::string::npos);
  // Many members take the sorted path.
  std::string many = "{";
  for (int i = 0; i < 40; ++i) many += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  many += "\"k7\":0}";
  Result<Document> wide = Parse(R"({"x":[)" + many + "]}");
  ASSERT_FALSE(wide.ok());
  EXPECT_NE(wide.status().message().find("'k7'"), std::string::npos);
}

TEST(JsonParser, ReportsLineAndColumn) {
  Result<Document> doc = Parse("{\n  \"a\": 1,\n  \"b\" 2\n}");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(doc.status().message().find("line 3, column"), std::string::npos)
      << doc.status().message();
}

TEST(JsonParser, EnforcesDepthWithoutRecursion) {
  ParseLimits limits;
  limits.max_depth = 100;
  std::string deep(200000, '[');
  Result<Document> doc = Parse(deep, limits);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(doc.status().message().find("nesting deeper than the limit of 100"), std::string::npos);
  std::string ok_depth = std::string(100, '[') + std::string(100, ']');
  EXPECT_TRUE(Parse(ok_depth, limits).ok());
}

TEST(JsonParser, EnforcesDocumentAndStringSizes) {
  ParseLimits limits;
  limits.max_document_bytes = 100;
  limits.max_string_bytes = 10;
  EXPECT_EQ(Parse(std::string(101, ' '), limits).status().code(), StatusCode::kResourceExhausted);
  Result<Document> long_string = Parse(R"({"a":"01234567890"})", limits);
  ASSERT_FALSE(long_string.ok());
  EXPECT_EQ(long_string.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(Parse(R"({"a":"0123456789"})", limits).ok());
}

TEST(JsonParser, RejectsInvalidUtf8AndNul) {
  EXPECT_FALSE(Parse("{\"a\":\"\xff\"}").ok());
  EXPECT_FALSE(Parse("{\"a\":\"\xC0\xAF\"}").ok());  // overlong '/'
  EXPECT_FALSE(Parse(std::string("{\"a\":1}\0{}", 10)).ok());
  EXPECT_FALSE(Parse(std::string("{\"a\":\"x\0y\"}", 11)).ok());
}

TEST(JsonParser, SkipsUtf8BomOnly) {
  EXPECT_TRUE(Parse("\xEF\xBB\xBF{}").ok());
  EXPECT_FALSE(Parse("\xEF\xBB{}").ok());
}

TEST(JsonParser, RejectsNonJson) {
  for (const char* bad : {"", " ", "{", "{\"a\":}", "[1,]", "{\"a\":NaN}", "{\"a\":Infinity}",
                          "{\"a\":01}", "{} x", "// c\n{}", "{'a':1}"}) {
    EXPECT_FALSE(Parse(bad).ok()) << bad;
  }
}

TEST(JsonWriter, RoundTripsExactly) {
  const std::string text = R"({"b":1.50,"a":[1e3,"x\"y",null,true,{}],"c":"\u00e5"})";
  Result<Document> doc = Parse(text);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(Write(doc->root()), R"({"b":1.50,"a":[1e3,"x\"y",null,true,{}],"c":"å"})");
}

TEST(JsonWriter, PrettyPrintsWithTwoSpaces) {
  Result<Document> doc = Parse(R"({"a":[1]})");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(Write(doc->root(), {.pretty = true}), "{\n  \"a\": [\n    1\n  ]\n}");
}

TEST(JsonWriter, EscapesControlCharacters) {
  Document doc;
  Value v =
      doc.MakeString(std::string("a\x01"
                                 "b\tc",
                                 5));
  EXPECT_EQ(Write(v), R"("a\u0001b\tc")");
}

TEST(JsonValue, EqualIgnoresMemberOrderButNotArrayOrder) {
  Result<Document> a = Parse(R"({"x":1,"y":[1,2]})");
  Result<Document> b = Parse(R"({"y":[1,2],"x":1})");
  Result<Document> c = Parse(R"({"y":[2,1],"x":1})");
  Result<Document> d = Parse(R"({"y":[1,2],"x":1.0})");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_TRUE(Equal(a->root(), b->root()));
  EXPECT_FALSE(Equal(a->root(), c->root()));
  EXPECT_FALSE(Equal(a->root(), d->root()));  // 1 and 1.0 differ in precision
}

TEST(JsonValue, SetAndRemoveMembers) {
  Result<Document> doc = Parse(R"({"a":1})");
  ASSERT_TRUE(doc.ok());
  Value& root = doc->root();
  doc->SetMember(root, "b", doc->MakeString("two"));
  doc->SetMember(root, "a", doc->MakeNumber("3"));
  EXPECT_EQ(Write(root), R"({"a":3,"b":"two"})");
  EXPECT_TRUE(doc->RemoveMember(root, "a"));
  EXPECT_FALSE(doc->RemoveMember(root, "a"));
  EXPECT_EQ(Write(root), R"({"b":"two"})");
}

TEST(JsonValue, CopyIsDeepAndIndependent) {
  Document copy_holder;
  Value copy;
  {
    Result<Document> doc = Parse(R"({"a":{"b":[1.0,"s"]}})");
    ASSERT_TRUE(doc.ok());
    copy = copy_holder.Copy(doc->root());
  }  // the source document is gone
  EXPECT_EQ(Write(copy), R"({"a":{"b":[1.0,"s"]}})");
}

}  // namespace
}  // namespace fhirengine::json
