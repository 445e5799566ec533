// Optimistic concurrency on the real server: many clients, each on its own
// keep-alive connection, update the same resources with If-Match. With a
// barrier between reading and writing, every round is a real race with a
// known answer (exactly one 200, a 412 OperationOutcome for every other
// client); without one, clients retry on 412 until they win. Either way no
// update may be lost.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/json/json_parser.h"
#include "tests/support/engine_process.h"
#include "tests/support/http_assertions.h"
#include "tests/support/http_client.h"

namespace fhirengine::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kClients = 8;
constexpr const char* kTokenSystem = "urn:fhir-engine-test:token";

// A Basic resource whose identifiers carry the tokens, in order.
std::string CounterBody(const std::string& id, const std::vector<std::string>& tokens) {
  std::string identifiers;
  for (const std::string& t : tokens) {
    identifiers += std::string(identifiers.empty() ? "" : ",") + R"({"system":")" + kTokenSystem +
                   R"(","value":")" + t + "\"}";
  }
  // FHIR has no empty arrays: no tokens, no identifier element.
  return R"({"resourceType":"Basic","id":")" + id + "\"" +
         (identifiers.empty() ? "" : R"(,"identifier":[)" + identifiers + "]") +
         R"(,"code":{"text":"shared counter"}})";
}

// The read of one resource: its version ETag and its tokens.
struct Snapshot {
  HttpResponse response;
  std::vector<std::string> tokens;
  bool ok = false;
};

Snapshot ReadCounter(HttpClient& client, const std::string& id) {
  Snapshot s;
  s.response = client.Request("GET", "/fhir/Basic/" + id);
  if (s.response.status != 200) return s;
  Result<json::Document> doc = json::Parse(s.response.body);
  if (!doc.ok()) return s;
  const json::Value* identifiers = doc->root().Find("identifier");
  if (identifiers != nullptr) {
    for (const json::Value& i : identifiers->elements()) {
      const json::Value* value = i.Find("value");
      if (value == nullptr || !value->IsString()) return s;
      s.tokens.emplace_back(value->text());
    }
  }
  s.ok = true;
  return s;
}

HttpResponse WriteCounter(HttpClient& client, const std::string& id, const std::string& etag,
                          const std::vector<std::string>& tokens) {
  return client.Request("PUT", "/fhir/Basic/" + id,
                        {{"Content-Type", "application/fhir+json"}, {"If-Match", etag}},
                        CounterBody(id, tokens));
}

class ConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("fe-concurrency-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "config.json") << R"({"server": {"threads": 4},
                                              "store": {"durability": "normal"}})";
    std::string error;
    engine_ = EngineProcess::Start(FHIR_ENGINE_BINARY,
                                   {"serve", "--config", (dir_ / "config.json").string(), "--port",
                                    "0", "--database", (dir_ / "db").string()},
                                   error);
    ASSERT_NE(engine_, nullptr) << error;
  }
  void TearDown() override {
    if (engine_ != nullptr) EXPECT_EQ(engine_->Stop(), 0);
    engine_.reset();
    fs::remove_all(dir_);
  }

  // Creates Basic/`id` with no tokens (version 1).
  void CreateCounter(const std::string& id) {
    HttpClient client(engine_->port());
    HttpResponse r =
        client.Request("PUT", "/fhir/Basic/" + id, {{"Content-Type", "application/fhir+json"}},
                       CounterBody(id, {}));
    ASSERT_EQ(r.status, 201) << Describe(r);
    ASSERT_EQ(r.Header("ETag"), "W/\"1\"");
  }

  fs::path dir_;
  std::unique_ptr<EngineProcess> engine_;
};

// What one client saw in one round.
struct RoundResult {
  std::string read_etag;
  int status = 0;
  bool outcome = false;  // the body was an OperationOutcome
  std::string detail;
};

