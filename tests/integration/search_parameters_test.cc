// Acceptance test for FHIR search on the regional model's three resource
// types: for every SearchParameter the registry has for Location, Encounter
// and Organization, a table-driven case shows one resource found and one not,
// over real HTTP against the real `fhir-engine serve`. Parameters the engine
// cannot support are listed with the reason, and checked to be refused under
// Prefer: handling=strict and reported-and-ignored under lenient handling.
#include "engine/search/search_parameters.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/fhir/resource_format.h"
#include "engine/json/json_parser.h"
#include "engine/rest/route.h"
#include "tests/support/engine_process.h"
#include "tests/support/http_assertions.h"
#include "tests/support/http_client.h"
#include "tests/support/shared_engine.h"

namespace fhirengine::testing {
namespace {

namespace fs = std::filesystem;

// ---- fixtures ------------------------------------------------------------------
// No personal data: organisations and places are fictional, Encounter
// subjects are opaque Patient/Group references that resolve to nothing.

struct Fixture {
  std::string_view type;
  std::string_view id;
  std::string_view json;
};

// Loaded first, then the "late" ones once the server clock has moved on, so
// that _lastUpdated has a boundary between them.
const Fixture kFixtures[] = {
    {"Organization", "org-hosp", R"({"resourceType":"Organization","id":"org-hosp",
      "meta":{"tag":[{"system":"https://region.example.se/tags","code":"ehr-feed"}],
              "profile":["https://region.example.se/fhir/StructureDefinition/regional-organization"],
              "security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"N"}],
              "source":"https://region.example.se/sources/ehr-a"},
      "identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"PRN"}],"text":"HSA-id"},
                     "system":"urn:oid:1.2.752.29.4.19","value":"SE2321000000-H1"}],
      "active":true,
      "type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/organization-type","code":"prov","display":"Healthcare Provider"}]}],
      "name":"Älvby sjukhus","alias":["ÄS"],
      "address":[{"use":"work","line":["Sjukhusvägen 1"],"city":"Älvby","state":"Västerbotten","postalCode":"90185","country":"Sverige"}],
      "endpoint":[{"reference":"Endpoint/ep-1"}]})"},
    {"Organization", "org-unit", R"({"resourceType":"Organization","id":"org-unit",
      "identifier":[{"system":"urn:oid:1.2.752.29.4.19","value":"M-77"}],
      "active":true,
      "type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/organization-type","code":"dept"}]}],
      "name":"Älvby sjukhus, avdelning 12",
      "partOf":{"reference":"Organization/org-hosp"}})"},
    {"Organization", "org-muni", R"({"resourceType":"Organization","id":"org-muni",
      "meta":{"tag":[{"system":"https://region.example.se/tags","code":"csv-feed"}],
              "profile":["https://region.example.se/fhir/StructureDefinition/municipal-organization"],
              "security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}],
              "source":"https://municipality.example.se/sources/csv"},
      "identifier":[{"value":"M-77"}],
      "active":false,
      "type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/organization-type","code":"govt","display":"Government"}]}],
      "name":"Norrby kommun",
      "address":[{"use":"billing","line":["Torget 3"],"city":"Norrby","state":"Norrbotten","postalCode":"93130","country":"SE"}],
      "endpoint":[{"reference":"Endpoint/ep-2"}],
      "partOf":{"reference":"Organization/org-region"}})"},

    {"Location", "loc-site", R"({"resourceType":"Location","id":"loc-site",
      "meta":{"tag":[{"system":"https://region.example.se/tags","code":"ehr-feed"}],
              "profile":["https://region.example.se/fhir/StructureDefinition/regional-location"],
              "security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"N"}],
              "source":"https://region.example.se/sources/ehr-a"},
      "identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"PRN"}],"text":"HSA-id"},
                     "system":"urn:oid:1.2.752.29.4.19","value":"SE2321000000-S1"}],
      "status":"active","name":"Älvby sjukhusområde",
      "type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"HOSP","display":"Hospital"}]}],
      "address":{"use":"work","line":["Sjukhusvägen 1"],"city":"Älvby","state":"Västerbotten","postalCode":"90185","country":"Sverige"},
      "physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"si"}]},
      "managingOrganization":{"reference":"Organization/org-hosp"},
      "endpoint":[{"reference":"Endpoint/ep-1"}]})"},
    {"Location", "loc-ward", R"({"resourceType":"Location","id":"loc-ward",
      "identifier":[{"system":"https://region.example.se/location-id","value":"WA-12"}],
      "status":"active","name":"Avdelning 12 kirurgi","alias":["Kir 12"],
      "type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"HU","display":"Hospital unit"}]}],
      "address":{"use":"temp","city":"Norrby","state":"Norrbotten","postalCode":"93130","country":"SE"},
      "physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"wa"}]},
      "managingOrganization":{"reference":"Organization/org-unit"},
      "partOf":{"reference":"Location/loc-site"}})"},
    {"Location", "loc-bed-1", R"({"resourceType":"Location","id":"loc-bed-1",
      "extension":[{"url":"https://fhir-engine.example.org/fhir/StructureDefinition/bed-category",
                    "valueCodeableConcept":{"coding":[{"system":"https://fhir-engine.example.org/fhir/CodeSystem/bed-category","code":"intensive-care"}]}}],
      "status":"active",
      "operationalStatus":{"system":"http://terminology.hl7.org/CodeSystem/v2-0116","code":"O","display":"Occupied"},
      "name":"Säng 1",
      "physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"bd"}]},
      "managingOrganization":{"reference":"Organization/org-muni"},
      "partOf":{"reference":"Location/loc-ward"}})"},
    {"Location", "loc-bed-2", R"({"resourceType":"Location","id":"loc-bed-2",
      "extension":[{"url":"https://fhir-engine.example.org/fhir/StructureDefinition/bed-category",
                    "valueCodeableConcept":{"coding":[{"system":"https://fhir-engine.example.org/fhir/CodeSystem/bed-category","code":"general"}]}}],
      "status":"suspended",
      "operationalStatus":{"system":"http://terminology.hl7.org/CodeSystem/v2-0116","code":"U","display":"Unoccupied"},
      "name":"Säng 2",
      "physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"bd"}]},
      "partOf":{"reference":"Location/loc-site"}})"},

    {"Encounter", "enc-1", R"({"resourceType":"Encounter","id":"enc-1",
      "extension":[{"url":"https://fhir-engine.example.org/fhir/StructureDefinition/discharge-ready","valueDateTime":"2024-03-04T10:00:00Z"}],
      "meta":{"tag":[{"system":"https://region.example.se/tags","code":"ehr-feed"}],
              "profile":["https://region.example.se/fhir/StructureDefinition/regional-encounter"],
              "security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"N"}],
              "source":"https://region.example.se/sources/ehr-a"},
      "identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"VN"}],"text":"Visit number"},
                     "system":"https://region.example.se/encounter-id","value":"E-1001"}],
      "status":"in-progress",
      "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP","display":"inpatient encounter"},
      "type":[{"coding":[{"system":"http://snomed.info/sct","code":"183452005","display":"Emergency hospital admission"}]}],
      "subject":{"reference":"Patient/pat-a1"},
      "episodeOfCare":[{"reference":"EpisodeOfCare/eoc-1"}],
      "basedOn":[{"reference":"ServiceRequest/sr-1"}],
      "participant":[{"type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"ATND"}]}],
                      "individual":{"reference":"Practitioner/prac-1"}}],
      "appointment":[{"reference":"Appointment/app-1"}],
      "period":{"start":"2024-03-01T08:00:00Z","end":"2024-03-05T10:00:00Z"},
      "length":{"value":4,"unit":"days","system":"http://unitsofmeasure.org","code":"d"},
      "reasonCode":[{"coding":[{"system":"http://snomed.info/sct","code":"125605004"}],"text":"Fraktur"}],
      "reasonReference":[{"reference":"Condition/cond-1"}],
      "diagnosis":[{"condition":{"reference":"Condition/cond-2"}}],
      "account":[{"reference":"Account/acc-1"}],
      "hospitalization":{"specialArrangement":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/encounter-special-arrangements","code":"wheel"}]}]},
      "location":[{"location":{"reference":"Location/loc-bed-1"},"status":"active",
                   "period":{"start":"2024-03-01T09:00:00Z","end":"2024-03-03T12:00:00Z"}}],
      "serviceProvider":{"reference":"Organization/org-hosp"}})"},
    {"Encounter", "enc-2", R"({"resourceType":"Encounter","id":"enc-2",
      "meta":{"tag":[{"system":"https://region.example.se/tags","code":"csv-feed"}],
              "profile":["https://region.example.se/fhir/StructureDefinition/municipal-encounter"],
              "security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}],
              "source":"https://municipality.example.se/sources/csv"},
      "identifier":[{"system":"https://municipality.example.se/visit-id","value":"E-1001"}],
      "status":"finished",
      "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
      "type":[{"coding":[{"system":"http://snomed.info/sct","code":"11429006","display":"Consultation"}]}],
      "subject":{"reference":"Group/grp-7"},
      "episodeOfCare":[{"reference":"EpisodeOfCare/eoc-2"}],
      "basedOn":[{"reference":"ServiceRequest/sr-2"}],
      "participant":[{"type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"ADM"}]}],
                      "individual":{"reference":"PractitionerRole/prac-1"}}],
      "appointment":[{"reference":"Appointment/app-2"}],
      "period":{"start":"2023-06-10T10:00:00Z","end":"2023-06-10T11:30:00Z"},
      "length":{"value":90,"unit":"min","system":"http://unitsofmeasure.org","code":"min"},
      "reasonCode":[{"coding":[{"system":"http://snomed.info/sct","code":"38341003"}],"text":"Hypertoni"}],
      "reasonReference":[{"reference":"Observation/obs-1"}],
      "diagnosis":[{"condition":{"reference":"Condition/cond-3"}}],
      "account":[{"reference":"Account/acc-2"}],
      "location":[{"location":{"reference":"Location/loc-ward"},
                   "period":{"start":"2023-06-10T10:00:00Z","end":"2023-06-10T11:30:00Z"}}],
      "serviceProvider":{"reference":"Organization/org-muni"},
      "partOf":{"reference":"Encounter/enc-1"}})"},
    {"Encounter", "enc-3", R"({"resourceType":"Encounter","id":"enc-3",
      "extension":[{"url":"https://fhir-engine.example.org/fhir/StructureDefinition/discharge-ready","valueDateTime":"2026-11-02T09:00:00+01:00"}],
      "status":"in-progress",
      "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
      "subject":{"reference":"Patient/pat-b2"},
      "period":{"start":"2024-03-04T00:00:00Z"},
      "location":[{"location":{"reference":"Location/loc-bed-2"},"period":{"start":"2024-03-04T00:00:00Z"}}],
      "partOf":{"reference":"Encounter/enc-2"}})"},
};

