// Native ele-1 (engine/fhirpath/element_invariants) against the FHIRPath
// evaluator on hand-made edge cases: empty objects, primitives with only
// extensions ("_x"), arrays with nulls, ids alone, untyped JSON. The official
// R4 examples are compared in tests/corpus/element_invariants_corpus_test.cc.
#include "engine/fhirpath/element_invariants.h"

#include <gtest/gtest.h>

#include "engine/fhirpath/navigation.h"
#include "engine/json/json_parser.h"
#include "tests/support/element_invariants_compare.h"

namespace fhirengine::fhirpath {
namespace {

const fhir::TypeModel& Model() { return fhir::TypeModel::R4(); }

// Every node of `resource` as children() reaches it, the root included.
void AllNodes(const Node& node, std::vector<Node>& out) {
  out.push_back(node);
  Collection children;
  internal::AppendChildren(node, Model(), children);
  for (const Item& c : children) AllNodes(c.node(), out);
}

TEST(ElementInvariantsTest, ChosenOnlyByKeyAndStandardText) {
  EXPECT_EQ(FindElementInvariant("ele-1", "hasValue() or (children().count() > id.count())"),
            ElementInvariant::kEle1);
  // ext-1 stays with FHIRPath (see element_invariants.h).
  EXPECT_EQ(FindElementInvariant("ext-1", "extension.exists() != value.exists()"),
            ElementInvariant::kNone);
  // A changed expression, or the text under another key, is left to FHIRPath.
  EXPECT_EQ(FindElementInvariant("ele-1", "hasValue() or children().exists()"),
            ElementInvariant::kNone);
  EXPECT_EQ(FindElementInvariant("reg-1", "hasValue() or (children().count() > id.count())"),
            ElementInvariant::kNone);
}

TEST(ElementInvariantsTest, VerdictsOnEdgeCases) {
  const char* kResources[] = {
      R"({"resourceType":"Patient"})",
      R"({"resourceType":"Patient","id":"p1"})",
      R"({"resourceType":"Patient","name":[{}],"telecom":[{"id":"t"}]})",
      R"({"resourceType":"Patient","birthDate":"2000-01-01","_birthDate":{"extension":[{"url":"u","valueString":"x"}]}})",
      R"({"resourceType":"Patient","_birthDate":{"extension":[{"url":"u","valueString":"x"}]}})",
      R"({"resourceType":"Patient","_birthDate":{"id":"only-id"}})",
      R"({"resourceType":"Patient","_birthDate":{}})",
      R"({"resourceType":"Patient","_birthDate":null,"active":null})",
      R"({"resourceType":"Patient","name":[{"given":["a",null,"c"],"_given":[null,{"id":"g"},null]}]})",
      R"({"resourceType":"Patient","name":[{"given":[null,null],"_given":[null]}]})",
      R"({"resourceType":"Patient","name":[{"given":[null],"_given":[null,{"id":"beyond"}]}]})",
      R"({"resourceType":"Patient","name":[{"_given":[null,{"extension":[{"url":"u","valueCode":"x"}]}]}]})",
      R"({"resourceType":"Patient","name":[null,{"text":"t"}],"identifier":[{"id":"i"}]})",
      R"({"resourceType":"Patient","extension":[{"url":"u"}]})",
      R"({"resourceType":"Patient","extension":[{"url":"u","valueString":"v","extension":[{"url":"v","valueInteger":1}]}]})",
      R"({"resourceType":"Patient","extension":[{"url":"u","_valueString":{"id":"x"}}]})",
      R"({"resourceType":"Patient","extension":[{"url":"u","valueString":null,"_valueString":{"id":"x"}}]})",
      R"({"resourceType":"Patient","extension":[{"url":"u","valueWrong":"x"}]})",
      R"({"resourceType":"Patient","extension":[{"url":"u","extension":[null]}]})",
      R"({"resourceType":"Patient","extension":[{"id":"e"}]})",
      R"({"resourceType":"Patient","contact":[{"name":{"_family":{"extension":[]}}}]})",
      R"({"resourceType":"Patient","gender":{"not":"a string"},"active":"yes","name":"x"})",
      R"({"resourceType":"Patient","_":{"id":"odd"},"_resourceType":{"id":"odd"}})",
      R"({"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient"}},{"resource":{}}]})",
      R"({"resourceType":"Observation","valueQuantity":{},"component":[{"code":{"coding":[{}]}}]})",
  };
  testing::InvariantCounts counts;
  std::vector<std::string> mismatches;
  for (const char* text : kResources) {
    Result<json::Document> doc = json::Parse(text);
    ASSERT_TRUE(doc.ok()) << text;
    std::vector<Node> nodes;
    AllNodes(internal::RootNode(doc->root(), Model()), nodes);
    for (const Node& n : nodes) {
      testing::CompareBoth(n, counts, mismatches);
      // The same JSON untyped, as the validator sees elements the model lacks.
      testing::CompareBoth(Node{n.value, n.twin, nullptr, n.resource}, counts, mismatches);
    }
  }
  for (const std::string& m : mismatches) ADD_FAILURE() << m;
  EXPECT_GT(counts.decided, 150);  // 190 nodes are decided natively
}

TEST(ElementInvariantsTest, KnownVerdicts) {
  Result<json::Document> doc =
      json::Parse(R"({"resourceType":"Patient","name":[{},{"id":"only"},{"text":"t"}],)"
                  R"("extension":[{"url":"u","valueString":"v"},{"url":"u"}]})");
  ASSERT_TRUE(doc.ok());
  const json::Value& root = doc->root();
  const fhir::TypeDef* human_name = Model().Find("HumanName");
  ASSERT_NE(human_name, nullptr);
  auto name = [&](std::size_t i) {
    return Node{&root.Find("name")->elements()[i], nullptr, human_name, &root};
  };
  EXPECT_EQ(CheckElementInvariant(ElementInvariant::kEle1, name(0), Model()), false);
  EXPECT_EQ(CheckElementInvariant(ElementInvariant::kEle1, name(1), Model()), false);
  EXPECT_EQ(CheckElementInvariant(ElementInvariant::kEle1, name(2), Model()), true);
}

}  // namespace
}  // namespace fhirengine::fhirpath
