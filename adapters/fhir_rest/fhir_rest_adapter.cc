// The fhir-rest adapter's polling loop (see fhir_rest_adapter.h).
#include "adapters/fhir_rest/fhir_rest_adapter.h"

#include <algorithm>
#include <future>
#include <unordered_map>
#include <utility>

#include "adapters/fhir_rest/bundle_page.h"
#include "adapters/fhir_rest/fhir_rest_cursor.h"
#include "adapters/http_source/response_outcome.h"
#include "adapters/http_source/smart_backend_authorizer.h"
#include "engine/core/time_format.h"

namespace fhirengine::adapters::fhir_rest {
namespace {

// A fetched and parsed page, or why not.
struct FetchedPage {
  Status status;
  std::optional<std::chrono::milliseconds> retry_after;
  BundlePage page;
  std::optional<http_source::SourceUrl> next;  // checked to stay on the source's origin
  std::optional<std::int64_t> server_time_ms;  // Bundle.meta.lastUpdated or the Date header
};

std::string_view AcceptFor(fhir::Format format) {
  return format == fhir::Format::kXml ? "application/fhir+xml" : "application/fhir+json";
}

FetchedPage FetchPage(const http_source::SourceFetcher& fetcher, const http_source::SourceUrl& base,
                      const http_source::SourceUrl& url, fhir::Format format) {
  FetchedPage out;
  http_source::FetchResult fetched = fetcher.Get(url, AcceptFor(format));
  if (!fetched.status.ok()) {
    out.status = std::move(fetched.status);
    out.retry_after = fetched.retry_after;
    return out;
  }
  // A server may answer in the other format (Accept is a preference).
  fhir::Format body_format = format;
  if (std::optional<fhir::Format> declared =
          fhir::FormatFromName(http_source::ResponseHeader(fetched.response, "Content-Type"))) {
    body_format = *declared;
  }
  Result<BundlePage> page = ParseBundlePage(fetched.response.body, body_format);
  if (!page.ok()) {
    out.status =
        Status(page.status().code(), "GET " + url.ToString() + ": " + page.status().message());
    return out;
  }
  out.page = std::move(page).value();
  if (!out.page.next_link.empty()) {
    Result<http_source::SourceUrl> next =
        http_source::ResolveSameOriginLink(base, out.page.next_link);
    if (!next.ok()) {
      out.status = InvalidArgument("GET " + url.ToString() + ": " + next.status().message());
      return out;
    }
    if (next->ToString() == url.ToString()) {
      // Followed, it would page for ever (each round to its page budget).
      out.status = InvalidArgument("GET " + url.ToString() +
                                   ": the Bundle's next link points to the page itself");
      return out;
    }
    out.next = std::move(next).value();
  }
  out.server_time_ms = out.page.bundle_time_ms;
  if (!out.server_time_ms)
    out.server_time_ms = ParseHttpDate(http_source::ResponseHeader(fetched.response, "Date"));
  return out;
}

void RaiseMax(std::optional<std::int64_t>& max, std::optional<std::int64_t> value) {
  if (value && (!max || *value > *max)) max = value;
}

}  // namespace

// The state of one Poll: the cursor as it will be committed next, and the
// page budget left.
struct FhirRestAdapter::Round {
  AdapterContext& ctx;
  FhirRestCursor cursor;
  std::string committed;  // the cursor text last committed
  int pages_left = 0;
};

FhirRestAdapter::FhirRestAdapter(FhirRestSettings settings,
                                 std::shared_ptr<http_source::SourceFetcher> fetcher)
    : settings_(std::move(settings)), fetcher_(std::move(fetcher)) {}

void FhirRestAdapter::Cancel() {
  cancelled_ = true;
  fetcher_->Cancel();
}

PollOutcome FhirRestAdapter::Poll(AdapterContext& ctx) {
  PollOutcome outcome;
  Round round{ctx, {}, ctx.committed_cursor(), settings_.max_pages_per_poll};
  Result<FhirRestCursor> cursor = ParseCursor(round.committed);
  if (!cursor.ok()) {
    outcome.status = Status(
        StatusCode::kFailedPrecondition,
        cursor.status().message() + "; reset the adapter's sync state to start a full sync again");
    return outcome;
  }
  round.cursor = std::move(cursor).value();
  // A round cut short by its page budget resumes at the type it stopped on,
  // so a busy type early in the list cannot starve the ones after it.
  const std::size_t count = settings_.resource_types.size();
  const std::size_t first = next_type_ < count ? next_type_ : 0;
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t index = (first + k) % count;
    const std::string& type = settings_.resource_types[index];
    outcome = RunPass(round, type, /*history=*/false);
    if (outcome.status.ok() && !outcome.more && settings_.history_deletes &&
        round.cursor.types[type].full_sync_done) {
      outcome = RunPass(round, type, /*history=*/true);
    }
    if (!outcome.status.ok() || outcome.more) {
      next_type_ = index;
      return outcome;
    }
  }
  next_type_ = 0;
  return outcome;
}

