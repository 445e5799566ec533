// Evaluating FHIRPath over R4 resources: the FHIR model (choice elements,
// primitive extensions, contained resources, references), the operators'
// three-valued logic and empty propagation, the function library and the
// evaluation context (variables, hooks, limits).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/fhirpath/fhirpath_test_util.h"

namespace fhirengine::fhirpath {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Outcome;
using testing::Resource;
using testing::Values;

constexpr std::string_view kPatient = R"({
  "resourceType": "Patient",
  "id": "p1",
  "contained": [{"resourceType": "Organization", "id": "org1", "name": "Avdelning 7"}],
  "extension": [{"url": "http://example.org/discharge-ready", "valueBoolean": true}],
  "active": true,
  "name": [
    {"use": "official", "family": "Åström", "given": ["Märta", "Eva"]},
    {"use": "nickname", "given": ["Mä"]}
  ],
  "gender": "female",
  "birthDate": "1950-02-13",
  "_birthDate": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
                                "valueDateTime": "1950-02-13T08:10:00+01:00"}]},
  "deceasedBoolean": false,
  "telecom": [{"system": "phone", "value": "090-123"}, {"system": "email", "value": "m@example.se"}],
  "contact": [{"name": {"family": "Berg"}}],
  "managingOrganization": {"reference": "#org1"},
  "generalPractitioner": [{"reference": "Practitioner/pr1"}]
})";

constexpr std::string_view kObservation = R"({
  "resourceType": "Observation",
  "id": "o1",
  "status": "final",
  "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
  "valueQuantity": {"value": 72, "unit": "beats/min", "system": "http://unitsofmeasure.org", "code": "/min"},
  "effectiveDateTime": "2024-05-01T10:00:00+02:00",
  "component": [
    {"code": {"text": "a"}, "valueQuantity": {"value": 1.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}},
    {"code": {"text": "b"}, "valueString": "high"}
  ]
})";

constexpr std::string_view kBundle = R"({
  "resourceType": "Bundle",
  "type": "collection",
  "entry": [
    {"fullUrl": "http://example.org/fhir/Patient/p1",
     "resource": {"resourceType": "Patient", "id": "p1",
                  "managingOrganization": {"reference": "urn:uuid:1"},
                  "generalPractitioner": [{"reference": "http://example.org/fhir/Practitioner/pr1"}]}},
    {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Organization", "id": "o9", "name": "Region"}},
    {"resource": {"resourceType": "Practitioner", "id": "pr1", "name": [{"family": "Lind"}]}}
  ]
})";

class FhirpathEvaluator : public ::testing::Test {
 protected:
  Resource patient_{kPatient};
  Resource observation_{kObservation};
  Resource bundle_{kBundle};
};

TEST_F(FhirpathEvaluator, PathsAreTypedByTheModel) {
  Outcome o = patient_.Run("Patient.name.given");
  EXPECT_THAT(o.values, ElementsAre("Märta", "Eva", "Mä"));
  EXPECT_THAT(o.types, ElementsAre("string", "string", "string"));
  EXPECT_THAT(patient_.Run("name.first()").types, ElementsAre("HumanName"));
  EXPECT_THAT(patient_.Run("gender").types, ElementsAre("code"));
  EXPECT_THAT(patient_.Run("contact").types, ElementsAre("BackboneElement"));
  EXPECT_THAT(patient_.Run("birthDate").types, ElementsAre("date"));
  // A type name at the start of a path filters by type.
  EXPECT_THAT(patient_.Run("Observation.status").values, IsEmpty());
  EXPECT_THAT(patient_.Run("DomainResource.id").values, ElementsAre("p1"));
}

TEST_F(FhirpathEvaluator, ChoiceElementsGoByTheirBaseName) {
  EXPECT_THAT(observation_.Run("Observation.value.unit").values, ElementsAre("beats/min"));
  EXPECT_THAT(observation_.Run("component.value").types, ElementsAre("Quantity", "string"));
  EXPECT_THAT(observation_.Run("component.value.ofType(string)").values, ElementsAre("high"));
  EXPECT_THAT(observation_.Run("(component.value as Quantity).unit").values, ElementsAre("kg"));
  EXPECT_THAT(observation_.Run("Observation.value is Quantity").values, ElementsAre("true"));
  EXPECT_THAT(observation_.Run("effective.is(dateTime)").values, ElementsAre("true"));
  EXPECT_THAT(patient_.Run("deceased.as(boolean)").values, ElementsAre("false"));
}

