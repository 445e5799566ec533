// CapabilityStatement construction. Keep in step with MatchRoute (route.cc)
// and FhirApi (fhir_api.cc): a claim here must be an interaction there.
#include "engine/rest/capability_statement.h"

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "engine/core/time_format.h"
#include "engine/search/search_parameters.h"

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

// The parameters a search of `type` applies (search_request.cc): those
// with a compiled expression, of a type the index holds; _id and
// _lastUpdated are answered from the resource table.
bool Searchable(const search::SearchParameter& p) {
  return p.compiled.has_value() && p.type != search::ParamType::kComposite &&
         p.type != search::ParamType::kSpecial;
}

json::Value SearchParam(json::Document& doc, std::string_view name, std::string_view url,
                        std::string_view type) {
  std::vector<json::Member> members{{"name", doc.MakeString(name)}};
  if (!url.empty()) members.push_back({"definition", doc.MakeString(url)});
  members.push_back({"type", doc.MakeString(type)});
  return doc.MakeObject(members);
}

}  // namespace

json::Value BuildCapabilityStatement(json::Document& doc, const CapabilityOptions& options,
                                     const fhir::TypeModel& model) {
  const json::Value interactions =
      Codes(doc, {"read", "vread", "update", "patch", "delete", "history-instance", "history-type",
                  "create", "search-type"});
  const json::Value documentation = doc.MakeString(
      "Conditional create (If-None-Exist), conditional update and conditional delete take any "
      "search criteria (unknown parameters are errors there). Conditional read supports "
      "If-None-Match and If-Modified-Since. Versioned update and patch: If-Match: "
      "W/\"version\". Patch accepts JSON Patch (RFC 6902, application/json-patch+json) only; "
      "FHIRPath Patch is not supported.");
  const json::Value validate_operation = Object(
      doc,
      {{"name", doc.MakeString("validate")},
       {"definition", doc.MakeString("http://hl7.org/fhir/OperationDefinition/Resource-validate")},
       {"documentation",
        doc.MakeString("POST [type]/$validate and [type]/[id]/$validate with the resource "
                       "or a Parameters body (resource, mode, profile); profile also as "
                       "a query parameter.")}});
  const search::SearchParameterRegistry& registry = search::SearchParameterRegistry::Default();
  // Who can refer to each type, for searchRevInclude.
  std::map<std::string, std::vector<std::string>, std::less<>> referrers;
  for (const fhir::TypeDef* type : model.resources()) {
    for (const auto& [code, param] : registry.ForType(type->name)) {
      if (param->type != search::ParamType::kReference || !Searchable(*param)) continue;
      for (const std::string& target : param->target) {
        referrers[target].push_back(type->name + ":" + code);
      }
    }
  }
  std::vector<json::Value> resources;
  for (const fhir::TypeDef* type : model.resources()) {
    if (type->is_abstract) continue;
    std::vector<json::Value> params{SearchParam(doc, "_id", "", "token"),
                                    SearchParam(doc, "_lastUpdated", "", "date")};
    std::vector<json::Value> includes;
    for (const auto& [code, param] : registry.ForType(type->name)) {
      if (!Searchable(*param)) continue;
      params.push_back(SearchParam(doc, code, param->url, search::ParamTypeName(param->type)));
      if (param->type == search::ParamType::kReference) {
        includes.push_back(doc.MakeString(type->name + ":" + code));
      }
    }
    if (!includes.empty()) includes.push_back(doc.MakeString(type->name + ":*"));
    std::vector<json::Value> revincludes;
    if (auto it = referrers.find(type->name); it != referrers.end()) {
      for (const std::string& r : it->second) revincludes.push_back(doc.MakeString(r));
    }
    std::vector<json::Member> members{
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
    };
    if (auto it = options.required_profiles.find(type->name);
        it != options.required_profiles.end() && !it->second.empty()) {
      // R4: profile is the one base profile for every use of the type;
      // supportedProfile lists all the server supports (here: requires).
      std::vector<json::Value> supported;
      for (const std::string& url : it->second) supported.push_back(doc.MakeString(url));
      auto after_type = members.insert(members.begin() + 1,
                                       json::Member{"supportedProfile", Array(doc, supported)});
      if (it->second.size() == 1) {
        members.insert(after_type, json::Member{"profile", doc.MakeString(it->second[0])});
      }
    }
    if (!includes.empty()) members.push_back({"searchInclude", Array(doc, includes)});
    if (!revincludes.empty()) members.push_back({"searchRevInclude", Array(doc, revincludes)});
    members.push_back({"searchParam", Array(doc, params)});
    std::vector<json::Value> operations{validate_operation};
    for (const OperationDeclaration& op : options.operations) {
      if (op.type != type->name) continue;
      operations.push_back(doc.MakeObject(std::vector<json::Member>{
          {"name", doc.MakeString(op.name)}, {"definition", doc.MakeString(op.definition)}}));
    }
    members.push_back({"operation", Array(doc, operations)});
    resources.push_back(doc.MakeObject(members));
  }
  std::vector<json::Member> rest_members{{"mode", doc.MakeString("server")}};
  rest_members.push_back(
      {"documentation",
       doc.MakeString("FHIR R4 RESTful API: read, vread, create, update, patch (JSON Patch), "
                      "delete (conditional create, update and delete), history, batch and "
                      "transaction Bundles (a transaction is atomic; urn:uuid references are "
                      "resolved) and search (GET and POST _search) by the official R4 "
                      "SearchParameters and the regional ones; composite and special parameters "
                      "(near, _text, _content, _query, _list) are not supported. Unknown "
                      "parameters are ignored, or refused with Prefer: handling=strict.")});
  if (!options.smart_token_url.empty()) {
    // SMART App Launch 2.0 ("Conformance"): the token endpoint in the
    // oauth-uris extension; the service code from restful-security-service.
    const json::Value token = Object(doc, {{"url", doc.MakeString("token")},
                                           {"valueUri", doc.MakeString(options.smart_token_url)}});
    const json::Value oauth_uris = Object(
        doc, {{"url", doc.MakeString(
                          "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris")},
              {"extension", Array(doc, {token})}});
    const json::Value smart = Object(
        doc, {{"system",
               doc.MakeString("http://terminology.hl7.org/CodeSystem/restful-security-service")},
              {"code", doc.MakeString("SMART-on-FHIR")}});
    rest_members.push_back(
        {"security",
         Object(doc, {{"extension", Array(doc, {oauth_uris})},
                      {"service", Array(doc, {Object(doc, {{"coding", Array(doc, {smart})}})})},
                      {"description",
                       doc.MakeString("SMART Backend Services: client_credentials with a "
                                      "private_key_jwt assertion (RS384 or ES384) at the token "
                                      "endpoint; system scopes per resource type and interaction "
                                      "(see /.well-known/smart-configuration).")}})});
  }
  rest_members.push_back({"resource", Array(doc, resources)});
  rest_members.push_back(
      {"interaction", Codes(doc, {"history-system", "search-system", "transaction", "batch"})});
  rest_members.push_back({"searchParam", Array(doc, {SearchParam(doc, "_id", "", "token"),
                                                     SearchParam(doc, "_lastUpdated", "", "date"),
                                                     SearchParam(doc, "_type", "", "token")})});
  const json::Value rest = doc.MakeObject(rest_members);
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
