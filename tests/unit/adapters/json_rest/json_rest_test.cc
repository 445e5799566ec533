// The json-rest adapter: record paths, page parsing, its cursor, and its
// poll loop (offset paging, cursor paging, since pulls) against a scripted
// HTTP client.
#include <gtest/gtest.h>

#include <cstdlib>

#include "adapters/json_rest/json_rest_adapter.h"
#include "adapters/json_rest/json_rest_page.h"
#include "adapters/json_rest/record_path.h"
#include "engine/json/json_parser.h"
#include "tests/unit/adapters/http_source/pull_test_support.h"

namespace fhirengine::adapters::json_rest {
namespace {

using pull_testing::BatchRecorder;
using pull_testing::JsonResponse;
using pull_testing::ScriptedHttpClient;

JsonRestSettings Settings(const std::string& text) {
  Result<json::Document> doc = json::Parse(text);
  FE_CHECK(doc.ok());
  AdapterConfig config{"beds", "json-rest", &doc->root(), ""};
  Result<JsonRestSettings> s = ParseJsonRestSettings(config);
  FE_CHECK(s.ok());
  return std::move(s).value();
}

Status SettingsStatus(const std::string& text) {
  Result<json::Document> doc = json::Parse(text);
  FE_CHECK(doc.ok());
  AdapterConfig config{"beds", "json-rest", &doc->root(), ""};
  Result<JsonRestSettings> s = ParseJsonRestSettings(config);
  return s.ok() ? Status::Ok() : s.status();
}

TEST(RecordPath, FollowsPointersAndDottedPaths) {
  Result<json::Document> doc = json::Parse(R"({"data":{"items":[{"a/b":1},{"x~y":2}]}})");
  ASSERT_TRUE(doc.ok());
  const json::Value* v = RecordPath::Parse("/data/items")->Find(doc->root());
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->IsArray());
  EXPECT_EQ(RecordPath::Parse("data.items")->Find(doc->root()), v);
  EXPECT_EQ(RecordPath::Parse("")->Find(doc->root()), &doc->root());
  EXPECT_EQ(RecordPath::Parse("/data/items/0/a~1b")->Find(doc->root())->text(), "1");
  EXPECT_EQ(RecordPath::Parse("/data/items/1/x~0y")->Find(doc->root())->text(), "2");
  EXPECT_EQ(RecordPath::Parse("/data/items/2")->Find(doc->root()), nullptr);
  EXPECT_EQ(RecordPath::Parse("data.missing")->Find(doc->root()), nullptr);
  EXPECT_FALSE(RecordPath::Parse("/a/~2").ok());
  EXPECT_FALSE(RecordPath::Parse("a..b").ok());
}

TEST(JsonRestPage, TurnsElementsIntoRecordsAndRejectsWhatHasNoKey) {
  JsonRestSettings s = Settings(R"({"url":"http://api.test/beds","records-path":"/items",
      "key-field":"bed.id","timestamp-field":"changed",
      "paging":{"type":"cursor","cursor-field":"/next"}})");
  Result<JsonPage> page = ParseJsonPage(
      R"({"items":[{"bed":{"id":"B1"},"changed":"2026-11-23T10:00:00Z","status":"free"},
                   {"bed":{"id":7},"changed":"2026-11-23T11:00:00Z"},
                   {"bed":{}},
                   "junk"],
          "next":"abc"})",
      s, "GET http://api.test/beds");
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_EQ(page->element_count, 4u);
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_EQ(page->records[0].format, RecordFormat::kJsonObject);
  EXPECT_EQ(page->records[0].key, "B1");
  EXPECT_EQ(page->records[0].locator, "GET http://api.test/beds#0");
  EXPECT_EQ(page->records[0].payload,
            R"({"bed":{"id":"B1"},"changed":"2026-11-23T10:00:00Z","status":"free"})");
  EXPECT_EQ(page->records[1].key, "7");
  EXPECT_TRUE(page->records[1].source_time_ms.has_value());
  EXPECT_EQ(page->newest, "2026-11-23T11:00:00Z");
  ASSERT_EQ(page->rejected.size(), 2u);
  EXPECT_NE(page->rejected[0].reason.find("bed.id"), std::string::npos);
  EXPECT_EQ(page->rejected[0].locator, "GET http://api.test/beds#2");
  EXPECT_NE(page->rejected[1].reason.find("not an object"), std::string::npos);
  EXPECT_EQ(page->next_cursor, "abc");

  EXPECT_FALSE(ParseJsonPage(R"({"items":{}})", s, "x").ok());
  EXPECT_FALSE(ParseJsonPage("<html/>", s, "x").ok());
}

