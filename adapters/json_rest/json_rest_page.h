// One response page of a JSON API for the json-rest adapter: the records at
// records-path turned into source records (key, timestamp), the next paging
// cursor, and the adapter's cursor (the newest timestamp for "since" pulls
// and the position inside a pull) with its JSON round trip. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/api/adapter.h"
#include "adapters/json_rest/json_rest_settings.h"
#include "engine/core/status.h"

namespace fhirengine::adapters::json_rest {

struct JsonPage {
  std::vector<SourceRecord> records;
  std::vector<RejectedRecord> rejected;
  std::size_t element_count = 0;      // elements at records-path (records plus rejected)
  std::string next_cursor;            // cursor paging: the value at cursor-field ("" at the end)
  std::optional<std::string> newest;  // the newest timestamp-field value on the page
};

// Parses `body`. `locator_base` names the request for locators ("GET
// https://...") and record i gets "<locator_base>#<i>". Elements without
// key-field, or that are not objects, are rejected with the reason.
// kInvalidArgument when the body is not JSON or records-path does not lead
// to an array.
Result<JsonPage> ParseJsonPage(std::string_view body, const JsonRestSettings& settings,
                               std::string_view locator_base);

// Orders two timestamp-field values: both instants by time, both numbers by
// value, otherwise as text. Negative, zero or positive.
int CompareTimestamps(std::string_view a, std::string_view b);

// An instant (FHIR/ISO-8601 with zone) or a number (Unix seconds below 1e11,
// else milliseconds) as Unix milliseconds; nullopt otherwise.
std::optional<std::int64_t> TimestampMs(std::string_view value);

struct JsonRestCursor {
  std::string since;  // newest timestamp taken over by completed pulls
  // The pull in progress (resumed after a restart).
  bool in_pull = false;
  std::int64_t offset = 0;  // offset paging: the next offset
  std::string page_cursor;  // cursor paging: the next cursor value or URL
  std::string pull_newest;  // newest timestamp seen in this pull
  // PageFingerprint of the pull's previous page: an API that ignores the
  // paging parameter returns it again, and the pull is stopped.
  std::string last_page;
};

// A digest of a page's records and rejects (not of the whole body, which
// may carry a timestamp of its own), for telling a repeated page.
std::string PageFingerprint(const JsonPage& page);

std::string WriteJsonRestCursor(const JsonRestCursor& cursor);
// Empty text gives an empty cursor; kInvalidArgument for anything else
// that is not a cursor of this adapter.
Result<JsonRestCursor> ParseJsonRestCursor(std::string_view text);

}  // namespace fhirengine::adapters::json_rest
