// The json-rest adapter's polling loop (see json_rest_adapter.h).
#include "adapters/json_rest/json_rest_adapter.h"

#include <set>
#include <string>
#include <utility>

#include "adapters/json_rest/json_rest_page.h"

namespace fhirengine::adapters::json_rest {
namespace {

bool LooksLikeLink(std::string_view value) {
  return value.starts_with("http://") || value.starts_with("https://") ||
         (value.starts_with("/") && !value.starts_with("//"));
}

}  // namespace

JsonRestAdapter::JsonRestAdapter(JsonRestSettings settings,
                                 std::shared_ptr<http_source::SourceFetcher> fetcher)
    : settings_(std::move(settings)), fetcher_(std::move(fetcher)) {}

void JsonRestAdapter::Cancel() {
  cancelled_ = true;
  fetcher_->Cancel();
}

PollOutcome JsonRestAdapter::Poll(AdapterContext& ctx) {
  PollOutcome outcome;
  std::string committed = ctx.committed_cursor();
  Result<JsonRestCursor> parsed = ParseJsonRestCursor(committed);
  if (!parsed.ok()) {
    outcome.status = Status(
        StatusCode::kFailedPrecondition,
        parsed.status().message() + "; reset the adapter's sync state to pull from the start");
    return outcome;
  }
  JsonRestCursor cursor = std::move(parsed).value();
  if (!cursor.in_pull) {
    cursor.in_pull = true;
    cursor.offset = 0;
    cursor.page_cursor.clear();
    cursor.pull_newest.clear();
    cursor.last_page.clear();
  }
  const JsonRestSettings& s = settings_;
  // The paging cursors met in this poll: one met again means the API goes
  // round in a circle.
  std::set<std::string, std::less<>> cursors_met;
  if (!cursor.page_cursor.empty()) cursors_met.insert(cursor.page_cursor);
  for (int pages_left = s.max_pages_per_poll; pages_left > 0; --pages_left) {
    http_source::SourceUrl url = s.url;
    if (s.paging == Paging::kCursor && LooksLikeLink(cursor.page_cursor)) {
      Result<http_source::SourceUrl> link =
          http_source::ResolveSameOriginLink(s.url, cursor.page_cursor);
      if (!link.ok()) {
        outcome.status = InvalidArgument("json-rest paging: " + link.status().message());
        return outcome;
      }
      url = std::move(link).value();
    } else {
      if (!s.since_param.empty() && !cursor.since.empty()) {
        http_source::AppendQueryParam(url.target, s.since_param, cursor.since);
      }
      if (s.paging == Paging::kOffset) {
        http_source::AppendQueryParam(url.target, s.offset_param, std::to_string(cursor.offset));
      }
      if (s.paging != Paging::kNone && !s.limit_param.empty()) {
        http_source::AppendQueryParam(url.target, s.limit_param, std::to_string(s.page_size));
      }
      if (s.paging == Paging::kCursor && !cursor.page_cursor.empty()) {
        http_source::AppendQueryParam(url.target, s.cursor_param, cursor.page_cursor);
      }
    }
    http_source::FetchResult fetched = fetcher_->Get(url, "application/json");
    if (!fetched.status.ok()) {
      outcome.status = std::move(fetched.status);
      outcome.retry_after = fetched.retry_after;
      return outcome;
    }
    const std::string what = "GET " + url.ToString();
    Result<JsonPage> page = ParseJsonPage(fetched.response.body, s, what);
    if (!page.ok()) {
      outcome.status = Status(page.status().code(), what + ": " + page.status().message());
      return outcome;
    }
    const std::string fingerprint = PageFingerprint(*page);
    if (page->element_count > 0 && fingerprint == cursor.last_page) {
      outcome.status = InvalidArgument(
          what + ": the API returned the same records as the previous page; it seems to ignore " +
          (s.paging == Paging::kOffset ? "the offset parameter" : "the paging cursor") +
          ", so this pull would never end (check settings paging)");
      return outcome;
    }
    cursor.last_page = fingerprint;
    if (page->newest &&
        (cursor.pull_newest.empty() || CompareTimestamps(*page->newest, cursor.pull_newest) > 0)) {
      cursor.pull_newest = *page->newest;
    }
    bool done = true;
    if (s.paging == Paging::kOffset) {
      done = page->element_count < static_cast<std::size_t>(s.page_size);
      cursor.offset += static_cast<std::int64_t>(page->element_count);
    } else if (s.paging == Paging::kCursor) {
      done = page->next_cursor.empty() || page->element_count == 0;
      if (!done && !cursors_met.insert(page->next_cursor).second) {
        outcome.status = InvalidArgument(
            what + ": the API returned a paging cursor it had already given in this pull");
        return outcome;
      }
      cursor.page_cursor = page->next_cursor;
    }
    if (done) {
      if (!s.since_param.empty() && !cursor.pull_newest.empty() &&
          (cursor.since.empty() || CompareTimestamps(cursor.pull_newest, cursor.since) > 0)) {
        cursor.since = cursor.pull_newest;
      }
      cursor.in_pull = false;
      cursor.offset = 0;
      cursor.page_cursor.clear();
      cursor.pull_newest.clear();
      cursor.last_page.clear();
    }
    SourceBatch batch;
    batch.records = std::move(page->records);
    batch.rejected = std::move(page->rejected);
    batch.cursor = WriteJsonRestCursor(cursor);
    if (!batch.records.empty() || !batch.rejected.empty() || batch.cursor != committed) {
      std::string cursor_text = batch.cursor;
      Result<DeliveryReport> delivered = ctx.Deliver(std::move(batch));
      if (!delivered.ok()) {
        outcome.status =
            Status(delivered.status().code(), "delivering a page: " + delivered.status().message());
        return outcome;
      }
      committed = std::move(cursor_text);
    }
    if (done) return outcome;
    if (cancelled_ || ctx.stopping()) break;
  }
  outcome.more = true;
  return outcome;
}

}  // namespace fhirengine::adapters::json_rest

namespace fhirengine::adapters::json_rest {

AdapterType JsonRestAdapterType() {
  AdapterType type;
  type.name = "json-rest";
  type.settings_schema = JsonRestSettingsSchema();
  type.create = [](const AdapterConfig& config) -> Result<std::unique_ptr<Adapter>> {
    Result<JsonRestSettings> settings = ParseJsonRestSettings(config);
    if (!settings.ok()) return settings.status();
    Result<std::unique_ptr<net::HttpClient>> client =
        net::HttpClient::Create(settings->http.client);
    if (!client.ok()) return InvalidArgument("tls: " + client.status().message());
    std::shared_ptr<net::HttpClient> shared = std::move(client).value();
    auto fetcher = std::make_shared<http_source::SourceFetcher>(
        shared, http_source::MakeStaticAuthorizer(settings->http.auth));
    return std::unique_ptr<Adapter>(
        std::make_unique<JsonRestAdapter>(std::move(settings).value(), std::move(fetcher)));
  };
  return type;
}

}  // namespace fhirengine::adapters::json_rest