TEST(JsonRestPage, ComparesTimestamps) {
  EXPECT_LT(CompareTimestamps("2026-11-23T10:00:00Z", "2026-11-23T11:00:00+00:30"), 0);
  EXPECT_GT(CompareTimestamps("100", "99"), 0);  // numbers by value, not text
  EXPECT_EQ(CompareTimestamps("v1", "v1"), 0);
  EXPECT_EQ(TimestampMs("1700000000"), 1'700'000'000'000);
  EXPECT_EQ(TimestampMs("1700000000000"), 1'700'000'000'000);
  EXPECT_FALSE(TimestampMs("soon").has_value());
}

TEST(JsonRestCursor, RoundTrips) {
  JsonRestCursor c;
  c.since = "2026-11-23T10:00:00Z";
  c.in_pull = true;
  c.offset = 300;
  c.page_cursor = "tok\"en";
  c.pull_newest = "2026-11-23T11:00:00Z";
  Result<JsonRestCursor> back = ParseJsonRestCursor(WriteJsonRestCursor(c));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->since, c.since);
  EXPECT_TRUE(back->in_pull);
  EXPECT_EQ(back->offset, 300);
  EXPECT_EQ(back->page_cursor, c.page_cursor);
  EXPECT_EQ(back->pull_newest, c.pull_newest);
  EXPECT_TRUE(ParseJsonRestCursor("").ok());
  EXPECT_FALSE(ParseJsonRestCursor(R"({"version":3})").ok());
  EXPECT_FALSE(
      ParseJsonRestCursor(R"({"version":1,"pull":{"offset":-1,"cursor":"","newest":""}})").ok());
}

std::string Param(const std::string& url, const std::string& name) {
  const std::size_t q = url.find('?');
  if (q == std::string::npos) return "";
  std::string query = "&" + url.substr(q + 1) + "&";
  const std::size_t at = query.find("&" + name + "=");
  if (at == std::string::npos) return "";
  const std::size_t start = at + name.size() + 2;
  return query.substr(start, query.find('&', start) - start);
}

TEST(JsonRestAdapter, OffsetPagingStopsAtAShortPageAndSendsSince) {
  // 23 beds, the first 20 changed at minute 1, the last 3 at minute 2.
  auto client = std::make_shared<ScriptedHttpClient>([](const net::HttpRequest& r) {
    const int offset = std::stoi(Param(r.url, "offset"));
    const int limit = std::stoi(Param(r.url, "limit"));
    const std::string since = Param(r.url, "changedSince");
    std::string body = R"({"data":[)";
    int n = 0;
    for (int i = offset; i < 23 && i < offset + limit; ++i) {
      const std::string changed = i < 20 ? "2026-11-23T10:01:00Z" : "2026-11-23T10:02:00Z";
      if (!since.empty() && since >= "2026-11-23T10%3A02%3A00Z") continue;
      body += std::string(n++ ? "," : "") + R"({"id":"bed-)" + std::to_string(i) +
              R"(","changed":")" + changed + R"("})";
    }
    return JsonResponse(200, body + "]}", "application/json");
  });
  JsonRestSettings s = Settings(R"({"url":"http://api.test/v1/beds?region=ac",
      "records-path":"data","key-field":"id","timestamp-field":"changed",
      "since-param":"changedSince",
      "paging":{"type":"offset","page-size":10}})");
  JsonRestAdapter adapter(s, std::make_shared<http_source::SourceFetcher>(
                                 client, http_source::MakeStaticAuthorizer({})));
  BatchRecorder ctx;
  PollOutcome outcome = adapter.Poll(ctx);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.message();
  EXPECT_EQ(ctx.Records().size(), 23u);
  EXPECT_EQ(ctx.batches.size(), 3u);
  const std::vector<std::string> urls = client->urls();
  ASSERT_EQ(urls.size(), 3u);
  EXPECT_EQ(urls[0], "http://api.test/v1/beds?region=ac&offset=0&limit=10");
  EXPECT_EQ(urls[2], "http://api.test/v1/beds?region=ac&offset=20&limit=10");
  Result<JsonRestCursor> cursor = ParseJsonRestCursor(ctx.committed_cursor());
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(cursor->since, "2026-11-23T10:02:00Z");
  EXPECT_FALSE(cursor->in_pull);

  ctx.ClearBatches();
  ASSERT_TRUE(adapter.Poll(ctx).status.ok());
  EXPECT_EQ(client->urls()[3],
            "http://api.test/v1/beds?region=ac&changedSince=2026-11-23T10%3A02%3A00Z&offset=0&"
            "limit=10");
  EXPECT_TRUE(ctx.Records().empty());
}