TEST_F(FhirpathEvaluator, UnknownElementsAreErrorsWithAHint) {
  EXPECT_EQ(patient_.Run("name.given1").error, "column 6: 'given1' is not an element of HumanName");
  Outcome choice = observation_.Run("Observation.valueQuantity.value");
  EXPECT_THAT(choice.error,
              HasSubstr("'valueQuantity' is the JSON name of the choice element 'value[x]': "
                        "write value.ofType(Quantity)"));
  EvaluationContext lenient;
  lenient.lenient_choice_names = true;
  EXPECT_THAT(observation_.Run("Observation.valueQuantity.value", lenient).values,
              ElementsAre("72"));
  EvaluationContext unchecked;
  unchecked.check_element_names = false;
  EXPECT_THAT(patient_.Run("name.given1", unchecked).values, IsEmpty());
  // Mixed collections: an element of some items is fine.
  EXPECT_THAT(patient_.Run("descendants().family").values, ElementsAre("Åström", "Berg"));
  // An empty input cannot be checked.
  EXPECT_TRUE(patient_.Run("link.whatever").ok);
}

TEST_F(FhirpathEvaluator, PrimitivesCarryTheirExtensions) {
  EXPECT_THAT(patient_.Run("birthDate.extension(%`ext-patient-birthTime`).value").values,
              ElementsAre("1950-02-13T08:10:00+01:00"));
  EXPECT_THAT(patient_.Run("birthDate.extension.value").types, ElementsAre("dateTime"));
  EXPECT_THAT(patient_.Run("birthDate.hasValue() and active.hasValue()").values,
              ElementsAre("true"));
  Resource only_extension(R"({"resourceType": "Patient", "name": [{"given": ["Al", null],
      "_given": [null, {"extension": [{"url": "http://example.org/x", "valueString": "masked"}]}]}]})");
  EXPECT_EQ(only_extension.Run("name.given.count()").values, std::vector<std::string>{"2"});
  EXPECT_THAT(only_extension.Run("name.given.where(hasValue().not()).extension.value").values,
              ElementsAre("masked"));
  EXPECT_THAT(only_extension.Run("name.given.last() = 'x'").values, IsEmpty());
}

TEST_F(FhirpathEvaluator, ThreeValuedLogic) {
  struct Row {
    const char* expression;
    const char* expected;  // "" for empty
  };
  const Row rows[] = {
      {"true and {}", ""},         {"false and {}", "false"},  {"{} and {}", ""},
      {"true or {}", "true"},      {"false or {}", ""},        {"{} or false", ""},
      {"true xor {}", ""},         {"true xor false", "true"}, {"true xor true", "false"},
      {"{} implies true", "true"}, {"{} implies false", ""},   {"false implies {}", "true"},
      {"true implies {}", ""},     {"{}.not()", ""},           {"(true and 'x')", "true"},
  };
  for (const Row& row : rows) {
    std::vector<std::string> want;
    if (*row.expected != '\0') want.push_back(row.expected);
    EXPECT_EQ(Values(row.expression), want) << row.expression;
  }
  EXPECT_THAT(Values("(true | false) and true")[0], HasSubstr("must be a single Boolean"));
}

TEST_F(FhirpathEvaluator, EmptyPropagatesAndCollectionsMustBeSingletons) {
  EXPECT_THAT(Values("{} + 1"), IsEmpty());
  EXPECT_THAT(Values("{} = 1"), IsEmpty());
  EXPECT_THAT(Values("{} < 1"), IsEmpty());
  EXPECT_THAT(Values("'a' & {}"), ElementsAre("a"));
  EXPECT_THAT(Values("(1 | 2) + 1")[0], HasSubstr("'+' needs single items on both sides"));
  EXPECT_THAT(Values("(1 | 2) < 3")[0], HasSubstr("needs single items"));
  EXPECT_THAT(patient_.Run("name.given = 'Eva'").values, ElementsAre("false"));  // 3 items vs 1
  EXPECT_THAT(patient_.Run("name.given.first() = 'Märta'").values, ElementsAre("true"));
  EXPECT_THAT(patient_.Run("'Eva' in name.given").values, ElementsAre("true"));
  EXPECT_THAT(patient_.Run("name.given contains 'Ola'").values, ElementsAre("false"));
  EXPECT_THAT(Values("2 in {}"), ElementsAre("false"));
  EXPECT_THAT(Values("1 / 0"), IsEmpty());
  EXPECT_THAT(Values("2147483647 + 1"), IsEmpty());  // Integer overflow is empty
  EXPECT_THAT(Values("1 < 'a'")[0], HasSubstr("cannot order System.Integer and System.String"));
  EXPECT_THAT(Values("@2024-01-01 + 7")[0], HasSubstr("cannot combine"));
}