TEST_F(ConcurrencyTest, ExactlyOneIfMatchWriterWinsEachRound) {
  constexpr int kResources = 2;
  constexpr int kRounds = 16;  // per resource
  constexpr int kTotalRounds = kResources * kRounds;
  for (int r = 0; r < kResources; ++r) {
    ASSERT_NO_FATAL_FAILURE(CreateCounter("race-" + std::to_string(r)));
  }

  std::vector<std::vector<RoundResult>> results(kTotalRounds, std::vector<RoundResult>(kClients));
  std::barrier sync(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      HttpClient client(engine_->port());
      for (int round = 0; round < kTotalRounds; ++round) {
        RoundResult& mine = results[static_cast<std::size_t>(round)][static_cast<std::size_t>(c)];
        const std::string id = "race-" + std::to_string(round % kResources);
        Snapshot read = ReadCounter(client, id);
        mine.read_etag = read.response.Header("ETag");
        if (!read.ok) mine.detail = "GET: " + Describe(read.response);
        // Everyone has read the same version before anyone writes.
        sync.arrive_and_wait();
        if (read.ok) {
          read.tokens.push_back("round-" + std::to_string(round) + "-client-" + std::to_string(c));
          HttpResponse w = WriteCounter(client, id, mine.read_etag, read.tokens);
          mine.status = w.status;
          mine.outcome = IsOperationOutcome(w);
          if (w.status != 200) mine.detail = Describe(w);
        }
        // Every write of this round is answered before the next round reads.
        sync.arrive_and_wait();
      }
    });
  }
  for (std::thread& t : clients) t.join();

  std::vector<std::vector<std::string>> winners(kResources);
  for (int round = 0; round < kTotalRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const auto& row = results[static_cast<std::size_t>(round)];
    const std::string expected_etag = "W/\"" + std::to_string(1 + round / kResources) + "\"";
    int wins = 0;
    for (int c = 0; c < kClients; ++c) {
      const RoundResult& r = row[static_cast<std::size_t>(c)];
      EXPECT_EQ(r.read_etag, expected_etag) << "client " << c << " read a stale or later version";
      if (r.status == 200) {
        ++wins;
        winners[static_cast<std::size_t>(round % kResources)].push_back(
            "round-" + std::to_string(round) + "-client-" + std::to_string(c));
      } else {
        EXPECT_EQ(r.status, 412) << "client " << c << ": " << r.detail;
        EXPECT_TRUE(r.outcome) << "client " << c << ": a 412 carries an OperationOutcome\n"
                               << r.detail;
      }
    }
    EXPECT_EQ(wins, 1) << "exactly one If-Match writer wins a round";
  }

  HttpClient client(engine_->port());
  for (int r = 0; r < kResources; ++r) {
    const std::string id = "race-" + std::to_string(r);
    Snapshot end = ReadCounter(client, id);
    ASSERT_TRUE(end.ok) << Describe(end.response);
    EXPECT_EQ(end.tokens, winners[static_cast<std::size_t>(r)]) << id;
    EXPECT_EQ(end.response.Header("ETag"), "W/\"" + std::to_string(1 + kRounds) + "\"") << id;
  }
}

TEST_F(ConcurrencyTest, ClientsRetryingOn412LoseNoUpdate) {
  constexpr int kUpdatesPerClient = 8;
  // Enough for every other client to win before this one, many times over;
  // reaching it means the server keeps refusing a current version.
  constexpr int kMaxAttemptsPerUpdate = 50 * kClients;
  const std::string id = "retry";
  ASSERT_NO_FATAL_FAILURE(CreateCounter(id));

  std::vector<std::string> failures(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::string& failure = failures[static_cast<std::size_t>(c)];
      HttpClient client(engine_->port());
      for (int u = 0; u < kUpdatesPerClient && failure.empty(); ++u) {
        const std::string token = "client-" + std::to_string(c) + "-update-" + std::to_string(u);
        for (int attempt = 0;; ++attempt) {
          if (attempt == kMaxAttemptsPerUpdate) {
            failure = token + ": no success after " + std::to_string(attempt) + " attempts";
            break;
          }
          Snapshot read = ReadCounter(client, id);
          if (!read.ok) {
            failure = "GET: " + Describe(read.response);
            break;
          }
          read.tokens.push_back(token);
          HttpResponse w = WriteCounter(client, id, read.response.Header("ETag"), read.tokens);
          if (w.status == 200) break;
          if (w.status != 412 || !IsOperationOutcome(w)) {
            failure = token + ": " + Describe(w);
            break;
          }
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  for (const std::string& f : failures) ASSERT_EQ(f, "");

  HttpClient client(engine_->port());
  Snapshot end = ReadCounter(client, id);
  ASSERT_TRUE(end.ok) << Describe(end.response);
  EXPECT_EQ(end.response.Header("ETag"),
            "W/\"" + std::to_string(1 + kClients * kUpdatesPerClient) + "\"");
  ASSERT_EQ(end.tokens.size(), static_cast<std::size_t>(kClients * kUpdatesPerClient));
  // Each token once, and each client's tokens in the order it wrote them.
  EXPECT_EQ(std::set<std::string>(end.tokens.begin(), end.tokens.end()).size(), end.tokens.size());
  std::map<int, int> next_update;
  for (const std::string& token : end.tokens) {
    int c = -1;
    int u = -1;
    ASSERT_EQ(std::sscanf(token.c_str(), "client-%d-update-%d", &c, &u), 2) << token;
    EXPECT_EQ(u, next_update[c]++) << token << " out of its client's order";
  }
  for (int c = 0; c < kClients; ++c) EXPECT_EQ(next_update[c], kUpdatesPerClient) << c;
}

}  // namespace
}  // namespace fhirengine::testing
