// Reference rewriting for transactions: every "reference" at any depth is
// offered to the resolver (contained resources, extensions, arrays), only
// answered ones change, member order is kept, and resolver errors stop it.
#include "engine/rest/bundle_references.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"

namespace fhirengine::rest {
namespace {

json::Document Parse(std::string_view text) {
  Result<json::Document> doc = json::Parse(text);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return std::move(doc).value();
}

TEST(RewriteReferences, ReplacesResolvedReferencesAtAnyDepth) {
  json::Document doc =
      Parse(R"({"resourceType":"Location","contained":[{"resourceType":"Location","id":"r",)"
            R"("partOf":{"reference":"urn:uuid:a"}}],"extension":[{"url":"http://x",)"
            R"("valueReference":{"reference":"urn:uuid:a","display":"ward"}}],)"
            R"("partOf":{"reference":"urn:uuid:b"},"endpoint":[{"reference":"Endpoint/1"},)"
            R"({"reference":"urn:uuid:a"}],"managingOrganization":{"reference":"#r"}})");
  const std::map<std::string, std::string, std::less<>> assigned{{"urn:uuid:a", "Location/1"},
                                                                 {"urn:uuid:b", "Location/2"}};
  std::vector<std::string> seen;
  Status s = RewriteReferences(doc, doc.root(), [&](std::string_view ref) {
    seen.emplace_back(ref);
    auto it = assigned.find(ref);
    return Result<std::optional<std::string>>(
        it == assigned.end() ? std::nullopt : std::optional<std::string>(it->second));
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(json::Write(doc.root()),
            R"({"resourceType":"Location","contained":[{"resourceType":"Location","id":"r",)"
            R"("partOf":{"reference":"Location/1"}}],"extension":[{"url":"http://x",)"
            R"("valueReference":{"reference":"Location/1","display":"ward"}}],)"
            R"("partOf":{"reference":"Location/2"},"endpoint":[{"reference":"Endpoint/1"},)"
            R"({"reference":"Location/1"}],"managingOrganization":{"reference":"#r"}})");
  EXPECT_EQ(seen, (std::vector<std::string>{"urn:uuid:a", "urn:uuid:a", "urn:uuid:b", "Endpoint/1",
                                            "urn:uuid:a", "#r"}))
      << "document order, every reference once";
}

TEST(RewriteReferences, EntersIdentifierTypedReferenceMembers) {
  // Claim.related.reference is an Identifier: an object, walked into, not resolved.
  json::Document doc =
      Parse(R"({"resourceType":"Claim","related":[{"reference":{"system":"urn:oid:1.2",)"
            R"("value":"x","assigner":{"reference":"urn:uuid:org"}}}]})");
  std::vector<std::string> seen;
  Status s = RewriteReferences(doc, doc.root(), [&](std::string_view ref) {
    seen.emplace_back(ref);
    return Result<std::optional<std::string>>(std::optional<std::string>("Organization/9"));
  });
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(seen, std::vector<std::string>{"urn:uuid:org"});
  EXPECT_NE(json::Write(doc.root()).find(R"("assigner":{"reference":"Organization/9"})"),
            std::string::npos);
  EXPECT_NE(json::Write(doc.root()).find(R"("system":"urn:oid:1.2")"), std::string::npos)
      << "only references are rewritten";
}

TEST(RewriteReferences, StopsAtTheResolversError) {
  json::Document doc =
      Parse(R"({"resourceType":"Location","partOf":{"reference":"urn:uuid:missing"},)"
            R"("endpoint":[{"reference":"urn:uuid:later"}]})");
  int calls = 0;
  Status s = RewriteReferences(doc, doc.root(), [&](std::string_view ref) {
    ++calls;
    return Result<std::optional<std::string>>(InvalidArgument(std::string(ref) + " unknown"));
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "urn:uuid:missing unknown");
  EXPECT_EQ(calls, 1);
}

TEST(BundleReferences, LocalUrnsAndConditionalReferences) {
  EXPECT_TRUE(IsLocalUrn("urn:uuid:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"));
  EXPECT_TRUE(IsLocalUrn("urn:oid:1.2.752.29.4.19"));
  EXPECT_FALSE(IsLocalUrn("urn:uuid:"));
  EXPECT_FALSE(IsLocalUrn("Patient/1"));
  EXPECT_FALSE(IsLocalUrn("http://example.org/fhir/Patient/1"));
  EXPECT_TRUE(IsConditionalReference("Patient?identifier=http://x|1"));
  EXPECT_FALSE(IsConditionalReference("Patient/1"));
  EXPECT_FALSE(IsConditionalReference("?a=b"));
  EXPECT_FALSE(IsConditionalReference("http://x/fhir/Patient?a=b"));
  EXPECT_FALSE(IsConditionalReference("patient?a=b"));
}

}  // namespace
}  // namespace fhirengine::rest