TEST_F(FhirpathEvaluator, EqualityAndEquivalence) {
  EXPECT_THAT(Values("'abc' = 'ABC'"), ElementsAre("false"));
  EXPECT_THAT(Values("'abc' ~ 'ABC'"), ElementsAre("true"));
  EXPECT_THAT(Values("' a  b ' ~ 'A B'"), ElementsAre("true"));
  EXPECT_THAT(Values("'åäö' ~ 'ÅÄÖ'"), ElementsAre("true"));
  EXPECT_THAT(Values("1.10 = 1.1"), ElementsAre("true"));
  EXPECT_THAT(Values("1 = 1.0"), ElementsAre("true"));
  EXPECT_THAT(Values("1.2 / 1.8 = 0.67"), ElementsAre("false"));
  EXPECT_THAT(Values("1.2 / 1.8 ~ 0.67"), ElementsAre("true"));
  EXPECT_THAT(Values("@2012-04-15 = @2012-04-15T10:00:00"), IsEmpty());
  EXPECT_THAT(Values("@2012-04-15 ~ @2012-04-15T10:00:00"), ElementsAre("false"));
  EXPECT_THAT(Values("1 'kg' = 1000 'g'"), ElementsAre("true"));
  EXPECT_THAT(Values("1 'kg' = 1 'm'"), IsEmpty());
  EXPECT_THAT(Values("1 'kg' ~ 1 'm'"), ElementsAre("false"));
  EXPECT_THAT(Values("(1 | 2) ~ (2 | 1)"), ElementsAre("true"));
  EXPECT_THAT(Values("(1 | 2) = (2 | 1)"), ElementsAre("false"));
  EXPECT_THAT(Values("{} ~ {}"), ElementsAre("true"));
  EXPECT_THAT(patient_.Run("name.first() = name[0]").values, ElementsAre("true"));
  EXPECT_THAT(patient_.Run("name.first() = name.last()").values, ElementsAre("false"));
  EXPECT_THAT(patient_.Run("gender = 'female'").values, ElementsAre("true"));
}

TEST_F(FhirpathEvaluator, DateComparisonsRespectPrecision) {
  EXPECT_THAT(patient_.Run("birthDate < @1960").values, ElementsAre("true"));
  EXPECT_THAT(patient_.Run("birthDate > @1950-02").values, IsEmpty());
  EXPECT_THAT(patient_.Run("birthDate >= @1950-02-13").values, ElementsAre("true"));
  EXPECT_THAT(observation_.Run("effective > @2024-05-01T07:59:59Z").values, ElementsAre("true"));
  EXPECT_THAT(observation_.Run("effective = @2024-05-01T08:00:00Z").values, ElementsAre("true"));
  EXPECT_THAT(observation_.Run("effective > @2024-05-01T10:00:00").values, IsEmpty());  // no offset
  EXPECT_THAT(Values("@T10:30 < @T10:31:00"), ElementsAre("true"));
  EXPECT_THAT(Values("@T10:30 < @T10:30:00"), IsEmpty());
}

TEST_F(FhirpathEvaluator, DateArithmetic) {
  EXPECT_THAT(Values("@2024-01-31 + 1 month"), ElementsAre("2024-02-29"));
  EXPECT_THAT(patient_.Run("birthDate + 18 years").values, ElementsAre("1968-02-13"));
  EXPECT_THAT(Values("@2024-05-01T10:00:00Z - 90 minutes"), ElementsAre("2024-05-01T08:30:00Z"));
  EXPECT_THAT(Values("@2024-05-01T10:00:00Z + 2 'h'"), ElementsAre("2024-05-01T12:00:00Z"));
  EXPECT_THAT(Values("@T23:00 + 2 hours"), ElementsAre("01:00"));
  EXPECT_THAT(Values("@2024-01-01 + 1 'mo'")[0], HasSubstr("cannot add 'mo' to a System.Date"));
  EXPECT_THAT(Values("@2024-01-01 - 1 'cm'")[0], HasSubstr("cannot add 'cm'"));
  EXPECT_THAT(Values("@T10:00 + 1 day")[0], HasSubstr("cannot add 'day' to a Time"));
}

