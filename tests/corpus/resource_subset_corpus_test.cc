// _summary and _elements over every official R4 example (hl7.fhir.r4.examples
// 4.0.1): what the specification promises of each subset, checked on ~5,300
// resources of every type.
// - text, data and _elements keep every top-level mandatory element, so the
//   subset of a valid resource is still valid.
// - _summary=true keeps only elements marked isSummary. The R4 definitions
//   mark some mandatory elements as not summary (Appointment.participant,
//   Location.position.latitude, Extension.url inside datatypes...), so the
//   only findings a summary may have are "required element missing" for
//   exactly those elements; anything else is our bug.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/fhir/resource_subset.h"
#include "engine/fhir/type_model.h"
#include "engine/fhir/xml_writer.h"
#include "engine/json/json_parser.h"
#include "engine/validation/structural_validator.h"
#include "tests/support/r4_examples.h"

namespace fhirengine {
namespace {

using fhir::ElementDef;
using fhir::SummaryMode;
using fhir::TypeDef;
using fhir::TypeModel;

// The examples that validate as they are (the few invalid by the
// specification itself are listed in r4_examples_test.cc; a subset of an
// invalid resource proves nothing).
class ResourceSubsetCorpus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    valid_ = new std::vector<testing::ExampleFile>();
    for (testing::ExampleFile& example : testing::LoadR4Examples(testing::R4ExamplesDir())) {
      Result<json::Document> doc = json::Parse(example.text);
      if (!doc.ok()) continue;
      validation::IssueCollector issues;
      if (!validation::ValidateStructure(doc->root(), issues).ok() || issues.error_count() > 0) {
        ++invalid_;
        continue;
      }
      valid_->push_back(std::move(example));
    }
  }
  static void TearDownTestSuite() {
    delete valid_;
    valid_ = nullptr;
  }
  static std::vector<testing::ExampleFile>* valid_;
  static std::size_t invalid_;
};
std::vector<testing::ExampleFile>* ResourceSubsetCorpus::valid_ = nullptr;
std::size_t ResourceSubsetCorpus::invalid_ = 0;

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? s.npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

// The element that a validator expression ("Claim.item[0].sequence",
// "Bundle.entry[2].resource.participant") names, found by walking the
// resource and the type model; nullptr when it does not resolve.
const ElementDef* ElementAt(const json::Value& resource, std::string_view expression) {
  const TypeModel& model = TypeModel::R4();
  const json::Value* rt = resource.Find("resourceType");
  if (rt == nullptr || !rt->IsString()) return nullptr;
  const TypeDef* type = model.FindResource(rt->text());
  const json::Value* v = &resource;
  const std::vector<std::string> steps = Split(expression, '.');
  for (std::size_t i = 1; i < steps.size() && type != nullptr && v != nullptr; ++i) {
    std::string name = steps[i];
    std::size_t index = 0;
    if (const std::size_t bracket = name.find('['); bracket != std::string::npos) {
      index = std::stoul(name.substr(bracket + 1));
      name.resize(bracket);
    }
    if (i + 1 == steps.size()) return type->FindElement(name);
    const fhir::Property* prop = type->FindProperty(name);
    if (prop == nullptr) return nullptr;
    v = v->Find(name);
    if (v != nullptr && v->IsArray()) v = index < v->size() ? &v->elements()[index] : nullptr;
    type = prop->type->type;
    if (type != nullptr && type->IsResource() && v != nullptr) {
      const json::Value* inner = v->Find("resourceType");
      type = inner != nullptr && inner->IsString() ? model.FindResource(inner->text()) : nullptr;
    }
  }
  return nullptr;
}

bool HasSubsettedTag(const json::Value& resource) {
  const json::Value* meta = resource.Find("meta");
  const json::Value* tags = meta == nullptr ? nullptr : meta->Find("tag");
  if (tags == nullptr) return false;
  for (const json::Value& t : tags->elements()) {
    const json::Value* code = t.Find("code");
    if (code != nullptr && code->IsString() && code->text() == fhir::kSubsettedCode) return true;
  }
  return false;
}

// Every element under `obj` (of `type`) is a summary element, apart from
// what the summary keeps whole: a resource's id and meta, primitives,
// extensions. Reports the first offender's path to `where`.
bool OnlySummaryElements(const json::Value& obj, const TypeDef& type, bool is_resource,
                         std::string& where) {
  for (const json::Member& m : obj.members()) {
    if (is_resource && (m.key == "resourceType" || m.key == "id" || m.key == "meta")) continue;
    std::string_view name = m.key;
    if (!name.empty() && name[0] == '_') name.remove_prefix(1);
    const fhir::Property* prop = type.FindProperty(name);
    if (prop == nullptr || !prop->element->is_summary) {
      where = type.name + "." + std::string(m.key);
      return false;
    }
    const TypeDef* child = prop->type->type;
    if (child == nullptr || child->IsPrimitive() || child->name == "Extension") continue;
    const std::span<const json::Value> items =
        m.value.IsArray() ? m.value.elements() : std::span<const json::Value>(&m.value, 1);
    for (const json::Value& item : items) {
      const TypeDef* item_type = child;
      if (child->IsResource()) {
        const json::Value* rt = item.Find("resourceType");
        item_type = rt == nullptr ? nullptr : TypeModel::R4().FindResource(rt->text());
        if (item_type == nullptr) continue;
      }
      if (!OnlySummaryElements(item, *item_type, child->IsResource(), where)) return false;
    }
  }
  return true;
}

