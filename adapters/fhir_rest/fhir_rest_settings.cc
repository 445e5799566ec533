// Settings of the fhir-rest adapter (see fhir_rest_settings.h).
#include "adapters/fhir_rest/fhir_rest_settings.h"

#include "engine/fhir/type_model.h"

namespace fhirengine::adapters::fhir_rest {

using http_source::OptionalBool;
using http_source::OptionalInteger;
using http_source::OptionalString;

std::string FhirRestSettingsSchema() {
  return R"({
  "$schema": "http://json-schema.org/draft-04/schema#",
  "type": "object",
  "additionalProperties": false,
  "required": ["base-url"],
  "properties": {
    "base-url": {"type": "string", "pattern": "^https?://"},
    "resource-types": {
      "type": "array", "minItems": 1, "uniqueItems": true,
      "items": {"type": "string", "pattern": "^[A-Z][A-Za-z]+$"}
    },
    "search": {
      "type": "object",
      "additionalProperties": {"type": "string"}
    },
    "page-size": {"type": "integer", "minimum": 1, "maximum": 5000},
    "format": {"enum": ["json", "xml"]},
    "overlap-s": {"type": "integer", "minimum": 0, "maximum": 86400},
    "history-deletes": {"type": "boolean"},
    "max-pages-per-poll": {"type": "integer", "minimum": 1, "maximum": 100000},)" +
         http_source::HttpSourceSchemaProperties(/*allow_smart_backend=*/true) + R"(
  }
})";
}

Result<FhirRestSettings> ParseFhirRestSettings(const AdapterConfig& config) {
  const json::Value& s = *config.settings;
  if (!s.IsObject()) return InvalidArgument("settings: must be an object");
  FhirRestSettings out;
  Result<std::string> base = http_source::RequiredString(s, "base-url");
  if (!base.ok()) return base.status();
  Result<http_source::SourceUrl> url = http_source::ParseSourceUrl(*base);
  if (!url.ok()) return InvalidArgument("base-url: " + url.status().message());
  out.base_url = std::move(url).value();
  if (out.base_url.target.find_first_of("?#") != std::string::npos) {
    return InvalidArgument("base-url: must not carry a query; use \"search\" for filters");
  }
  while (out.base_url.target.size() > 1 && out.base_url.target.back() == '/') {
    out.base_url.target.pop_back();
  }
  if (out.base_url.target == "/") out.base_url.target.clear();

  if (const json::Value* types = s.Find("resource-types")) {
    if (!types->IsArray() || types->size() == 0) {
      return InvalidArgument("resource-types: must be a non-empty array of resource type names");
    }
    for (const json::Value& t : types->elements()) {
      if (!t.IsString() || fhir::TypeModel::R4().FindResource(t.text()) == nullptr) {
        return InvalidArgument("resource-types: '" +
                               std::string(t.IsString() ? t.text() : "(not a string)") +
                               "' is not an R4 resource type");
      }
      for (const std::string& seen : out.resource_types) {
        if (seen == t.text()) {
          return InvalidArgument("resource-types: '" + seen + "' is listed twice");
        }
      }
      out.resource_types.emplace_back(t.text());
    }
  } else {
    out.resource_types = {"Location", "Encounter", "Organization"};
  }
  if (const json::Value* search = s.Find("search")) {
    if (!search->IsObject()) return InvalidArgument("search: must be an object");
    for (const json::Member& m : search->members()) {
      const std::string key = "search." + std::string(m.key);
      bool listed = false;
      for (const std::string& t : out.resource_types) listed = listed || t == m.key;
      if (!listed) return InvalidArgument(key + ": not one of resource-types");
      if (!m.value.IsString()) return InvalidArgument(key + ": must be a query string");
      std::string query(m.value.text());
      while (!query.empty() && (query.front() == '?' || query.front() == '&')) query.erase(0, 1);
      for (char c : query) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '#') {
          return InvalidArgument(key +
                                 ": must be a URL query (no spaces, control characters "
                                 "or '#'; percent-encode them)");
        }
      }
      for (const char* reserved : {"_count=", "_lastUpdated=", "_format="}) {
        if (query.starts_with(reserved) ||
            query.find(std::string("&") + reserved) != std::string::npos) {
          return InvalidArgument(key + ": " + std::string(reserved) +
                                 " is set by the adapter; remove it");
        }
      }
      out.search.emplace(std::string(m.key), std::move(query));
    }
  }
  Result<long long> page_size = OptionalInteger(s, "page-size", 1000, 1, 5000);
  if (!page_size.ok()) return page_size.status();
  out.page_size = static_cast<int>(*page_size);
  const std::string format = OptionalString(s, "format", "json");
  if (format == "json") {
    out.format = fhir::Format::kJson;
  } else if (format == "xml") {
    out.format = fhir::Format::kXml;
  } else {
    return InvalidArgument("format: must be json or xml");
  }
  Result<long long> overlap = OptionalInteger(s, "overlap-s", 60, 0, 86'400);
  if (!overlap.ok()) return overlap.status();
  out.overlap_ms = *overlap * 1000;
  Result<bool> deletes = OptionalBool(s, "history-deletes", false);
  if (!deletes.ok()) return deletes.status();
  out.history_deletes = *deletes;
  Result<long long> pages = OptionalInteger(s, "max-pages-per-poll", 50, 1, 100'000);
  if (!pages.ok()) return pages.status();
  out.max_pages_per_poll = static_cast<int>(*pages);

  Result<http_source::HttpSourceSettings> http =
      http_source::ParseHttpSourceSettings(s, config.config_dir, /*allow_smart_backend=*/true);
  if (!http.ok()) return http.status();
  out.http = std::move(http).value();
  return out;
}

}  // namespace fhirengine::adapters::fhir_rest