const Fixture kLateFixtures[] = {
    {"Organization", "org-late",
     R"({"resourceType":"Organization","id":"org-late","name":"ÄLVBY SJUKHUS"})"},
    {"Location", "loc-late", R"({"resourceType":"Location","id":"loc-late","status":"inactive"})"},
    {"Encounter", "enc-late", R"({"resourceType":"Encounter","id":"enc-late","status":"planned",
      "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"}})"},
};

// ---- the cases -----------------------------------------------------------------

enum class As { kJson, kXml };

struct SearchCase {
  std::string_view type;
  std::string_view code;   // the registry parameter the case covers
  std::string_view query;  // name[:modifier]=value, not yet percent-encoded;
                           // {base} is the server's base URL, {boundary} the
                           // lastUpdated of the newest early fixture
  std::string_view match;
  std::string_view non_match;
  As format = As::kJson;
};

const SearchCase kCases[] = {
    // ---- Organization -------------------------------------------------------------
    {"Organization", "_id", "_id=org-hosp", "org-hosp", "org-muni"},
    {"Organization", "_id", "_id:not=org-hosp", "org-muni", "org-hosp"},
    {"Organization", "_lastUpdated", "_lastUpdated=gt{boundary}", "org-late", "org-hosp"},
    {"Organization", "_lastUpdated", "_lastUpdated=le{boundary}", "org-hosp", "org-late"},
    {"Organization", "_tag", "_tag=https://region.example.se/tags|ehr-feed", "org-hosp",
     "org-muni"},
    {"Organization", "_tag", "_tag:not=https://region.example.se/tags|ehr-feed", "org-muni",
     "org-hosp"},
    {"Organization", "_profile",
     "_profile=https://region.example.se/fhir/StructureDefinition/regional-organization",
     "org-hosp", "org-muni"},
    {"Organization", "_security",
     "_security=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R", "org-muni",
     "org-hosp"},
    {"Organization", "_source", "_source=https://region.example.se/sources/ehr-a", "org-hosp",
     "org-muni"},
    {"Organization", "_source", "_source:below=https://municipality.example.se/sources", "org-muni",
     "org-hosp"},
    {"Organization", "active", "active=true", "org-hosp", "org-muni"},
    {"Organization", "active", "active:not=true", "org-muni", "org-unit"},
    {"Organization", "address", "address=sjukhusvagen", "org-hosp", "org-muni"},
    {"Organization", "address-city", "address-city=ALVBY", "org-hosp", "org-muni", As::kXml},
    {"Organization", "address-country", "address-country=sver", "org-hosp", "org-muni"},
    {"Organization", "address-postalcode", "address-postalcode=901", "org-hosp", "org-muni"},
    {"Organization", "address-state", "address-state=Väster", "org-hosp", "org-muni"},
    {"Organization", "address-use", "address-use=work", "org-hosp", "org-muni"},
    {"Organization", "endpoint", "endpoint=Endpoint/ep-1", "org-hosp", "org-muni"},
    {"Organization", "identifier", "identifier=urn:oid:1.2.752.29.4.19|SE2321000000-H1", "org-hosp",
     "org-unit"},
    // |code: the identifier without a system, not the same value with one.
    {"Organization", "identifier", "identifier=|M-77", "org-muni", "org-unit"},
    {"Organization", "identifier", "identifier=urn:oid:1.2.752.29.4.19|", "org-unit", "org-muni"},
    {"Organization", "identifier", "identifier=M-77", "org-muni", "org-hosp"},
    {"Organization", "identifier",
     "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|PRN|SE2321000000-H1",
     "org-hosp", "org-unit"},
    {"Organization", "identifier", "identifier:text=hsa", "org-hosp", "org-unit"},
    {"Organization", "identifier", "identifier:not=urn:oid:1.2.752.29.4.19|M-77", "org-muni",
     "org-unit"},
    {"Organization", "name", "name=älvby", "org-hosp", "org-muni"},
    {"Organization", "name", "name=AELVBY,alvby", "org-unit", "org-muni"},
    {"Organization", "name", "name=äs", "org-hosp", "org-muni"},  // the alias
    {"Organization", "name", "name:exact=Älvby sjukhus", "org-hosp", "org-unit"},
    {"Organization", "name", "name:exact=Älvby sjukhus", "org-hosp", "org-late"},  // case
    {"Organization", "name", "name:contains=AVDELNING", "org-unit", "org-hosp"},
    {"Organization", "name", "name:contains=by kom", "org-muni", "org-hosp", As::kXml},
    {"Organization", "partof", "partof=org-hosp", "org-unit", "org-muni"},
    {"Organization", "partof", "partof=Organization/org-hosp", "org-unit", "org-muni"},
    {"Organization", "partof", "partof={base}/Organization/org-hosp", "org-unit", "org-muni"},
    {"Organization", "partof", "partof:Organization=org-region", "org-muni", "org-unit"},
    {"Organization", "phonetic", "phonetic=Norrby", "org-muni", "org-hosp"},
    {"Organization", "type", "type=http://terminology.hl7.org/CodeSystem/organization-type|prov",
     "org-hosp", "org-muni"},
    {"Organization", "type", "type=govt", "org-muni", "org-hosp"},
    {"Organization", "type", "type:text=healthcare", "org-hosp", "org-muni"},

    // ---- Location -----------------------------------------------------------------
    {"Location", "_id", "_id=loc-ward,loc-site", "loc-ward", "loc-bed-1"},
    {"Location", "_lastUpdated", "_lastUpdated=sa{boundary}", "loc-late", "loc-ward"},
    {"Location", "_lastUpdated", "_lastUpdated=le{boundary}", "loc-site", "loc-late"},
    {"Location", "_tag", "_tag=ehr-feed", "loc-site", "loc-ward"},
    {"Location", "_profile", "_profile:below=https://region.example.se/fhir/StructureDefinition",
     "loc-site", "loc-ward"},
    {"Location", "_security", "_security=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|",
     "loc-site", "loc-bed-1"},
    {"Location", "_source", "_source=https://region.example.se/sources/ehr-a", "loc-site",
     "loc-ward"},
    {"Location", "address", "address=ALVBY", "loc-site", "loc-ward"},
    {"Location", "address-city", "address-city=norr", "loc-ward", "loc-site"},
    {"Location", "address-country", "address-country:exact=SE", "loc-ward", "loc-site"},
    {"Location", "address-postalcode", "address-postalcode=93130", "loc-ward", "loc-site"},
    {"Location", "address-state", "address-state:contains=STERBOT", "loc-site", "loc-ward"},
    {"Location", "address-use", "address-use=temp", "loc-ward", "loc-site"},
    // The regional extension parameters (fhir-profiles/regional/search-parameters.json).
    {"Location", "bed-category",
     "bed-category=https://fhir-engine.example.org/fhir/CodeSystem/bed-category|intensive-care",
     "loc-bed-1", "loc-bed-2"},
    {"Location", "bed-category", "bed-category=general", "loc-bed-2", "loc-bed-1", As::kXml},
    {"Location", "endpoint", "endpoint=ep-1", "loc-site", "loc-ward"},
    {"Location", "identifier", "identifier=https://region.example.se/location-id|WA-12", "loc-ward",
     "loc-site", As::kXml},
    {"Location", "identifier",
     "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|PRN|SE2321000000-S1",
     "loc-site", "loc-ward"},
    {"Location", "name", "name=avdelning", "loc-ward", "loc-bed-1"},
    {"Location", "name", "name=kir", "loc-ward", "loc-site"},  // the alias
    {"Location", "name", "name=sang", "loc-bed-1", "loc-ward"},
    {"Location", "name", "name:exact=Säng 2", "loc-bed-2", "loc-bed-1"},
    {"Location", "operational-status",
     "operational-status=http://terminology.hl7.org/CodeSystem/v2-0116|O", "loc-bed-1",
     "loc-bed-2"},
    {"Location", "operational-status", "operational-status:text=unocc", "loc-bed-2", "loc-bed-1"},
    {"Location", "organization", "organization=Organization/org-hosp", "loc-site", "loc-ward"},
    {"Location", "organization", "organization={base}/Organization/org-muni", "loc-bed-1",
     "loc-site"},
    {"Location", "partof", "partof=loc-ward", "loc-bed-1", "loc-bed-2"},
    {"Location", "partof", "partof:Location=loc-site", "loc-bed-2", "loc-bed-1", As::kXml},
    {"Location", "physical-type",
     "physical-type=http://terminology.hl7.org/CodeSystem/location-physical-type|bd", "loc-bed-1",
     "loc-ward"},
    {"Location", "physical-type", "physical-type:not=bd", "loc-ward", "loc-bed-2"},
    {"Location", "status", "status=suspended", "loc-bed-2", "loc-bed-1"},
    {"Location", "status", "status:not=active", "loc-bed-2", "loc-ward"},
    {"Location", "type", "type=http://terminology.hl7.org/CodeSystem/v3-RoleCode|HU", "loc-ward",
     "loc-site"},
    {"Location", "type", "type:text=hospital", "loc-site", "loc-bed-1"},

    // ---- Encounter ----------------------------------------------------------------
    {"Encounter", "_id", "_id=enc-2", "enc-2", "enc-1"},
    {"Encounter", "_lastUpdated", "_lastUpdated=ge{boundary}", "enc-late", "enc-1"},
    {"Encounter", "_lastUpdated", "_lastUpdated=le{boundary}", "enc-3", "enc-late", As::kXml},
    {"Encounter", "_tag", "_tag=https://region.example.se/tags|csv-feed", "enc-2", "enc-1"},
    {"Encounter", "_profile",
     "_profile=https://region.example.se/fhir/StructureDefinition/regional-encounter", "enc-1",
     "enc-2"},
    {"Encounter", "_security", "_security:not=R", "enc-1", "enc-2"},
    {"Encounter", "_source", "_source=https://municipality.example.se/sources/csv", "enc-2",
     "enc-1"},
    {"Encounter", "account", "account=Account/acc-1", "enc-1", "enc-2"},
    {"Encounter", "appointment", "appointment=app-2", "enc-2", "enc-1"},
    {"Encounter", "based-on", "based-on=ServiceRequest/sr-1", "enc-1", "enc-2"},
    {"Encounter", "class", "class=http://terminology.hl7.org/CodeSystem/v3-ActCode|AMB", "enc-2",
     "enc-1"},
    // Dates against periods (search.html#prefix): eq needs the search range
    // to contain the period; the others compare the ranges' overlap, and an
    // open end lasts for ever.
    {"Encounter", "discharge-ready", "discharge-ready=ge2026-11-01", "enc-3", "enc-1"},
    {"Encounter", "discharge-ready", "discharge-ready=lt2025", "enc-1", "enc-3"},
    {"Encounter", "discharge-ready", "discharge-ready=2024-03-04", "enc-1", "enc-2"},
    {"Encounter", "date", "date=2024-03", "enc-1", "enc-2"},
    {"Encounter", "date", "date=2023-06-10", "enc-2", "enc-1"},
    {"Encounter", "date", "date=eq2024", "enc-1", "enc-3"},
    {"Encounter", "date", "date=ne2024-03", "enc-2", "enc-1"},
    {"Encounter", "date", "date=gt2024-03-04T12:00:00Z", "enc-1", "enc-2"},
    {"Encounter", "date", "date=gt2030-01-01", "enc-3", "enc-1"},
    {"Encounter", "date", "date=lt2024-03-02", "enc-1", "enc-3"},
    {"Encounter", "date", "date=ge2024-03-04", "enc-1", "enc-2"},
    {"Encounter", "date", "date=le2023-06-10T10:30:00Z", "enc-2", "enc-1"},
    {"Encounter", "date", "date=sa2024-03-02", "enc-3", "enc-1"},
    {"Encounter", "date", "date=eb2024-01-01", "enc-2", "enc-1"},
    {"Encounter", "date", "date=ap2023-06-10", "enc-2", "enc-1"},
    {"Encounter", "diagnosis", "diagnosis=Condition/cond-2", "enc-1", "enc-2"},
    {"Encounter", "episode-of-care", "episode-of-care=eoc-1", "enc-1", "enc-2"},
    {"Encounter", "identifier", "identifier=https://region.example.se/encounter-id|E-1001", "enc-1",
     "enc-2"},
    {"Encounter", "identifier",
     "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|VN|E-1001", "enc-1",
     "enc-2"},
    // Quantities: the number's implied precision, prefixes, system|code and
    // ||code (code or unit); different units never compare.
    {"Encounter", "length", "length=4", "enc-1", "enc-2"},
    {"Encounter", "length", "length=4.0|http://unitsofmeasure.org|d", "enc-1", "enc-2"},
    {"Encounter", "length", "length=lt100|http://unitsofmeasure.org|min", "enc-2", "enc-1"},
    {"Encounter", "length", "length=le4||days", "enc-1", "enc-2"},
    {"Encounter", "length", "length=90||min", "enc-2", "enc-1"},
    {"Encounter", "location", "location=Location/loc-bed-1", "enc-1", "enc-2"},
    {"Encounter", "location", "location:Location=loc-ward", "enc-2", "enc-1"},
    {"Encounter", "location-period", "location-period=le2024-03-02", "enc-1", "enc-3"},
    {"Encounter", "location-period", "location-period=2023-06", "enc-2", "enc-1"},
    {"Encounter", "part-of", "part-of=Encounter/enc-1", "enc-2", "enc-3"},
    {"Encounter", "participant", "participant=Practitioner/prac-1", "enc-1", "enc-2"},
    {"Encounter", "participant", "participant:PractitionerRole=prac-1", "enc-2", "enc-1"},
    {"Encounter", "participant-type",
     "participant-type=http://terminology.hl7.org/CodeSystem/v3-ParticipationType|ATND", "enc-1",
     "enc-2"},
    // patient is subject.where(resolve() is Patient): a Group subject is not one.
    {"Encounter", "patient", "patient=pat-a1", "enc-1", "enc-2"},
    {"Encounter", "patient", "patient=Patient/pat-b2", "enc-3", "enc-1"},
    {"Encounter", "practitioner", "practitioner=prac-1", "enc-1", "enc-2"},
    {"Encounter", "reason-code", "reason-code=http://snomed.info/sct|125605004", "enc-1", "enc-2"},
    {"Encounter", "reason-code", "reason-code:text=hypertoni", "enc-2", "enc-1"},
    {"Encounter", "reason-reference", "reason-reference=Observation/obs-1", "enc-2", "enc-1"},
    {"Encounter", "service-provider", "service-provider=org-hosp", "enc-1", "enc-2"},
    {"Encounter", "service-provider", "service-provider={base}/Organization/org-muni", "enc-2",
     "enc-1", As::kXml},
    {"Encounter", "special-arrangement",
     "special-arrangement=http://terminology.hl7.org/CodeSystem/"
     "encounter-special-arrangements|wheel",
     "enc-1", "enc-2"},
    {"Encounter", "status", "status=finished", "enc-2", "enc-1"},
    {"Encounter", "status", "status:not=finished", "enc-3", "enc-2"},
    {"Encounter", "subject", "subject=Patient/pat-a1", "enc-1", "enc-3"},
    {"Encounter", "subject", "subject:Group=grp-7", "enc-2", "enc-1"},
    {"Encounter", "subject", "subject={base}/Patient/pat-b2", "enc-3", "enc-1"},
    {"Encounter", "type", "type=http://snomed.info/sct|183452005", "enc-1", "enc-2"},
    {"Encounter", "type", "type=http://snomed.info/sct|", "enc-2", "enc-3"},
};