TEST_F(FhirpathEvaluator, QuantitiesCompareAcrossUnits) {
  EXPECT_THAT(observation_.Run("Observation.value > 60 '/min'").values, ElementsAre("true"));
  EXPECT_THAT(observation_.Run("Observation.value = 1.2 '/s'").values, ElementsAre("true"));
  EXPECT_THAT(observation_.Run("component.value.ofType(Quantity) > 1000 'g'").values,
              ElementsAre("true"));
  EXPECT_THAT(Values("2 'kg' + 500 'g'"), ElementsAre("2.5 'kg'"));
  EXPECT_THAT(Values("2 'kg' * 3"), ElementsAre("6 'kg'"));
  EXPECT_THAT(Values("(1 'kg' + 1 'm')")[0], HasSubstr("not compatible"));
  EXPECT_THAT(Values("1 'kg' < 1 'm'"), IsEmpty());
  EXPECT_THAT(Values("'1.5 \\'kg\\''.toQuantity('g')"), ElementsAre("1500 'g'"));
}

TEST_F(FhirpathEvaluator, ThisIndexAndTotal) {
  EXPECT_THAT(patient_.Run("name.given.select($this & ':' & $index.toString())").values,
              ElementsAre("Märta:0", "Eva:1", "Mä:2"));
  EXPECT_THAT(Values("(1 | 2 | 3 | 4).aggregate($total + $this, 0)"), ElementsAre("10"));
  EXPECT_THAT(Values("(3 | 1 | 2).aggregate(iif($total.empty() or $this < $total, $this, $total))"),
              ElementsAre("1"));
  EXPECT_THAT(Values("(10 | 20 | 30).where($index > 0)"), ElementsAre("20", "30"));
  EXPECT_THAT(Values("$index"), IsEmpty());
}

TEST_F(FhirpathEvaluator, Variables) {
  EXPECT_THAT(patient_.Run("%resource.id").values, ElementsAre("p1"));
  EXPECT_THAT(patient_.Run("%context.gender").values, ElementsAre("female"));
  EXPECT_THAT(patient_.Run("%rootResource.id").values, ElementsAre("p1"));
  EXPECT_THAT(
      Values("%ucum | %sct | %loinc"),
      ElementsAre("http://unitsofmeasure.org", "http://snomed.info/sct", "http://loinc.org"));
  EXPECT_THAT(Values("%`vs-administrative-gender`"),
              ElementsAre("http://hl7.org/fhir/ValueSet/administrative-gender"));
  EvaluationContext ctx;
  ctx.variables["threshold"] = {Item::Integer(60)};
  ctx.variables["names"] = {Item::String("Eva"), Item::String("Mä")};
  EXPECT_THAT(patient_.Run("name.given.where($this in %names)", ctx).values,
              ElementsAre("Eva", "Mä"));
  EXPECT_THAT(observation_.Run("Observation.value.value > %threshold", ctx).values,
              ElementsAre("true"));
  EXPECT_EQ(patient_.Run("%nope").error, "column 1: unknown variable %nope");
}

TEST_F(FhirpathEvaluator, ResolvesContainedAndBundleReferences) {
  EXPECT_THAT(patient_.Run("managingOrganization.resolve().name").values,
              ElementsAre("Avdelning 7"));
  EXPECT_THAT(patient_.Run("managingOrganization.resolve() is Organization").values,
              ElementsAre("true"));
  EXPECT_THAT(patient_.Run("generalPractitioner.resolve()").values, IsEmpty());
  EXPECT_THAT(
      bundle_.Run("entry.resource.ofType(Patient).managingOrganization.resolve().name").values,
      ElementsAre("Region"));
  EXPECT_THAT(
      bundle_.Run("entry.resource.ofType(Patient).generalPractitioner.resolve().name.family")
          .values,
      ElementsAre("Lind"));
  EvaluationContext ctx;
  Resource practitioner(R"({"resourceType": "Practitioner", "id": "pr1", "active": true})");
  ctx.resolve = [&](std::string_view ref) -> const json::Value* {
    return ref == "Practitioner/pr1" ? practitioner.get() : nullptr;
  };
  EXPECT_THAT(patient_.Run("generalPractitioner.resolve().active", ctx).values,
              ElementsAre("true"));
}

