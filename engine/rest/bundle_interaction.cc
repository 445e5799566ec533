// Batch and transaction Bundles: each entry is planned (its request parsed,
// its resource validated once), resolved (ids, conditional matches), then
// written: a transaction as one store batch, a batch entry by entry. The
// response Bundle is written as JSON text around the stored resources'
// canonical JSON, so a resource is serialised once, by the store's stamp.
#include "engine/rest/bundle_interaction.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <variant>

#include "engine/core/log.h"
#include "engine/core/time_format.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"
#include "engine/rest/bundle_references.h"
#include "engine/rest/etag.h"
#include "engine/validation/operation_outcome.h"

namespace fhirengine::rest {
namespace {

using validation::Issue;
using validation::IssueType;
using validation::Severity;

// What an entry does once planned and resolved.
enum class Action {
  kRead,    // GET/HEAD Type/id[/_history/n]
  kSearch,  // GET Type?params
  kCreate,  // POST: a put of a new id, create-only
  kPut,     // PUT Type/id, or a resolved conditional update
  kDelete,  // DELETE Type/id, or a resolved conditional delete
  kDone,    // answered without a write (a failure, a conditional no-op)
};

// One entry's entry.response (and entry.resource, entry.fullUrl).
struct EntryReply {
  int status = 0;
  std::string full_url;
  std::string location;
  std::int64_t version = 0;            // etag when > 0
  std::int64_t last_modified_ms = -1;  // lastModified when >= 0
  std::string resource_json;           // canonical JSON; empty: no entry.resource
  std::vector<Issue> outcome;          // entry.response.outcome when not empty
};

struct EntryPlan {
  std::size_t index = 0;
  Action action = Action::kDone;
  bool head = false;
  Route route;                     // kRead
  std::vector<QueryParam> params;  // kSearch, and the criteria of conditional entries
  json::Value* resource = nullptr;
  std::string full_url;
  std::string type;
  std::string id;
  std::optional<std::int64_t> expected_version;
  std::string if_none_exist;
  bool conditional = false;       // PUT/DELETE Type?criteria
  bool has_precondition = false;  // a version mismatch is 412, not 404/409
  EntryReply reply;               // kDone
};

std::string EntryPath(std::size_t index) { return "Bundle.entry[" + std::to_string(index) + "]"; }

std::string StatusLine(int status) {
  return std::to_string(status) + " " + std::string(ReasonPhrase(status));
}

// An entry's failure: `issues` with their expressions moved under the entry.
EntryReply FailureReply(std::size_t index, int status, std::vector<Issue> issues) {
  const std::string path = EntryPath(index);
  for (Issue& issue : issues) {
    if (issue.expression.empty()) {
      issue.expression = path;
    } else {
      // "Patient.name[0]" (from the validator) -> "Bundle.entry[3].resource.name[0]".
      const std::size_t dot = issue.expression.find_first_of(".[");
      issue.expression =
          path + ".resource" + (dot == std::string::npos ? "" : issue.expression.substr(dot));
    }
    issue.message = path + ": " + issue.message;
  }
  EntryReply reply;
  reply.status = status;
  reply.outcome = std::move(issues);
  return reply;
}

EntryReply FailureReply(std::size_t index, int status, std::string message,
                        std::optional<IssueType> type = std::nullopt) {
  std::vector<Issue> issues{Issue{status >= 500 ? Severity::kFatal : Severity::kError,
                                  type.value_or(IssueTypeFor(status)), "", std::move(message)}};
  return FailureReply(index, status, std::move(issues));
}

// A criteria failure of FindMatches and friends.
EntryReply CriteriaFailure(std::size_t index, std::string_view what, const Status& s) {
  const int status = CriteriaHttpStatus(s);
  return FailureReply(index, status, std::string(what) + ": " + s.message(),
                      s.code() == StatusCode::kUnimplemented
                          ? std::optional<IssueType>(IssueType::kNotSupported)
                          : std::nullopt);
}

std::optional<std::string_view> Text(const json::Value* v) {
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return v->text();
}

// The entry's request.url relative to the base: "Patient/1", "Patient?x=y".
// nullopt (with `error`) for absolute URLs of other servers.
std::optional<std::string> RelativeUrl(std::string_view url, const std::string& base,
                                       std::string& error) {
  if (url.starts_with(base) && url.size() > base.size() && url[base.size()] == '/') {
    return std::string(url.substr(base.size() + 1));
  }
  if (url.starts_with("http://") || url.starts_with("https://") || url.starts_with("urn:")) {
    error = "request.url '" + std::string(url) + "' is not on this server (" + base + ")";
    return std::nullopt;
  }
  while (url.starts_with('/')) url.remove_prefix(1);
  return std::string(url);
}

// Parses entry.request and checks entry.resource against it; validates the
// resource. The plan, or the entry's failure in plan.reply (kDone).
EntryPlan PlanEntry(const Env& env, const Context& ctx, json::Document& doc, json::Value& entry,
                    std::size_t index) {
  EntryPlan plan;
  plan.index = index;
  auto fail = [&](int status, std::string message, std::optional<IssueType> type = std::nullopt) {
    plan.action = Action::kDone;
    plan.reply = FailureReply(index, status, std::move(message), type);
    return std::move(plan);
  };
  if (!entry.IsObject()) return fail(400, "an entry must be an object");
  if (auto full_url = Text(entry.Find("fullUrl"))) plan.full_url = std::string(*full_url);
  json::Value* request = entry.Find("request");
  if (request == nullptr || !request->IsObject()) {
    return fail(400, "the entry has no request (method and url)");
  }
  const auto method = Text(request->Find("method"));
  const auto url = Text(request->Find("url"));
  if (!method || !url || url->empty())
    return fail(400, "request.method and request.url are required");
  std::string error;
  std::optional<std::string> relative = RelativeUrl(*url, env.options.base_url, error);
  if (!relative) return fail(400, error);
  Result<RequestTarget> target = ParseRequestTarget(std::string(kFhirBasePath) + "/" + *relative);
  if (!target.ok()) return fail(400, "request.url: " + target.status().message());
  RouteResult routed = MatchRoute(*method, target->segments);
  if (const RouteError* e = std::get_if<RouteError>(&routed)) {
    return fail(e->http_status,
                "request " + std::string(*method) + " " + std::string(*url) + ": " + e->message);
  }
  const Route& route = std::get<Route>(routed);
  if (std::optional<std::string> denied = AccessDenied(ctx, route, target->query)) {
    return fail(403, "request " + std::string(*method) + " " + std::string(*url) + ": " + *denied,
                IssueType::kForbidden);
  }
  plan.type = route.type;
  plan.id = route.id;
  plan.head = *method == "HEAD";
  if (const auto if_none_exist = Text(request->Find("ifNoneExist"))) {
    plan.if_none_exist = std::string(*if_none_exist);
    if (route.interaction == Interaction::kCreate) {
      if (std::optional<std::string> denied = SideSearchDenied(ctx, route.type, "ifNoneExist")) {
        return fail(403,
                    "request " + std::string(*method) + " " + std::string(*url) + ": " + *denied,
                    IssueType::kForbidden);
      }
    }
  }
  if (const auto if_match = Text(request->Find("ifMatch"))) {
    plan.expected_version = ParseVersionETag(*if_match);
    if (!plan.expected_version) {
      return fail(400, "request.ifMatch '" + std::string(*if_match) +
                           "' is not a version ETag; send W/\"n\" with the version you read");
    }
  }
  if (const auto if_none_match = Text(request->Find("ifNoneMatch"))) {
    if (route.interaction != Interaction::kUpdate || !IsETagWildcard(*if_none_match) ||
        plan.expected_version.has_value()) {
      return fail(400,
                  "request.ifNoneMatch supports only '*' (create only) on an update, "
                  "without ifMatch");
    }
    plan.expected_version = 0;
  }
  switch (route.interaction) {
    case Interaction::kRead:
    case Interaction::kVread:
      plan.action = Action::kRead;
      plan.route = route;
      return plan;
    case Interaction::kSearchType:
      plan.action = Action::kSearch;
      plan.params = CriteriaOf(target->query);
      return plan;
    case Interaction::kDelete:
      plan.action = Action::kDelete;
      plan.has_precondition = plan.expected_version.has_value();
      return plan;
    case Interaction::kConditionalDelete:
      plan.action = Action::kDelete;
      plan.conditional = true;
      plan.params = CriteriaOf(target->query);
      if (plan.params.empty()) return fail(400, "a conditional delete needs search criteria");
      return plan;
    case Interaction::kCreate:
    case Interaction::kUpdate:
    case Interaction::kConditionalUpdate:
      break;
    default:
      return fail(400,
                  "request " + std::string(*method) + " " + std::string(*url) +
                      ": a Bundle entry can read, vread, search, create, update or delete",
                  IssueType::kNotSupported);
  }
  // The writes: a resource of the URL's type.
  json::Value* resource = entry.Find("resource");
  if (resource == nullptr || !resource->IsObject()) {
    return fail(400, "a " + std::string(*method) + " entry needs a resource");
  }
  const auto resource_type = Text(resource->Find("resourceType"));
  if (!resource_type || *resource_type != route.type) {
    return fail(400, "the resource is a " + std::string(resource_type.value_or("(no type)")) +
                         " but request.url names " + route.type);
  }
  plan.resource = resource;
  if (route.interaction == Interaction::kCreate) {
    // The server assigns the id; one in the body is ignored (FHIR 3.1.0.8).
    doc.RemoveMember(*resource, "id");
    doc.RemoveMember(*resource, "_id");
    plan.action = Action::kCreate;
  } else {
    plan.action = Action::kPut;
    const auto body_id = Text(resource->Find("id"));
    if (route.interaction == Interaction::kUpdate) {
      if (!body_id || *body_id != route.id) {
        return fail(400, "the resource's id '" + std::string(body_id.value_or("")) +
                             "' differs from request.url's id '" + route.id + "'");
      }
      plan.has_precondition = plan.expected_version.has_value();
    } else {
      plan.conditional = true;
      plan.params = CriteriaOf(target->query);
      if (plan.params.empty()) return fail(400, "a conditional update needs search criteria");
      if (body_id) plan.id = std::string(*body_id);
    }
  }
  Result<std::vector<Issue>> issues = ValidateForWrite(env, *resource, plan.type);
  if (!issues.ok()) return fail(500, issues.status().message());
  if (!issues->empty()) {
    plan.action = Action::kDone;
    plan.reply = FailureReply(index, 422, std::move(issues).value());
  }
  return plan;
}

// The answer to a conditional create that matched: 200 with the match.
EntryReply MatchedReply(const Env& env, const Context& ctx, const EntryPlan& plan,
                        const store::StoredResource& match) {
  EntryReply reply;
  reply.status = 200;
  reply.full_url = env.options.base_url + "/" + plan.type + "/" + match.id;
  reply.location = VersionUrl(env.options.base_url, plan.type, match.id, match.version);
  reply.version = match.version;
  reply.last_modified_ms = match.last_updated_ms;
  if (ctx.prefer == PreferReturn::kOperationOutcome) {
    reply.outcome.push_back(
        Issue{Severity::kInformation, IssueType::kInformational, "",
              plan.type + "/" + match.id + " matches ifNoneExist; nothing created"});
  } else if (ctx.prefer != PreferReturn::kMinimal) {
    reply.resource_json = match.json;
  }
  return reply;
}

// Resolves conditional entries through FindMatches and assigns server ids:
// afterwards a write entry has its final type/id and expected version.
void ResolveEntry(const Env& env, const Context& ctx, EntryPlan& plan) {
  auto fail = [&](EntryReply reply) {
    plan.action = Action::kDone;
    plan.reply = std::move(reply);
  };
  switch (plan.action) {
    case Action::kCreate: {
      if (!plan.if_none_exist.empty()) {
        const std::string what = "ifNoneExist '" + plan.if_none_exist + "'";
        Result<std::vector<QueryParam>> criteria = ParseCriteria(plan.if_none_exist);
        if (!criteria.ok()) return fail(CriteriaFailure(plan.index, what, criteria.status()));
        Result<std::vector<store::StoredResource>> matches = FindMatches(env, plan.type, *criteria);
        if (!matches.ok()) return fail(CriteriaFailure(plan.index, what, matches.status()));
        if (matches->size() > 1) {
          return fail(FailureReply(plan.index, 412,
                                   what + " matches " + std::to_string(matches->size()) + " " +
                                       plan.type + " resources; nothing created"));
        }
        if (matches->size() == 1) {
          plan.id = matches->front().id;
          plan.action = Action::kDone;
          plan.reply = MatchedReply(env, ctx, plan, matches->front());
          return;
        }
      }
      plan.id = NewResourceId();
      plan.expected_version = 0;
      return;
    }
    case Action::kPut: {
      if (!plan.conditional) return;
      Result<ConditionalTarget> where =
          ResolveConditionalUpdate(env, plan.type, plan.params, plan.id);
      if (!where.ok())
        return fail(CriteriaFailure(plan.index, "conditional update", where.status()));
      if (plan.expected_version.has_value() && *plan.expected_version != where->expected_version) {
        return fail(FailureReply(
            plan.index, 412,
            where->matched ? plan.type + "/" + where->id + " is at version " +
                                 std::to_string(where->expected_version) + ", not " +
                                 std::to_string(*plan.expected_version)
                           : "ifMatch is set but no " + plan.type + " matches the criteria"));
      }
      plan.id = where->id;
      plan.expected_version = where->expected_version;
      plan.has_precondition = where->matched;
      return;
    }
    case Action::kDelete: {
      if (!plan.conditional) return;
      Result<std::vector<store::StoredResource>> matches = FindMatches(env, plan.type, plan.params);
      if (!matches.ok()) {
        return fail(CriteriaFailure(plan.index, "conditional delete", matches.status()));
      }
      if (matches->size() > 1) {
        return fail(FailureReply(plan.index, 412,
                                 std::to_string(matches->size()) + " " + plan.type +
                                     " resources match; a conditional delete deletes at most one"));
      }
      if (matches->empty()) {
        plan.action = Action::kDone;
        plan.reply.status = 204;
        if (ctx.prefer == PreferReturn::kOperationOutcome) {
          plan.reply.outcome.push_back(
              Issue{Severity::kInformation, IssueType::kInformational, "",
                    "no " + plan.type + " matches the criteria; nothing deleted"});
        }
        return;
      }
      plan.id = matches->front().id;
      plan.expected_version = matches->front().version;
      plan.has_precondition = true;
      return;
    }
    case Action::kRead:
    case Action::kSearch:
    case Action::kDone:
      return;
  }
}

bool IsWrite(Action a) { return a == Action::kCreate || a == Action::kPut || a == Action::kDelete; }

store::WriteOp BuildOp(const EntryPlan& plan) {
  if (plan.action == Action::kDelete) {
    store::WriteOp op;
    op.kind = store::WriteKind::kDelete;
    op.type = plan.type;
    op.id = plan.id;
    op.expected_version = plan.expected_version;
    return op;
  }
  return PreparePut(*plan.resource, plan.type, plan.id, plan.expected_version);
}

// The reply to a committed write.
EntryReply WriteReply(const Context& ctx, const std::string& base_url, bool is_create,
                      const store::WriteResult& w) {
  EntryReply reply;
  const std::string name = w.type + "/" + w.id;
  if (w.deleted) {
    reply.status = 204;
    if (!w.unchanged) {
      reply.version = w.version;
      reply.last_modified_ms = w.last_updated_ms;
    }
    if (ctx.prefer == PreferReturn::kOperationOutcome) {
      reply.outcome.push_back(
          Issue{Severity::kInformation, IssueType::kInformational, "",
                w.unchanged ? name + " did not exist or was already deleted; nothing changed"
                            : "Deleted " + name + " (version " + std::to_string(w.version) + ")"});
    }
    return reply;
  }
  const bool created = is_create || w.created;
  reply.status = created ? 201 : 200;
  reply.full_url = base_url + "/" + name;
  reply.location = VersionUrl(base_url, w.type, w.id, w.version);
  reply.version = w.version;
  reply.last_modified_ms = w.last_updated_ms;
  if (ctx.prefer == PreferReturn::kOperationOutcome) {
    reply.outcome.push_back(Issue{Severity::kInformation, IssueType::kInformational, "",
                                  std::string(created ? "Created " : "Updated ") + name +
                                      " (version " + std::to_string(w.version) + ")"});
  } else if (ctx.prefer != PreferReturn::kMinimal) {
    reply.resource_json = w.json;
  }
  return reply;
}

// The reply to a store failure of one entry's write (as WriteOutcome in
// fhir_api.cc answers a single write).
EntryReply StoreFailureReply(std::size_t index, const Status& s, bool has_precondition) {
  int status = HttpStatusFor(s);
  if (s.code() == StatusCode::kFailedPrecondition || s.code() == StatusCode::kNotFound ||
      s.code() == StatusCode::kAlreadyExists) {
    status = has_precondition ? 412 : (s.code() == StatusCode::kAlreadyExists ? 409 : status);
  }
  return FailureReply(index, status, s.message());
}

// GET/HEAD of one entry (read or vread), after the writes.
EntryReply ReadReply(const Env& env, const EntryPlan& plan) {
  const Route& route = plan.route;
  const bool vread = route.interaction == Interaction::kVread;
  Result<store::StoredResource> found =
      vread ? env.store.ReadVersion(route.type, route.id, route.version)
            : env.store.Read(route.type, route.id);
  const std::string name = route.type + "/" + route.id;
  if (!found.ok()) {
    if (found.status().code() == StatusCode::kNotFound) {
      return FailureReply(plan.index, 404,
                          vread ? name + " has no version " + std::to_string(route.version)
                                : name + " is not known");
    }
    return FailureReply(plan.index, 500, found.status().message());
  }
  if (found->deleted) {
    EntryReply reply = FailureReply(
        plan.index, 410, name + " was deleted (version " + std::to_string(found->version) + ")");
    reply.version = found->version;
    reply.last_modified_ms = found->last_updated_ms;
    return reply;
  }
  EntryReply reply;
  reply.status = 200;
  reply.full_url = env.options.base_url + "/" + name;
  reply.version = found->version;
  reply.last_modified_ms = found->last_updated_ms;
  if (!plan.head) reply.resource_json = std::move(found->json);
  return reply;
}

// The one search function, for a search entry.
EntryReply SearchReply(const Env& env, const EntryPlan& plan) {
  Result<std::string> bundle = SearchType(env, plan.type, plan.params);
  if (!bundle.ok()) {
    const int status = HttpStatusFor(bundle.status());
    return FailureReply(
        plan.index, status, bundle.status().message(),
        status == 501 ? std::optional<IssueType>(IssueType::kNotSupported) : std::nullopt);
  }
  EntryReply reply;
  reply.status = 200;
  if (!plan.head) reply.resource_json = std::move(bundle).value();
  return reply;
}

EntryReply ReadOrSearchReply(const Env& env, const EntryPlan& plan) {
  return plan.action == Action::kRead ? ReadReply(env, plan) : SearchReply(env, plan);
}

void AppendQuoted(std::string& out, std::string_view text) { log::AppendJsonString(out, text); }

// The response Bundle as canonical JSON: the stored resources are spliced in
// as the text they already are.
std::string ResponseBundleJson(std::string_view type, const std::vector<EntryReply>& replies) {
  std::size_t size = 64;
  for (const EntryReply& r : replies) size += r.resource_json.size() + 256;
  std::string out;
  out.reserve(size);
  out += R"({"resourceType":"Bundle","type":)";
  AppendQuoted(out, type);
  if (!replies.empty()) out += R"(,"entry":[)";
  json::Document doc;  // entry.response objects, written as they are made
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const EntryReply& r = replies[i];
    if (i > 0) out += ',';
    out += '{';
    if (!r.full_url.empty()) {
      out += R"("fullUrl":)";
      AppendQuoted(out, r.full_url);
      out += ',';
    }
    if (!r.resource_json.empty()) {
      out += R"("resource":)";
      out += r.resource_json;
      out += ',';
    }
    std::vector<json::Member> response{{"status", doc.MakeString(StatusLine(r.status))}};
    if (!r.location.empty()) response.push_back({"location", doc.MakeString(r.location)});
    if (r.version > 0) response.push_back({"etag", doc.MakeString(FormatVersionETag(r.version))});
    if (r.last_modified_ms >= 0) {
      response.push_back({"lastModified", doc.MakeString(FormatInstant(r.last_modified_ms))});
    }
    if (!r.outcome.empty()) {
      response.push_back({"outcome", validation::ToOperationOutcome(r.outcome, doc)});
    }
    out += R"("response":)";
    json::WriteTo(doc.MakeObject(response), out);
    out += '}';
  }
  if (!replies.empty()) out += ']';
  out += '}';
  return out;
}

RestResponse BundleResponse(const Context& ctx, std::string_view type,
                            const std::vector<EntryReply>& replies) {
  std::string text = ResponseBundleJson(type, replies);
  RestResponse r;
  r.status = 200;
  r.content_type = std::string(ContentTypeFor(ctx.format));
  if (ctx.format == fhir::Format::kJson && !ctx.pretty) {
    r.body = std::move(text);
    return r;
  }
  // Our own text: the limits only need to admit it (resources sit 3 levels deeper).
  ParseLimits limits;
  limits.max_document_bytes = text.size() + 1;
  limits.max_string_bytes = text.size() + 1;
  limits.max_depth += 8;
  Result<json::Document> doc = json::Parse(text, limits);
  if (!doc.ok()) return ErrorResponse(ctx, 500, "response Bundle: " + doc.status().message());
  Result<std::string> body =
      fhir::SerializeResource(doc->root(), ctx.format, {.pretty = ctx.pretty});
  if (!body.ok()) return ErrorResponse(ctx, 500, "response Bundle: " + body.status().message());
  r.body = std::move(body).value();
  return r;
}

// A failed transaction: the failing entry's status and outcome.
RestResponse TransactionFailure(const Context& ctx, const EntryReply& failed) {
  RestResponse r = IssuesResponse(ctx, failed.status, failed.outcome);
  if (failed.status == 503) r.AddHeader("Retry-After", "1");
  return r;
}

// ---- transaction -------------------------------------------------------------

// What a transaction keeps between Submit and the writer's callback.
struct TransactionState {
  json::Document doc;  // the request Bundle; entries point into it
  std::vector<EntryPlan> plans;
  std::vector<std::size_t> op_entries;                   // for each submitted op, its entry index
  std::unordered_map<std::string, std::size_t> targets;  // "Type/id" -> entry index
};

// Maps fullUrls and conditional references to Type/id and rewrites them in
// every write's resource. The first failing entry's reply, if any.
std::optional<EntryReply> ResolveReferences(const Env& env, const Context& ctx,
                                            TransactionState& t) {
  std::unordered_map<std::string, std::string> by_full_url;
  std::unordered_map<std::string, std::size_t> full_url_entry;
  for (const EntryPlan& plan : t.plans) {
    if (plan.full_url.empty()) continue;
    const bool has_target =
        plan.action == Action::kCreate || plan.action == Action::kPut ||
        (plan.action == Action::kDone && plan.reply.status == 200 && !plan.id.empty());
    if (!has_target) continue;
    auto [it, inserted] = full_url_entry.emplace(plan.full_url, plan.index);
    if (!inserted) {
      return FailureReply(
          plan.index, 400,
          "fullUrl '" + plan.full_url + "' is also the fullUrl of " + EntryPath(it->second));
    }
    by_full_url.emplace(plan.full_url, plan.type + "/" + plan.id);
  }
  for (EntryPlan& plan : t.plans) {
    if (plan.action != Action::kCreate && plan.action != Action::kPut) continue;
    std::optional<EntryReply> failure;
    const std::size_t index = plan.index;
    Status rewritten = RewriteReferences(
        t.doc, *plan.resource,
        [&](std::string_view reference) -> Result<std::optional<std::string>> {
          if (auto it = by_full_url.find(std::string(reference)); it != by_full_url.end()) {
            return std::optional<std::string>(it->second);
          }
          if (IsLocalUrn(reference)) {
            failure = FailureReply(index, 400,
                                   "the reference '" + std::string(reference) +
                                       "' is not the fullUrl of any entry of this transaction");
            return InvalidArgument("unresolved");
          }
          if (!IsConditionalReference(reference)) return std::optional<std::string>();
          const std::string type(reference.substr(0, reference.find('?')));
          const std::string what = "the conditional reference '" + std::string(reference) + "'";
          if (std::optional<std::string> denied = SideSearchDenied(ctx, type, what)) {
            failure = FailureReply(index, 403, *denied, IssueType::kForbidden);
            return InvalidArgument("forbidden");
          }
          Result<std::vector<QueryParam>> criteria = ParseCriteria(reference);
          Result<std::vector<store::StoredResource>> matches =
              criteria.ok() ? FindMatches(env, type, *criteria)
                            : Result<std::vector<store::StoredResource>>(criteria.status());
          if (!matches.ok()) {
            failure = CriteriaFailure(index, what, matches.status());
            return matches.status();
          }
          if (matches->size() != 1) {
            failure = FailureReply(index, matches->empty() ? 404 : 412,
                                   what + " matches " + std::to_string(matches->size()) + " " +
                                       type + " resources; it must match exactly one");
            return InvalidArgument("unresolved");
          }
          return std::optional<std::string>(type + "/" + matches->front().id);
        });
    if (!rewritten.ok()) {
      return failure ? std::move(*failure) : FailureReply(index, 400, rewritten.message());
    }
  }
  return std::nullopt;
}

// Reads and searches (last, after the writes), then the reply.
void FinishTransaction(const Env& env, const Context& ctx, TransactionState& t,
                       const Responder& responder) {
  std::vector<EntryReply> replies;
  replies.reserve(t.plans.size());
  for (EntryPlan& plan : t.plans) {
    if (plan.action == Action::kRead || plan.action == Action::kSearch) {
      plan.reply = ReadOrSearchReply(env, plan);
    }
    replies.push_back(std::move(plan.reply));
  }
  responder.reply(BundleResponse(ctx, "transaction-response", replies));
}

void Transaction(const Env& env, const Context& ctx, std::shared_ptr<TransactionState> t,
                 const Responder& responder) {
  // Every entry must be sound before anything is written.
  for (EntryPlan& plan : t->plans) {
    if (plan.action == Action::kDone && plan.reply.status >= 400) {
      return responder.reply(TransactionFailure(ctx, plan.reply));
    }
    ResolveEntry(env, ctx, plan);
    if (plan.action == Action::kDone && plan.reply.status >= 400) {
      return responder.reply(TransactionFailure(ctx, plan.reply));
    }
    if (!IsWrite(plan.action)) continue;
    auto [it, inserted] = t->targets.emplace(plan.type + "/" + plan.id, plan.index);
    if (!inserted) {
      return responder.reply(TransactionFailure(
          ctx,
          FailureReply(plan.index, 400,
                       plan.type + "/" + plan.id + " is also written by " + EntryPath(it->second) +
                           "; a transaction writes each resource at most once")));
    }
  }
  if (std::optional<EntryReply> failure = ResolveReferences(env, ctx, *t)) {
    return responder.reply(TransactionFailure(ctx, *failure));
  }
  // FHIR's order (http.html#trules): DELETE, then POST, then PUT; GET last.
  std::vector<store::WriteOp> ops;
  for (Action phase : {Action::kDelete, Action::kCreate, Action::kPut}) {
    for (const EntryPlan& plan : t->plans) {
      if (plan.action != phase) continue;
      ops.push_back(BuildOp(plan));
      t->op_entries.push_back(plan.index);
    }
  }
  if (ops.empty()) return FinishTransaction(env, ctx, *t, responder);
  const Env env_copy = env;  // FhirApi (store, options) outlives the io threads' work
  env.store.Submit(std::move(ops), [env_copy, ctx, t,
                                    responder](Result<std::vector<store::WriteResult>> result) {
    // On the writer thread: hand over, nothing more.
    auto shared = std::make_shared<Result<std::vector<store::WriteResult>>>(std::move(result));
    responder.resume([env_copy, ctx, t, responder, shared] {
      const Result<std::vector<store::WriteResult>>& r = *shared;
      if (!r.ok()) {
        // The store names the failing resource first ("Patient/x is at
        // version 2, not 1"); ids are unique in a transaction, so that
        // names the entry.
        const std::string& message = r.status().message();
        const auto it = t->targets.find(message.substr(0, message.find(' ')));
        if (it == t->targets.end()) {
          EntryReply failed = StoreFailureReply(0, r.status(), false);
          for (Issue& issue : failed.outcome) {
            issue.expression.clear();
            issue.message = "the transaction failed: " + r.status().message();
          }
          return responder.reply(TransactionFailure(ctx, failed));
        }
        const EntryPlan& plan = t->plans[it->second];
        return responder.reply(TransactionFailure(
            ctx, StoreFailureReply(plan.index, r.status(), plan.has_precondition)));
      }
      FE_CHECK(r->size() == t->op_entries.size());
      for (std::size_t k = 0; k < r->size(); ++k) {
        EntryPlan& plan = t->plans[t->op_entries[k]];
        plan.reply =
            WriteReply(ctx, env_copy.options.base_url, plan.action == Action::kCreate, (*r)[k]);
      }
      FinishTransaction(env_copy, ctx, *t, responder);
    });
  });
}

// ---- batch -------------------------------------------------------------------

// What a batch keeps until its last write is answered. `replies` and
// `pending` are guarded by `mutex`: callbacks may resume on any thread in
// tests, and on the connection's strand in the server.
struct BatchState {
  std::mutex mutex;
  std::vector<EntryReply> replies;
  std::size_t pending = 1;  // the submitting loop itself, then one per write
};

// Counts one part of the batch done; the last one replies.
void BatchPartDone(const Context& ctx, BatchState& state, const Responder& responder) {
  std::vector<EntryReply> replies;
  {
    std::lock_guard lock(state.mutex);
    FE_CHECK(state.pending > 0);
    if (--state.pending > 0) return;
    replies = std::move(state.replies);
  }
  responder.reply(BundleResponse(ctx, "batch-response", replies));
}

void Batch(const Env& env, const Context& ctx, std::vector<EntryPlan>& plans,
           const Responder& responder) {
  auto state = std::make_shared<BatchState>();
  state->replies.resize(plans.size());
  for (EntryPlan& plan : plans) {
    ResolveEntry(env, ctx, plan);
    if (!IsWrite(plan.action)) {
      EntryReply reply =
          plan.action == Action::kDone ? std::move(plan.reply) : ReadOrSearchReply(env, plan);
      std::lock_guard lock(state->mutex);
      state->replies[plan.index] = std::move(reply);
      continue;
    }
    {
      std::lock_guard lock(state->mutex);
      ++state->pending;
    }
    const std::size_t index = plan.index;
    const Action action = plan.action;
    const bool has_precondition = plan.has_precondition;
    std::string base_url = env.options.base_url;
    env.store.Submit({BuildOp(plan)}, [ctx, state, responder, index, action, has_precondition,
                                       base_url = std::move(base_url)](
                                          Result<std::vector<store::WriteResult>> result) {
      auto shared = std::make_shared<Result<std::vector<store::WriteResult>>>(std::move(result));
      responder.resume([ctx, state, responder, index, action, has_precondition, base_url, shared] {
        EntryReply reply;
        if (!shared->ok()) {
          reply = StoreFailureReply(index, shared->status(), has_precondition);
        } else {
          FE_CHECK((*shared)->size() == 1);
          reply = WriteReply(ctx, base_url, action == Action::kCreate, (**shared)[0]);
        }
        {
          std::lock_guard lock(state->mutex);
          state->replies[index] = std::move(reply);
        }
        BatchPartDone(ctx, *state, responder);
      });
    });
  }
  BatchPartDone(ctx, *state, responder);
}

}  // namespace