// Parameters the engine cannot support, with the reason. Each must be
// refused (400) under Prefer: handling=strict, and ignored with a
// search.mode=outcome OperationOutcome entry under lenient handling.
// The three types have no composite parameters in R4; one would have to be
// listed here too.
struct Unsupported {
  std::string_view code;
  std::string_view reason;
  std::string_view query;
};

const Unsupported kUnsupported[] = {
    {"near", "special: needs distances over Location.position, which the index does not keep",
     "near=64.75|20.95|5|km"},
    {"_content", "full-text search over the whole resource: there is no text index",
     "_content=sjukhus"},
    {"_text", "full-text search over the narrative: there is no text index", "_text=sjukhus"},
    {"_query", "named queries: the server defines none", "_query=free-beds"},
    // Not in the registry (R4 defines it on search.html, not as a
    // SearchParameter): List membership is not indexed.
    {"_list", "List membership is not indexed", "_list=list-1"},
};

// ---- helpers -------------------------------------------------------------------

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The parameter name of "name[:modifier]=value" without its modifier.
std::string_view CodeOf(std::string_view query) {
  query = query.substr(0, query.find('='));
  return query.substr(0, query.find(':'));
}

std::string StringAt(const json::Value* v, std::initializer_list<std::string_view> path) {
  for (std::string_view step : path) {
    if (v == nullptr) return "";
    v = v->Find(step);
  }
  return v != nullptr && v->IsString() ? std::string(v->text()) : "";
}

