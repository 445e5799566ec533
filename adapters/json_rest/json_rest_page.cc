// Page parsing and the cursor of the json-rest adapter (see json_rest_page.h).
#include "adapters/json_rest/json_rest_page.h"

#include <charconv>
#include <cmath>

#include "engine/core/log.h"
#include "engine/core/time_format.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"

namespace fhirengine::adapters::json_rest {
namespace {

constexpr std::size_t kMaxRejectedRaw = 4096;

std::optional<double> Number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// A scalar's text (strings, numbers, booleans); nullopt for others.
std::optional<std::string> ScalarText(const json::Value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->IsString() || v->IsNumber()) return std::string(v->text());
  if (v->IsBool()) return std::string(v->GetBool() ? "true" : "false");
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> TimestampMs(std::string_view value) {
  if (Result<std::int64_t> ms = ParseInstant(value); ms.ok()) return *ms;
  if (std::optional<double> n = Number(value)) {
    if (std::fabs(*n) > 1e15) return std::nullopt;
    return static_cast<std::int64_t>(std::fabs(*n) < 1e11 ? *n * 1000 : *n);
  }
  return std::nullopt;
}

int CompareTimestamps(std::string_view a, std::string_view b) {
  Result<std::int64_t> ia = ParseInstant(a);
  Result<std::int64_t> ib = ParseInstant(b);
  if (ia.ok() && ib.ok()) return *ia < *ib ? -1 : (*ia > *ib ? 1 : 0);
  std::optional<double> na = Number(a);
  std::optional<double> nb = Number(b);
  if (na && nb) return *na < *nb ? -1 : (*na > *nb ? 1 : 0);
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

Result<JsonPage> ParseJsonPage(std::string_view body, const JsonRestSettings& settings,
                               std::string_view locator_base) {
  Result<json::Document> doc = json::Parse(body);
  if (!doc.ok()) return InvalidArgument("the response is not JSON: " + doc.status().message());
  const json::Value* array = settings.records_path.Find(doc->root());
  if (array == nullptr || !array->IsArray()) {
    return InvalidArgument("records-path '" + settings.records_path.text() +
                           "' does not lead to an array in the response");
  }
  JsonPage page;
  page.element_count = array->size();
  page.records.reserve(array->size());
  std::size_t index = 0;
  for (const json::Value& element : array->elements()) {
    const std::string locator = std::string(locator_base) + "#" + std::to_string(index++);
    if (!element.IsObject()) {
      page.rejected.push_back(
          {locator,
           "the record is " + std::string(json::KindName(element.kind())) + ", not an object",
           json::Write(element).substr(0, kMaxRejectedRaw)});
      continue;
    }
    std::optional<std::string> key = ScalarText(settings.key_field.Find(element));
    if (!key || key->empty()) {
      page.rejected.push_back(
          {locator,
           "the record has no key-field '" + settings.key_field_text + "' (a string or number)",
           json::Write(element).substr(0, kMaxRejectedRaw)});
      continue;
    }
    SourceRecord record;
    record.format = RecordFormat::kJsonObject;
    json::WriteTo(element, record.payload);
    record.key = std::move(*key);
    record.locator = locator;
    if (settings.has_timestamp_field) {
      if (std::optional<std::string> ts = ScalarText(settings.timestamp_field.Find(element))) {
        record.source_time_ms = TimestampMs(*ts);
        if (!page.newest || CompareTimestamps(*ts, *page.newest) > 0) page.newest = *ts;
      }
    }
    page.records.push_back(std::move(record));
  }
  if (settings.paging == Paging::kCursor) {
    if (std::optional<std::string> next = ScalarText(settings.cursor_field.Find(doc->root()))) {
      page.next_cursor = std::move(*next);
    }
  }
  return page;
}

std::string PageFingerprint(const JsonPage& page) {
  // FNV-1a, 64 bits: stable across runs (it is kept in the cursor).
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](std::string_view text) {
    for (char c : text) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
    h ^= 0xff;  // a separator no UTF-8 text contains
    h *= 1099511628211ull;
  };
  for (const SourceRecord& r : page.records) mix(r.payload);
  for (const RejectedRecord& r : page.rejected) mix(r.raw);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = kHex[h & 0xf];
  return out;
}

std::string WriteJsonRestCursor(const JsonRestCursor& cursor) {
  std::string out = R"({"version":1)";
  if (!cursor.since.empty()) {
    out += R"(,"since":)";
    log::AppendJsonString(out, cursor.since);
  }
  if (cursor.in_pull) {
    out += R"(,"pull":{"offset":)" + std::to_string(cursor.offset) + R"(,"cursor":)";
    log::AppendJsonString(out, cursor.page_cursor);
    out += R"(,"newest":)";
    log::AppendJsonString(out, cursor.pull_newest);
    if (!cursor.last_page.empty()) {
      out += R"(,"last-page":)";
      log::AppendJsonString(out, cursor.last_page);
    }
    out += '}';
  }
  out += '}';
  return out;
}

Result<JsonRestCursor> ParseJsonRestCursor(std::string_view text) {
  JsonRestCursor cursor;
  if (text.empty()) return cursor;
  Result<json::Document> doc = json::Parse(text);
  if (!doc.ok()) return InvalidArgument("json-rest cursor: " + doc.status().message());
  const json::Value& root = doc->root();
  const json::Value* version = root.Find("version");
  if (version == nullptr || !version->IsNumber() || version->text() != "1") {
    return InvalidArgument("json-rest cursor: not version 1");
  }
  if (const json::Value* since = root.Find("since")) {
    if (!since->IsString()) return InvalidArgument("json-rest cursor: since is not a string");
    cursor.since = std::string(since->text());
  }
  if (const json::Value* pull = root.Find("pull")) {
    const json::Value* offset = pull->Find("offset");
    const json::Value* page_cursor = pull->Find("cursor");
    const json::Value* newest = pull->Find("newest");
    if (offset == nullptr || !offset->IsNumber() || page_cursor == nullptr ||
        !page_cursor->IsString() || newest == nullptr || !newest->IsString()) {
      return InvalidArgument("json-rest cursor: pull is malformed");
    }
    const std::string_view o = offset->text();
    auto [end, ec] = std::from_chars(o.data(), o.data() + o.size(), cursor.offset);
    if (ec != std::errc() || end != o.data() + o.size() || cursor.offset < 0) {
      return InvalidArgument("json-rest cursor: pull.offset is not a whole number");
    }
    cursor.in_pull = true;
    cursor.page_cursor = std::string(page_cursor->text());
    cursor.pull_newest = std::string(newest->text());
    if (const json::Value* last = pull->Find("last-page")) {
      if (!last->IsString())
        return InvalidArgument("json-rest cursor: pull.last-page is malformed");
      cursor.last_page = std::string(last->text());
    }
  }
  return cursor;
}

}  // namespace fhirengine::adapters::json_rest