void HandleBundle(const Env& env, const Context& ctx, const RestRequest& req,
                  const Responder& responder) {
  auto t = std::make_shared<TransactionState>();
  if (auto error = ParseBody(env, ctx, req, "Bundle", t->doc)) return responder.reply(*error);
  json::Value& bundle = t->doc.root();
  const auto type = Text(bundle.Find("type"));
  if (!type || (*type != "transaction" && *type != "batch")) {
    return responder.reply(ErrorResponse(
        ctx, 400,
        "POST to the base URL takes a Bundle of type 'transaction' or 'batch', not '" +
            std::string(type.value_or("")) + "'"));
  }
  const bool transaction = *type == "transaction";
  json::Value* entries = bundle.Find("entry");
  if (entries != nullptr && !entries->IsArray()) {
    return responder.reply(ErrorResponse(ctx, 400, "Bundle.entry must be an array"));
  }
  const std::size_t count = entries == nullptr ? 0 : entries->size();
  if (count > env.options.max_bundle_entries) {
    return responder.reply(ErrorResponse(
        ctx, 413,
        "the Bundle has " + std::to_string(count) + " entries; this server takes at most " +
            std::to_string(env.options.max_bundle_entries) + " in one " + std::string(*type)));
  }
  t->plans.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    t->plans.push_back(PlanEntry(env, ctx, t->doc, entries->elements()[i], i));
  }
  if (transaction) return Transaction(env, ctx, std::move(t), responder);
  Batch(env, ctx, t->plans, responder);
}

}  // namespace fhirengine::rest