// What a searchset Bundle holds: the ids of its match entries, and the
// diagnostics of its outcome entries.
struct Searchset {
  std::string error;  // not a searchset Bundle
  std::set<std::string> matches;
  std::vector<std::string> outcomes;
};

Searchset ReadSearchset(const HttpResponse& r, As format) {
  Searchset out;
  Result<json::Document> doc =
      format == As::kXml ? fhir::ParseResource(r.body, fhir::Format::kXml) : json::Parse(r.body);
  if (!doc.ok()) {
    out.error = "the response does not parse: " + doc.status().message();
    return out;
  }
  const json::Value& root = doc->root();
  if (StringAt(&root, {"resourceType"}) != "Bundle" || StringAt(&root, {"type"}) != "searchset") {
    out.error = "not a searchset Bundle";
    return out;
  }
  if (const json::Value* entries = root.Find("entry")) {
    for (const json::Value& e : entries->elements()) {
      const std::string mode = StringAt(&e, {"search", "mode"});
      const json::Value* resource = e.Find("resource");
      if (mode == "match") {
        out.matches.insert(StringAt(resource, {"id"}));
      } else if (mode == "outcome") {
        const json::Value* issues = resource != nullptr ? resource->Find("issue") : nullptr;
        for (const json::Value& issue :
             issues != nullptr ? issues->elements() : std::span<const json::Value>()) {
          out.outcomes.push_back(StringAt(&issue, {"diagnostics"}));
        }
      }
    }
  }
  return out;
}