TEST_F(FhirpathEvaluator, FhirFunctions) {
  EXPECT_THAT(patient_.Run("extension('http://example.org/discharge-ready').value").values,
              ElementsAre("true"));
  EXPECT_THAT(patient_.Run("extension('http://example.org/other')").values, IsEmpty());
  EXPECT_THAT(patient_.Run("gender.getValue()").types, ElementsAre("System.String"));
  EXPECT_THAT(patient_.Run("name.hasValue()").values, ElementsAre("false"));
  EXPECT_THAT(patient_.Run("text.div.htmlChecks()").values, ElementsAre("true"));
  EXPECT_THAT(patient_.Run("conformsTo('http://hl7.org/fhir/StructureDefinition/Patient')").values,
              ElementsAre("true"));
  EXPECT_THAT(
      patient_.Run("conformsTo('http://hl7.org/fhir/StructureDefinition/DomainResource')").values,
      ElementsAre("true"));
  EXPECT_THAT(patient_.Run("conformsTo('http://hl7.org/fhir/StructureDefinition/Person')").values,
              ElementsAre("false"));
  EXPECT_THAT(patient_.Run("conformsTo('http://example.org/regional-patient')").error,
              HasSubstr("unknown profile"));
  EvaluationContext ctx;
  ctx.conforms_to = [](const Item&, std::string_view url) -> Result<bool> {
    return url == "http://example.org/regional-patient";
  };
  EXPECT_THAT(patient_.Run("conformsTo('http://example.org/regional-patient')", ctx).values,
              ElementsAre("true"));
}

TEST_F(FhirpathEvaluator, TerminologyNeedsAHook) {
  Result<Expression> e =
      Compile("gender.memberOf('http://hl7.org/fhir/ValueSet/administrative-gender')");
  ASSERT_TRUE(e.ok());
  Result<Collection> r = Evaluate(*e, *patient_.get());
  EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
  EvaluationContext ctx;
  ctx.member_of = [](const Item& coded, std::string_view) -> Result<bool> {
    return ItemToText(coded) == std::optional<std::string>("female");
  };
  r = Evaluate(*e, *patient_.get(), ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)[0].boolean());
  e = Compile("code.coding.first().subsumes(code.coding.first())");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(Evaluate(*e, *observation_.get()).status().code(), StatusCode::kUnimplemented);
}

TEST_F(FhirpathEvaluator, TypeReflection) {
  EXPECT_THAT(patient_.Run("active.type().namespace | active.type().name").values,
              ElementsAre("FHIR", "boolean"));
  EXPECT_THAT(Values("1.type().namespace | 1.type().name"), ElementsAre("System", "Integer"));
  EXPECT_THAT(patient_.Run("contact.type().name").values, ElementsAre("BackboneElement"));
  EXPECT_THAT(patient_.Run("gender.is(string) and gender.is(code) and gender.is(id).not()").values,
              ElementsAre("true"));
  EXPECT_THAT(patient_.Run("name.first().is(Element) and contact.is(BackboneElement)").values,
              ElementsAre("true"));
  EXPECT_THAT(patient_.Run("Patient.is(DomainResource) and Patient.is(Resource)").values,
              ElementsAre("true"));
  EXPECT_THAT(patient_.Run("active.is(Boolean)").values,
              ElementsAre("false"));  // FHIR boolean, not System
  EXPECT_THAT(Values("(1 | 'a' | 2.0).ofType(Integer)"), ElementsAre("1"));
  EXPECT_THAT(patient_.Run("name.is(HumanName)").error, HasSubstr("must be a single item, got 2"));
}

TEST_F(FhirpathEvaluator, TreeNavigation) {
  EXPECT_THAT(patient_.Run("contained.children().count()").values, ElementsAre("2"));
  EXPECT_THAT(patient_.Run("descendants().ofType(Reference).reference").values,
              ElementsAre("#org1", "Practitioner/pr1"));
  EXPECT_THAT(patient_.Run("descendants().ofType(Organization).name").values,
              ElementsAre("Avdelning 7"));
  EXPECT_THAT(patient_.Run("birthDate.children().count()").values,
              ElementsAre("1"));  // its extension
  EXPECT_THAT(patient_.Run("name.repeat(given)").values, ElementsAre("Märta", "Eva", "Mä"));
}

