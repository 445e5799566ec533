// The fhir-rest adapter's poll loop against an in-memory FHIR source behind
// a scripted HTTP client: full sync through next links, incremental polls
// that deliver only changes, deletions from _history, the origin check on
// paging links, Retry-After, the page budget and settings checks.
#include "adapters/fhir_rest/fhir_rest_adapter.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "adapters/fhir_rest/fhir_rest_cursor.h"
#include "engine/core/time_format.h"
#include "engine/fhir/resource_format.h"
#include "engine/json/json_parser.h"
#include "tests/unit/adapters/http_source/pull_test_support.h"

namespace fhirengine::adapters::fhir_rest {
namespace {

using pull_testing::BatchRecorder;
using pull_testing::JsonResponse;
using pull_testing::ScriptedHttpClient;

constexpr char kBase[] = "http://ehr.test/fhir";
const std::int64_t kT0 = *ParseInstant("2026-11-01T08:00:00.000Z");

std::string Decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A FHIR server in memory: search with _count/_offset/_lastUpdated=gt, and
// type history with _since, paging by absolute next links.
class FakeFhirSource {
 public:
  void Put(const std::string& type, const std::string& id, std::int64_t lu) {
    std::lock_guard<std::mutex> lock(mutex_);
    Res& r = resources_[type + "/" + id];
    r.type = type;
    r.id = id;
    ++r.version;
    r.lu = lu;
    r.deleted = false;
  }
  void Delete(const std::string& type, const std::string& id, std::int64_t lu) {
    std::lock_guard<std::mutex> lock(mutex_);
    Res& r = resources_.at(type + "/" + id);
    ++r.version;
    r.lu = lu;
    r.deleted = true;
  }

  net::HttpResponse Handle(const net::HttpRequest& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string prefix = std::string(kBase) + "/";
    if (!request.url.starts_with(prefix)) return JsonResponse(404, "");
    std::string rest = request.url.substr(prefix.size());
    std::string path = rest.substr(0, rest.find('?'));
    std::map<std::string, std::string> params;
    if (const std::size_t q = rest.find('?'); q != std::string::npos) {
      std::string query = rest.substr(q + 1);
      std::size_t pos = 0;
      while (pos <= query.size()) {
        const std::size_t amp = query.find('&', pos);
        const std::string pair = query.substr(pos, amp == std::string::npos ? amp : amp - pos);
        const std::size_t eq = pair.find('=');
        params[Decode(pair.substr(0, eq))] =
            eq == std::string::npos ? "" : Decode(pair.substr(eq + 1));
        if (amp == std::string::npos) break;
        pos = amp + 1;
      }
    }
    const std::size_t count = params.count("_count") ? std::stoul(params["_count"]) : 20;
    const std::size_t offset = params.count("_offset") ? std::stoul(params["_offset"]) : 0;
    const bool history = path.ends_with("/_history");
    const std::string type = history ? path.substr(0, path.find('/')) : path;
    std::vector<const Res*> matches;
    for (const auto& [key, r] : resources_) {
      if (r.type != type) continue;
      if (history) {
        if (params.count("_since") && r.lu < *ParseInstant(params["_since"])) continue;
      } else {
        if (r.deleted) continue;
        if (params.count("_lastUpdated")) {
          const std::string gt = params["_lastUpdated"];
          if (!gt.starts_with("gt") || r.lu <= *ParseInstant(gt.substr(2))) continue;
        }
      }
      matches.push_back(&r);
    }
    std::string body = R"({"resourceType":"Bundle","type":")" +
                       std::string(history ? "history" : "searchset") + R"(",)";
    if (now_ms != 0) body += R"("meta":{"lastUpdated":")" + FormatInstant(now_ms) + R"("},)";
    body += R"("link":[{"relation":"self","url":")" + request.url + R"("})";
    if (offset + count < matches.size()) {
      std::string next = next_link_host.empty() ? std::string(kBase) : next_link_host;
      next += "/" + path + "?_count=" + std::to_string(count);
      for (const auto& [k, v] : params) {
        if (k != "_count" && k != "_offset") next += "&" + k + "=" + v;
      }
      next += "&_offset=" + std::to_string(offset + count);
      body += R"(,{"relation":"next","url":")" + next + R"("})";
    }
    body += ']';
    if (offset < matches.size()) body += R"(,"entry":[)";
    for (std::size_t i = offset; i < matches.size() && i < offset + count; ++i) {
      const Res& r = *matches[i];
      if (i > offset) body += ',';
      body += R"({"fullUrl":")" + std::string(kBase) + "/" + r.type + "/" + r.id + R"(",)";
      if (r.deleted) {
        body += R"("request":{"method":"DELETE","url":")" + r.type + "/" + r.id +
                R"("},"response":{"status":"204","lastModified":")" + FormatInstant(r.lu) +
                R"("}})";
      } else {
        body += R"("resource":{"resourceType":")" + r.type + R"(","id":")" + r.id +
                R"(","meta":{"versionId":")" + std::to_string(r.version) + R"(","lastUpdated":")" +
                FormatInstant(r.lu) + R"("},"status":"active"}})";
      }
    }
    if (offset < matches.size()) body += ']';
    body += '}';
    bool xml = false;
    for (const auto& [k, v] : request.headers)
      xml = xml || (k == "Accept" && v.find("xml") != std::string::npos);
    if (xml) {
      Result<json::Document> doc = json::Parse(body);
      Result<std::string> text = fhir::SerializeResource(doc->root(), fhir::Format::kXml);
      return JsonResponse(200, *text, "application/fhir+xml");
    }
    return JsonResponse(200, body);
  }

  std::string next_link_host;  // empty: the source's own origin
  std::int64_t now_ms = 0;     // the server's clock, as Bundle.meta.lastUpdated (0: none)

 private:
  struct Res {
    std::string type, id;
    int version = 0;
    std::int64_t lu = 0;
    bool deleted = false;
  };
  std::mutex mutex_;
  std::map<std::string, Res> resources_;
};