TEST(JsonRestAdapter, CursorPagingFollowsTokensAndSameOriginLinks) {
  auto client = std::make_shared<ScriptedHttpClient>([](const net::HttpRequest& r) {
    if (r.url == "http://api.test/units") {
      return JsonResponse(200, R"({"units":[{"code":"A"}],"next":"t2"})", "application/json");
    }
    if (r.url == "http://api.test/units?cursor=t2") {
      return JsonResponse(200, R"({"units":[{"code":"B"}],"next":"http://api.test/units?page=3"})",
                          "application/json");
    }
    if (r.url == "http://api.test/units?page=3") {
      return JsonResponse(200, R"({"units":[{"code":"C"}],"next":null})", "application/json");
    }
    return JsonResponse(404, "");
  });
  JsonRestSettings s = Settings(R"({"url":"http://api.test/units","records-path":"units",
      "key-field":"code","paging":{"type":"cursor","cursor-field":"next","limit-param":""}})");
  JsonRestAdapter adapter(s, std::make_shared<http_source::SourceFetcher>(
                                 client, http_source::MakeStaticAuthorizer({})));
  BatchRecorder ctx;
  PollOutcome outcome = adapter.Poll(ctx);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.message();
  std::vector<SourceRecord> records = ctx.Records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].key, "C");

  // A next link to another host is refused.
  auto evil = std::make_shared<ScriptedHttpClient>([](const net::HttpRequest&) {
    return JsonResponse(200, R"({"units":[{"code":"A"}],"next":"http://attacker.test/x"})",
                        "application/json");
  });
  JsonRestAdapter evil_adapter(
      s, std::make_shared<http_source::SourceFetcher>(evil, http_source::MakeStaticAuthorizer({})));
  BatchRecorder evil_ctx;
  PollOutcome refused = evil_adapter.Poll(evil_ctx);
  EXPECT_FALSE(refused.status.ok());
  EXPECT_NE(refused.status.message().find("attacker.test"), std::string::npos);
  EXPECT_EQ(evil->urls().size(), 1u);
}

