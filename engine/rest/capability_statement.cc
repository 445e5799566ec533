// CapabilityStatement construction. Keep in step with MatchRoute (route.cc)
// and FhirApi (fhir_api.cc): a claim here must be an interaction there.
#include "engine/rest/capability_statement.h"

#include <initializer_list>
#include <vector>

#include "engine/core/time_format.h"

namespace fhirengine::rest {
namespace {

json::Value Object(json::Document& doc, std::initializer_list<json::Member> members) {
  return doc.MakeObject(std::span<const json::Member>(members.begin(), members.size()));
}

json::Value Array(json::Document& doc, const std::vector<json::Value>& values) {
  return doc.MakeArray(values);
}

json::Value Codes(json::Document& doc, std::initializer_list<const char*> codes) {
  std::vector<json::Value> out;
  for (const char* code : codes) out.push_back(Object(doc, {{"code", doc.MakeString(code)}}));
  return Array(doc, out);
}

}  // namespace

json::Value BuildCapabilityStatement(json::Document& doc, const CapabilityOptions& options,
                                     const fhir::TypeModel& model) {
  const json::Value interactions = Codes(
      doc, {"read", "vread", "update", "delete", "history-instance", "history-type", "create"});
  const json::Value documentation = doc.MakeString(
      "Conditional create (If-None-Exist), conditional update and conditional delete support "
      "only the _id parameter until search is implemented. Conditional read supports "
      "If-None-Match and If-Modified-Since. Versioned update: If-Match: W/\"version\".");
  std::vector<json::Value> resources;
  for (const fhir::TypeDef* type : model.resources()) {
    if (type->is_abstract) continue;
    resources.push_back(Object(doc, {
                                        {"type", doc.MakeString(type->name)},
                                        {"documentation", documentation},
                                        {"interaction", interactions},
                                        {"versioning", doc.MakeString("versioned-update")},
                                        {"readHistory", json::Value::Bool(true)},
                                        {"updateCreate", json::Value::Bool(true)},
                                        {"conditionalCreate", json::Value::Bool(true)},
                                        {"conditionalRead", doc.MakeString("full-support")},
                                        {"conditionalUpdate", json::Value::Bool(true)},
                                        {"conditionalDelete", doc.MakeString("single")},
                                    }));
  }
  const json::Value rest = Object(
      doc,
      {
          {"mode", doc.MakeString("server")},
          {"documentation",
           doc.MakeString("FHIR R4 RESTful API: read, vread, create, update, delete (conditional "
                          "create, update and delete on _id), history, and batch and transaction "
                          "Bundles (a transaction is atomic; urn:uuid references are resolved). "
                          "Search, patch and operations are not implemented yet.")},
          {"resource", Array(doc, resources)},
          {"interaction", Codes(doc, {"history-system", "transaction", "batch"})},
      });
  std::vector<json::Value> formats{doc.MakeString("json"), doc.MakeString("xml")};
  return Object(
      doc, {
               {"resourceType", doc.MakeString("CapabilityStatement")},
               {"status", doc.MakeString("active")},
               {"date", doc.MakeString(FormatInstant(options.date_ms))},
               {"publisher", doc.MakeString("fhir-engine")},
               {"kind", doc.MakeString("instance")},
               {"software", Object(doc, {{"name", doc.MakeString("fhir-engine")},
                                         {"version", doc.MakeString(options.software_version)}})},
               {"implementation",
                Object(doc, {{"description", doc.MakeString("fhir-engine FHIR server")},
                             {"url", doc.MakeString(options.base_url)}})},
               {"fhirVersion",
                doc.MakeString(model.fhir_version().empty() ? "4.0.1" : model.fhir_version())},
               {"format", Array(doc, formats)},
               {"rest", Array(doc, {rest})},
           });
}

}  // namespace fhirengine::rest