struct Harness {
  explicit Harness(const std::string& settings_json) {
    settings_doc = std::move(json::Parse(settings_json)).value();
    AdapterConfig config{"hospital-a", "fhir-rest", &settings_doc.root(), ""};
    Result<FhirRestSettings> settings = ParseFhirRestSettings(config);
    FE_CHECK(settings.ok());
    client = std::make_shared<ScriptedHttpClient>(
        [this](const net::HttpRequest& r) { return source.Handle(r); });
    auto fetcher = std::make_shared<http_source::SourceFetcher>(
        client, http_source::MakeStaticAuthorizer(settings->http.auth));
    adapter = std::make_unique<FhirRestAdapter>(std::move(settings).value(), fetcher);
  }
  json::Document settings_doc;
  FakeFhirSource source;
  std::shared_ptr<ScriptedHttpClient> client;
  std::unique_ptr<FhirRestAdapter> adapter;
};

constexpr char kLocationsOnly[] =
    R"({"base-url":"http://ehr.test/fhir","resource-types":["Location"],"page-size":10,
        "overlap-s":60,"history-deletes":true})";

TEST(FhirRestAdapter, FullSyncThenIncrementalDeliversOnlyChanges) {
  Harness h(kLocationsOnly);
  h.source.now_ms = kT0 + 245'000;
  for (int i = 0; i < 25; ++i)
    h.source.Put("Location", "loc-" + std::to_string(i), kT0 + i * 10'000);
  BatchRecorder ctx;
  PollOutcome first = h.adapter->Poll(ctx);
  ASSERT_TRUE(first.status.ok()) << first.status.message();
  EXPECT_FALSE(first.more);
  ASSERT_EQ(ctx.batches.size(), 3u);  // one batch per page
  std::vector<SourceRecord> records = ctx.Records();
  ASSERT_EQ(records.size(), 25u);
  EXPECT_EQ(records[0].format, RecordFormat::kFhirResource);
  EXPECT_EQ(records[0].resource_type, "Location");
  EXPECT_EQ(records[0].key, "Location/" + records[0].resource_id);
  EXPECT_EQ(records[0].locator,
            "http://ehr.test/fhir/Location/" + records[0].resource_id + "/_history/1");
  EXPECT_TRUE(records[0].source_time_ms.has_value());
  Result<FhirRestCursor> cursor = ParseCursor(ctx.committed_cursor());
  ASSERT_TRUE(cursor.ok());
  EXPECT_TRUE(cursor->types.at("Location").full_sync_done);
  EXPECT_EQ(cursor->types.at("Location").watermark_ms, kT0 + 240'000);
  // The first page asked for the whole type; no _lastUpdated yet.
  EXPECT_EQ(h.client->urls()[0], "http://ehr.test/fhir/Location?_count=10");

  // First incremental poll: the overlap window (60 s below the watermark)
  // is read again once, then remembered.
  ctx.ClearBatches();
  PollOutcome second = h.adapter->Poll(ctx);
  ASSERT_TRUE(second.status.ok()) << second.status.message();
  EXPECT_EQ(ctx.Records().size(), 6u);
  bool asked_incremental = false;
  for (const std::string& url : h.client->urls()) {
    asked_incremental |=
        url.find("_lastUpdated=gt2026-11-01T08%3A03%3A00.000Z") != std::string::npos;
  }
  EXPECT_TRUE(asked_incremental);

  // Steady state: nothing changed, nothing delivered, no cursor churn.
  ctx.ClearBatches();
  ASSERT_TRUE(h.adapter->Poll(ctx).status.ok());
  EXPECT_TRUE(ctx.Records().empty());
  EXPECT_TRUE(ctx.batches.empty());

  // An update and a delete are picked up, each once.
  h.source.Put("Location", "loc-3", kT0 + 250'000);
  h.source.Delete("Location", "loc-4", kT0 + 251'000);
  ctx.ClearBatches();
  ASSERT_TRUE(h.adapter->Poll(ctx).status.ok());
  records = ctx.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].format, RecordFormat::kFhirResource);
  EXPECT_EQ(records[0].resource_id, "loc-3");
  EXPECT_NE(records[0].payload.find(R"("versionId":"2")"), std::string::npos);
  EXPECT_EQ(records[1].format, RecordFormat::kFhirDelete);
  EXPECT_EQ(records[1].resource_type, "Location");
  EXPECT_EQ(records[1].resource_id, "loc-4");
  EXPECT_EQ(records[1].source_time_ms, kT0 + 251'000);

  ctx.ClearBatches();
  ASSERT_TRUE(h.adapter->Poll(ctx).status.ok());
  EXPECT_TRUE(ctx.Records().empty());
}

TEST(FhirRestAdapter, AChangeMadeDuringALongIncrementalPassIsNotLost) {
  // An incremental pass over several pages: while it runs, a resource it has
  // already paged past changes, and so does one on a later page. The later
  // change must not lift the watermark over the earlier one.
  Harness h(kLocationsOnly);
  h.source.now_ms = kT0 + 245'000;
  for (int i = 0; i < 25; ++i)
    h.source.Put("Location", "loc-" + std::to_string(i), kT0 + i * 10'000);
  BatchRecorder ctx;
  ASSERT_TRUE(h.adapter->Poll(ctx).status.ok());
  ASSERT_TRUE(h.adapter->Poll(ctx).status.ok());  // the overlap window, read once

  // Every resource changes: the next incremental pass has three pages.
  for (int i = 0; i < 25; ++i)
    h.source.Put("Location", "loc-" + std::to_string(i), kT0 + 1'000'000 + i);
  h.source.now_ms = kT0 + 1'100'000;
  // Page three is asked for only after page one was read (one page ahead):
  // change loc-0 (page one, behind the pass) and loc-9 (page three).
  auto client = std::make_shared<ScriptedHttpClient>([&h](const net::HttpRequest& r) {
    if (r.url.find("_offset=20") != std::string::npos &&
        r.url.find("_lastUpdated") != std::string::npos) {
      h.source.Put("Location", "loc-0", kT0 + 1'500'000);
      h.source.Put("Location", "loc-9", kT0 + 3'000'000);
      h.source.now_ms = kT0 + 3'000'000;
    }
    return h.source.Handle(r);
  });
  Result<json::Document> settings = json::Parse(kLocationsOnly);
  AdapterConfig config{"a", "fhir-rest", &settings->root(), ""};
  FhirRestAdapter adapter(
      *ParseFhirRestSettings(config),
      std::make_shared<http_source::SourceFetcher>(client, http_source::MakeStaticAuthorizer({})));
  ctx.ClearBatches();
  ASSERT_TRUE(adapter.Poll(ctx).status.ok());
  ctx.ClearBatches();
  ASSERT_TRUE(adapter.Poll(ctx).status.ok());
  bool loc0_v3 = false;
  for (const SourceRecord& r : ctx.Records()) {
    loc0_v3 |=
        r.resource_id == "loc-0" && r.payload.find(R"("versionId":"3")") != std::string::npos;
    EXPECT_NE(r.resource_id, "loc-9") << "loc-9's version was delivered twice";
  }
  EXPECT_TRUE(loc0_v3) << "loc-0's change during the pass was never delivered";
}

TEST(FhirRestAdapter, ReadsXmlBundles) {
  Harness h(R"({"base-url":"http://ehr.test/fhir","resource-types":["Location"],"page-size":4,
                "format":"xml"})");
  for (int i = 0; i < 6; ++i) h.source.Put("Location", "x" + std::to_string(i), kT0 + i);
  BatchRecorder ctx;
  PollOutcome outcome = h.adapter->Poll(ctx);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.message();
  std::vector<SourceRecord> records = ctx.Records();
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records[5].payload.front(), '{');  // delivered as JSON
  EXPECT_NE(records[5].payload.find(R"("resourceType":"Location")"), std::string::npos);
  bool accept_xml = false;
  const net::HttpRequest first_request = h.client->requests().at(0);
  for (const auto& [k, v] : first_request.headers) {
    accept_xml |= k == "Accept" && v == "application/fhir+xml";
  }
  EXPECT_TRUE(accept_xml);
}

TEST(FhirRestAdapter, NeverFollowsANextLinkToAnotherHost) {
  Harness h(kLocationsOnly);
  for (int i = 0; i < 25; ++i) h.source.Put("Location", "loc-" + std::to_string(i), kT0 + i);
  h.source.next_link_host = "http://attacker.test/fhir";
  BatchRecorder ctx;
  PollOutcome outcome = h.adapter->Poll(ctx);
  EXPECT_EQ(outcome.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(outcome.status.message().find("attacker.test"), std::string::npos);
  for (const std::string& url : h.client->urls()) {
    EXPECT_EQ(url.find("attacker"), std::string::npos) << url;
  }
  EXPECT_TRUE(ctx.batches.empty());
}

TEST(FhirRestAdapter, StopsOnANextLinkToTheSamePage) {
  auto looping = std::make_shared<ScriptedHttpClient>([](const net::HttpRequest& r) {
    return JsonResponse(
        200, R"({"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":")" +
                 r.url + R"("}],"entry":[{"resource":{"resourceType":"Location","id":"a"}}]})");
  });
  Result<json::Document> settings = json::Parse(kLocationsOnly);
  AdapterConfig config{"a", "fhir-rest", &settings->root(), ""};
  FhirRestAdapter adapter(
      *ParseFhirRestSettings(config),
      std::make_shared<http_source::SourceFetcher>(looping, http_source::MakeStaticAuthorizer({})));
  BatchRecorder ctx;
  PollOutcome outcome = adapter.Poll(ctx);
  EXPECT_EQ(outcome.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(outcome.status.message().find("itself"), std::string::npos) << outcome.status.message();
  EXPECT_EQ(looping->urls().size(), 1u);
}

