// Bundle page parsing for the fhir-rest adapter (see bundle_page.h).
#include "adapters/fhir_rest/bundle_page.h"

#include "engine/core/time_format.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"

namespace fhirengine::adapters::fhir_rest {
namespace {

std::string_view StringMember(const json::Value& object, std::string_view key) {
  const json::Value* v = object.Find(key);
  return v != nullptr && v->IsString() ? v->text() : std::string_view();
}

bool IsTypeName(std::string_view s) {
  if (s.empty() || s.front() < 'A' || s.front() > 'Z') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

// W/"3" -> 3
std::string VersionFromEtag(std::string_view etag) {
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

Status ParseEntry(const json::Value& entry, std::size_t index, BundlePageEntry& out) {
  const std::string where = "Bundle.entry[" + std::to_string(index) + "]";
  if (!entry.IsObject()) return InvalidArgument(where + " is not an object");
  out.full_url = std::string(StringMember(entry, "fullUrl"));
  if (const json::Value* request = entry.Find("request")) {
    out.request_method = std::string(StringMember(*request, "method"));
  }
  const json::Value* resource = entry.Find("resource");
  if (resource != nullptr && resource->IsObject()) {
    out.resource_type = std::string(StringMember(*resource, "resourceType"));
    out.id = std::string(StringMember(*resource, "id"));
    if (!IsTypeName(out.resource_type)) {
      return InvalidArgument(where + ".resource has no valid resourceType");
    }
    if (out.id.empty())
      return InvalidArgument(where + ".resource (" + out.resource_type + ") has no id");
    if (const json::Value* meta = resource->Find("meta")) {
      out.version_id = std::string(StringMember(*meta, "versionId"));
      const std::string_view last_updated = StringMember(*meta, "lastUpdated");
      if (!last_updated.empty()) {
        Result<std::int64_t> ms = ParseInstant(last_updated);
        if (!ms.ok()) {
          return InvalidArgument(where + ".resource.meta.lastUpdated: " + ms.status().message());
        }
        out.last_updated_ms = *ms;
      }
    }
    json::WriteTo(*resource, out.resource_json);
  } else {
    out.deleted = true;
  }
  if (out.request_method == "DELETE") {
    out.deleted = true;
    out.resource_json.clear();
  }
  if (const json::Value* response = entry.Find("response")) {
    if (out.version_id.empty()) out.version_id = VersionFromEtag(StringMember(*response, "etag"));
    const std::string_view modified = StringMember(*response, "lastModified");
    if (!modified.empty() && (out.deleted || !out.last_updated_ms)) {
      Result<std::int64_t> ms = ParseInstant(modified);
      if (!ms.ok())
        return InvalidArgument(where + ".response.lastModified: " + ms.status().message());
      out.last_updated_ms = *ms;
    }
  }
  if (out.deleted) {
    // A deletion names its resource through request.url or fullUrl.
    std::string type, id;
    std::string_view ref;
    if (const json::Value* request = entry.Find("request")) ref = StringMember(*request, "url");
    if (!SplitTypeAndId(ref, type, id) && !SplitTypeAndId(out.full_url, type, id)) {
      return InvalidArgument(where + " is a deletion without a Type/id in request.url or fullUrl");
    }
    out.resource_type = std::move(type);
    out.id = std::move(id);
  }
  return Status::Ok();
}

}  // namespace

bool SplitTypeAndId(std::string_view reference, std::string& type, std::string& id) {
  if (const std::size_t q = reference.find('?'); q != std::string_view::npos) {
    reference = reference.substr(0, q);
  }
  if (const std::size_t h = reference.find("/_history"); h != std::string_view::npos) {
    reference = reference.substr(0, h);
  }
  while (!reference.empty() && reference.back() == '/') reference.remove_suffix(1);
  const std::size_t slash = reference.rfind('/');
  if (slash == std::string_view::npos || slash + 1 >= reference.size()) return false;
  std::string_view id_part = reference.substr(slash + 1);
  std::string_view head = reference.substr(0, slash);
  const std::size_t prev = head.rfind('/');
  std::string_view type_part = prev == std::string_view::npos ? head : head.substr(prev + 1);
  if (!IsTypeName(type_part)) return false;
  type = std::string(type_part);
  id = std::string(id_part);
  return true;
}

Result<BundlePage> ParseBundlePage(std::string_view body, fhir::Format format,
                                   const ParseLimits& limits) {
  Result<json::Document> doc = format == fhir::Format::kJson
                                   ? json::Parse(body, limits)
                                   : fhir::ParseResource(body, format, limits);
  if (!doc.ok()) {
    return Status(doc.status().code(), "the response does not parse as FHIR " +
                                           std::string(fhir::FormatName(format)) + ": " +
                                           doc.status().message());
  }
  const json::Value& root = doc->root();
  const std::string_view resource_type = StringMember(root, "resourceType");
  if (resource_type != "Bundle") {
    std::string detail;
    if (resource_type == "OperationOutcome") {
      const json::Value* issues = root.Find("issue");
      if (issues != nullptr && !issues->elements().empty()) {
        detail =
            ": " + std::string(StringMember(issues->elements()[0], "diagnostics")).substr(0, 200);
      }
    }
    return InvalidArgument("the response is " +
                           (resource_type.empty() ? std::string("not a FHIR resource")
                                                  : "a " + std::string(resource_type)) +
                           ", not a Bundle" + detail);
  }
  BundlePage page;
  page.type = std::string(StringMember(root, "type"));
  if (const json::Value* meta = root.Find("meta")) {
    const std::string_view last_updated = StringMember(*meta, "lastUpdated");
    if (!last_updated.empty()) {
      Result<std::int64_t> ms = ParseInstant(last_updated);
      if (ms.ok()) page.bundle_time_ms = *ms;
    }
  }
  if (const json::Value* links = root.Find("link")) {
    for (const json::Value& link : links->elements()) {
      if (StringMember(link, "relation") == "next") {
        page.next_link = std::string(StringMember(link, "url"));
        break;
      }
    }
  }
  if (const json::Value* entries = root.Find("entry")) {
    page.entries.reserve(entries->size());
    std::size_t index = 0;
    for (const json::Value& entry : entries->elements()) {
      if (const json::Value* search = entry.Find("search")) {
        const std::string_view mode = StringMember(*search, "mode");
        if (mode == "include" || mode == "outcome") {
          ++index;
          continue;
        }
      }
      BundlePageEntry parsed;
      FE_RETURN_IF_ERROR(ParseEntry(entry, index, parsed));
      page.entries.push_back(std::move(parsed));
      ++index;
    }
  }
  return page;
}

}  // namespace fhirengine::adapters::fhir_rest