PollOutcome FhirRestAdapter::RunPass(Round& round, const std::string& type, bool history) {
  PollOutcome outcome;
  if (round.pages_left <= 0) {
    outcome.more = true;  // the budget went on earlier types; the next round starts here
    return outcome;
  }
  TypeSyncState& state = round.cursor.types[type];
  SyncPass& pass = history ? state.history : state.search;
  const http_source::SourceUrl& base = settings_.base_url;

  http_source::SourceUrl first = base;
  if (!pass.active) {
    pass = SyncPass{};
    pass.active = true;
    if (history) {
      if (state.deletes_watermark_ms)
        pass.since_ms = *state.deletes_watermark_ms - settings_.overlap_ms;
    } else if (state.full_sync_done && state.watermark_ms) {
      pass.since_ms = *state.watermark_ms - settings_.overlap_ms;
    }
  }
  if (!pass.next.empty()) {
    // Resuming after a restart: the stored link is checked again.
    Result<http_source::SourceUrl> next = http_source::ResolveSameOriginLink(base, pass.next);
    if (!next.ok()) {
      outcome.status = InvalidArgument("stored paging link: " + next.status().message());
      return outcome;
    }
    first = std::move(next).value();
  } else {
    first.target += "/" + type;
    if (history) {
      first.target += "/_history";
      if (pass.since_ms)
        http_source::AppendQueryParam(first.target, "_since", FormatInstant(*pass.since_ms));
    } else {
      if (auto it = settings_.search.find(type);
          it != settings_.search.end() && !it->second.empty()) {
        first.target += "?" + it->second;
      }
      if (pass.since_ms) {
        http_source::AppendQueryParam(first.target, "_lastUpdated",
                                      "gt" + FormatInstant(*pass.since_ms));
      }
    }
    http_source::AppendQueryParam(first.target, "_count", std::to_string(settings_.page_size));
  }

  const http_source::SourceFetcher& fetcher = *fetcher_;
  const fhir::Format format = settings_.format;
  auto start_fetch = [&fetcher, &base, format](http_source::SourceUrl url) {
    return std::async(std::launch::async, [&fetcher, &base, format, u = std::move(url)] {
      return FetchPage(fetcher, base, u, format);
    });
  };
  std::future<FetchedPage> pending = start_fetch(first);
  while (true) {
    FetchedPage fetched = pending.get();
    if (!fetched.status.ok()) {
      outcome.status = std::move(fetched.status);
      outcome.retry_after = fetched.retry_after;
      return outcome;
    }
    --round.pages_left;
    // Fetch the next page while this one is delivered.
    const bool continue_here = fetched.next && round.pages_left > 0 && !cancelled_;
    if (continue_here) pending = start_fetch(*fetched.next);
    if (!pass.started_ms)
      pass.started_ms =
          fetched.server_time_ms ? fetched.server_time_ms : std::optional(NowUnixMs());

    SourceBatch batch;
    batch.records.reserve(fetched.page.entries.size());
    if (!history) {
      for (BundlePageEntry& entry : fetched.page.entries) {
        if (entry.deleted || entry.resource_type != type) continue;
        RaiseMax(pass.max_ms, entry.last_updated_ms);
        if (state.full_sync_done &&
            !TakeIfNew(state, entry.id, entry.version_id, entry.last_updated_ms)) {
          continue;
        }
        SourceRecord record;
        record.format = RecordFormat::kFhirResource;
        record.payload = std::move(entry.resource_json);
        record.resource_type = type;
        record.resource_id = entry.id;
        record.key = type + "/" + entry.id;
        record.locator =
            !entry.version_id.empty()
                ? base.ToString() + "/" + type + "/" + entry.id + "/_history/" + entry.version_id
                : (entry.full_url.empty() ? record.key : entry.full_url);
        record.source_time_ms = entry.last_updated_ms;
        batch.records.push_back(std::move(record));
      }
    } else {
      // The newest change per id on this page: a deletion followed by a
      // re-creation is not a deletion.
      std::unordered_map<std::string, std::int64_t> newest_write;
      for (const BundlePageEntry& entry : fetched.page.entries) {
        RaiseMax(pass.max_ms, entry.last_updated_ms);
        if (!entry.deleted && entry.resource_type == type && entry.last_updated_ms) {
          std::int64_t& t = newest_write[entry.id];
          t = std::max(t, *entry.last_updated_ms);
        }
      }
      for (const BundlePageEntry& entry : fetched.page.entries) {
        if (!entry.deleted || entry.resource_type != type) continue;
        const std::int64_t when = entry.last_updated_ms.value_or(0);
        if (auto w = newest_write.find(entry.id); w != newest_write.end() && w->second > when) {
          continue;
        }
        if (auto s = state.seen.find(entry.id);
            s != state.seen.end() && s->second.last_updated_ms > when) {
          continue;
        }
        if (auto d = state.deletes_seen.find(entry.id);
            d != state.deletes_seen.end() && d->second == when) {
          continue;
        }
        state.deletes_seen[entry.id] = when;
        state.seen.erase(entry.id);
        SourceRecord record;
        record.format = RecordFormat::kFhirDelete;
        record.resource_type = type;
        record.resource_id = entry.id;
        record.key = type + "/" + entry.id;
        record.locator =
            entry.full_url.empty() ? base.ToString() + "/" + record.key : entry.full_url;
        if (entry.last_updated_ms) record.source_time_ms = entry.last_updated_ms;
        batch.records.push_back(std::move(record));
      }
    }

    const bool pass_done = !fetched.next;
    if (pass_done) {
      if (history) {
        CompleteHistoryPass(state, settings_.overlap_ms);
      } else {
        CompleteSearchPass(state, settings_.overlap_ms);
      }
    } else {
      pass.next = fetched.next->ToString();
    }
    batch.cursor = WriteCursor(round.cursor);
    if (!batch.records.empty() || batch.cursor != round.committed) {
      std::string cursor_text = batch.cursor;
      Result<DeliveryReport> delivered = round.ctx.Deliver(std::move(batch));
      if (!delivered.ok()) {
        outcome.status =
            Status(delivered.status().code(), "delivering " + type + (history ? " deletions" : "") +
                                                  ": " + delivered.status().message());
        return outcome;
      }
      round.committed = std::move(cursor_text);
    }
    if (pass_done) return outcome;
    if (cancelled_ || round.ctx.stopping()) {
      outcome.more = true;
      return outcome;
    }
    if (!continue_here) {
      outcome.more = true;  // the page budget ran out
      return outcome;
    }
  }
}

}  // namespace fhirengine::adapters::fhir_rest

namespace fhirengine::adapters::fhir_rest {

AdapterType FhirRestAdapterType() {
  AdapterType type;
  type.name = "fhir-rest";
  type.settings_schema = FhirRestSettingsSchema();
  type.create = [](const AdapterConfig& config) -> Result<std::unique_ptr<Adapter>> {
    Result<FhirRestSettings> settings = ParseFhirRestSettings(config);
    if (!settings.ok()) return settings.status();
    Result<std::unique_ptr<net::HttpClient>> client =
        net::HttpClient::Create(settings->http.client);
    if (!client.ok()) return InvalidArgument("tls: " + client.status().message());
    std::shared_ptr<net::HttpClient> shared = std::move(client).value();
    Result<std::shared_ptr<http_source::RequestAuthorizer>> authorizer =
        http_source::MakeAuthorizer(settings->http.auth, settings->base_url, shared);
    if (!authorizer.ok()) return authorizer.status();
    auto fetcher = std::make_shared<http_source::SourceFetcher>(shared, *authorizer);
    return std::unique_ptr<Adapter>(
        std::make_unique<FhirRestAdapter>(std::move(settings).value(), std::move(fetcher)));
  };
  return type;
}

}  // namespace fhirengine::adapters::fhir_rest