TEST_F(FhirpathEvaluator, StringFunctionsCountCharactersNotBytes) {
  EXPECT_THAT(patient_.Run("name.family.length()").values, ElementsAre("6"));
  EXPECT_THAT(patient_.Run("name.family.upper()").values, ElementsAre("ÅSTRÖM"));
  EXPECT_THAT(Values("'ÅSTRÖM'.lower()"), ElementsAre("åström"));
  EXPECT_THAT(patient_.Run("name.family.substring(1, 3)").values, ElementsAre("str"));
  EXPECT_THAT(patient_.Run("name.family.indexOf('ö')").values, ElementsAre("4"));
  EXPECT_THAT(patient_.Run("name.family.toChars().count()").values, ElementsAre("6"));
  EXPECT_THAT(Values("'a-b-c'.replace('-', '+')"), ElementsAre("a+b+c"));
  EXPECT_THAT(Values("'abc'.replace('', '.')"), ElementsAre(".a.b.c."));
  EXPECT_THAT(Values("'2024-05-01'.replaceMatches('(\\\\d+)-(\\\\d+)-(\\\\d+)', '$3/$2/$1')"),
              ElementsAre("01/05/2024"));
  EXPECT_THAT(Values("'A\nB'.matches('A.B')"), ElementsAre("true"));  // single-line mode
  EXPECT_THAT(Values("'a1'.matches('\\d') and 'a1'.matches('\\\\d')"),
              ElementsAre("true"));  // \d and \\d
  EXPECT_THAT(Values("'abc'.matches('b') and 'abc'.matchesFull('b').not()"), ElementsAre("true"));
  EXPECT_THAT(Values("'a,b,,c'.split(',').count()"), ElementsAre("4"));
  EXPECT_THAT(Values("('a' | 'b').join('/')"), ElementsAre("a/b"));
  EXPECT_THAT(Values("'  x y '.trim()"), ElementsAre("x y"));
  EXPECT_THAT(Values("'abcabc'.lastIndexOf('b')"), ElementsAre("4"));
  EXPECT_THAT(Values("'12345'.substring(5)"), IsEmpty());
  EXPECT_THAT(patient_.Run("name.startsWith('x')").error,
              HasSubstr("the input must be a single item"));
  EXPECT_THAT(patient_.Run("name.first().startsWith('x')").error,
              HasSubstr("must be a String, got HumanName"));
}

TEST_F(FhirpathEvaluator, RegularExpressionsHaveLimits) {
  const std::string too_long = "'" + std::string(40000, 'a') + "'.matches('a+')";
  EXPECT_THAT(Values(too_long)[0], HasSubstr("input longer than 32768 bytes"));
  const std::string too_long_replace = "'" + std::string(5000, 'a') + "'.replaceMatches('a', 'b')";
  EXPECT_THAT(Values(too_long_replace)[0], HasSubstr("input longer than 4096 bytes"));
  EXPECT_THAT(Values("'abc'.matches('[' + 'a')")[0], HasSubstr("invalid regular expression"));
  EXPECT_THAT(Values("'aa'.matches('(a)\\\\1')")[0],
              HasSubstr("back-references, which are not supported"));
}

TEST_F(FhirpathEvaluator, RegularExpressionsCannotBacktrackExponentially) {
  // Patterns that take exponential time in a backtracking matcher finish at
  // once here (breadth-first matching), even on long inputs.
  const std::string a30 = "'" + std::string(30, 'a') + "'";
  EXPECT_THAT(Values(a30 + ".matches('(a*)*b')"), ElementsAre("false"));
  EXPECT_THAT(Values(a30 + ".matchesFull('(a|aa)*b')"), ElementsAre("false"));
  const std::string a30000 = "'" + std::string(30000, 'a') + "'";
  EXPECT_THAT(Values(a30000 + ".matches('(a|b)*c')"), ElementsAre("false"));
  EXPECT_THAT(Values(a30000 + ".matches('a{3}$')"), ElementsAre("true"));
  EXPECT_THAT(Values("'" + std::string(1000, 'a') + "'.replaceMatches('(a|b)*c', 'x').length()"),
              ElementsAre("1000"));
}

