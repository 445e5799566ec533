// The R4 type model derived from the official StructureDefinitions.
#include "engine/fhir/type_model.h"

#include <gtest/gtest.h>

namespace fhirengine::fhir {
namespace {

TEST(TypeModel, HasEveryR4ResourceType) {
  const TypeModel& model = TypeModel::R4();
  EXPECT_EQ(model.fhir_version(), "4.0.1");
  std::size_t concrete = 0;
  for (const TypeDef* t : model.resources()) concrete += !t->is_abstract;
  // hl7.fhir.r4.examples 4.0.1 defines 146 concrete resource types (plus the
  // abstract Resource and DomainResource).
  EXPECT_EQ(concrete, 146u);
  EXPECT_NE(model.FindResource("Location"), nullptr);
  EXPECT_NE(model.FindResource("Encounter"), nullptr);
  EXPECT_EQ(model.FindResource("DomainResource"), nullptr);  // abstract
  EXPECT_EQ(model.FindResource("HumanName"), nullptr);       // a datatype
}

TEST(TypeModel, ElementsKeepDefinitionOrderAndCardinality) {
  const TypeDef* loc = TypeModel::R4().Find("Location");
  ASSERT_NE(loc, nullptr);
  ASSERT_GE(loc->elements.size(), 9u);
  EXPECT_EQ(loc->elements[0].name, "id");
  EXPECT_EQ(loc->elements[1].name, "meta");
  const ElementDef* status = loc->FindElement("operationalStatus");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->min, 0u);
  EXPECT_EQ(status->max, 1u);
  ASSERT_EQ(status->types.size(), 1u);
  EXPECT_EQ(status->types[0].code, "Coding");
  const ElementDef* identifier = loc->FindElement("identifier");
  ASSERT_NE(identifier, nullptr);
  EXPECT_EQ(identifier->max, kUnbounded);
  EXPECT_EQ(TypeModel::R4().Find("Encounter")->FindElement("status")->min, 1u);
}

TEST(TypeModel, BackboneElementsAreTheirOwnTypes) {
  const TypeDef* loc = TypeModel::R4().Find("Location");
  const ElementDef* position = loc->FindElement("position");
  ASSERT_NE(position, nullptr);
  const TypeDef* backbone = position->types[0].type;
  ASSERT_NE(backbone, nullptr);
  EXPECT_EQ(backbone->name, "Location.position");
  EXPECT_EQ(backbone->kind, TypeKind::kBackbone);
  const ElementDef* lat = backbone->FindElement("latitude");
  ASSERT_NE(lat, nullptr);
  EXPECT_EQ(lat->min, 1u);
  EXPECT_EQ(lat->types[0].type->primitive, Primitive::kDecimal);
}

TEST(TypeModel, ChoiceTypesResolveByJsonName) {
  const TypeDef* obs = TypeModel::R4().Find("Observation");
  const Property* q = obs->FindProperty("valueQuantity");
  ASSERT_NE(q, nullptr);
  EXPECT_TRUE(q->element->is_choice);
  EXPECT_EQ(q->element->name, "value");
  EXPECT_EQ(q->type->code, "Quantity");
  EXPECT_NE(obs->FindProperty("valueCodeableConcept"), nullptr);
  EXPECT_EQ(obs->FindProperty("value"), nullptr);
  EXPECT_EQ(obs->FindProperty("valueHumanName"), nullptr);
}

TEST(TypeModel, ContentReferencesPointAtTheirBackbone) {
  const TypeDef* item = TypeModel::R4().Find("Questionnaire.item");
  ASSERT_NE(item, nullptr);
  const ElementDef* nested = item->FindElement("item");
  ASSERT_NE(nested, nullptr);
  EXPECT_EQ(nested->types[0].type, item);
}

TEST(TypeModel, XmlAttributesAndResourceIds) {
  const TypeModel& model = TypeModel::R4();
  EXPECT_TRUE(model.Find("Extension")->FindElement("url")->xml_attr);
  EXPECT_TRUE(model.Find("Coding")->FindElement("id")->xml_attr);
  const ElementDef* id = model.Find("Patient")->FindElement("id");
  EXPECT_FALSE(id->xml_attr);
  EXPECT_EQ(id->types[0].code, "id");  // the spec's type, not the snapshot's 'string'
}

TEST(TypeModel, PrimitivesKnowTheirJsonRepresentation) {
  const TypeModel& model = TypeModel::R4();
  EXPECT_EQ(model.Find("decimal")->json_repr, JsonRepr::kNumber);
  EXPECT_EQ(model.Find("positiveInt")->json_repr, JsonRepr::kNumber);
  EXPECT_EQ(model.Find("boolean")->json_repr, JsonRepr::kBoolean);
  EXPECT_EQ(model.Find("instant")->json_repr, JsonRepr::kString);
  EXPECT_EQ(model.Find("xhtml")->primitive, Primitive::kXhtml);
}

TEST(TypeModel, SummaryFlagsFollowTheDefinitions) {
  const TypeModel& model = TypeModel::R4();
  const TypeDef* patient = model.Find("Patient");
  ASSERT_NE(patient, nullptr);
  EXPECT_TRUE(patient->FindElement("id")->is_summary);
  EXPECT_TRUE(patient->FindElement("meta")->is_summary);
  EXPECT_TRUE(patient->FindElement("name")->is_summary);
  EXPECT_FALSE(patient->FindElement("text")->is_summary);
  EXPECT_FALSE(patient->FindElement("photo")->is_summary);
  EXPECT_FALSE(patient->FindElement("contact")->is_summary);
  // Backbone and datatype elements carry their own flags.
  EXPECT_TRUE(model.Find("Patient.link")->FindElement("other")->is_summary);
  EXPECT_FALSE(model.Find("Attachment")->FindElement("data")->is_summary);
  EXPECT_TRUE(model.Find("Attachment")->FindElement("url")->is_summary);
  // A choice element: Observation.value[x] is in the summary.
  EXPECT_TRUE(model.Find("Observation")->FindProperty("valueQuantity")->element->is_summary);
}

TEST(TypeModel, MandatoryMeansMinAtLeastOne) {
  const TypeModel& model = TypeModel::R4();
  EXPECT_TRUE(model.Find("Observation")->FindElement("status")->mandatory());
  EXPECT_TRUE(model.Find("Observation")->FindElement("code")->mandatory());
  EXPECT_FALSE(model.Find("Observation")->FindElement("subject")->mandatory());
  EXPECT_TRUE(model.Find("Location.position")->FindElement("longitude")->mandatory());
  // Mandatory but not in the summary: the definitions allow it.
  const ElementDef* participant = model.Find("Appointment")->FindElement("participant");
  EXPECT_TRUE(participant->mandatory());
  EXPECT_FALSE(participant->is_summary);
}

TEST(TypeModel, LoadsTheSummaryFlag) {
  Result<std::unique_ptr<TypeModel>> model = TypeModel::Load(
      R"({"types":[{"name":"string","kind":"primitive-type","elements":[]},)"
      R"({"name":"X","kind":"resource","elements":[)"
      R"({"path":"X.a","min":1,"max":"1","isSummary":true,"types":[{"code":"string"}]},)"
      R"({"path":"X.b","min":0,"max":"*","types":[{"code":"string"}]}]}]})");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const TypeDef* x = (*model)->Find("X");
  ASSERT_NE(x, nullptr);
  EXPECT_TRUE(x->FindElement("a")->is_summary);
  EXPECT_TRUE(x->FindElement("a")->mandatory());
  EXPECT_FALSE(x->FindElement("b")->is_summary);
  EXPECT_FALSE(x->FindElement("b")->mandatory());
}

TEST(TypeModel, RejectsBrokenModels) {
  EXPECT_FALSE(TypeModel::Load("{").ok());
  EXPECT_FALSE(TypeModel::Load(R"({"types":1})").ok());
  EXPECT_FALSE(
      TypeModel::Load(
          R"({"types":[{"name":"X","kind":"resource","elements":[{"path":"X.a","min":0,"max":"1","types":[{"code":"Nope"}]}]}]})")
          .ok());
}

}  // namespace
}  // namespace fhirengine::fhir
