// SpecializeForResourceType: an expression cut down to one resource type must
// give what the original gives on resources of that type (items, order,
// de-duplication, errors) while dropping the other types' union branches.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "engine/fhirpath/ast.h"
#include "engine/fhirpath/fhirpath.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"

namespace fhirengine::fhirpath {
namespace {

using internal::AstKind;
using internal::FunctionId;

constexpr const char* kEncounter = R"({"resourceType":"Encounter","id":"e1","status":"finished",
  "identifier":[{"system":"urn:x","value":"1"},{"system":"urn:x","value":"1"},{"value":"2"}],
  "subject":{"reference":"Patient/p1"},
  "participant":[{"individual":{"reference":"#pr"}},{"individual":{"reference":"Practitioner/x"}}],
  "contained":[{"resourceType":"Practitioner","id":"pr"}],
  "location":[{"location":{"reference":"Location/l1"}},{"location":{"reference":"Location/l2"}}]})";

const fhir::TypeDef& Type(std::string_view name) {
  const fhir::TypeDef* t = fhir::TypeModel::R4().FindResource(name);
  EXPECT_NE(t, nullptr) << name;
  return *t;
}

// The result as text (values by JSON, then types), or the error.
std::string Describe(const Result<Collection>& r) {
  if (!r.ok()) return "error: " + r.status().message();
  std::string out;
  for (const Item& item : r.value()) {
    std::optional<std::string> text = ItemToText(item);
    if (!text && item.is_node() && item.node().value != nullptr) {
      text = json::Write(*item.node().value);
    }
    out += text.value_or("?") + " : " + TypeName(item) + "\n";
  }
  return out;
}

class TypeSpecialization : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<json::Document> d = json::Parse(kEncounter);
    ASSERT_TRUE(d.ok());
    doc_ = std::make_unique<json::Document>(std::move(*d));
    context_.check_element_names = false;
  }

  // Specialises `text` to Encounter, checks it against the original on the
  // encounter and returns it.
  std::optional<Expression> Check(std::string_view text) {
    Result<Expression> e = Compile(text);
    EXPECT_TRUE(e.ok()) << e.status().message();
    if (!e.ok()) return std::nullopt;
    std::optional<Expression> s = SpecializeForResourceType(*e, Type("Encounter"));
    const std::string expected = Describe(Evaluate(*e, doc_->root(), context_));
    const std::string actual = s ? Describe(Evaluate(*s, doc_->root(), context_)) : std::string();
    EXPECT_EQ(actual, expected) << text;
    return s;
  }

  std::unique_ptr<json::Document> doc_;
  EvaluationContext context_;
};

TEST_F(TypeSpecialization, DropsOtherTypesBranchesAndKeepsDeDuplication) {
  // Two equal identifiers: the union still returns one of them.
  std::optional<Expression> s =
      Check("Account.identifier | Encounter.identifier | EpisodeOfCare.identifier");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->root().kind, AstKind::kFunction);
  EXPECT_EQ(s->root().function->id, FunctionId::kDistinct);
  EXPECT_EQ(
      Describe(Evaluate(*s, doc_->root(), context_)),
      "{\"system\":\"urn:x\",\"value\":\"1\"} : Identifier\n{\"value\":\"2\"} : Identifier\n");
}

TEST_F(TypeSpecialization, KeepsSeveralBranchesOfTheTypeInOrder) {
  std::optional<Expression> s =
      Check("Encounter.subject | Account.subject | (Encounter.location.location as Reference)");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->root().kind, AstKind::kBinary);
  EXPECT_EQ(s->root().args[0]->kind, AstKind::kMember);  // Account.subject is gone
}

TEST_F(TypeSpecialization, HandlesWhereResolveAndAsForms) {
  Check(
      "Account.subject.where(resolve() is Patient) | "
      "Encounter.participant.individual.where(resolve() is Practitioner)");
  Check("(Account.owner as Reference) | (Encounter.subject as Reference)");
  Check("Encounter.location.location[1] | Account.subject[0] | Account.subject.first()");
  Check("Account.extension('http://x').value | Encounter.status");
}

TEST_F(TypeSpecialization, ResolvesAFirstStepNamingTheTypeOrABase) {
  std::optional<Expression> s = Check("Resource.id");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->root().kind, AstKind::kMember);
  EXPECT_EQ(s->root().focus, nullptr);  // applies to the resource itself
  s = Check("(Encounter.subject as Reference)");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->root().kind, AstKind::kAs);
  Check("Encounter");
  Check("DomainResource.contained.id");
}

TEST_F(TypeSpecialization, KeepsBranchesThatGiveValuesOrErrorsOnEmptyInput) {
  // exists() is false, count() is 0 and skip('x') fails even when the path
  // selects nothing: such branches of other types stay.
  Check("Account.subject.exists() | Encounter.status");
  Check("Account.subject.count() | Encounter.status");
  std::optional<Expression> s = Check("Account.subject.skip('x') | Encounter.status");
  ASSERT_TRUE(s);
  EXPECT_FALSE(Evaluate(*s, doc_->root(), context_).ok());
  Check("Account.subject = 'x' | Encounter.status");
}

TEST_F(TypeSpecialization, NothingLeftMeansAlwaysEmpty) {
  Result<Expression> e = Compile("Account.subject | ActivityDefinition.subject.where(true)");
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(SpecializeForResourceType(*e, Type("Encounter")));
  EXPECT_TRUE(SpecializeForResourceType(*e, Type("Account")));
  EXPECT_FALSE(SpecializeForResourceType(*Compile("Patient.name"), Type("Encounter")));
}

}  // namespace
}  // namespace fhirengine::fhirpath
