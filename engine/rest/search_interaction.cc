// Search: parse (search_request), query (the store), then write the
// searchset Bundle as text around the stored canonical JSON, so a page of
// results is never parsed again unless it has to be subsetted.
#include "engine/rest/search_interaction.h"

#include <algorithm>

#include "engine/core/log.h"
#include "engine/core/time_format.h"
#include "engine/fhir/resource_subset.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"
#include "engine/rest/fhir_api.h"

namespace fhirengine::rest {
namespace {

std::vector<search::UrlParam> ToUrlParams(std::span<const QueryParam> params) {
  std::vector<search::UrlParam> out;
  out.reserve(params.size());
  for (const QueryParam& p : params) out.emplace_back(p.name, p.value);
  return out;
}

// The resource as the entry shows it: stored as it is, or subsetted
// (_summary, _elements; SUBSETTED-tagged). Under strict handling an
// _elements name the searched type does not define is an error (included
// resources of other types are not held to the list).
Result<std::string> Shape(const std::string& stored, const search::ParsedSearch& parsed,
                          bool strict) {
  if (parsed.summary == search::SummaryMode::kFalse && parsed.elements.empty()) return stored;
  Result<json::Document> doc = json::Parse(stored);
  if (!doc.ok()) return Internal("stored resource does not parse: " + doc.status().message());
  auto subset = [&]() -> Result<fhir::SubsetOutcome> {
    if (!parsed.elements.empty()) return fhir::ApplyElements(*doc, doc->root(), parsed.elements);
    fhir::SummaryMode mode = fhir::SummaryMode::kData;
    if (parsed.summary == search::SummaryMode::kTrue) mode = fhir::SummaryMode::kTrue;
    if (parsed.summary == search::SummaryMode::kText) mode = fhir::SummaryMode::kText;
    return fhir::ApplySummary(*doc, doc->root(), mode);
  };
  Result<fhir::SubsetOutcome> outcome = subset();
  if (!outcome.ok()) return Internal("subset: " + outcome.status().message());
  if (strict && !outcome->unknown_elements.empty()) {
    return InvalidArgument("_elements: '" + outcome->unknown_elements.front() +
                           "' is not an element of the resource type");
  }
  return json::Write(doc->root());
}

void AppendLink(std::string& out, bool& first, std::string_view relation, const std::string& url) {
  out += first ? "" : ",";
  first = false;
  out += R"({"relation":)";
  log::AppendJsonString(out, relation);
  out += R"(,"url":)";
  log::AppendJsonString(out, url);
  out += '}';
}

void AppendEntry(std::string& out, bool& first, const std::string& base, const store::Hit& hit,
                 const std::string& resource, std::string_view mode) {
  out += first ? "" : ",";
  first = false;
  out += R"({"fullUrl":)";
  log::AppendJsonString(out, base + "/" + hit.type + "/" + hit.id);
  out += R"(,"resource":)";
  out += resource;
  out += R"(,"search":{"mode":)";
  log::AppendJsonString(out, mode);
  out += "}}";
}

}  // namespace

Result<std::string> RunSearch(const store::ResourceStore& store, const SearchCall& call,
                              const search::SearchParameterRegistry& registry) {
  const std::vector<search::UrlParam> params = ToUrlParams(call.params);
  search::SearchOptions options;
  options.strict = call.strict;
  options.default_count = call.default_count;
  options.max_count = call.max_count;
  options.base_url = call.base_url;
  options.now_ms = NowUnixMs();
  Result<search::ParsedSearch> parsed = search::ParseSearch(call.type, params, options, registry);
  if (!parsed.ok()) return parsed.status();
  Result<store::SearchPage> page = store.Search(parsed->query, parsed->page);
  if (!page.ok()) return page.status();
  std::vector<store::Hit> included;
  if (!parsed->includes.empty() && !page->hits.empty()) {
    Result<std::vector<store::Hit>> inc =
        store.Include(page->hits, parsed->includes, call.max_included);
    if (!inc.ok()) {
      if (inc.status().code() == StatusCode::kResourceExhausted) {
        return InvalidArgument(inc.status().message() + "; ask for fewer results with _count");
      }
      return inc.status();
    }
    included = std::move(inc).value();
  }

  // Links: the parameters that were applied, then paging.
  std::string path = call.base_url;
  if (!call.type.empty()) path += "/" + call.type;
  std::string query;
  for (const search::UrlParam& p : parsed->applied) {
    if (p.first == "_count" || p.first == "_offset") continue;
    query += query.empty() ? "" : "&";
    query += EncodeQueryComponent(p.first) + "=" + EncodeQueryComponent(p.second);
  }
  const std::size_t count = parsed->page.count;
  auto page_url = [&](std::size_t offset) {
    std::string url =
        path + "?" + query + (query.empty() ? "" : "&") + "_count=" + std::to_string(count);
    if (offset > 0) url += "&_offset=" + std::to_string(offset);
    return url;
  };

  std::string out;
  out.reserve(256 + page->hits.size() * 1024);
  out += R"({"resourceType":"Bundle","id":")" + NewResourceId() + R"(","meta":{"lastUpdated":")" +
         FormatInstant(NowUnixMs()) + R"("},"type":"searchset")";
  if (page->total) out += R"(,"total":)" + std::to_string(*page->total);
  out += R"(,"link":[)";
  bool first = true;
  const std::size_t offset = parsed->page.offset;
  AppendLink(out, first, "self", page_url(offset));
  if (count > 0) {
    AppendLink(out, first, "first", page_url(0));
    if (offset > 0)
      AppendLink(out, first, "previous", page_url(offset > count ? offset - count : 0));
    if (page->has_more) AppendLink(out, first, "next", page_url(offset + count));
  }
  out += ']';
  const bool has_entries = !page->hits.empty() || !included.empty() || !parsed->ignored.empty();
  if (has_entries) {
    out += R"(,"entry":[)";
    first = true;
    for (const store::Hit& hit : page->hits) {
      Result<std::string> resource = Shape(hit.json, *parsed, call.strict);
      if (!resource.ok()) return resource.status();
      AppendEntry(out, first, call.base_url, hit, *resource, "match");
    }
    for (const store::Hit& hit : included) {
      Result<std::string> resource = Shape(hit.json, *parsed, /*strict=*/false);
      if (!resource.ok()) return resource.status();
      AppendEntry(out, first, call.base_url, hit, *resource, "include");
    }
    if (!parsed->ignored.empty()) {
      // Lenient handling: say what was not applied (search.html#errors).
      out += first ? "" : ",";
      out += R"({"resource":{"resourceType":"OperationOutcome","issue":[)";
      for (std::size_t i = 0; i < parsed->ignored.size(); ++i) {
        out += i > 0 ? "," : "";
        out += R"({"severity":"warning","code":"not-supported","diagnostics":)";
        log::AppendJsonString(out, "ignored: " + parsed->ignored[i]);
        out += '}';
      }
      out += R"(]},"search":{"mode":"outcome"}})";
    }
    out += ']';
  }
  out += '}';
  return out;
}

