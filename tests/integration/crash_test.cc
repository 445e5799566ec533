// Crash safety: a process writing to the store is killed with SIGKILL at
// several moments and the database is reopened. At the store level
// (tests/support/store_crash_writer.cc) every acknowledged batch must be
// there whole and no batch in part; at the server level (the real
// `fhir-engine serve` under concurrent PUTs) every acknowledged write must
// read back. Both use durability "full" and check PRAGMA integrity_check.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/json/json_parser.h"
#include "engine/store/resource_store.h"
#include "tests/support/engine_process.h"
#include "tests/support/http_assertions.h"
#include "tests/support/http_client.h"
#include "tests/support/shared_engine.h"

namespace fhirengine::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr int kKilledBySigkill = 128 + SIGKILL;

// Every row of PRAGMA integrity_check, joined; "ok" for a sound database.
// Opening read-write lets SQLite recover the WAL the killed process left.
std::string IntegrityCheck(const fs::path& database) {
  try {
    SQLite::Database db(database.string(), SQLite::OPEN_READWRITE);
    SQLite::Statement q(db, "PRAGMA integrity_check");
    std::string rows;
    while (q.executeStep()) rows += (rows.empty() ? "" : "\n") + q.getColumn(0).getString();
    return rows;
  } catch (const std::exception& e) {
    return std::string("cannot check: ") + e.what();
  }
}

// The integer after "key": in `line`, or nullopt.
std::optional<std::int64_t> IntField(const std::string& line, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  const std::size_t at = line.find(needle);
  if (at == std::string::npos) return std::nullopt;
  return std::strtoll(line.c_str() + at + needle.size(), nullptr, 10);
}

// ---- store level ---------------------------------------------------------------

constexpr int kResourcesPerBatch = 6;

// Exactly what store_crash_writer stores for resource `id` in batch `batch`.
std::string WriterJson(const std::string& id, std::int64_t batch) {
  return R"({"resourceType":"Basic","id":")" + id + R"(","code":{"text":"batch )" +
         std::to_string(batch) + "\"}}";
}

struct CrashRound {
  // 0: kill as soon as the writer reports ready; -1: at once, without
  // waiting for it (while it opens, and perhaps recovers, the database).
  int acks_before_kill;
  int in_flight;  // batches the writer keeps queued (group commit when > 1)
};

// Checks the reopened store after a kill; returns the last committed batch.
// `previous` is what the last round committed, `last_ack` the highest batch
// the writer acknowledged before it died.
std::int64_t VerifyStore(const fs::path& database, std::int64_t previous, std::int64_t last_ack,
                         int in_flight) {
  store::StoreOptions options;
  options.path = database.string();
  Result<std::unique_ptr<store::ResourceStore>> opened = store::ResourceStore::Open(options);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  if (!opened.ok()) return previous;
  store::ResourceStore& db = **opened;

  // All fixed resources at one version: a batch is never half applied.
  std::int64_t committed = 0;
  Result<store::StoredResource> first = db.Read("Basic", "crash-0");
  if (first.ok()) committed = first->version;
  for (int k = 0; k < kResourcesPerBatch; ++k) {
    const std::string id = "crash-" + std::to_string(k);
    Result<store::StoredResource> r = db.Read("Basic", id);
    if (committed == 0) {
      EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << id;
      continue;
    }
    EXPECT_TRUE(r.ok()) << id << ": " << r.status().ToString();
    if (!r.ok()) continue;
    EXPECT_EQ(r->version, committed) << id << " is not at the version of crash-0: partial batch";
    EXPECT_EQ(r->json, WriterJson(id, committed)) << id;
  }
  // Every acknowledged batch is there; at most the batches still in flight
  // at the kill may have committed beyond it, never fewer than acknowledged.
  EXPECT_GE(committed, last_ack) << "an acknowledged batch was lost";
  EXPECT_GE(committed, previous);
  EXPECT_LE(committed, std::max(last_ack, previous) + in_flight);

  // Every batch of this round, whole: its own resource and, in the history,
  // the version it gave each fixed resource.
  for (std::int64_t n = previous + 1; n <= committed; ++n) {
    const std::string batch_id = "batch-" + std::to_string(n);
    Result<store::StoredResource> created = db.Read("Basic", batch_id);
    EXPECT_TRUE(created.ok()) << batch_id << ": " << created.status().ToString();
    if (created.ok()) EXPECT_EQ(created->json, WriterJson(batch_id, n));
    for (int k = 0; k < kResourcesPerBatch; ++k) {
      const std::string id = "crash-" + std::to_string(k);
      Result<store::StoredResource> v = db.ReadVersion("Basic", id, n);
      EXPECT_TRUE(v.ok()) << id << " v" << n << ": " << v.status().ToString();
      if (v.ok()) EXPECT_EQ(v->json, WriterJson(id, n)) << id << " v" << n;
    }
  }
  // And nothing of the first batch that did not commit.
  Result<store::StoredResource> next = db.Read("Basic", "batch-" + std::to_string(committed + 1));
  EXPECT_EQ(next.status().code(), StatusCode::kNotFound)
      << "batch " << committed + 1 << " is partly present";
  Result<std::int64_t> count = db.Count("Basic");
  EXPECT_TRUE(count.ok());
  if (count.ok()) {
    EXPECT_EQ(*count, committed + (committed > 0 ? kResourcesPerBatch : 0))
        << "resources from an uncommitted batch";
  }
  return committed;
}