TEST_F(ResourceSubsetCorpus, CorpusIsPresent) {
  ASSERT_FALSE(testing::R4ExamplesDir().empty()) << "FHIR_R4_EXAMPLES_DIR is not set";
  EXPECT_GE(valid_->size(), 5000u);
  EXPECT_LE(invalid_, 20u);  // the handful r4_examples_test.cc lists
}

TEST_F(ResourceSubsetCorpus, SummaryTrueKeepsOnlySummaryElementsAndStaysValidOtherwise) {
  std::size_t subsetted = 0;
  std::size_t lost_mandatory = 0;
  for (const testing::ExampleFile& example : *valid_) {
    Result<json::Document> doc = json::Parse(example.text);
    ASSERT_TRUE(doc.ok()) << example.name;
    Result<fhir::SubsetOutcome> outcome = fhir::ApplySummary(*doc, doc->root(), SummaryMode::kTrue);
    ASSERT_TRUE(outcome.ok()) << example.name << ": " << outcome.status().ToString();
    subsetted += outcome->subsetted;
    EXPECT_EQ(outcome->subsetted, HasSubsettedTag(doc->root())) << example.name;

    const TypeDef* type = TypeModel::R4().FindResource(doc->root().Find("resourceType")->text());
    std::string where;
    EXPECT_TRUE(OnlySummaryElements(doc->root(), *type, true, where))
        << example.name << ": " << where << " is not a summary element";

    validation::IssueCollector issues;
    ASSERT_TRUE(validation::ValidateStructure(doc->root(), issues).ok());
    bool lost = false;
    for (const validation::Issue& issue : issues.issues()) {
      const ElementDef* el = issue.type == validation::IssueType::kRequired
                                 ? ElementAt(doc->root(), issue.expression)
                                 : nullptr;
      if (el != nullptr && el->mandatory() && !el->is_summary) {
        lost = true;  // the definitions leave this mandatory element out of the summary
        continue;
      }
      ADD_FAILURE() << example.name << ": " << issue.expression << ": " << issue.message;
    }
    lost_mandatory += lost;

    // A summary of a summary changes nothing.
    Result<fhir::SubsetOutcome> again = fhir::ApplySummary(*doc, doc->root(), SummaryMode::kTrue);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->subsetted) << example.name;
  }
  EXPECT_GT(subsetted, 4000u);
  // Appointment.participant, AuditEvent.agent... : the allowance above is used.
  EXPECT_GT(lost_mandatory, 0u);
}

TEST_F(ResourceSubsetCorpus, TextDataAndElementsFormsStayValid) {
  for (const testing::ExampleFile& example : *valid_) {
    for (SummaryMode mode : {SummaryMode::kText, SummaryMode::kData, SummaryMode::kFalse}) {
      Result<json::Document> doc = json::Parse(example.text);
      ASSERT_TRUE(doc.ok()) << example.name;
      ASSERT_TRUE(fhir::ApplySummary(*doc, doc->root(), mode).ok()) << example.name;
      validation::IssueCollector issues;
      ASSERT_TRUE(validation::ValidateStructure(doc->root(), issues).ok());
      for (const validation::Issue& issue : issues.issues()) {
        ADD_FAILURE() << example.name << " _summary=" << static_cast<int>(mode) << ": "
                      << issue.expression << ": " << issue.message;
      }
    }
    // _elements with the last element the example has (often optional):
    // that element stays, and the subset is valid.
    Result<json::Document> doc = json::Parse(example.text);
    ASSERT_TRUE(doc.ok());
    const std::string last_key(doc->root().members().back().key);
    const std::string name = last_key[0] == '_' ? last_key.substr(1) : last_key;
    const std::vector<std::string> names = {name};
    Result<fhir::SubsetOutcome> outcome = fhir::ApplyElements(*doc, doc->root(), names);
    ASSERT_TRUE(outcome.ok()) << example.name;
    EXPECT_TRUE(outcome->unknown_elements.empty()) << example.name << ": " << name;
    EXPECT_NE(doc->root().Find(last_key), nullptr) << example.name << ": " << name;
    validation::IssueCollector issues;
    ASSERT_TRUE(validation::ValidateStructure(doc->root(), issues).ok());
    for (const validation::Issue& issue : issues.issues()) {
      ADD_FAILURE() << example.name << " _elements=" << name << ": " << issue.expression << ": "
                    << issue.message;
    }
  }
}

TEST_F(ResourceSubsetCorpus, SummariesConvertToXml) {
  for (const testing::ExampleFile& example : *valid_) {
    Result<json::Document> doc = json::Parse(example.text);
    ASSERT_TRUE(doc.ok()) << example.name;
    ASSERT_TRUE(fhir::ApplySummary(*doc, doc->root(), SummaryMode::kTrue).ok());
    Result<std::string> xml = fhir::WriteXml(doc->root());
    EXPECT_TRUE(xml.ok()) << example.name << ": " << xml.status().ToString();
  }
}

}  // namespace
}  // namespace fhirengine