TEST_F(FhirpathEvaluator, Conversions) {
  EXPECT_THAT(Values("'42'.toInteger() + 1"), ElementsAre("43"));
  EXPECT_THAT(Values("'4.20'.toDecimal().toString()"), ElementsAre("4.20"));
  EXPECT_THAT(Values("'yes'.toBoolean() and 'N'.toBoolean().not()"), ElementsAre("true"));
  EXPECT_THAT(Values("'2024-05-01T10:00'.toDateTime()"), ElementsAre("2024-05-01T10:00"));
  EXPECT_THAT(Values("@2024-05-01T10:00:00Z.toDate()"), ElementsAre("2024-05-01"));
  EXPECT_THAT(Values("'10:30'.toTime()"), ElementsAre("10:30"));
  EXPECT_THAT(Values("'abc'.convertsToInteger() | 'abc'.convertsToString()"),
              ElementsAre("false", "true"));
  EXPECT_THAT(Values("1 'wk'.toQuantity('d')"), ElementsAre("7 'd'"));
  EXPECT_THAT(Values("iif(true, 'yes', 1 / 0)"), ElementsAre("yes"));
  EXPECT_THAT(Values("iif({}, 'yes')"), IsEmpty());
  EXPECT_THAT(Values("(1 | 2).toString()")[0], HasSubstr("must be a single item"));
}

TEST_F(FhirpathEvaluator, MathFunctions) {
  EXPECT_THAT(Values("(-5).abs() | (-5.5).abs()"), ElementsAre("5", "5.5"));
  EXPECT_THAT(Values("2.power(10)"), ElementsAre("1024"));
  EXPECT_THAT(Values("2.power(40)"), IsEmpty());  // beyond 32-bit Integer
  EXPECT_THAT(Values("1.5.power(2)"), ElementsAre("2.25"));
  EXPECT_THAT(Values("16.log(2)"), ElementsAre("4"));
  EXPECT_THAT(Values("2.sqrt().round(4)"), ElementsAre("1.4142"));
  EXPECT_THAT(Values("(-2.5).truncate() | 2.5.round() | (-0.5).floor() | 0.2.ceiling()"),
              ElementsAre("-2", "3", "-1", "1"));
  EXPECT_THAT(Values("0.exp() | 1.ln()"), ElementsAre("1", "0"));
  EXPECT_THAT(Values("(-1).ln()"), IsEmpty());
  EXPECT_THAT(Values("'a'.abs()")[0], HasSubstr("expects a number"));
}

TEST_F(FhirpathEvaluator, CollectionsAreBounded) {
  EvaluationContext ctx;
  ctx.max_collection_size = 10;
  EXPECT_THAT(patient_.Run("descendants()", ctx).error, HasSubstr("more than 10 elements"));
  Outcome o = testing::Run("(1|2|3|4|5|6).combine(1|2|3|4|5|6)", nullptr, ctx);
  EXPECT_THAT(o.error, HasSubstr("exceeds 10 items"));
  o = testing::Run("(1|2|3).aggregate($total.combine($total), 1|2)", nullptr, ctx);
  EXPECT_FALSE(o.ok);
}

TEST_F(FhirpathEvaluator, TraceReportsToTheSink) {
  EvaluationContext ctx;
  std::vector<std::string> seen;
  ctx.trace = [&](std::string_view name, const Collection& values) {
    seen.push_back(std::string(name) + ":" + std::to_string(values.size()));
  };
  EXPECT_THAT(
      patient_.Run("name.trace('names').given.trace('given', $this.length()).count()", ctx).values,
      ElementsAre("3"));
  EXPECT_THAT(seen, ElementsAre("names:2", "given:3"));
}

TEST_F(FhirpathEvaluator, NowCanBeFixed) {
  EvaluationContext ctx;
  ctx.now = ParseDateTime("2024-05-01T10:00:00.000+02:00");
  EXPECT_THAT(testing::Run("now() | today() | timeOfDay()", nullptr, ctx).values,
              ElementsAre("2024-05-01T10:00:00.000+02:00", "2024-05-01", "10:00:00.000"));
  EXPECT_THAT(patient_.Run("today() - birthDate.toDateTime() > 0").ok, false);  // no Date - Date
  EXPECT_THAT(
      patient_.Run("birthDate + 70 years < today() and birthDate + 75 years > today()", ctx).values,
      ElementsAre("true"));
}

