// The official R4 examples (hl7.fhir.r4.examples 4.0.1, ~5,300 resources of
// every type) as a corpus: each validates structurally with zero errors and
// converts JSON -> XML -> JSON to a tree equal to the original, except the
// examples listed below, which are invalid by the specification itself.
#include "tests/support/r4_examples.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "engine/fhir/resource_format.h"
#include "engine/fhir/xml_reader.h"
#include "engine/fhir/xml_writer.h"
#include "engine/fhirpath/fhirpath.h"
#include "engine/json/json_parser.h"
#include "engine/search/index_extractor.h"
#include "engine/search/search_parameters.h"
#include "engine/validation/structural_validator.h"

namespace fhirengine {
namespace {

// Examples that are themselves invalid by the R4 specification, with why.
// Keep this list short and honest: an entry needs a reason a reviewer can check.
const std::map<std::string, std::string>& KnownInvalidExamples() {
  static const std::map<std::string, std::string> kList = {
      {"ImplementationGuide-fhir.json",
       "ImplementationGuide.name and .status are 1..1 and missing"},
      {"ig-r4.json",
       "ImplementationGuide.name and .status are 1..1 and missing (same IG as "
       "ImplementationGuide-fhir.json)"},
      {"Questionnaire-qs1.json", "nested Questionnaire.item entries lack linkId (1..1)"},
      {"SearchParameter-codesystem-extensions-CodeSystem-author.json",
       "SearchParameter.base is 1..* and missing"},
      {"SearchParameter-codesystem-extensions-CodeSystem-effective.json",
       "SearchParameter.base is 1..* and missing"},
      {"SearchParameter-codesystem-extensions-CodeSystem-end.json",
       "SearchParameter.base is 1..* and missing"},
      {"SearchParameter-codesystem-extensions-CodeSystem-keyword.json",
       "SearchParameter.base is 1..* and missing"},
      {"SearchParameter-codesystem-extensions-CodeSystem-workflow.json",
       "SearchParameter.base is 1..* and missing"},
      {"SearchParameter-valueset-extensions-ValueSet-author.json",
       "SearchParameter.base is 1..* and missing"},
      {"SearchParameter-valueset-extensions-ValueSet-effective.json",
       "SearchParameter.base is 1..* and missing"},
      {"SearchParameter-valueset-extensions-ValueSet-end.json",
       "SearchParameter.base is 1..* and missing"},
      {"SearchParameter-valueset-extensions-ValueSet-keyword.json",
       "SearchParameter.base is 1..* and missing"},
      {"SearchParameter-valueset-extensions-ValueSet-workflow.json",
       "SearchParameter.base is 1..* and missing"},
      {"SearchParameter-questionnaireresponse-extensions-QuestionnaireResponse-item-subject.json",
       "its id has 66 characters; the id type allows at most 64"},
  };
  return kList;
}

class R4Examples : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    examples_ =
        new std::vector<testing::ExampleFile>(testing::LoadR4Examples(testing::R4ExamplesDir()));
  }
  static void TearDownTestSuite() {
    delete examples_;
    examples_ = nullptr;
  }
  static std::vector<testing::ExampleFile>* examples_;
};
std::vector<testing::ExampleFile>* R4Examples::examples_ = nullptr;

TEST_F(R4Examples, CorpusIsComplete) {
  // hl7.fhir.r4.examples 4.0.1 holds 5,306 resources; a partial download
  // must fail here rather than pass on a subset.
  ASSERT_FALSE(testing::R4ExamplesDir().empty()) << "FHIR_R4_EXAMPLES_DIR is not set";
  EXPECT_GE(examples_->size(), 5000u) << "corpus at " << testing::R4ExamplesDir();
}