std::string Join(const std::set<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
  return "{" + out + "}";
}

// ---- the suite -----------------------------------------------------------------

// One engine per test process (ctest runs each TEST on its own), loaded
// with all fixtures once.
class SearchParametersTest : public SharedEngineTest {
 protected:
  static void SetUpTestSuite() {
    StartEngine("search-parameters",
                R"({"server": {"threads": 2}, "store": {"durability": "normal"}})");
    setup_error_ = new std::string(engine_ == nullptr ? "engine start: " + *start_error_ : Load());
  }

  static void TearDownTestSuite() {
    StopEngine();
    delete setup_error_;
    delete boundary_;
  }

  void SetUp() override { ASSERT_TRUE(setup_error_->empty()) << *setup_error_; }

  static HttpResponse Get(const std::string& target, const HeaderList& headers = {}) {
    HttpClient client(engine_->port());
    if (!client.connected()) {
      HttpResponse r;
      r.error = "connect: " + client.connect_error();
      return r;
    }
    return client.Request("GET", target, headers);
  }

  // PUTs every fixture; "" or what went wrong. Records the boundary.
  static std::string Load() {
    HttpClient client(engine_->port());
    std::string newest;
    auto put = [&](const Fixture& f) -> std::string {
      HttpResponse r =
          client.Request("PUT", "/fhir/" + std::string(f.type) + "/" + std::string(f.id),
                         {{"Content-Type", "application/fhir+json"}}, f.json);
      if (r.status != 201 && r.status != 200)
        return "PUT " + std::string(f.id) + ": " + Describe(r);
      Result<json::Document> doc = json::Parse(r.body);
      const std::string updated = doc.ok() ? StringAt(&doc->root(), {"meta", "lastUpdated"}) : "";
      if (updated.empty()) return "PUT " + std::string(f.id) + ": no meta.lastUpdated";
      newest = std::max(newest, updated);  // instants in one zone (Z) sort as text
      return "";
    };
    for (const Fixture& f : kFixtures) {
      if (std::string e = put(f); !e.empty()) return e;
    }
    // Wait (with a deadline, no sleep) until the server's clock is past the
    // newest early fixture: a searchset's meta.lastUpdated reads it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      HttpResponse r = client.Request("GET", "/fhir/Basic?_count=0");
      Result<json::Document> doc = json::Parse(r.body);
      if (doc.ok() && StringAt(&doc->root(), {"meta", "lastUpdated"}) > newest) break;
      if (std::chrono::steady_clock::now() > deadline) return "the server clock did not advance";
    }
    boundary_ = new std::string(newest);
    for (const Fixture& f : kLateFixtures) {
      if (std::string e = put(f); !e.empty()) return e;
    }
    return "";
  }

  static std::string Target(std::string_view type, std::string_view query, As format) {
    const std::size_t eq = query.find('=');
    std::string value(query.substr(eq + 1));
    value = Replace(value, "{base}", engine_->base_url());
    value = Replace(value, "{boundary}", *boundary_);
    return "/fhir/" + std::string(type) + "?" + std::string(query.substr(0, eq)) + "=" +
           rest::EncodeQueryComponent(value) + "&_count=500" +
           (format == As::kXml ? "&_format=xml" : "");
  }

  static void RunCases(std::string_view type) {
    int run = 0;
    for (const SearchCase& c : kCases) {
      if (c.type != type) continue;
      ++run;
      const std::string target = Target(c.type, c.query, c.format);
      SCOPED_TRACE("GET " + target);
      HttpResponse r = Get(target, {{"Prefer", "handling=strict"}});
      Searchset found = ReadSearchset(r, c.format);
      if (r.status != 200 || !found.error.empty()) {
        ADD_FAILURE() << found.error << "\n" << Describe(r);
        continue;  // the other cases still run
      }
      EXPECT_TRUE(found.outcomes.empty())
          << "strict handling ignored something: " << found.outcomes.front();
      EXPECT_TRUE(found.matches.contains(std::string(c.match)))
          << c.match << " must match; found " << Join(found.matches);
      EXPECT_FALSE(found.matches.contains(std::string(c.non_match)))
          << c.non_match << " must not match; found " << Join(found.matches);
    }
    EXPECT_GT(run, 0);
  }

  static std::string* setup_error_;
  static std::string* boundary_;
};