TEST(FhirRestAdapter, HonoursRetryAfter) {
  Harness h(kLocationsOnly);
  auto throttled = std::make_shared<ScriptedHttpClient>([](const net::HttpRequest&) {
    net::HttpResponse r = JsonResponse(429, "");
    r.headers.emplace_back("Retry-After", "30");
    return r;
  });
  Result<json::Document> settings = json::Parse(kLocationsOnly);
  AdapterConfig config{"a", "fhir-rest", &settings->root(), ""};
  FhirRestAdapter adapter(*ParseFhirRestSettings(config),
                          std::make_shared<http_source::SourceFetcher>(
                              throttled, http_source::MakeStaticAuthorizer({})));
  BatchRecorder ctx;
  PollOutcome outcome = adapter.Poll(ctx);
  EXPECT_EQ(outcome.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(outcome.retry_after, std::chrono::milliseconds(30'000));
  EXPECT_TRUE(ctx.batches.empty());
}

TEST(FhirRestAdapter, PageBudgetEndsARoundAndTheNextResumes) {
  Harness h(R"({"base-url":"http://ehr.test/fhir","resource-types":["Location","Encounter"],
                "page-size":10,"max-pages-per-poll":2})");
  for (int i = 0; i < 25; ++i) h.source.Put("Location", "loc-" + std::to_string(i), kT0 + i);
  h.source.Put("Encounter", "enc-1", kT0);
  BatchRecorder ctx;
  PollOutcome first = h.adapter->Poll(ctx);
  ASSERT_TRUE(first.status.ok());
  EXPECT_TRUE(first.more);
  EXPECT_EQ(ctx.Records().size(), 20u);
  EXPECT_EQ(h.client->urls().size(), 2u);  // no page fetched beyond the budget

  PollOutcome second = h.adapter->Poll(ctx);
  ASSERT_TRUE(second.status.ok());
  EXPECT_FALSE(second.more);
  EXPECT_EQ(ctx.Records().size(), 26u);
  EXPECT_EQ(h.client->urls().size(), 4u);  // Location's last page, then Encounter's one
  EXPECT_EQ(h.client->urls()[2], "http://ehr.test/fhir/Location?_count=10&_offset=20");
  EXPECT_EQ(ctx.Records().back().resource_type, "Encounter");
}

TEST(FhirRestAdapter, ABusyTypeDoesNotStarveTheNext) {
  // Location's incremental pass alone fills the page budget of every round.
  Harness h(R"({"base-url":"http://ehr.test/fhir","resource-types":["Location","Encounter"],
                "page-size":10,"max-pages-per-poll":2})");
  for (int i = 0; i < 15; ++i) h.source.Put("Location", "loc-" + std::to_string(i), kT0 + i);
  h.source.Put("Encounter", "enc-1", kT0);
  BatchRecorder ctx;
  PollOutcome first = h.adapter->Poll(ctx);
  ASSERT_TRUE(first.status.ok());
  EXPECT_TRUE(first.more);
  EXPECT_EQ(h.client->urls().size(), 2u);  // nothing of Encounter beyond the budget
  EXPECT_EQ(ctx.Records().size(), 15u);
  bool encounter = false;
  for (int round = 0; round < 4 && !encounter; ++round) {
    ASSERT_TRUE(h.adapter->Poll(ctx).status.ok());
    for (const SourceRecord& r : ctx.Records()) encounter |= r.key == "Encounter/enc-1";
  }
  EXPECT_TRUE(encounter) << "Encounter never got a turn";
}

TEST(FhirRestAdapter, AFailedDeliveryLeavesTheCursorForARetry) {
  Harness h(kLocationsOnly);
  for (int i = 0; i < 15; ++i) h.source.Put("Location", "loc-" + std::to_string(i), kT0 + i);
  BatchRecorder ctx;
  ctx.fail_deliveries = 1;
  PollOutcome failed = h.adapter->Poll(ctx);
  EXPECT_EQ(failed.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(ctx.committed_cursor(), "");
  PollOutcome retried = h.adapter->Poll(ctx);
  ASSERT_TRUE(retried.status.ok());
  EXPECT_EQ(ctx.Records().size(), 15u);
}

TEST(FhirRestAdapter, SearchFiltersGoIntoTheQuery) {
  Harness h(R"({"base-url":"http://ehr.test/fhir/","resource-types":["Encounter"],
                "search":{"Encounter":"status=in-progress"},"page-size":50})");
  BatchRecorder ctx;
  ASSERT_TRUE(h.adapter->Poll(ctx).status.ok());
  EXPECT_EQ(h.client->urls()[0], "http://ehr.test/fhir/Encounter?status=in-progress&_count=50");
}

Status SettingsStatus(const std::string& text) {
  Result<json::Document> doc = json::Parse(text);
  FE_CHECK(doc.ok());
  AdapterConfig config{"a", "fhir-rest", &doc->root(), "/nonexistent-config-dir"};
  Result<FhirRestSettings> s = ParseFhirRestSettings(config);
  return s.ok() ? Status::Ok() : s.status();
}

TEST(FhirRestSettings, DefaultsAndChecks) {
  Result<json::Document> doc = json::Parse(R"({"base-url":"https://ehr.example.org/fhir"})");
  AdapterConfig config{"a", "fhir-rest", &doc->root(), ""};
  Result<FhirRestSettings> s = ParseFhirRestSettings(config);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->resource_types, (std::vector<std::string>{"Location", "Encounter", "Organization"}));
  EXPECT_EQ(s->page_size, 1000);
  EXPECT_EQ(s->overlap_ms, 60'000);
  EXPECT_FALSE(s->history_deletes);
  EXPECT_EQ(s->base_url.target, "/fhir");

  auto message = [](const std::string& text) { return SettingsStatus(text).message(); };
  EXPECT_NE(message(R"({"base-url":"ftp://x"})").find("base-url"), std::string::npos);
  EXPECT_NE(message(R"({})").find("base-url"), std::string::npos);
  EXPECT_NE(message(R"({"base-url":"http://x","resource-types":["Bed"]})").find("resource-types"),
            std::string::npos);
  EXPECT_NE(message(R"({"base-url":"http://x","resource-types":["Location"],)"
                    R"("search":{"Encounter":"status=x"}})")
                .find("search.Encounter"),
            std::string::npos);
  EXPECT_NE(
      message(R"({"base-url":"http://x","search":{"Location":"a=b&_count=5"}})").find("_count"),
      std::string::npos);
  EXPECT_NE(message(R"({"base-url":"http://x","page-size":0})").find("page-size"),
            std::string::npos);
  EXPECT_NE(message(R"({"base-url":"http://x","auth":{"type":"basic"}})").find("auth.username"),
            std::string::npos);
  EXPECT_NE(message(R"({"base-url":"http://x","tls":{"ca-file":"ca.pem"}})").find("tls.ca-file"),
            std::string::npos);
  EXPECT_NE(message(R"({"base-url":"http://x","auth":{"type":"smart-backend","client-id":"c",)"
                    R"("private-key-file":"key.pem"}})")
                .find("auth.private-key-file"),
            std::string::npos);
  EXPECT_NE(FhirRestSettingsSchema().find(R"("additionalProperties": false)"), std::string::npos);
  EXPECT_TRUE(json::Parse(FhirRestSettingsSchema()).ok());
}

}  // namespace
}  // namespace fhirengine::adapters::fhir_rest
