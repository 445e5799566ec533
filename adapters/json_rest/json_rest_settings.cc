// Settings of the json-rest adapter (see json_rest_settings.h).
#include "adapters/json_rest/json_rest_settings.h"

namespace fhirengine::adapters::json_rest {

using http_source::OptionalInteger;
using http_source::OptionalString;

std::string JsonRestSettingsSchema() {
  return R"({
  "$schema": "http://json-schema.org/draft-04/schema#",
  "type": "object",
  "additionalProperties": false,
  "required": ["url", "key-field"],
  "properties": {
    "url": {"type": "string", "pattern": "^https?://"},
    "records-path": {"type": "string"},
    "key-field": {"type": "string", "minLength": 1},
    "timestamp-field": {"type": "string", "minLength": 1},
    "since-param": {"type": "string", "minLength": 1},
    "paging": {
      "type": "object",
      "additionalProperties": false,
      "required": ["type"],
      "properties": {
        "type": {"enum": ["none", "offset", "cursor"]},
        "offset-param": {"type": "string", "minLength": 1},
        "limit-param": {"type": "string"},
        "page-size": {"type": "integer", "minimum": 1, "maximum": 10000},
        "cursor-field": {"type": "string", "minLength": 1},
        "cursor-param": {"type": "string", "minLength": 1}
      }
    },
    "max-pages-per-poll": {"type": "integer", "minimum": 1, "maximum": 100000},)" +
         http_source::HttpSourceSchemaProperties(/*allow_smart_backend=*/false) + R"(
  }
})";
}

Result<JsonRestSettings> ParseJsonRestSettings(const AdapterConfig& config) {
  const json::Value& s = *config.settings;
  if (!s.IsObject()) return InvalidArgument("settings: must be an object");
  JsonRestSettings out;
  Result<std::string> url_text = http_source::RequiredString(s, "url");
  if (!url_text.ok()) return url_text.status();
  Result<http_source::SourceUrl> url = http_source::ParseSourceUrl(*url_text);
  if (!url.ok()) return InvalidArgument("url: " + url.status().message());
  out.url = std::move(url).value();

  auto path = [&](const char* key, RecordPath& target) -> Status {
    Result<RecordPath> p = RecordPath::Parse(OptionalString(s, key));
    if (!p.ok()) return InvalidArgument(std::string(key) + ": " + p.status().message());
    target = std::move(p).value();
    return Status::Ok();
  };
  FE_RETURN_IF_ERROR(path("records-path", out.records_path));
  Result<std::string> key = http_source::RequiredString(s, "key-field");
  if (!key.ok()) return key.status();
  out.key_field_text = *key;
  FE_RETURN_IF_ERROR(path("key-field", out.key_field));
  out.has_timestamp_field = s.Find("timestamp-field") != nullptr;
  FE_RETURN_IF_ERROR(path("timestamp-field", out.timestamp_field));
  out.since_param = OptionalString(s, "since-param");
  if (!out.since_param.empty() && !out.has_timestamp_field) {
    return InvalidArgument("since-param: needs timestamp-field (the newest value is sent)");
  }

  if (const json::Value* paging = s.Find("paging")) {
    if (!paging->IsObject()) return InvalidArgument("paging: must be an object");
    const std::string type = OptionalString(*paging, "type");
    if (type == "none") {
      out.paging = Paging::kNone;
    } else if (type == "offset") {
      out.paging = Paging::kOffset;
    } else if (type == "cursor") {
      out.paging = Paging::kCursor;
    } else {
      return InvalidArgument("paging.type: must be none, offset or cursor");
    }
    out.offset_param = OptionalString(*paging, "offset-param", "offset");
    out.limit_param = OptionalString(*paging, "limit-param", "limit");
    Result<long long> size = OptionalInteger(*paging, "page-size", 100, 1, 10'000);
    if (!size.ok()) return InvalidArgument("paging." + size.status().message());
    out.page_size = static_cast<int>(*size);
    if (out.paging == Paging::kOffset && out.limit_param.empty()) {
      return InvalidArgument("paging.limit-param: offset paging needs it to ask for page-size");
    }
    if (out.paging == Paging::kCursor) {
      if (paging->Find("cursor-field") == nullptr) {
        return InvalidArgument("paging.cursor-field: required for cursor paging");
      }
      Result<RecordPath> p = RecordPath::Parse(OptionalString(*paging, "cursor-field"));
      if (!p.ok()) return InvalidArgument("paging.cursor-field: " + p.status().message());
      out.cursor_field = std::move(p).value();
      out.cursor_param = OptionalString(*paging, "cursor-param", "cursor");
    }
  }
  Result<long long> pages = OptionalInteger(s, "max-pages-per-poll", 100, 1, 100'000);
  if (!pages.ok()) return pages.status();
  out.max_pages_per_poll = static_cast<int>(*pages);
  Result<http_source::HttpSourceSettings> http =
      http_source::ParseHttpSourceSettings(s, config.config_dir, /*allow_smart_backend=*/false);
  if (!http.ok()) return http.status();
  out.http = std::move(http).value();
  return out;
}

}  // namespace fhirengine::adapters::json_rest
