// $validate: reads the request (a resource or a Parameters body, query
// parameters), runs the structural validator and the profile validators,
// and answers with the OperationOutcome.
#include "engine/rest/validate_operation.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "engine/fhir/resource_format.h"
#include "engine/rest/negotiation.h"
#include "engine/validation/operation_outcome.h"
#include "engine/validation/structural_validator.h"

namespace fhirengine::rest {
namespace {

using validation::Issue;
using validation::IssueType;
using validation::Severity;

// More profiles than this in one request are refused: each one is a whole
// validation pass.
constexpr std::size_t kMaxProfiles = 16;

constexpr std::string_view kModes[] = {"create", "update", "delete", "profile"};

// What the request asks for, from its query and its Parameters body.
struct ValidateRequest {
  std::string mode;  // "" or one of kModes
  std::vector<std::string> profiles;
  const json::Value* resource = nullptr;  // into the parsed body; nullptr: none
};

std::optional<std::string_view> Text(const json::Value* v) {
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return v->text();
}

// The string value of a Parameters.parameter (value[x] of a string-like type).
std::optional<std::string_view> ParameterValue(const json::Value& parameter) {
  for (const char* key : {"valueCode", "valueUri", "valueCanonical", "valueString", "valueUrl"}) {
    if (auto text = Text(parameter.Find(key))) return text;
  }
  return std::nullopt;
}

// Reads a Parameters body into `out`; the 400 message when it is malformed.
std::optional<std::string> ReadParameters(const json::Value& parameters, ValidateRequest& out) {
  const json::Value* list = parameters.Find("parameter");
  if (list == nullptr) return std::nullopt;
  if (!list->IsArray()) return "Parameters.parameter must be an array";
  for (std::size_t i = 0; i < list->elements().size(); ++i) {
    const json::Value& p = list->elements()[i];
    const std::string where = "Parameters.parameter[" + std::to_string(i) + "]";
    const std::optional<std::string_view> name = Text(p.Find("name"));
    if (!p.IsObject() || !name) return where + " has no name";
    if (*name == "resource") {
      const json::Value* resource = p.Find("resource");
      if (resource == nullptr || !resource->IsObject()) {
        return where + " (resource) has no resource";
      }
      if (out.resource != nullptr) return "more than one 'resource' parameter";
      out.resource = resource;
    } else if (*name == "mode" || *name == "profile") {
      const std::optional<std::string_view> value = ParameterValue(p);
      if (!value || value->empty()) return where + " (" + std::string(*name) + ") has no value";
      if (*name == "mode") {
        if (!out.mode.empty()) return "more than one 'mode' parameter";
        out.mode = std::string(*value);
      } else {
        out.profiles.emplace_back(*value);
      }
    } else {
      return where + ": unknown parameter '" + std::string(*name) +
             "' ($validate takes resource, mode and profile)";
    }
  }
  return std::nullopt;
}

// The profiles to check beyond the structure, in order, without repeats,
// with whether each was asked for explicitly (an unknown one is an error)
// or only declared in meta.profile (an unknown one is a warning).
struct ProfileToCheck {
  std::string url;
  bool asked = false;
};

void AddProfile(std::vector<ProfileToCheck>& list, std::string_view url, bool asked) {
  for (const ProfileToCheck& p : list) {
    if (p.url == url) return;
  }
  list.push_back({std::string(url), asked});
}

std::vector<ProfileToCheck> ProfilesToCheck(const Env& env, const ValidateRequest& request,
                                            const Route& route) {
  std::vector<ProfileToCheck> list;
  for (const std::string& url : request.profiles) AddProfile(list, url, true);
  if (request.profiles.empty()) {
    const json::Value* meta = request.resource->Find("meta");
    const json::Value* declared = meta != nullptr ? meta->Find("profile") : nullptr;
    if (declared != nullptr && declared->IsArray()) {
      for (const json::Value& url : declared->elements()) {
        if (url.IsString()) AddProfile(list, url.text(), false);
      }
    }
  }
  if ((request.mode == "create" || request.mode == "update") && env.options.profiles) {
    for (const std::string& url : env.options.profiles->RequiredFor(route.type)) {
      AddProfile(list, url, true);
    }
  }
  return list;
}

RestResponse Answer(const Context& ctx, validation::IssueCollector& sink) {
  std::size_t warnings = 0;
  for (const Issue& i : sink.issues()) warnings += i.severity == Severity::kWarning;
  if (sink.error_count() == 0) {
    sink.Report(Issue{Severity::kInformation, IssueType::kInformational, "",
                      warnings == 0 ? std::string("All OK")
                                    : "No errors; " + std::to_string(warnings) + " warning(s)"});
  }
  return IssuesResponse(ctx, 200, sink.issues());
}

// Mode delete: whether the instance is there to delete. The engine keeps no
// referential integrity rules, so an existing resource may always go.
RestResponse ValidateDelete(const Env& env, const Context& ctx, const Route& route) {
  validation::IssueCollector sink;
  const std::string name = route.type + "/" + route.id;
  Result<store::StoredResource> current = env.store.Read(route.type, route.id);
  if (!current.ok() && current.status().code() != StatusCode::kNotFound) {
    return ErrorResponse(ctx, 500, current.status().message());
  }
  if (!current.ok() || current->deleted) {
    sink.Report(Issue{Severity::kError, IssueType::kNotFound, "",
                      name + (current.ok() ? " is already deleted" : " does not exist")});
  }
  return Answer(ctx, sink);
}

}  // namespace

RestResponse ValidateOperation(const Env& env, const Context& ctx, const Route& route,
                               const RestRequest& req, const RequestTarget& target) {
  FE_CHECK(route.interaction == Interaction::kValidate);
  ValidateRequest request;
  for (const QueryParam& q : target.query) {
    if (q.name == "profile") {
      if (q.value.empty()) return ErrorResponse(ctx, 400, "the profile parameter is empty");
      request.profiles.push_back(q.value);
    } else if (q.name == "mode") {
      if (!request.mode.empty()) return ErrorResponse(ctx, 400, "more than one mode parameter");
      request.mode = q.value;
    }
  }
  json::Document body;
  if (!req.body.empty()) {
    Result<fhir::Format> format = RequestBodyFormat(req.content_type, req.body);
    if (!format.ok()) return ErrorResponse(ctx, 415, format.status().message());
    Result<json::Document> parsed =
        fhir::ParseResource(req.body, *format, env.options.parse_limits);
    if (!parsed.ok()) {
      const Issue issue = validation::IssueFromStatus(parsed.status());
      const int status = parsed.status().code() == StatusCode::kResourceExhausted ? 413 : 400;
      return IssuesResponse(ctx, status, std::span<const Issue>(&issue, 1));
    }
    body = std::move(parsed).value();
    const json::Value& root = body.root();
    const std::optional<std::string_view> type = Text(root.Find("resourceType"));
    if (!root.IsObject() || !type) {
      return ErrorResponse(ctx, 400, "the body is not a FHIR resource (no resourceType)");
    }
    // A Parameters body wraps the resource, unless Parameters is the type
    // validated and the body carries no "resource" parameter.
    bool wrapped = *type == "Parameters" && route.type != "Parameters";
    if (*type == "Parameters" && route.type == "Parameters") {
      if (const json::Value* list = root.Find("parameter"); list != nullptr && list->IsArray()) {
        for (const json::Value& p : list->elements()) {
          wrapped = wrapped || Text(p.Find("name")) == std::optional<std::string_view>("resource");
        }
      }
    }
    if (wrapped) {
      if (auto error = ReadParameters(root, request)) return ErrorResponse(ctx, 400, *error);
    } else {
      request.resource = &root;
    }
  }
  if (request.profiles.size() > kMaxProfiles) {
    return ErrorResponse(ctx, 400,
                         "at most " + std::to_string(kMaxProfiles) + " profiles per $validate");
  }
  if (!request.mode.empty() &&
      std::find(std::begin(kModes), std::end(kModes), request.mode) == std::end(kModes)) {
    return ErrorResponse(
        ctx, 400, "unknown mode '" + request.mode + "' (known: create, update, delete, profile)");
  }
  if (request.mode == "delete") {
    if (route.id.empty()) {
      return ErrorResponse(
          ctx, 400,
          "mode delete validates an instance: POST " + route.type + "/[id]/$validate?mode=delete");
    }
    return ValidateDelete(env, ctx, route);
  }
  if (request.resource == nullptr) {
    return ErrorResponse(ctx, 400,
                         "$validate needs a resource: send a " + route.type +
                             " resource, or a Parameters resource with a 'resource' parameter");
  }
  const std::optional<std::string_view> type = Text(request.resource->Find("resourceType"));
  if (type != std::optional<std::string_view>(route.type)) {
    return ErrorResponse(ctx, 400,
                         "the resource is a " + std::string(type.value_or("(no resourceType)")) +
                             " but the URL names " + route.type);
  }

  validation::IssueCollector sink;
  const std::optional<std::string_view> id = Text(request.resource->Find("id"));
  if (request.mode == "update" && !id) {
    sink.Report(Issue{Severity::kError, IssueType::kRequired, route.type + ".id",
                      "an update must carry the resource's id"});
  }
  if (!route.id.empty() && id && *id != route.id) {
    sink.Report(Issue{Severity::kError, IssueType::kValue, route.type + ".id",
                      "the resource's id '" + std::string(*id) + "' differs from the URL's id '" +
                          route.id + "'"});
  }
  if (Status ran = validation::ValidateStructure(*request.resource, sink); !ran.ok()) {
    return ErrorResponse(ctx, 500, "validation could not run: " + ran.message());
  }
  const ProfileConformance* profiles = env.options.profiles.get();
  for (const ProfileToCheck& p : ProfilesToCheck(env, request, route)) {
    Result<const profiles::ProfileValidator*> validator =
        profiles != nullptr ? profiles->Validator(p.url)
                            : Result<const profiles::ProfileValidator*>(NotFound(p.url));
    if (!validator.ok()) {
      if (validator.status().code() != StatusCode::kNotFound) {
        return ErrorResponse(ctx, 500, validator.status().message());
      }
      sink.Report(Issue{p.asked ? Severity::kError : Severity::kWarning, IssueType::kNotSupported,
                        p.asked ? "" : route.type + ".meta.profile",
                        "the profile " + p.url + " is not known to this server" +
                            (p.asked ? "" : "; the resource was not checked against it")});
      continue;
    }
    (*validator)->Validate(*request.resource, sink);
  }
  return Answer(ctx, sink);
}

}  // namespace fhirengine::rest
