// Native ele-1 against the FHIRPath evaluator on every element of every
// official R4 example (typed, and once more untyped): identical verdicts.
// Needs the package in FHIR_R4_EXAMPLES_DIR (tools/fetch_r4_examples.sh).
#include <gtest/gtest.h>

#include "engine/fhirpath/navigation.h"
#include "engine/json/json_parser.h"
#include "tests/support/element_invariants_compare.h"
#include "tests/support/r4_examples.h"

namespace fhirengine::fhirpath {
namespace {

void CompareTree(const Node& node, testing::InvariantCounts& counts,
                 std::vector<std::string>& mismatches) {
  testing::CompareBoth(node, counts, mismatches);
  testing::CompareBoth(Node{node.value, node.twin, nullptr, node.resource}, counts, mismatches);
  Collection children;
  internal::AppendChildren(node, fhir::TypeModel::R4(), children);
  for (const Item& c : children) CompareTree(c.node(), counts, mismatches);
}

TEST(ElementInvariantsCorpusTest, SameVerdictsAsFhirPathOnEveryExampleElement) {
  const std::string dir = fhirengine::testing::R4ExamplesDir();
  if (dir.empty()) GTEST_SKIP() << "FHIR_R4_EXAMPLES_DIR not set";
  std::vector<fhirengine::testing::ExampleFile> files = fhirengine::testing::LoadR4Examples(dir);
  ASSERT_GT(files.size(), 2000u);
  testing::InvariantCounts counts;
  std::vector<std::string> mismatches;
  for (const auto& f : files) {
    Result<json::Document> doc = json::Parse(f.text);
    if (!doc.ok()) continue;  // the corpus round-trip test covers parsing
    const std::size_t before = mismatches.size();
    CompareTree(internal::RootNode(doc->root(), fhir::TypeModel::R4()), counts, mismatches);
    for (std::size_t i = before; i < mismatches.size() && i < before + 3; ++i) {
      ADD_FAILURE() << f.name << ": " << mismatches[i];
    }
  }
  EXPECT_TRUE(mismatches.empty()) << mismatches.size() << " mismatches";
  EXPECT_GT(counts.decided, 500000);
  std::cout << "native verdicts: " << counts.decided << ", deferred: " << counts.deferred << "\n";
}

}  // namespace
}  // namespace fhirengine::fhirpath