TEST_F(FhirpathEvaluator, UntypedJsonIsNavigatedAsIs) {
  Resource record(R"({"ward": {"beds": [1, 2, 3], "Name": "7B", "open": true, "ratio": 0.5}})");
  Outcome o = record.Run("ward.beds.where($this > 1)");
  EXPECT_THAT(o.values, ElementsAre("2", "3"));
  EXPECT_THAT(o.types, ElementsAre("System.Integer", "System.Integer"));
  EXPECT_THAT(record.Run("ward.Name & '/' & ward.ratio.toString()").values, ElementsAre("7B/0.5"));
  EXPECT_THAT(record.Run("ward.open and ward.missing.empty()").values, ElementsAre("true"));
}

TEST_F(FhirpathEvaluator, ExistenceAndSubsetting) {
  EXPECT_THAT(patient_.Run("name.exists(use = 'nickname') and name.all(given.exists())").values,
              ElementsAre("true"));
  EXPECT_THAT(
      Values("(true | false).allTrue() | (true | false).anyTrue() | {}.allFalse() | {}.anyFalse()"),
      ElementsAre("false", "true"));
  EXPECT_THAT(Values("(1 | 2).subsetOf(1 | 2 | 3) and (1 | 2 | 3).supersetOf(2)"),
              ElementsAre("true"));
  EXPECT_THAT(Values("(1 | 2 | 3).combine(2 | 3).distinct().count()"), ElementsAre("3"));
  EXPECT_THAT(Values("(1 | 2 | 3).tail().skip(1) | (1 | 2 | 3).take(2).last()"),
              ElementsAre("3", "2"));
  EXPECT_THAT(Values("(1 | 2 | 3).intersect(2 | 3 | 4) | (1 | 2 | 3).exclude(2)"),
              ElementsAre("2", "3", "1"));
  EXPECT_THAT(Values("(1 | 2).single()")[0], HasSubstr("the input has 2 items"));
  EXPECT_THAT(Values("(1 | 2)[1] | (1 | 2)[5]"), ElementsAre("2"));
}

TEST_F(FhirpathEvaluator, SetOperationsStayLinearOnLargeBundles) {
  std::string json = R"({"resourceType": "Bundle", "type": "collection", "entry": [)";
  for (int i = 0; i < 20000; ++i) {
    if (i > 0) json += ",";
    json += R"({"resource": {"resourceType": "Location", "id": "bed-)" + std::to_string(i) +
            R"(", "status": ")" + (i % 2 == 0 ? "active" : "inactive") + R"("}})";
  }
  json += "]}";
  Resource bundle(json);
  EXPECT_THAT(bundle.Run("entry.resource.id.distinct().count()").values, ElementsAre("20000"));
  EXPECT_THAT(bundle.Run("(entry.resource | entry.resource).count()").values, ElementsAre("20000"));
  EXPECT_THAT(bundle.Run("entry.resource.status.distinct()").values,
              ElementsAre("active", "inactive"));
  EXPECT_THAT(bundle.Run("entry.resource.id.exclude(entry.resource.id).count()").values,
              ElementsAre("0"));
  EXPECT_THAT(bundle.Run("entry.resource.id.subsetOf(entry.resource.id.combine('x'))").values,
              ElementsAre("true"));
  EXPECT_THAT(bundle.Run("entry.resource.where(status = 'active').count()").values,
              ElementsAre("10000"));
}

TEST_F(FhirpathEvaluator, IsTrueForConstraints) {
  EXPECT_FALSE(*IsTrue({}));
  EXPECT_TRUE(*IsTrue({Item::Boolean(true)}));
  EXPECT_FALSE(IsTrue({Item::Integer(1)}).ok());
  EXPECT_FALSE(IsTrue({Item::Boolean(true), Item::Boolean(true)}).ok());
}

TEST_F(FhirpathEvaluator, ResultsRenderAsJson) {
  Result<Expression> e =
      Compile("name.first().given.first() | 1 | 2.50 | @2024-05 | 3 'mg' | active | 1.type()");
  ASSERT_TRUE(e.ok());
  Result<Collection> r = Evaluate(*e, *patient_.get());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(
      CollectionToJson(*r),
      R"([{"type":"string","value":"Märta"},{"type":"System.Integer","value":1},)"
      R"({"type":"System.Decimal","value":2.50},{"type":"System.Date","value":"2024-05"},)"
      R"({"type":"System.Quantity","value":{"value":3,"unit":"mg"}},{"type":"boolean","value":true},)"
      R"({"type":"System.Object","value":{"namespace":"System","name":"Integer"}}])");
}

}  // namespace
}  // namespace fhirengine::fhirpath