Result<std::vector<store::Hit>> MatchCriteria(const store::ResourceStore& store,
                                              const std::string& type,
                                              std::span<const QueryParam> criteria,
                                              const std::string& base_url, std::size_t limit,
                                              const search::SearchParameterRegistry& registry) {
  if (criteria.empty()) return InvalidArgument("a condition needs at least one search parameter");
  const std::vector<search::UrlParam> params = ToUrlParams(criteria);
  search::SearchOptions options;
  options.strict = true;
  options.base_url = base_url;
  options.now_ms = NowUnixMs();
  Result<search::ParsedSearch> parsed = search::ParseSearch(type, params, options, registry);
  if (!parsed.ok()) return parsed.status();
  for (const search::UrlParam& p : parsed->applied) {
    if (p.first.starts_with('_') && p.first != "_id" && p.first != "_lastUpdated" &&
        p.first != "_tag" && p.first != "_profile" && p.first != "_security" &&
        p.first != "_source" && !p.first.starts_with("_has")) {
      return InvalidArgument("'" + p.first + "' cannot be part of a condition");
    }
  }
  store::PageRequest page;
  page.count = limit + 1;
  page.want_total = false;
  Result<store::SearchPage> found = store.Search(parsed->query, page);
  if (!found.ok()) return found.status();
  return std::move(found->hits);
}

}  // namespace fhirengine::rest
