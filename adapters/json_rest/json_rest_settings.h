// The json-rest adapter's settings: its JSON Schema (draft-04) and the
// checks the schema cannot make (the URL parses, paths parse, paging keys
// fit together, certificate files can be read).
#pragma once

#include <string>

#include "adapters/api/adapter.h"
#include "adapters/http_source/http_source_settings.h"
#include "adapters/http_source/source_url.h"
#include "adapters/json_rest/record_path.h"
#include "engine/core/status.h"

namespace fhirengine::adapters::json_rest {

enum class Paging { kNone, kOffset, kCursor };

struct JsonRestSettings {
  http_source::SourceUrl url;
  RecordPath records_path;
  RecordPath key_field;
  std::string key_field_text;
  RecordPath timestamp_field;
  bool has_timestamp_field = false;
  Paging paging = Paging::kNone;
  std::string offset_param = "offset";
  std::string limit_param = "limit";  // empty: not sent
  int page_size = 100;
  RecordPath cursor_field;  // the response member holding the next cursor or URL
  std::string cursor_param = "cursor";
  std::string since_param;  // empty: a full pull every poll
  int max_pages_per_poll = 100;
  http_source::HttpSourceSettings http;
};

std::string JsonRestSettingsSchema();

// kInvalidArgument naming the key.
Result<JsonRestSettings> ParseJsonRestSettings(const AdapterConfig& config);

}  // namespace fhirengine::adapters::json_rest
