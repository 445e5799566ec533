// FHIRPath navigation of choice elements (value[x]) by their base name, as R4
// FHIRPath polymorphism requires: `value` reaches valueString, valueCoding,
// valueQuantity and a primitive's "_valueString" twin, on typed resources and
// on untyped JSON (a bare Extension), and ext-1 decides on both.
#include <gtest/gtest.h>

#include "engine/fhirpath/navigation.h"
#include "tests/unit/fhirpath/fhirpath_test_util.h"

namespace fhirengine::fhirpath {
namespace {

using ::fhirengine::fhirpath::testing::Outcome;
using ::fhirengine::fhirpath::testing::Resource;

constexpr std::string_view kExt1 = "extension.exists() != value.exists()";

// `expression` on `json` as an untyped node (no FHIR type known for it).
Outcome RunUntyped(std::string_view expression, std::string_view json) {
  Resource r(json);
  Outcome out;
  Result<Expression> e = Compile(expression);
  if (!e.ok() || r.get() == nullptr) return out;
  EvaluationContext ctx;
  ctx.resource = r.get();
  Result<Collection> c = EvaluateCollection(
      *e, Collection{Item::FromNode(Node{r.get(), nullptr, nullptr, r.get()})}, ctx);
  if (!c.ok()) {
    out.error = c.status().message();
    return out;
  }
  out.ok = true;
  for (const Item& item : *c) {
    std::optional<std::string> text = ItemToText(item);
    if (!text && item.is_node() && item.node().value != nullptr) {
      text = json::Write(*item.node().value);
    }
    out.values.push_back(text.value_or("?"));
    out.types.push_back(TypeName(item));
  }
  return out;
}

// `expression` on each extension of a Location holding `extensions`, typed.
std::vector<std::string> OnEachExtension(std::string_view expression, std::string_view extensions) {
  Resource r(R"({"resourceType":"Location","extension":)" + std::string(extensions) + "}");
  Outcome o = r.Run("Location.extension.select(" + std::string(expression) + ")");
  EXPECT_TRUE(o.ok) << o.error;
  return o.values;
}

constexpr std::string_view kBoth =
    R"({"url":"u","valueString":"v","extension":[{"url":"n","valueInteger":1}]})";
constexpr std::string_view kNeither = R"({"url":"u"})";
constexpr std::string_view kValueOnly = R"({"url":"u","valueCoding":{"code":"c"}})";
constexpr std::string_view kExtensionsOnly =
    R"({"url":"u","extension":[{"url":"n","valueInteger":1}]})";
constexpr std::string_view kTwinOnly = R"({"url":"u","_valueString":{"id":"t"}})";

TEST(ChoiceNavigationTest, TypedExtensionValue) {
  Resource r(R"({"resourceType":"Location","extension":[)"
             R"({"url":"a","valueString":"text"},)"
             R"({"url":"b","valueCoding":{"system":"s","code":"c"}},)"
             R"({"url":"c","_valueString":{"extension":[{"url":"x","valueCode":"k"}]}}]})");
  Outcome o = r.Run("Location.extension.value");
  ASSERT_TRUE(o.ok) << o.error;
  ASSERT_EQ(o.values.size(), 3u);  // the third: a string with only extensions
  EXPECT_EQ(o.values[0], "text");
  EXPECT_EQ(o.types[1], "Coding");
  EXPECT_EQ(r.Run("Location.extension.value.code").values, std::vector<std::string>{"c"});
  EXPECT_EQ(r.Run("Location.extension.where(url = 'c').value.exists()").values,
            std::vector<std::string>{"true"});
  EXPECT_EQ(r.Run("Location.extension.where(url = 'c').value.hasValue()").values,
            std::vector<std::string>{"false"});
  EXPECT_EQ(r.Run("Location.extension.where(url = 'c').value.extension.value").values,
            std::vector<std::string>{"k"});
}

TEST(ChoiceNavigationTest, TypedObservationValue) {
  Resource quantity(R"({"resourceType":"Observation","status":"final","code":{"text":"t"},)"
                    R"("valueQuantity":{"value":5.5,"unit":"mg"}})");
  EXPECT_EQ(quantity.Run("Observation.value.value").values, std::vector<std::string>{"5.5"});
  EXPECT_EQ(quantity.Run("Observation.value is Quantity").values, std::vector<std::string>{"true"});
  Resource text(R"({"resourceType":"Observation","status":"final","code":{"text":"t"},)"
                R"("valueString":"high","_valueString":{"id":"v1"}})");
  EXPECT_EQ(text.Run("Observation.value").values, std::vector<std::string>{"high"});
  EXPECT_EQ(text.Run("Observation.value.id").values, std::vector<std::string>{"v1"});
  EXPECT_EQ(text.Run("Observation.value is string").values, std::vector<std::string>{"true"});
}

TEST(ChoiceNavigationTest, UntypedExtensionValue) {
  EXPECT_EQ(RunUntyped("value", R"({"url":"a","valueString":"text"})").values,
            std::vector<std::string>{"text"});
  Outcome coding = RunUntyped("value", kValueOnly);
  ASSERT_EQ(coding.values.size(), 1u);
  EXPECT_EQ(coding.types[0], "Coding");
  EXPECT_EQ(RunUntyped("value.code", kValueOnly).values, std::vector<std::string>{"c"});
  EXPECT_EQ(RunUntyped("value.id", kTwinOnly).values, std::vector<std::string>{"t"});
  EXPECT_EQ(RunUntyped("value.exists()", kNeither).values, std::vector<std::string>{"false"});
}

TEST(ChoiceNavigationTest, UntypedObservationValue) {
  constexpr std::string_view kObservation =
      R"({"status":"final","valueQuantity":{"value":5.5,"unit":"mg"}})";
  EXPECT_EQ(RunUntyped("value.value", kObservation).values, std::vector<std::string>{"5.5"});
  EXPECT_EQ(RunUntyped("value.unit", kObservation).values, std::vector<std::string>{"mg"});
  EXPECT_EQ(RunUntyped("value is Quantity", kObservation).values, std::vector<std::string>{"true"});
  // A member the name only begins (valueSet is no value[x]: "Set" is no type).
  EXPECT_EQ(RunUntyped("value.exists()", R"({"valueSet":"http://example.org/vs"})").values,
            std::vector<std::string>{"false"});
  // A member of exactly that name is still the one found.
  EXPECT_EQ(RunUntyped("value", R"({"value":3,"valueString":"x"})").values,
            std::vector<std::string>{"3"});
  // Only choice names are guessed: `ward` is no choice in FHIR, so a source
  // record's `wardId` (Id is a type name) does not stand for it.
  EXPECT_EQ(RunUntyped("ward.exists()", R"({"wardId":"W12"})").values,
            std::vector<std::string>{"false"});
  EXPECT_EQ(RunUntyped("effective", R"({"effectiveDateTime":"2026-11-24"})").values,
            std::vector<std::string>{"2026-11-24"});
}

TEST(ChoiceNavigationTest, Ext1Typed) {
  const std::string all = "[" + std::string(kBoth) + "," + std::string(kNeither) + "," +
                          std::string(kValueOnly) + "," + std::string(kExtensionsOnly) + "," +
                          std::string(kTwinOnly) + "]";
  EXPECT_EQ(OnEachExtension(kExt1, all),
            (std::vector<std::string>{"false", "false", "true", "true", "true"}));
}

TEST(ChoiceNavigationTest, Ext1Untyped) {
  EXPECT_EQ(RunUntyped(kExt1, kBoth).values, std::vector<std::string>{"false"});
  EXPECT_EQ(RunUntyped(kExt1, kNeither).values, std::vector<std::string>{"false"});
  EXPECT_EQ(RunUntyped(kExt1, kValueOnly).values, std::vector<std::string>{"true"});
  EXPECT_EQ(RunUntyped(kExt1, kExtensionsOnly).values, std::vector<std::string>{"true"});
  EXPECT_EQ(RunUntyped(kExt1, kTwinOnly).values, std::vector<std::string>{"true"});
}

}  // namespace
}  // namespace fhirengine::fhirpath