std::string* SearchParametersTest::setup_error_ = nullptr;
std::string* SearchParametersTest::boundary_ = nullptr;

constexpr std::string_view kTypes[] = {"Location", "Encounter", "Organization"};

// The acceptance criterion itself: the registry decides what must be
// covered, so a parameter added to it (say, a regional one) fails here
// until it has a case or a reason.
TEST(SearchParameterCoverage, EveryParameterOfTheThreeTypesHasACaseOrAReason) {
  const search::SearchParameterRegistry& registry = search::SearchParameterRegistry::Default();
  for (std::string_view type : kTypes) {
    const auto& params = registry.ForType(type);
    ASSERT_FALSE(params.empty()) << type;
    for (const auto& [code, param] : params) {
      const bool has_case = std::any_of(std::begin(kCases), std::end(kCases), [&](const auto& c) {
        return c.type == type && c.code == code;
      });
      const bool unsupported = std::any_of(std::begin(kUnsupported), std::end(kUnsupported),
                                           [&](const auto& u) { return u.code == code; });
      EXPECT_TRUE(has_case || unsupported)
          << type << "." << code << " (" << search::ParamTypeName(param->type)
          << ") has no search case and is not listed as unsupported";
      EXPECT_FALSE(has_case && unsupported) << type << "." << code << " is both";
      if (param->type == search::ParamType::kComposite ||
          param->type == search::ParamType::kSpecial) {
        EXPECT_TRUE(unsupported) << type << "." << code << " is composite or special";
      }
    }
  }
  // Each case tests the parameter it claims to cover, which exists.
  for (const SearchCase& c : kCases) {
    EXPECT_EQ(CodeOf(c.query), c.code) << c.query;
    EXPECT_NE(registry.Find(c.type, c.code), nullptr) << c.type << "." << c.code;
    EXPECT_NE(c.match, c.non_match) << c.query;
  }
  for (const Unsupported& u : kUnsupported) {
    EXPECT_EQ(CodeOf(u.query), u.code) << u.query;
    EXPECT_FALSE(u.reason.empty()) << u.code;
  }
}