TEST(StoreCrash, AcknowledgedBatchesSurviveSigkillAndNoBatchIsPartial) {
  const fs::path dir = MakeTempDir("store");
  const fs::path database = dir / "store.db";
  // Kill points and queue depths vary per round; every round continues on
  // the database the previous kill left.
  const std::vector<CrashRound> rounds = {{0, 1},  {1, 1},  {7, 4},   {23, 8}, {-1, 8},
                                          {3, 16}, {50, 2}, {11, 32}, {-1, 1}, {40, 8}};
  std::int64_t committed = 0;
  for (std::size_t round = 0; round < rounds.size(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const CrashRound& plan = rounds[round];
    std::string error;
    std::unique_ptr<EngineProcess> writer = EngineProcess::Spawn(
        STORE_CRASH_WRITER_BINARY,
        {database.string(), std::to_string(kResourcesPerBatch), std::to_string(plan.in_flight)},
        error);
    ASSERT_NE(writer, nullptr) << error;
    if (plan.acks_before_kill >= 0) {
      std::optional<std::string> ready = writer->WaitForLine({"\"ready\":true"}, seconds(30));
      ASSERT_TRUE(ready.has_value()) << "the writer did not start";
      EXPECT_EQ(IntField(*ready, "resume_after"), committed)
          << "the writer does not see what the last round committed";
    }
    if (plan.acks_before_kill > 0) {
      const std::string want =
          "{\"ack\":" + std::to_string(committed + plan.acks_before_kill) + "}";
      ASSERT_TRUE(writer->WaitForLine({want}, seconds(60)).has_value())
          << "no " << want << " within the deadline";
    }
    writer->Signal(SIGKILL);
    ASSERT_EQ(writer->WaitForExit(seconds(30)), kKilledBySigkill);

    // The acknowledgements: in order, without gaps, and no error.
    std::int64_t last_ack = committed;
    for (const std::string& line : writer->Lines()) {
      EXPECT_EQ(line.find("\"error\""), std::string::npos) << line;
      if (std::optional<std::int64_t> ack = IntField(line, "ack")) {
        EXPECT_EQ(*ack, last_ack + 1) << "acknowledgements out of order";
        last_ack = *ack;
      }
    }
    EXPECT_GE(last_ack, committed + std::max(plan.acks_before_kill, 0));

    ASSERT_EQ(IntegrityCheck(database), "ok");
    committed = VerifyStore(database, committed, last_ack, plan.in_flight);
    ASSERT_FALSE(::testing::Test::HasFailure());
  }
  EXPECT_GE(committed, 135);  // the sum of the acknowledgements waited for
  fs::remove_all(dir);
}

// ---- server level --------------------------------------------------------------

// The version in an ETag W/"n", or 0.
std::int64_t VersionFromETag(const std::string& etag) {
  if (!etag.starts_with("W/\"") || !etag.ends_with("\"")) return 0;
  return std::strtoll(etag.c_str() + 3, nullptr, 10);
}

constexpr int kClients = 4;
constexpr int kIdsPerClient = 5;

std::string ClientResourceId(int client, int slot) {
  return "c" + std::to_string(client) + "-" + std::to_string(slot);
}

std::string ClientContent(int client, std::int64_t seq) {
  return "client " + std::to_string(client) + " write " + std::to_string(seq);
}

std::string ClientBody(const std::string& id, const std::string& content) {
  return R"({"resourceType":"Basic","id":")" + id + R"(","code":{"text":")" + content + "\"}}";
}

struct AckedWrite {
  std::string id;
  std::int64_t version = 0;
  std::string content;
};

// What one client thread saw in one round.
struct ClientLog {
  std::vector<AckedWrite> acked;
  std::optional<AckedWrite> in_flight;  // sent, never answered (version unknown)
  std::string failure;                  // an unexpected answer, if any
};

// What the store must hold per id after a round: the last acknowledged
// version and content, or (one per client) the write in flight at the kill.
struct Expectation {
  std::int64_t version = 0;
  std::string content;
  std::optional<std::string> in_flight_content;
};