TEST_F(R4Examples, EveryExampleValidatesWithZeroErrors) {
  std::size_t checked = 0;
  std::set<std::string> invalid_seen;
  for (const testing::ExampleFile& example : *examples_) {
    Result<json::Document> doc = json::Parse(example.text);
    ASSERT_TRUE(doc.ok()) << example.name << ": " << doc.status().ToString();
    validation::IssueCollector issues;
    ASSERT_TRUE(validation::ValidateStructure(doc->root(), issues).ok());
    const bool known_bad = KnownInvalidExamples().contains(example.name);
    if (known_bad) {
      EXPECT_GT(issues.error_count(), 0u)
          << example.name << " is listed as invalid but validates: remove it from the list";
      invalid_seen.insert(example.name);
      continue;
    }
    ++checked;
    for (const validation::Issue& issue : issues.issues()) {
      ADD_FAILURE() << example.name << ": " << issue.expression << ": " << issue.message;
    }
  }
  EXPECT_EQ(invalid_seen.size(), KnownInvalidExamples().size())
      << "a listed example is no longer in the corpus";
  EXPECT_GE(checked, 5000u);
}

TEST_F(R4Examples, EveryExampleRoundTripsBetweenJsonAndXml) {
  std::size_t checked = 0;
  for (const testing::ExampleFile& example : *examples_) {
    if (KnownInvalidExamples().contains(example.name)) continue;
    Result<json::Document> original = json::Parse(example.text);
    ASSERT_TRUE(original.ok()) << example.name;
    Result<std::string> xml = fhir::WriteXml(original->root());
    if (!xml.ok()) {
      ADD_FAILURE() << example.name << ": to XML: " << xml.status().ToString();
      continue;
    }
    Result<json::Document> back = fhir::ParseXml(*xml);
    if (!back.ok()) {
      ADD_FAILURE() << example.name << ": from XML: " << back.status().ToString();
      continue;
    }
    EXPECT_TRUE(json::Equal(original->root(), back->root())) << example.name;
    // And the other direction: XML -> JSON -> XML gives the same XML text.
    Result<std::string> xml_again = fhir::WriteXml(back->root());
    ASSERT_TRUE(xml_again.ok()) << example.name;
    EXPECT_EQ(*xml, *xml_again) << example.name;
    ++checked;
  }
  EXPECT_GE(checked, 5000u);
}

TEST_F(R4Examples, CanonicalJsonIsStableAndEqual) {
  // Serialising twice gives the same bytes, and the canonical form parses
  // back to a tree equal to the original.
  for (const testing::ExampleFile& example : *examples_) {
    Result<json::Document> original = json::Parse(example.text);
    ASSERT_TRUE(original.ok()) << example.name;
    Result<std::string> once = fhir::SerializeResource(original->root(), fhir::Format::kJson);
    ASSERT_TRUE(once.ok()) << example.name;
    Result<json::Document> reparsed = json::Parse(*once);
    ASSERT_TRUE(reparsed.ok()) << example.name;
    EXPECT_TRUE(json::Equal(original->root(), reparsed->root())) << example.name;
    Result<std::string> twice = fhir::SerializeResource(reparsed->root(), fhir::Format::kJson);
    ASSERT_TRUE(twice.ok()) << example.name;
    EXPECT_EQ(*once, *twice) << example.name;
  }
}

TEST_F(R4Examples, EverySearchParameterEvaluatesOnEveryExample) {
  // Each official SearchParameter expression runs without error on every
  // example of its base types (a failure would leave a resource unfindable).
  std::size_t entries = 0;
  for (const testing::ExampleFile& example : *examples_) {
    Result<json::Document> doc = json::Parse(example.text);
    ASSERT_TRUE(doc.ok()) << example.name;
    search::ExtractionResult r = search::ExtractIndexEntries(doc->root());
    for (const std::string& failure : r.failures) ADD_FAILURE() << example.name << ": " << failure;
    entries += r.entries.size();
  }
  EXPECT_GT(entries, 100000u);  // 136,582 at the time of writing
}