TEST_F(SearchParametersTest, OrganizationParametersFindTheMatchAndNotTheNonMatch) {
  RunCases("Organization");
}

TEST_F(SearchParametersTest, LocationParametersFindTheMatchAndNotTheNonMatch) {
  RunCases("Location");
}

TEST_F(SearchParametersTest, EncounterParametersFindTheMatchAndNotTheNonMatch) {
  RunCases("Encounter");
}

// Each fixture is found by its own type with no parameters, so a non-match
// above is a real exclusion rather than a resource that failed to load.
TEST_F(SearchParametersTest, EveryFixtureIsSearchable) {
  for (std::string_view type : kTypes) {
    HttpResponse r = Get("/fhir/" + std::string(type) + "?_count=500");
    ASSERT_EQ(r.status, 200) << Describe(r);
    Searchset found = ReadSearchset(r, As::kJson);
    for (std::span<const Fixture> list :
         {std::span<const Fixture>(kFixtures), std::span<const Fixture>(kLateFixtures)}) {
      for (const Fixture& f : list) {
        if (f.type != type) continue;
        EXPECT_TRUE(found.matches.contains(std::string(f.id))) << f.id;
      }
    }
  }
}

TEST_F(SearchParametersTest, UnsupportedParametersAreRefusedWhenStrictAndReportedWhenLenient) {
  const search::SearchParameterRegistry& registry = search::SearchParameterRegistry::Default();
  for (const Unsupported& u : kUnsupported) {
    for (std::string_view type : kTypes) {
      // Only where the parameter exists, except those outside the registry.
      const bool in_registry = registry.Find(type, u.code) != nullptr;
      const bool anywhere = std::any_of(std::begin(kTypes), std::end(kTypes), [&](auto t) {
        return registry.Find(t, u.code) != nullptr;
      });
      if (!in_registry && anywhere) continue;
      const std::string target = Target(type, u.query, As::kJson);
      SCOPED_TRACE("GET " + target + " (" + std::string(u.reason) + ")");

      HttpResponse strict = Get(target, {{"Prefer", "handling=strict"}});
      EXPECT_EQ(strict.status, 400) << Describe(strict);
      Result<json::Document> outcome = json::Parse(strict.body);
      ASSERT_TRUE(outcome.ok()) << Describe(strict);
      EXPECT_EQ(StringAt(&outcome->root(), {"resourceType"}), "OperationOutcome");
      EXPECT_NE(strict.body.find(std::string(u.code)), std::string::npos) << Describe(strict);

      HttpResponse all = Get("/fhir/" + std::string(type) + "?_count=500");
      HttpResponse lenient = Get(target, {{"Prefer", "handling=lenient"}});
      ASSERT_EQ(lenient.status, 200) << Describe(lenient);
      Searchset ignored = ReadSearchset(lenient, As::kJson);
      ASSERT_TRUE(ignored.error.empty()) << ignored.error;
      EXPECT_EQ(ignored.matches, ReadSearchset(all, As::kJson).matches)
          << "an ignored parameter filters nothing";
      ASSERT_EQ(ignored.outcomes.size(), 1u) << Describe(lenient);
      EXPECT_NE(ignored.outcomes[0].find(std::string(u.code)), std::string::npos)
          << ignored.outcomes[0];

      // No Prefer header at all is lenient too (search.html#errors).
      HttpResponse plain = Get(target);
      EXPECT_EQ(plain.status, 200) << Describe(plain);
    }
  }
}

}  // namespace
}  // namespace fhirengine::testing