class AckCounter {
 public:
  void Add() {
    std::lock_guard lock(mutex_);
    ++count_;
    changed_.notify_all();
  }
  bool WaitFor(int target, std::chrono::milliseconds deadline) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, deadline, [&] { return count_ >= target; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int count_ = 0;
};

std::unique_ptr<EngineProcess> StartServer(const fs::path& dir, std::string& error) {
  return EngineProcess::Start(FHIR_ENGINE_BINARY,
                              {"serve", "--config", (dir / "config.json").string(), "--port", "0",
                               "--database", (dir / "server.db").string()},
                              error);
}

TEST(ServerCrash, AcknowledgedWritesSurviveSigkillOfTheServer) {
  const fs::path dir = MakeTempDir("server");
  std::ofstream(dir / "config.json") << R"({"server": {"threads": 2},
                                           "store": {"durability": "full"}})";
  std::string error;
  std::unique_ptr<EngineProcess> engine = StartServer(dir, error);
  ASSERT_NE(engine, nullptr) << error;

  std::map<std::string, Expectation> expected;
  std::vector<std::int64_t> next_seq(kClients, 1);
  for (const int acks_before_kill : {40, 120, 7}) {
    SCOPED_TRACE("kill after " + std::to_string(acks_before_kill) + " acknowledged writes");
    AckCounter acks;
    std::atomic<bool> stop{false};
    std::vector<ClientLog> logs(kClients);
    std::vector<std::thread> clients;
    const std::uint16_t port = engine->port();
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        ClientLog& log = logs[static_cast<std::size_t>(c)];
        std::int64_t& seq = next_seq[static_cast<std::size_t>(c)];
        HttpClient client(port);
        if (!client.connected()) {
          log.failure = "connect: " + client.connect_error();
          return;
        }
        while (!stop.load()) {
          const std::string id = ClientResourceId(c, static_cast<int>(seq % kIdsPerClient));
          const std::string content = ClientContent(c, seq);
          ++seq;
          log.in_flight = AckedWrite{id, 0, content};
          HttpResponse r =
              client.Request("PUT", "/fhir/Basic/" + id,
                             {{"Content-Type", "application/fhir+json"}}, ClientBody(id, content));
          if (r.status == 0) return;  // the server is gone: `in_flight` may or may not be stored
          if (r.status != 200 && r.status != 201) {
            log.failure = "PUT " + id + ": " + Describe(r);
            log.in_flight.reset();
            return;
          }
          log.in_flight.reset();
          log.acked.push_back({id, VersionFromETag(r.Header("ETag")), content});
          acks.Add();
        }
      });
    }
    const bool reached = acks.WaitFor(acks_before_kill, seconds(60));
    engine->Signal(SIGKILL);
    const int exit_code = engine->WaitForExit(seconds(30));
    stop = true;
    for (std::thread& t : clients) t.join();
    ASSERT_TRUE(reached) << "fewer than " << acks_before_kill << " writes acknowledged in time";
    ASSERT_EQ(exit_code, kKilledBySigkill);
    for (const ClientLog& log : logs) ASSERT_EQ(log.failure, "");

    for (const ClientLog& log : logs) {
      for (const AckedWrite& w : log.acked) {
        Expectation& e = expected[w.id];
        EXPECT_EQ(w.version, e.version + 1) << w.id << ": versions must follow one another";
        e.version = w.version;
        e.content = w.content;
        e.in_flight_content.reset();
      }
      if (log.in_flight) expected[log.in_flight->id].in_flight_content = log.in_flight->content;
    }

    ASSERT_EQ(IntegrityCheck(dir / "server.db"), "ok");
    engine = StartServer(dir, error);
    ASSERT_NE(engine, nullptr) << "restart: " << error;
    HttpClient reader(engine->port());
    ASSERT_TRUE(reader.connected()) << reader.connect_error();

    // Each id: at its last acknowledged version with that content, or one
    // further when the write in flight at the kill was committed.
    for (auto& [id, e] : expected) {
      HttpResponse r = reader.Request("GET", "/fhir/Basic/" + id);
      if (e.version == 0 && r.status == 404) {
        e.in_flight_content.reset();  // its only write was in flight and is not stored
        continue;
      }
      ASSERT_EQ(r.status, 200) << id << ": " << Describe(r);
      const std::int64_t version = VersionFromETag(r.Header("ETag"));
      const std::string content = JsonString(r.body, {"code", "text"});
      if (version == e.version + 1 && e.in_flight_content) {
        EXPECT_EQ(content, *e.in_flight_content) << id;
        e.version = version;
        e.content = content;
      } else {
        EXPECT_EQ(version, e.version) << id << ": an acknowledged write was lost";
        EXPECT_EQ(content, e.content) << id;
      }
      e.in_flight_content.reset();
    }
    // Every acknowledged version of this round, by vread.
    for (const ClientLog& log : logs) {
      for (const AckedWrite& w : log.acked) {
        HttpResponse r =
            reader.Request("GET", "/fhir/Basic/" + w.id + "/_history/" + std::to_string(w.version));
        ASSERT_EQ(r.status, 200) << w.id << " v" << w.version << ": " << Describe(r);
        EXPECT_EQ(JsonString(r.body, {"code", "text"}), w.content) << w.id << " v" << w.version;
        EXPECT_EQ(JsonString(r.body, {"meta", "versionId"}), std::to_string(w.version));
      }
    }
    ASSERT_FALSE(::testing::Test::HasFailure());
  }
  EXPECT_EQ(engine->Stop(), 0);
  EXPECT_EQ(IntegrityCheck(dir / "server.db"), "ok");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace fhirengine::testing