TEST(JsonRestAdapter, HonoursRetryAfterAndPageBudget) {
  auto throttled = std::make_shared<ScriptedHttpClient>([](const net::HttpRequest&) {
    net::HttpResponse r = JsonResponse(503, "");
    r.headers.emplace_back("Retry-After", "12");
    return r;
  });
  JsonRestSettings s = Settings(R"({"url":"http://api.test/x","key-field":"id"})");
  JsonRestAdapter adapter(s, std::make_shared<http_source::SourceFetcher>(
                                 throttled, http_source::MakeStaticAuthorizer({})));
  BatchRecorder ctx;
  PollOutcome outcome = adapter.Poll(ctx);
  EXPECT_EQ(outcome.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(outcome.retry_after, std::chrono::milliseconds(12'000));

  auto endless = std::make_shared<ScriptedHttpClient>([](const net::HttpRequest& r) {
    return JsonResponse(200, R"([{"id":")" + Param(r.url, "offset") + R"("}])", "application/json");
  });
  JsonRestSettings paged = Settings(R"({"url":"http://api.test/x","key-field":"id",
      "max-pages-per-poll":3,"paging":{"type":"offset","page-size":1}})");
  JsonRestAdapter paged_adapter(paged, std::make_shared<http_source::SourceFetcher>(
                                           endless, http_source::MakeStaticAuthorizer({})));
  BatchRecorder paged_ctx;
  PollOutcome first = paged_adapter.Poll(paged_ctx);
  EXPECT_TRUE(first.more);
  EXPECT_EQ(paged_ctx.Records().size(), 3u);
  paged_adapter.Poll(paged_ctx);
  EXPECT_EQ(endless->urls()[3], "http://api.test/x?offset=3&limit=1");  // resumed
}

TEST(JsonRestAdapter, StopsOnAnApiThatRepeatsItsPages) {
  // Offset paging against an API that ignores the offset: every page is the
  // first one again, so the pull would never end (and re-deliver for ever).
  auto ignores_offset = std::make_shared<ScriptedHttpClient>([](const net::HttpRequest&) {
    return JsonResponse(
        200,
        R"({"data":[{"id":"a"},{"id":"b"}],"generated":")" + std::to_string(std::rand()) + R"("})",
        "application/json");
  });
  JsonRestSettings offset = Settings(R"({"url":"http://api.test/x","records-path":"data",
      "key-field":"id","max-pages-per-poll":50,"paging":{"type":"offset","page-size":2}})");
  JsonRestAdapter adapter(offset, std::make_shared<http_source::SourceFetcher>(
                                      ignores_offset, http_source::MakeStaticAuthorizer({})));
  BatchRecorder ctx;
  PollOutcome outcome = adapter.Poll(ctx);
  EXPECT_EQ(outcome.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(outcome.status.message().find("same records"), std::string::npos)
      << outcome.status.message();
  EXPECT_EQ(ignores_offset->urls().size(), 2u);
  EXPECT_EQ(ctx.Records().size(), 2u);
  // The next poll meets the same page again and says so again.
  EXPECT_FALSE(adapter.Poll(ctx).status.ok());
  EXPECT_EQ(ctx.Records().size(), 2u);

  // Cursor paging that goes round in a circle: t1 -> t2 -> t1.
  auto circle = std::make_shared<ScriptedHttpClient>([](const net::HttpRequest& r) {
    const bool second = r.url.find("cursor=t2") != std::string::npos;
    return JsonResponse(200,
                        second ? R"({"units":[{"code":"B"}],"next":"t1"})"
                               : R"({"units":[{"code":"A"}],"next":"t2"})",
                        "application/json");
  });
  JsonRestSettings cursor = Settings(R"({"url":"http://api.test/units","records-path":"units",
      "key-field":"code","max-pages-per-poll":50,
      "paging":{"type":"cursor","cursor-field":"next","limit-param":""}})");
  JsonRestAdapter circling(cursor, std::make_shared<http_source::SourceFetcher>(
                                       circle, http_source::MakeStaticAuthorizer({})));
  BatchRecorder circle_ctx;
  PollOutcome circled = circling.Poll(circle_ctx);
  EXPECT_EQ(circled.status.code(), StatusCode::kInvalidArgument);
  EXPECT_LE(circle->urls().size(), 3u);
}

TEST(JsonRestSettings, ChecksWhatTheSchemaCannot) {
  EXPECT_NE(SettingsStatus(R"({"key-field":"id"})").message().find("url"), std::string::npos);
  EXPECT_NE(SettingsStatus(R"({"url":"http://x"})").message().find("key-field"), std::string::npos);
  EXPECT_NE(SettingsStatus(R"({"url":"http://x","key-field":"id","since-param":"s"})")
                .message()
                .find("since-param"),
            std::string::npos);
  EXPECT_NE(SettingsStatus(R"({"url":"http://x","key-field":"id","paging":{"type":"cursor"}})")
                .message()
                .find("paging.cursor-field"),
            std::string::npos);
  EXPECT_NE(SettingsStatus(R"({"url":"http://x","key-field":"id","auth":{"type":"smart-backend"}})")
                .message()
                .find("auth.type"),
            std::string::npos);
  EXPECT_TRUE(json::Parse(JsonRestSettingsSchema()).ok());
}

}  // namespace
}  // namespace fhirengine::adapters::json_rest
