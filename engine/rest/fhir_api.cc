// The FHIR interactions. Reads answer on the calling io thread; writes are
// parsed and validated here, stamped and committed by the store's writer,
// and answered through Responder::resume on the connection's strand (the
// writer thread only posts, it never serialises responses).
#include "engine/rest/fhir_api.h"

#include <sys/random.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <random>
#include <variant>
#include <vector>

#include "engine/core/time_format.h"
#include "engine/fhir/resource_format.h"
#include "engine/fhir/resource_subset.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_patch.h"
#include "engine/json/json_writer.h"
#include "engine/rest/bundle_interaction.h"
#include "engine/rest/capability_statement.h"
#include "engine/rest/etag.h"
#include "engine/rest/fhir_interaction.h"
#include "engine/rest/negotiation.h"
#include "engine/rest/route.h"
#include "engine/rest/search_interaction.h"
#include "engine/rest/validate_operation.h"
#include "engine/search/search_request.h"
#include "engine/validation/operation_outcome.h"
#include "engine/validation/structural_validator.h"

namespace fhirengine::rest {

using validation::Issue;
using validation::IssueType;
using validation::Severity;

RestResponse IssuesResponse(const Context& ctx, int status, std::span<const Issue> issues) {
  json::Document doc;
  const json::Value outcome = validation::ToOperationOutcome(issues, doc);
  RestResponse r;
  r.status = status;
  Result<std::string> body = fhir::SerializeResource(outcome, ctx.format, {.pretty = ctx.pretty});
  fhir::Format format = ctx.format;
  if (!body.ok()) {  // the XML writer refused our own OperationOutcome: still answer
    format = fhir::Format::kJson;
    body = json::Write(outcome, {.pretty = ctx.pretty});
  }
  r.content_type = std::string(ContentTypeFor(format));
  r.body = std::move(body).value();
  return r;
}

namespace {

RestResponse OutcomeResponse(const Context& ctx, int status, Severity severity, IssueType type,
                             std::string message) {
  const Issue issue{severity, type, "", std::move(message)};
  return IssuesResponse(ctx, status, std::span<const Issue>(&issue, 1));
}

}  // namespace

RestResponse ErrorResponse(const Context& ctx, int status, std::string message) {
  return OutcomeResponse(ctx, status, status >= 500 ? Severity::kFatal : Severity::kError,
                         IssueTypeFor(status), std::move(message));
}

namespace {

// The types a search parameter's name reaches beyond the searched one, as
// search_request.cc parses it: each hop of a chain ("subject:Patient.name"
// reaches Patient; "subject.name" any type, "*") and each _has source type
// ("_has:Observation:subject:code" reaches Observation); they nest.
std::vector<std::string> TypesReachedBy(std::string_view name) {
  std::vector<std::string> types;
  while (!name.empty()) {
    if (name.starts_with("_has:")) {
      const std::string_view spec = name.substr(5);
      const std::size_t c1 = spec.find(':');
      const std::size_t c2 = c1 == std::string_view::npos ? c1 : spec.find(':', c1 + 1);
      if (c2 == std::string_view::npos) break;  // malformed: the search refuses it
      types.emplace_back(spec.substr(0, c1));
      name = spec.substr(c2 + 1);
      continue;
    }
    const std::size_t dot = name.find('.');
    if (dot == std::string_view::npos) break;
    const std::string_view head = name.substr(0, dot);
    const std::size_t colon = head.find(':');
    types.emplace_back(colon == std::string_view::npos ? "*" : head.substr(colon + 1));
    name = name.substr(dot + 1);
  }
  for (std::string& t : types) {
    if (t.empty()) t = "*";
  }
  return types;
}

}  // namespace

std::optional<std::string> AccessDenied(const Context& ctx, const Route& route,
                                        std::span<const QueryParam> params) {
  if (!ctx.access) return std::nullopt;
  auto need = [&ctx](std::string_view type, AccessRight right,
                     std::string_view what) -> std::optional<std::string> {
    std::optional<std::string> missing = ctx.access->MissingScope(type, right);
    if (!missing) return std::nullopt;
    return "the access token's scopes do not allow " + std::string(what) + " (it needs scope " +
           *missing + ")";
  };
  const std::string& type = route.type;
  std::optional<std::string> denied;
  bool search = false;
  switch (route.interaction) {
    case Interaction::kHealth:
    case Interaction::kCapabilities:
    case Interaction::kBatch:  // each entry is checked on its own
      return std::nullopt;
    case Interaction::kRead:
    case Interaction::kVread:
    case Interaction::kHistoryInstance:
      denied = need(type, AccessRight::kRead, "reading " + type);
      break;
    case Interaction::kValidate:
      denied = need(type, AccessRight::kRead, "$validate on " + type);
      break;
    case Interaction::kCreate:
      denied = need(type, AccessRight::kCreate, "creating a " + type);
      break;
    case Interaction::kUpdate:
    case Interaction::kPatch:
    case Interaction::kConditionalUpdate:
      denied = need(type, AccessRight::kUpdate, "updating a " + type);
      break;
    case Interaction::kDelete:
    case Interaction::kConditionalDelete:
      denied = need(type, AccessRight::kDelete, "deleting a " + type);
      break;
    case Interaction::kSearchType:
      search = true;
      [[fallthrough]];
    case Interaction::kHistoryType:
      denied = need(type, AccessRight::kSearch, "searching " + type);
      break;
    case Interaction::kSearchSystem:
      search = true;
      [[fallthrough]];
    case Interaction::kHistorySystem:
      denied = need("*", AccessRight::kSearch, "a search or history across all types");
      break;
  }
  if (denied || !search) return denied;
  // Chains and _has filter on other types' content: a search of each.
  for (const QueryParam& p : params) {
    for (const std::string& reached : TypesReachedBy(p.name)) {
      denied = need(reached, AccessRight::kSearch, "the search parameter " + p.name);
      if (denied) return denied;
    }
  }
  // Included resources are read: _include=Src:param:Target reads Target
  // (any type without one), _revinclude=Src:param reads Src; :iterate can
  // reach any type.
  for (const QueryParam& p : params) {
    const bool include = p.name == "_include";
    const bool revinclude = p.name == "_revinclude";
    if (!include && !revinclude && !p.name.starts_with("_include:") &&
        !p.name.starts_with("_revinclude:")) {
      continue;
    }
    std::string included = "*";
    const std::size_t first = p.value.find(':');
    if (revinclude) {
      included = p.value.substr(0, first);
    } else if (include && first != std::string::npos) {
      const std::size_t second = p.value.find(':', first + 1);
      if (second != std::string::npos) included = p.value.substr(second + 1);
    }
    if (included.empty()) included = "*";
    denied = need(included, AccessRight::kRead, p.name + "=" + p.value);
    if (denied) return denied;
  }
  return std::nullopt;
}

std::optional<std::string> SideSearchDenied(const Context& ctx, std::string_view type,
                                            std::string_view what) {
  if (!ctx.access) return std::nullopt;
  std::optional<std::string> missing = ctx.access->MissingScope(type, AccessRight::kSearch);
  if (!missing) return std::nullopt;
  return "the access token's scopes do not allow " + std::string(what) + ", a search of " +
         std::string(type) + " (it needs scope " + *missing + ")";
}

Result<std::string> RenderStored(const Context& ctx, const std::string& stored_json) {
  if (ctx.format == fhir::Format::kJson && !ctx.pretty) return stored_json;
  Result<json::Document> doc = json::Parse(stored_json);
  if (!doc.ok()) return Internal("stored resource does not parse: " + doc.status().message());
  return fhir::SerializeResource(doc->root(), ctx.format, {.pretty = ctx.pretty});
}

Result<std::vector<Issue>> ValidateResource(const json::Value& resource) {
  validation::IssueCollector issues;
  Status ran = validation::ValidateStructure(resource, issues);
  if (!ran.ok()) return Internal("validation could not run: " + ran.message());
  if (issues.error_count() == 0) return std::vector<Issue>();
  return issues.issues();
}

Result<std::vector<Issue>> ValidateForWrite(const Env& env, const json::Value& resource,
                                            std::string_view type) {
  Result<std::vector<Issue>> structural = ValidateResource(resource);
  if (!structural.ok() || !structural->empty()) return structural;
  const ProfileConformance* profiles = env.options.profiles.get();
  if (profiles == nullptr || profiles->RequiredFor(type).empty()) return std::vector<Issue>();
  validation::IssueCollector sink;
  profiles->CheckRequired(resource, type, sink);
  if (sink.error_count() == 0) return std::vector<Issue>();
  return sink.issues();
}

namespace {

// A resource ready for the store: id set, meta.versionId/lastUpdated present
// (placeholders) and canonical member order, so the writer's stamp only
// replaces two values in place and writes the text.
struct PreparedResource {
  json::Document doc;
  json::Value root;
};

// The WriteOp::stamp: runs on the writer thread, which then owns `p`.
std::function<std::string(std::int64_t, std::int64_t)> Stamp(std::shared_ptr<PreparedResource> p) {
  return [p = std::move(p)](std::int64_t version, std::int64_t last_updated_ms) {
    json::Value* meta = p->root.Find("meta");
    FE_CHECK(meta != nullptr && meta->IsObject());
    p->doc.SetMember(*meta, "versionId", p->doc.MakeString(std::to_string(version)));
    p->doc.SetMember(*meta, "lastUpdated", p->doc.MakeString(FormatInstant(last_updated_ms)));
    return json::Write(p->root);
  };
}

}  // namespace

store::WriteOp PreparePut(const json::Value& resource, const std::string& type,
                          const std::string& id, std::optional<std::int64_t> expected_version) {
  FE_CHECK(resource.IsObject());
  // A deep copy first: the store's writer thread owns the result, and
  // Canonicalize shares keys and leaves with its input.
  auto prepared = std::make_shared<PreparedResource>();
  json::Document& doc = prepared->doc;
  json::Value root = doc.Copy(resource);
  doc.SetMember(root, "id", doc.MakeString(id));
  json::Value* meta = root.Find("meta");
  if (meta == nullptr || !meta->IsObject()) {
    doc.SetMember(root, "meta", doc.MakeObject(std::span<const json::Member>()));
    meta = root.Find("meta");
  }
  doc.SetMember(*meta, "versionId", doc.MakeString("0"));
  doc.SetMember(*meta, "lastUpdated", doc.MakeString(FormatInstant(0)));
  prepared->root = fhir::Canonicalize(root, doc);
  store::WriteOp op;
  op.kind = store::WriteKind::kPut;
  op.type = type;
  op.id = id;
  op.expected_version = expected_version;
  // The search index rows, extracted here on the calling (io) thread.
  op.index = search::IndexRowsFor(prepared->root);
  op.stamp = Stamp(std::move(prepared));
  return op;
}

Result<std::vector<QueryParam>> ParseCriteria(std::string_view criteria) {
  if (std::size_t q = criteria.find('?'); q != std::string_view::npos) {
    criteria = criteria.substr(q + 1);
  }
  std::vector<QueryParam> params;
  FE_RETURN_IF_ERROR(ParseQueryString(criteria, params));
  if (params.empty()) return InvalidArgument("the search criteria are empty");
  return params;
}

Result<std::vector<store::StoredResource>> FindMatches(const Env& env, const std::string& type,
                                                       std::span<const QueryParam> criteria) {
  // Two are enough to tell "several" (412) from one.
  Result<std::vector<store::Hit>> hits =
      MatchCriteria(env.store, type, criteria, env.options.base_url, /*limit=*/1);
  if (!hits.ok()) {
    if (hits.status().code() == StatusCode::kIoError) return Internal(hits.status().message());
    return hits.status();
  }
  std::vector<store::StoredResource> out;
  for (store::Hit& h : *hits) {
    store::StoredResource r;
    r.type = std::move(h.type);
    r.id = std::move(h.id);
    r.version = h.version;
    r.last_updated_ms = h.last_updated_ms;
    r.json = std::move(h.json);
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::string> SearchType(const Env& env, const std::string& type,
                               std::span<const QueryParam> params) {
  SearchCall call;
  call.type = type;
  call.params.assign(params.begin(), params.end());
  call.base_url = env.options.base_url;
  return RunSearch(env.store, call);
}

Result<ConditionalTarget> ResolveConditionalUpdate(const Env& env, const std::string& type,
                                                   std::span<const QueryParam> criteria,
                                                   std::string_view body_id) {
  Result<std::vector<store::StoredResource>> matches = FindMatches(env, type, criteria);
  if (!matches.ok()) return matches.status();
  ConditionalTarget target;
  if (matches->size() > 1) {
    return Status(StatusCode::kFailedPrecondition,
                  std::to_string(matches->size()) + " " + type +
                      " resources match the criteria; a conditional update needs at most one");
  }
  if (matches->empty()) {
    target.id = body_id.empty() ? NewResourceId() : std::string(body_id);
    target.expected_version = 0;
    return target;
  }
  const store::StoredResource& match = matches->front();
  if (!body_id.empty() && body_id != match.id) {
    return InvalidArgument("the body's id '" + std::string(body_id) + "' differs from the id '" +
                           match.id + "' of the " + type + " matching the criteria");
  }
  target.id = match.id;
  target.expected_version = match.version;
  target.matched = true;
  return target;
}

int CriteriaHttpStatus(const Status& status) {
  return status.code() == StatusCode::kUnimplemented ? 400 : HttpStatusFor(status);
}

std::vector<QueryParam> CriteriaOf(std::span<const QueryParam> query) {
  std::vector<QueryParam> out;
  for (const QueryParam& p : query) {
    if (p.name != "_format" && p.name != "_pretty") out.push_back(p);
  }
  return out;
}

namespace {

RestResponse InfoResponse(const Context& ctx, int status, std::string message) {
  return OutcomeResponse(ctx, status, Severity::kInformation, IssueType::kInformational,
                         std::move(message));
}

void AddVersionHeaders(RestResponse& r, std::int64_t version, std::int64_t last_updated_ms) {
  r.AddHeader("ETag", FormatVersionETag(version));
  r.AddHeader("Last-Modified", FormatHttpDate(last_updated_ms));
}

}  // namespace

std::string VersionUrl(const std::string& base, const std::string& type, const std::string& id,
                       std::int64_t version) {
  return base + "/" + type + "/" + id + "/_history/" + std::to_string(version);
}

namespace {

// Parses a non-negative integer query parameter.
std::optional<std::size_t> ParseCount(const std::string& text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  std::size_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  return v;
}

// ---- reads -----------------------------------------------------------------

bool NotModified(const RestRequest& req, const store::StoredResource& r) {
  // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
  if (!req.if_none_match.empty()) return ETagListMatches(req.if_none_match, r.version);
  if (!req.if_modified_since.empty()) {
    std::optional<std::int64_t> since = ParseHttpDate(req.if_modified_since);
    // HTTP dates have whole seconds: compare at that precision.
    return since.has_value() && (r.last_updated_ms / 1000) * 1000 <= *since;
  }
  return false;
}

// What _summary and _elements asked a read for (search.html#summary and
// #elements; http.html#read allows both on read and vread).
struct SubsetRequest {
  fhir::SummaryMode summary = fhir::SummaryMode::kFalse;
  std::vector<std::string> elements;  // empty: no _elements
  bool strict = false;                // Prefer: handling=strict

  bool active() const { return summary != fhir::SummaryMode::kFalse || !elements.empty(); }
};

// The subset asked for, or the message of the 400 that answers a bad request.
Result<SubsetRequest> ParseSubsetRequest(const RequestTarget& target, const RestRequest& req) {
  SubsetRequest out;
  out.strict = PreferStrictHandling(req.prefer);
  const std::string* summary = nullptr;
  const std::string* elements = nullptr;
  for (const QueryParam& p : target.query) {
    const std::string** slot = p.name == "_summary"    ? &summary
                               : p.name == "_elements" ? &elements
                                                       : nullptr;
    if (slot == nullptr) continue;
    if (*slot != nullptr) return InvalidArgument(p.name + " is given more than once");
    *slot = &p.value;
  }
  if (summary != nullptr) {
    Result<fhir::SummaryMode> mode = fhir::ParseSummaryMode(*summary);
    if (!mode.ok()) return mode.status();
    if (*mode == fhir::SummaryMode::kCount) {
      return InvalidArgument("_summary=count applies to searches, not to read");
    }
    out.summary = *mode;
  }
  if (elements != nullptr) {
    if (out.summary != fhir::SummaryMode::kFalse) {
      return InvalidArgument("_summary and _elements cannot be combined: give one of them");
    }
    Result<std::vector<std::string>> names = fhir::ParseElementsList(*elements);
    if (!names.ok()) return names.status();
    out.elements = std::move(names).value();
  }
  return out;
}

// The stored resource's subset in the negotiated format. kInvalidArgument
// for _elements names the type does not define under handling=strict.
Result<std::string> RenderSubset(const Context& ctx, const std::string& stored_json,
                                 const SubsetRequest& subset) {
  Result<json::Document> doc = json::Parse(stored_json);
  if (!doc.ok()) return Internal("stored resource does not parse: " + doc.status().message());
  Result<fhir::SubsetOutcome> outcome =
      subset.elements.empty() ? fhir::ApplySummary(*doc, doc->root(), subset.summary)
                              : fhir::ApplyElements(*doc, doc->root(), subset.elements);
  if (!outcome.ok()) return Internal("stored resource: " + outcome.status().message());
  if (subset.strict && !outcome->unknown_elements.empty()) {
    std::string names;
    for (const std::string& n : outcome->unknown_elements) names += (names.empty() ? "" : ", ") + n;
    return InvalidArgument("_elements names elements the resource type does not define: " + names);
  }
  return fhir::SerializeResource(doc->root(), ctx.format, {.pretty = ctx.pretty});
}

RestResponse Read(const Env& env, const Context& ctx, const Route& route, const RestRequest& req,
                  const RequestTarget& target) {
  Result<SubsetRequest> subset = ParseSubsetRequest(target, req);
  if (!subset.ok()) return ErrorResponse(ctx, 400, subset.status().message());
  const bool vread = route.interaction == Interaction::kVread;
  Result<store::StoredResource> found =
      vread ? env.store.ReadVersion(route.type, route.id, route.version)
            : env.store.Read(route.type, route.id);
  const std::string name = route.type + "/" + route.id;
  if (!found.ok()) {
    if (found.status().code() == StatusCode::kNotFound) {
      return ErrorResponse(ctx, 404,
                           vread ? name + " has no version " + std::to_string(route.version)
                                 : name + " is not known");
    }
    return ErrorResponse(ctx, 500, found.status().message());
  }
  if (found->deleted) {
    RestResponse r = ErrorResponse(
        ctx, 410, name + " was deleted (version " + std::to_string(found->version) + ")");
    AddVersionHeaders(r, found->version, found->last_updated_ms);
    return r;
  }
  RestResponse r;
  AddVersionHeaders(r, found->version, found->last_updated_ms);
  if (NotModified(req, *found)) {
    r.status = 304;
    return r;
  }
  Result<std::string> body =
      subset->active() ? RenderSubset(ctx, found->json, *subset) : RenderStored(ctx, found->json);
  if (!body.ok()) {
    return ErrorResponse(ctx, body.status().code() == StatusCode::kInvalidArgument ? 400 : 500,
                         body.status().message());
  }
  r.status = 200;
  r.content_type = std::string(ContentTypeFor(ctx.format));
  r.body = std::move(body).value();
  return r;
}

// ---- history ---------------------------------------------------------------

json::Value Str(json::Document& doc, std::string_view s) { return doc.MakeString(s); }

RestResponse History(const Env& env, const Context& ctx, const Route& route,
                     const RequestTarget& target) {
  for (const char* unsupported : {"_at", "_list", "_sort", "_summary", "_elements"}) {
    if (target.Find(unsupported) != nullptr) {
      return OutcomeResponse(ctx, 400, Severity::kError, IssueType::kNotSupported,
                             std::string(unsupported) + " is not supported on history yet");
    }
  }
  store::ResourceStore::HistoryQuery query;
  query.type = route.type;
  query.id = route.id;
  const std::string* since = target.Find("_since");
  if (since != nullptr) {
    Result<std::int64_t> ms = ParseInstant(*since);
    if (!ms.ok()) return ErrorResponse(ctx, 400, "_since: " + ms.status().message());
    query.since_ms = *ms;
  }
  std::size_t count = env.options.default_history_count;
  if (const std::string* c = target.Find("_count")) {
    std::optional<std::size_t> parsed = ParseCount(*c);
    if (!parsed) return ErrorResponse(ctx, 400, "_count '" + *c + "' is not a whole number");
    count = std::min(*parsed, env.options.max_history_count);
  }
  std::size_t offset = 0;
  if (const std::string* o = target.Find("_offset")) {
    std::optional<std::size_t> parsed = ParseCount(*o);
    if (!parsed) return ErrorResponse(ctx, 400, "_offset '" + *o + "' is not a whole number");
    offset = *parsed;
  }
  if (route.interaction == Interaction::kHistoryInstance) {
    Result<store::StoredResource> current = env.store.Read(route.type, route.id);
    if (!current.ok()) {
      if (current.status().code() == StatusCode::kNotFound) {
        return ErrorResponse(ctx, 404, route.type + "/" + route.id + " is not known");
      }
      return ErrorResponse(ctx, 500, current.status().message());
    }
  }
  query.count = count + 1;  // one more tells whether there is a next page
  query.offset = offset;
  Result<std::vector<store::StoredResource>> rows = env.store.History(query);
  if (!rows.ok()) return ErrorResponse(ctx, 500, rows.status().message());
  // _count=0 asks for no entries (FHIR: a count only); it has no next page.
  const bool more = count > 0 && rows->size() > count;
  if (rows->size() > count) rows->resize(count);

  const std::string& base = env.options.base_url;
  std::string path = base;
  if (!route.type.empty()) path += "/" + route.type;
  if (!route.id.empty()) path += "/" + route.id;
  path += "/_history";
  auto page_url = [&](std::size_t page_offset) {
    std::string url = path + "?_count=" + std::to_string(count);
    if (since != nullptr) url += "&_since=" + EncodeQueryComponent(*since);
    if (page_offset > 0) url += "&_offset=" + std::to_string(page_offset);
    if (const std::string* f = target.Find("_format"))
      url += "&_format=" + EncodeQueryComponent(*f);
    if (ctx.pretty) url += "&_pretty=true";
    return url;
  };

  json::Document doc;
  std::vector<json::Value> links;
  links.push_back(doc.MakeObject(std::vector<json::Member>{{"relation", Str(doc, "self")},
                                                           {"url", Str(doc, page_url(offset))}}));
  if (more) {
    links.push_back(doc.MakeObject(std::vector<json::Member>{
        {"relation", Str(doc, "next")}, {"url", Str(doc, page_url(offset + count))}}));
  }
  std::vector<json::Value> entries;
  entries.reserve(rows->size());
  for (const store::StoredResource& row : *rows) {
    std::vector<json::Member> entry;
    entry.push_back({"fullUrl", Str(doc, base + "/" + row.type + "/" + row.id)});
    if (!row.deleted) {
      Result<json::Document> parsed = json::Parse(row.json);
      if (!parsed.ok()) {
        return ErrorResponse(ctx, 500,
                             row.type + "/" + row.id + " version " + std::to_string(row.version) +
                                 " does not parse");
      }
      entry.push_back({"resource", doc.Copy(parsed->root())});
    }
    // Replaying this history as a transaction gives the same resources:
    // every version is a PUT to its own id (client and server ids alike).
    const std::string url = row.type + "/" + row.id;
    entry.push_back({"request", doc.MakeObject(std::vector<json::Member>{
                                    {"method", Str(doc, row.deleted ? "DELETE" : "PUT")},
                                    {"url", Str(doc, url)}})});
    const char* status = row.deleted        ? "204 No Content"
                         : row.version == 1 ? "201 Created"
                                            : "200 OK";
    entry.push_back(
        {"response", doc.MakeObject(std::vector<json::Member>{
                         {"status", Str(doc, status)},
                         {"etag", Str(doc, FormatVersionETag(row.version))},
                         {"lastModified", Str(doc, FormatInstant(row.last_updated_ms))}})});
    entries.push_back(doc.MakeObject(entry));
  }
  std::vector<json::Member> bundle{{"resourceType", Str(doc, "Bundle")},
                                   {"type", Str(doc, "history")},
                                   {"link", doc.MakeArray(links)}};
  if (!entries.empty()) bundle.push_back({"entry", doc.MakeArray(entries)});
  Result<std::string> body =
      fhir::SerializeResource(doc.MakeObject(bundle), ctx.format, {.pretty = ctx.pretty});
  if (!body.ok()) return ErrorResponse(ctx, 500, "history Bundle: " + body.status().message());
  RestResponse r;
  r.status = 200;
  r.content_type = std::string(ContentTypeFor(ctx.format));
  r.body = std::move(body).value();
  return r;
}

// ---- writes ----------------------------------------------------------------

}  // namespace

std::optional<RestResponse> ParseBody(const Env& env, const Context& ctx, const RestRequest& req,
                                      const std::string& type, json::Document& out) {
  if (req.body.empty()) {
    return ErrorResponse(ctx, 400, "the request has no body; send a " + type + " resource");
  }
  Result<fhir::Format> format = RequestBodyFormat(req.content_type, req.body);
  if (!format.ok()) return ErrorResponse(ctx, 415, format.status().message());
  Result<json::Document> parsed = fhir::ParseResource(req.body, *format, env.options.parse_limits);
  if (!parsed.ok()) {
    const Issue issue = validation::IssueFromStatus(parsed.status());
    const int status = parsed.status().code() == StatusCode::kResourceExhausted ? 413 : 400;
    return IssuesResponse(ctx, status, std::span<const Issue>(&issue, 1));
  }
  const json::Value& root = parsed->root();
  const json::Value* resource_type = root.Find("resourceType");
  if (!root.IsObject() || resource_type == nullptr || !resource_type->IsString()) {
    return ErrorResponse(ctx, 400, "the body is not a FHIR resource (no resourceType)");
  }
  if (resource_type->text() != type) {
    return ErrorResponse(
        ctx, 400,
        "the body is a " + std::string(resource_type->text()) + " but the URL names " + type);
  }
  out = std::move(parsed).value();
  return std::nullopt;
}

namespace {

std::optional<RestResponse> Validate(const Env& env, const Context& ctx, const json::Document& doc,
                                     const std::string& type) {
  Result<std::vector<Issue>> issues = ValidateForWrite(env, doc.root(), type);
  if (!issues.ok()) return ErrorResponse(ctx, 500, issues.status().message());
  if (!issues->empty()) return IssuesResponse(ctx, 422, *issues);
  return std::nullopt;
}

// The client's If-Match as an expected version, or the 400 response.
std::variant<std::optional<std::int64_t>, RestResponse> ExpectedVersion(const Context& ctx,
                                                                        const RestRequest& req) {
  if (req.if_match.empty()) return std::optional<std::int64_t>();
  std::optional<std::int64_t> v = ParseVersionETag(req.if_match);
  if (!v) {
    return ErrorResponse(ctx, 400,
                         "If-Match '" + req.if_match +
                             "' is not a version ETag; send W/\"n\" with the version you read");
  }
  return v;
}

// The answer to a committed write, or to the store's refusal of it.
// `read_guard`: the expected version is the one the server itself read (a
// patch without If-Match), so a mismatch is a concurrent write: 409.
RestResponse WriteOutcome(const Context& ctx, const std::string& base_url, bool is_create,
                          bool has_precondition, const Result<std::vector<store::WriteResult>>& r,
                          bool read_guard = false) {
  if (!r.ok()) {
    const Status& s = r.status();
    switch (s.code()) {
      case StatusCode::kFailedPrecondition:
      case StatusCode::kNotFound:
        if (read_guard) {
          return OutcomeResponse(ctx, 409, Severity::kError, IssueType::kConflict,
                                 s.message() +
                                     ": it changed while the patch was applied; read it again "
                                     "and send the patch again");
        }
        return ErrorResponse(ctx, has_precondition ? 412 : HttpStatusFor(s), s.message());
      case StatusCode::kAlreadyExists:
        return ErrorResponse(ctx, has_precondition ? 412 : 409, s.message());
      case StatusCode::kUnavailable: {
        RestResponse resp = ErrorResponse(ctx, 503, s.message());
        resp.AddHeader("Retry-After", "1");
        return resp;
      }
      default:
        return ErrorResponse(ctx, HttpStatusFor(s), s.message());
    }
  }
  FE_CHECK(r->size() == 1);
  const store::WriteResult& w = r->front();
  const std::string name = w.type + "/" + w.id;
  RestResponse resp;
  if (w.deleted) {
    if (!w.unchanged) AddVersionHeaders(resp, w.version, w.last_updated_ms);
    if (ctx.prefer == PreferReturn::kOperationOutcome) {
      RestResponse info = InfoResponse(
          ctx, 200,
          w.unchanged ? name + " did not exist or was already deleted; nothing changed"
                      : "Deleted " + name + " (version " + std::to_string(w.version) + ")");
      info.headers = std::move(resp.headers);
      return info;
    }
    resp.status = 204;
    return resp;
  }
  const bool created = is_create || w.created;
  const int status = created ? 201 : 200;
  switch (ctx.prefer) {
    case PreferReturn::kMinimal:
      resp.status = status;
      break;
    case PreferReturn::kOperationOutcome:
      resp = InfoResponse(ctx, status,
                          std::string(created ? "Created " : "Updated ") + name + " (version " +
                              std::to_string(w.version) + ")");
      break;
    case PreferReturn::kUnspecified:
    case PreferReturn::kRepresentation: {
      Result<std::string> body = RenderStored(ctx, w.json);
      if (!body.ok()) return ErrorResponse(ctx, 500, body.status().message());
      resp.status = status;
      resp.content_type = std::string(ContentTypeFor(ctx.format));
      resp.body = std::move(body).value();
      break;
    }
  }
  AddVersionHeaders(resp, w.version, w.last_updated_ms);
  if (created) resp.AddHeader("Location", VersionUrl(base_url, w.type, w.id, w.version));
  return resp;
}

// Queues `op`; the response is built on the connection's strand.
void SubmitWrite(const Env& env, const Context& ctx, const Responder& responder, store::WriteOp op,
                 bool is_create, bool has_precondition, bool read_guard = false) {
  std::string base_url = env.options.base_url;
  env.store.Submit({std::move(op)}, [responder, ctx, base_url = std::move(base_url), is_create,
                                     has_precondition,
                                     read_guard](Result<std::vector<store::WriteResult>> result) {
    // On the writer thread: hand over, nothing more.
    auto shared = std::make_shared<Result<std::vector<store::WriteResult>>>(std::move(result));
    responder.resume([responder, ctx, base_url, is_create, has_precondition, read_guard, shared] {
      responder.reply(
          WriteOutcome(ctx, base_url, is_create, has_precondition, *shared, read_guard));
    });
  });
}

// The response to a criteria or search failure (FindMatches,
// ResolveConditionalUpdate, RunSearch); `header` names what failed, if given.
RestResponse CriteriaError(const Context& ctx, std::string_view header, const Status& s) {
  const int status = CriteriaHttpStatus(s);
  return OutcomeResponse(
      ctx, status, status >= 500 ? Severity::kFatal : Severity::kError,
      s.code() == StatusCode::kUnimplemented ? IssueType::kNotSupported : IssueTypeFor(status),
      header.empty() ? s.message() : std::string(header) + ": " + s.message());
}

// If-None-Exist: the existing resource's response when one matches,
// nullopt to go on creating.
std::optional<RestResponse> ConditionalCreateMatch(const Env& env, const Context& ctx,
                                                   const Route& route, const RestRequest& req) {
  const std::string header = "If-None-Exist '" + req.if_none_exist + "'";
  Result<std::vector<QueryParam>> criteria = ParseCriteria(req.if_none_exist);
  if (!criteria.ok()) return CriteriaError(ctx, header, criteria.status());
  Result<std::vector<store::StoredResource>> matches = FindMatches(env, route.type, *criteria);
  if (!matches.ok()) return CriteriaError(ctx, header, matches.status());
  if (matches->empty()) return std::nullopt;
  if (matches->size() > 1) {
    return ErrorResponse(ctx, 412,
                         header + " matches " + std::to_string(matches->size()) + " " + route.type +
                             " resources; nothing created");
  }
  const store::StoredResource* found = &matches->front();
  // One match: no create, 200 with the existing resource (FHIR 3.1.0.8.1).
  RestResponse resp;
  switch (ctx.prefer) {
    case PreferReturn::kMinimal:
      break;
    case PreferReturn::kOperationOutcome:
      resp = InfoResponse(ctx, 200,
                          route.type + "/" + found->id + " matches If-None-Exist; nothing created");
      break;
    case PreferReturn::kUnspecified:
    case PreferReturn::kRepresentation: {
      Result<std::string> body = RenderStored(ctx, found->json);
      if (!body.ok()) return ErrorResponse(ctx, 500, body.status().message());
      resp.content_type = std::string(ContentTypeFor(ctx.format));
      resp.body = std::move(body).value();
      break;
    }
  }
  resp.status = 200;
  AddVersionHeaders(resp, found->version, found->last_updated_ms);
  resp.AddHeader("Location",
                 VersionUrl(env.options.base_url, route.type, found->id, found->version));
  return resp;
}

void Create(const Env& env, const Context& ctx, const Route& route, const RestRequest& req,
            const Responder& responder) {
  json::Document doc;
  if (auto error = ParseBody(env, ctx, req, route.type, doc)) return responder.reply(*error);
  // The server assigns the id; one in the body is ignored (FHIR 3.1.0.8),
  // so it is not validated either.
  doc.RemoveMember(doc.root(), "id");
  doc.RemoveMember(doc.root(), "_id");
  if (auto error = Validate(env, ctx, doc, route.type)) return responder.reply(*error);
  if (!req.if_none_exist.empty()) {
    if (auto existing = ConditionalCreateMatch(env, ctx, route, req)) {
      return responder.reply(*existing);
    }
  }
  store::WriteOp op = PreparePut(doc.root(), route.type, NewResourceId(), 0);
  SubmitWrite(env, ctx, responder, std::move(op), /*is_create=*/true, /*has_precondition=*/false);
}

void Update(const Env& env, const Context& ctx, const Route& route, const RestRequest& req,
            const Responder& responder) {
  json::Document doc;
  if (auto error = ParseBody(env, ctx, req, route.type, doc)) return responder.reply(*error);
  const json::Value* id = doc.root().Find("id");
  if (id == nullptr || !id->IsString()) {
    return responder.reply(ErrorResponse(
        ctx, 400,
        "the body has no id; an update must carry the id of the URL ('" + route.id + "')"));
  }
  if (id->text() != route.id) {
    return responder.reply(ErrorResponse(ctx, 400,
                                         "the body's id '" + std::string(id->text()) +
                                             "' differs from the URL's id '" + route.id + "'"));
  }
  if (auto error = Validate(env, ctx, doc, route.type)) return responder.reply(*error);
  auto expected = ExpectedVersion(ctx, req);
  if (auto* error = std::get_if<RestResponse>(&expected)) return responder.reply(*error);
  std::optional<std::int64_t> expected_version = std::get<std::optional<std::int64_t>>(expected);
  if (!req.if_none_match.empty()) {
    if (!IsETagWildcard(req.if_none_match) || expected_version.has_value()) {
      return responder.reply(ErrorResponse(
          ctx, 400, "on update, If-None-Match supports only '*' (create only), without If-Match"));
    }
    expected_version = 0;
  }
  const bool has_precondition = expected_version.has_value();
  store::WriteOp op = PreparePut(doc.root(), route.type, route.id, expected_version);
  SubmitWrite(env, ctx, responder, std::move(op), /*is_create=*/false, has_precondition);
}

// PUT {type}?criteria (FHIR 3.1.0.4.3): no match creates (the body's id, or
// a new one), one match is updated at the version found, more are 412.
void ConditionalUpdate(const Env& env, const Context& ctx, const Route& route,
                       const RestRequest& req, const RequestTarget& target,
                       const Responder& responder) {
  const std::vector<QueryParam> criteria = CriteriaOf(target.query);
  if (criteria.empty()) {
    return responder.reply(ErrorResponse(
        ctx, 400, "a conditional update needs search criteria: PUT " + route.type + "?[criteria]"));
  }
  json::Document doc;
  if (auto error = ParseBody(env, ctx, req, route.type, doc)) return responder.reply(*error);
  std::string body_id;
  if (const json::Value* id = doc.root().Find("id"); id != nullptr && id->IsString()) {
    body_id = std::string(id->text());
  }
  if (auto error = Validate(env, ctx, doc, route.type)) return responder.reply(*error);
  auto expected = ExpectedVersion(ctx, req);
  if (auto* error = std::get_if<RestResponse>(&expected)) return responder.reply(*error);
  Result<ConditionalTarget> where = ResolveConditionalUpdate(env, route.type, criteria, body_id);
  if (!where.ok()) return responder.reply(CriteriaError(ctx, "conditional update", where.status()));
  const std::optional<std::int64_t> if_match = std::get<std::optional<std::int64_t>>(expected);
  if (if_match.has_value() && *if_match != where->expected_version) {
    return responder.reply(ErrorResponse(
        ctx, 412,
        where->matched
            ? route.type + "/" + where->id + " is at version " +
                  std::to_string(where->expected_version) + ", not " + std::to_string(*if_match)
            : "If-Match is set but no " + route.type + " matches the criteria"));
  }
  store::WriteOp op = PreparePut(doc.root(), route.type, where->id, where->expected_version);
  SubmitWrite(env, ctx, responder, std::move(op), /*is_create=*/false,
              /*has_precondition=*/where->matched);
}

// DELETE {type}?criteria (FHIR 3.1.0.7.1): no match is a successful no-op,
// one match is deleted at the version found, more are 412.
void ConditionalDelete(const Env& env, const Context& ctx, const Route& route,
                       const RequestTarget& target, const Responder& responder) {
  const std::vector<QueryParam> criteria = CriteriaOf(target.query);
  if (criteria.empty()) {
    return responder.reply(ErrorResponse(
        ctx, 400,
        "a conditional delete needs search criteria: DELETE " + route.type + "?[criteria]"));
  }
  Result<std::vector<store::StoredResource>> matches = FindMatches(env, route.type, criteria);
  if (!matches.ok())
    return responder.reply(CriteriaError(ctx, "conditional delete", matches.status()));
  if (matches->size() > 1) {
    return responder.reply(ErrorResponse(ctx, 412,
                                         std::to_string(matches->size()) + " " + route.type +
                                             " resources match; a conditional delete deletes "
                                             "at most one"));
  }
  if (matches->empty()) {
    if (ctx.prefer == PreferReturn::kOperationOutcome) {
      return responder.reply(
          InfoResponse(ctx, 200, "no " + route.type + " matches the criteria; nothing deleted"));
    }
    RestResponse none;
    none.status = 204;
    return responder.reply(std::move(none));
  }
  store::WriteOp op;
  op.kind = store::WriteKind::kDelete;
  op.type = route.type;
  op.id = matches->front().id;
  op.expected_version = matches->front().version;
  SubmitWrite(env, ctx, responder, std::move(op), /*is_create=*/false, /*has_precondition=*/true);
}

// PATCH with a JSON Patch (RFC 6902): the patch applies to the current
// version as read here; the result is checked and validated as an update's
// body and written guarded by the client's If-Match (412 on mismatch) or
// else by the version read (409 when a concurrent write came first), so no
// other write is ever silently overwritten.
void Patch(const Env& env, const Context& ctx, const Route& route, const RestRequest& req,
           const Responder& responder) {
  if (Status s = CheckJsonPatchContentType(req.content_type); !s.ok()) {
    return responder.reply(ErrorResponse(ctx, 415, s.message()));
  }
  if (req.body.empty()) {
    return responder.reply(ErrorResponse(
        ctx, 400, "the request has no body; send a JSON Patch (an array of operations)"));
  }
  // The result must stay within what a request body may be, as it is stored
  // and read back under the same limits.
  const ParseLimits& limits = env.options.parse_limits;
  Result<json::JsonPatch> patch = json::JsonPatch::Parse(
      req.body, limits,
      {.max_depth = limits.max_depth, .max_result_bytes = limits.max_document_bytes});
  if (!patch.ok()) {
    const int status = patch.status().code() == StatusCode::kResourceExhausted ? 413 : 400;
    return responder.reply(ErrorResponse(ctx, status, patch.status().message()));
  }
  auto expected = ExpectedVersion(ctx, req);
  if (auto* error = std::get_if<RestResponse>(&expected)) return responder.reply(*error);
  const std::optional<std::int64_t> if_match = std::get<std::optional<std::int64_t>>(expected);
  if (!req.if_none_match.empty()) {
    return responder.reply(
        ErrorResponse(ctx, 400,
                      "If-None-Match is not supported on patch (it changes an existing resource); "
                      "use If-Match: W/\"version\""));
  }

  const std::string name = route.type + "/" + route.id;
  Result<store::StoredResource> current = env.store.Read(route.type, route.id);
  if (!current.ok()) {
    if (current.status().code() == StatusCode::kNotFound) {
      return responder.reply(ErrorResponse(
          ctx, 404, name + " is not known; patch changes an existing resource (create it first)"));
    }
    return responder.reply(ErrorResponse(ctx, 500, current.status().message()));
  }
  if (current->deleted) {
    RestResponse r = ErrorResponse(
        ctx, 410, name + " was deleted (version " + std::to_string(current->version) + ")");
    AddVersionHeaders(r, current->version, current->last_updated_ms);
    return responder.reply(std::move(r));
  }
  // Preconditions come before the patch is even tried (RFC 9110 13.2.2).
  if (if_match.has_value() && *if_match != current->version) {
    return responder.reply(ErrorResponse(ctx, 412,
                                         name + " is at version " +
                                             std::to_string(current->version) + ", not " +
                                             std::to_string(*if_match) + " (If-Match)"));
  }
  Result<json::Document> stored = json::Parse(current->json);
  if (!stored.ok()) {
    return responder.reply(
        ErrorResponse(ctx, 500, name + " as stored does not parse: " + stored.status().message()));
  }
  Result<json::Document> patched = patch->ApplyTo(stored->root());
  if (!patched.ok()) {
    return responder.reply(OutcomeResponse(ctx, 422, Severity::kError, IssueType::kProcessing,
                                           "the patch cannot be applied to " + name + " (version " +
                                               std::to_string(current->version) +
                                               "): " + patched.status().message()));
  }
  const json::Value& root = patched->root();
  const json::Value* resource_type = root.Find("resourceType");
  if (!root.IsObject() || resource_type == nullptr || !resource_type->IsString() ||
      resource_type->text() != route.type) {
    return responder.reply(OutcomeResponse(
        ctx, 422, Severity::kError, IssueType::kProcessing,
        "the patch must not change resourceType: the result must stay a " + route.type));
  }
  const json::Value* id = root.Find("id");
  if (id == nullptr || !id->IsString() || id->text() != route.id) {
    return responder.reply(OutcomeResponse(
        ctx, 422, Severity::kError, IssueType::kProcessing,
        "the patch must not change or remove the id: the result must keep id '" + route.id + "'"));
  }
  if (auto error = Validate(env, ctx, *patched, route.type)) return responder.reply(*error);
  store::WriteOp op = PreparePut(patched->root(), route.type, route.id,
                                 if_match.has_value() ? *if_match : current->version);
  SubmitWrite(env, ctx, responder, std::move(op), /*is_create=*/false,
              /*has_precondition=*/if_match.has_value(), /*read_guard=*/!if_match.has_value());
}

void Delete(const Env& env, const Context& ctx, const Route& route, const RestRequest& req,
            const Responder& responder) {
  auto expected = ExpectedVersion(ctx, req);
  if (auto* error = std::get_if<RestResponse>(&expected)) return responder.reply(*error);
  store::WriteOp op;
  op.kind = store::WriteKind::kDelete;
  op.type = route.type;
  op.id = route.id;
  op.expected_version = std::get<std::optional<std::int64_t>>(expected);
  const bool has_precondition = op.expected_version.has_value();
  SubmitWrite(env, ctx, responder, std::move(op), /*is_create=*/false, has_precondition);
}

// ---- search ----------------------------------------------------------------

RestResponse Search(const Env& env, const Context& ctx, const Route& route,
                    const RequestTarget& target, const RestRequest& req) {
  SearchCall call;
  call.type = route.type;
  call.base_url = env.options.base_url;
  call.strict = req.prefer.find("handling=strict") != std::string::npos;
  for (const QueryParam& p : target.query) call.params.push_back(p);
  if (req.method == "POST") {
    // POST [base]/[type]/_search: the parameters as a form body too.
    std::string_view content_type = req.content_type;
    content_type = content_type.substr(0, content_type.find(';'));
    if (!req.body.empty() && content_type != "application/x-www-form-urlencoded") {
      return ErrorResponse(ctx, 415,
                           "a POST _search body must be application/x-www-form-urlencoded");
    }
    if (Status s = ParseQueryString(req.body, call.params); !s.ok()) {
      return ErrorResponse(ctx, 400, "the _search form body: " + s.message());
    }
  }
  Result<std::string> bundle = RunSearch(env.store, call);
  if (!bundle.ok()) return CriteriaError(ctx, "", bundle.status());
  Result<std::string> body = RenderStored(ctx, *bundle);
  if (!body.ok()) return ErrorResponse(ctx, 500, "searchset Bundle: " + body.status().message());
  RestResponse r;
  r.status = 200;
  r.content_type = std::string(ContentTypeFor(ctx.format));
  r.body = std::move(body).value();
  return r;
}

// A registered operation: GET only (parameters in the URL), the type's read
// right, the handler's resource in the negotiated format.
void RunOperation(const Context& ctx, const OperationHandler& handler, OperationCall call,
                  const RestRequest& req, const RequestTarget& target, const Responder& responder) {
  const std::string path = call.type + (call.id.empty() ? "" : "/" + call.id) + "/$" + call.name;
  if (req.method != "GET" && req.method != "HEAD") {
    RestResponse r = ErrorResponse(ctx, 405, "$" + call.name + " is answered on GET " + path);
    r.AddHeader("Allow", "GET, HEAD");
    return responder.reply(std::move(r));
  }
  if (ctx.access) {
    if (std::optional<std::string> missing =
            ctx.access->MissingScope(call.type, AccessRight::kRead)) {
      return responder.reply(ErrorResponse(ctx, 403,
                                           "the access token's scopes do not allow $" + call.name +
                                               " on " + call.type + " (it needs scope " + *missing +
                                               ")"));
    }
  }
  call.params = CriteriaOf(target.query);
  call.head = req.method == "HEAD";
  call.allows = [access = ctx.access](const std::string& type, AccessRight right) {
    return access == nullptr || !access->MissingScope(type, right).has_value();
  };
  handler(call, [ctx, responder](Result<json::Document> result) {
    auto shared = std::make_shared<Result<json::Document>>(std::move(result));
    responder.resume([ctx, responder, shared] {
      if (!shared->ok()) {
        const Status& s = shared->status();
        return responder.reply(ErrorResponse(ctx, HttpStatusFor(s), s.message()));
      }
      Result<std::string> body =
          fhir::SerializeResource((*shared)->root(), ctx.format, {.pretty = ctx.pretty});
      if (!body.ok()) return responder.reply(ErrorResponse(ctx, 500, body.status().message()));
      RestResponse r;
      r.status = 200;
      r.content_type = std::string(ContentTypeFor(ctx.format));
      r.body = std::move(body).value();
      responder.reply(std::move(r));
    });
  });
}

RestResponse Health() {
  RestResponse r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = R"({"status":"ok"})";
  return r;
}

}  // namespace

FhirApi::FhirApi(store::ResourceStore& store, FhirApiOptions options)
    : store_(store), options_(std::move(options)) {
  json::Document doc;
  CapabilityOptions capability{options_.base_url,
                               options_.software_version,
                               NowUnixMs(),
                               options_.smart_token_url,
                               options_.operations != nullptr ? options_.operations->declarations()
                                                              : std::vector<OperationDeclaration>(),
                               {}};
  if (options_.profiles) {
    for (const auto& [type, urls] : options_.profiles->required()) {
      capability.required_profiles[type] = urls;
    }
  }
  const json::Value cs = BuildCapabilityStatement(doc, capability);
  std::size_t i = 0;
  for (fhir::Format format : {fhir::Format::kJson, fhir::Format::kXml}) {
    for (bool pretty : {false, true}) {
      Result<std::string> text = fhir::SerializeResource(cs, format, {.pretty = pretty});
      FE_CHECK(text.ok());  // our own statement must serialise
      capabilities_[i++] = std::move(text).value();
    }
  }
}

void FhirApi::Handle(RestRequest request, Responder responder) {
  Context ctx;
  Result<RequestTarget> target = ParseRequestTarget(request.target);
  if (!target.ok()) return responder.reply(ErrorResponse(ctx, 400, target.status().message()));
  RouteResult routed = MatchRoute(request.method, target->segments);
  if (const Route* r = std::get_if<Route>(&routed); r && r->interaction == Interaction::kHealth) {
    return responder.reply(Health());
  }
  Result<fhir::Format> format = ResponseFormat(target->Find("_format"), request.accept);
  if (!format.ok()) return responder.reply(ErrorResponse(ctx, 406, format.status().message()));
  ctx.format = *format;
  const std::string* pretty = target->Find("_pretty");
  ctx.pretty = pretty != nullptr && *pretty == "true";
  ctx.prefer = ParsePreferReturn(request.prefer);
  const Route* matched = std::get_if<Route>(&routed);
  if (options_.access_policy != nullptr &&
      (matched == nullptr || matched->interaction != Interaction::kCapabilities)) {
    Result<std::shared_ptr<const RequestAccess>> access =
        options_.access_policy->Authenticate(request);
    if (!access.ok()) {
      RestResponse r = ErrorResponse(ctx, 401, access.status().message());
      r.AddHeader("WWW-Authenticate", request.authorization.empty()
                                          ? "Bearer realm=\"fhir\""
                                          : "Bearer realm=\"fhir\", error=\"invalid_token\"");
      return responder.reply(std::move(r));
    }
    ctx.access = std::move(access).value();
  }
  if (options_.operations != nullptr && target->segments.size() > 1) {
    OperationCall call;
    const std::span<const std::string> after_base =
        std::span<const std::string>(target->segments).subspan(1);
    if (const OperationHandler* handler = options_.operations->Match(after_base, call)) {
      return RunOperation(ctx, *handler, std::move(call), request, *target, responder);
    }
  }
  if (const RouteError* error = std::get_if<RouteError>(&routed)) {
    RestResponse r = ErrorResponse(ctx, error->http_status, error->message);
    if (!error->allow.empty()) r.AddHeader("Allow", error->allow);
    return responder.reply(std::move(r));
  }
  const Route& route = std::get<Route>(routed);
  if (ctx.access) {
    std::vector<QueryParam> params = target->query;
    if (request.method == "POST" && (route.interaction == Interaction::kSearchType ||
                                     route.interaction == Interaction::kSearchSystem)) {
      // The form body's parameters count too; a malformed one is Search's 400.
      (void)ParseQueryString(request.body, params);
    }
    std::optional<std::string> denied = AccessDenied(ctx, route, params);
    if (!denied && route.interaction == Interaction::kCreate && !request.if_none_exist.empty()) {
      denied = SideSearchDenied(ctx, route.type, "If-None-Exist");
    }
    if (denied) return responder.reply(ErrorResponse(ctx, 403, *denied));
  }
  const Env env{store_, options_};
  switch (route.interaction) {
    case Interaction::kHealth:
      return responder.reply(Health());
    case Interaction::kCapabilities: {
      RestResponse r;
      r.content_type = std::string(ContentTypeFor(ctx.format));
      r.body = capabilities_[(ctx.format == fhir::Format::kXml ? 2u : 0u) + (ctx.pretty ? 1u : 0u)];
      return responder.reply(std::move(r));
    }
    case Interaction::kRead:
    case Interaction::kVread:
      return responder.reply(Read(env, ctx, route, request, *target));
    case Interaction::kHistoryInstance:
    case Interaction::kHistoryType:
    case Interaction::kHistorySystem:
      return responder.reply(History(env, ctx, route, *target));
    case Interaction::kSearchType:
    case Interaction::kSearchSystem:
      return responder.reply(Search(env, ctx, route, *target, request));
    case Interaction::kCreate:
      return Create(env, ctx, route, request, responder);
    case Interaction::kUpdate:
      return Update(env, ctx, route, request, responder);
    case Interaction::kPatch:
      return Patch(env, ctx, route, request, responder);
    case Interaction::kDelete:
      return Delete(env, ctx, route, request, responder);
    case Interaction::kConditionalUpdate:
      return ConditionalUpdate(env, ctx, route, request, *target, responder);
    case Interaction::kConditionalDelete:
      return ConditionalDelete(env, ctx, route, *target, responder);
    case Interaction::kBatch:
      return HandleBundle(env, ctx, request, responder);
    case Interaction::kValidate:
      return responder.reply(ValidateOperation(env, ctx, route, request, *target));
  }
  responder.reply(ErrorResponse(ctx, 500, "unhandled interaction"));
}

RestResponse FhirApi::ProtocolError(int status, std::string_view message) const {
  return ErrorResponse(Context{}, status, std::string(message));
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kFailedPrecondition:
      return 412;
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kInternal:
    case StatusCode::kIoError:
      return 500;
  }
  return 500;
}

validation::IssueType IssueTypeFor(int http_status) {
  switch (http_status) {
    case 400:
      return IssueType::kInvalid;
    case 404:
      return IssueType::kNotFound;
    case 405:
    case 406:
    case 415:
    case 501:
      return IssueType::kNotSupported;
    case 401:
      return IssueType::kLogin;
    case 403:
      return IssueType::kForbidden;
    case 408:
      return IssueType::kTimeout;
    case 409:
      return IssueType::kDuplicate;
    case 410:
      return IssueType::kDeleted;
    case 412:
      return IssueType::kConflict;
    case 413:
    case 431:
      return IssueType::kTooLong;
    case 422:
      return IssueType::kProcessing;
    case 429:
      return IssueType::kThrottled;
    case 503:
      return IssueType::kTransient;
    default:
      return IssueType::kException;
  }
}

std::string_view ReasonPhrase(int http_status) {
  switch (http_status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "";
  }
}

std::string NewResourceId() {
  unsigned char bytes[16];
  std::size_t have = 0;
  while (have < sizeof bytes) {
    const ssize_t n = ::getrandom(bytes + have, sizeof bytes - have, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    have += static_cast<std::size_t>(n);
  }
  if (have < sizeof bytes) {
    // No getrandom(2) (very old kernel): std::random_device reads the same pool.
    std::random_device rd;
    for (unsigned char& b : bytes) b = static_cast<unsigned char>(rd() & 0xff);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(32);
  for (unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 0xf]);
  }
  return id;
}

}  // namespace fhirengine::rest