// Two FHIRPath results with the same items in the same order: the same
// elements of the tree (by identity), or System values of the same type and text.
bool SameItems(const fhirpath::Collection& a, const fhirpath::Collection& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].is_node() != b[i].is_node()) return false;
    if (a[i].is_node()) {
      const fhirpath::Node& x = a[i].node();
      const fhirpath::Node& y = b[i].node();
      if (x.value != y.value || x.twin != y.twin || x.type != y.type || x.resource != y.resource) {
        return false;
      }
    } else if (fhirpath::TypeName(a[i]) != fhirpath::TypeName(b[i]) ||
               fhirpath::ItemToText(a[i]) != fhirpath::ItemToText(b[i])) {
      return false;
    }
  }
  return true;
}

bool SameEntry(const search::IndexEntry& a, const search::IndexEntry& b) {
  return a.param == b.param && a.type == b.type && a.system == b.system && a.value == b.value &&
         a.display == b.display && a.low == b.low && a.high == b.high &&
         (a.number == b.number || (a.number != a.number && b.number != b.number));
}

TEST_F(R4Examples, SpecializedExtractionMatchesTheGenericEvaluation) {
  // ExtractIndexEntries evaluates each expression specialised to the
  // resource's type (other types' union branches dropped). The reference
  // here evaluates every parameter's original, unsplit expression: each
  // parameter must give the same items, and the extraction the same entries
  // in the same order and the same failures, on every example.
  const search::SearchParameterRegistry& registry = search::SearchParameterRegistry::R4();
  fhirpath::EvaluationContext context;
  context.check_element_names = false;  // as ExtractIndexEntries evaluates
  search::ReferenceTypeStubs stubs;
  context.resolve = [&stubs](std::string_view reference) { return stubs.Resolve(reference); };
  std::size_t compared = 0;
  for (const testing::ExampleFile& example : *examples_) {
    Result<json::Document> doc = json::Parse(example.text);
    ASSERT_TRUE(doc.ok()) << example.name;
    const json::Value& resource = doc->root();
    const std::string type(resource.Find("resourceType")->text());

    std::map<std::string, const fhirpath::Expression*> specialized;
    for (const search::SpecializedParameter& sp : registry.SpecializedForType(type)) {
      specialized.emplace(sp.param->code, &sp.expression);
    }
    search::ExtractionResult reference;
    for (const auto& [code, param] : registry.ForType(type)) {
      if (!param->compiled) continue;
      Result<fhirpath::Collection> generic =
          fhirpath::Evaluate(*param->compiled, resource, context);
      auto it = specialized.find(code);
      if (it == specialized.end()) {
        // Left out for this type: the original must select nothing, without error.
        EXPECT_TRUE(generic.ok() && generic->empty())
            << example.name << ": " << code << " was left out for " << type;
        continue;
      }
      Result<fhirpath::Collection> fast = fhirpath::Evaluate(*it->second, resource, context);
      ++compared;
      ASSERT_EQ(generic.ok(), fast.ok()) << example.name << ": " << code;
      if (!generic.ok()) {
        EXPECT_EQ(generic.status().message(), fast.status().message()) << example.name;
        reference.failures.push_back(code + ": " + generic.status().message());
        continue;
      }
      EXPECT_TRUE(SameItems(*generic, *fast))
          << example.name << ": " << code << " (" << param->expression << ")";
      search::AppendIndexEntries(*param, *generic, reference.entries);
    }

    search::ExtractionResult r = search::ExtractIndexEntries(resource, registry);
    EXPECT_EQ(r.failures, reference.failures) << example.name;
    ASSERT_EQ(r.entries.size(), reference.entries.size()) << example.name;
    for (std::size_t i = 0; i < r.entries.size(); ++i) {
      EXPECT_TRUE(SameEntry(r.entries[i], reference.entries[i]))
          << example.name << ": entry " << i << " (" << reference.entries[i].param << ")";
    }
  }
  EXPECT_GT(compared, 100000u);
}

}  // namespace
}  // namespace fhirengine
