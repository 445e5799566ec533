// The versioned SQLite store on a real temporary file: versions, If-Match,
// atomic batches, history, idempotent re-delivery, reopen, search edge cases.
#include "engine/store/resource_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "tests/unit/store/temp_store_test.h"

namespace fhirengine::store {
namespace {

class ResourceStoreTest : public TempStoreTest {
 protected:
  static WriteOp Put(const std::string& id, const std::string& body,
                     std::optional<std::int64_t> expected = std::nullopt) {
    WriteOp op;
    op.type = "Location";
    op.id = id;
    op.json = body;
    op.expected_version = expected;
    return op;
  }
};

TEST_F(ResourceStoreTest, KeepsEveryVersion) {
  ASSERT_TRUE(store_->Write({Put("b1", R"({"v":1})")}).ok());
  Result<std::vector<WriteResult>> second = store_->Write({Put("b1", R"({"v":2})")});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)[0].version, 2);
  EXPECT_FALSE((*second)[0].created);
  Result<StoredResource> current = store_->Read("Location", "b1");
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->version, 2);
  EXPECT_EQ(current->json, R"({"v":2})");
  Result<StoredResource> first = store_->ReadVersion("Location", "b1", 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->json, R"({"v":1})");
  EXPECT_EQ(store_->ReadVersion("Location", "b1", 3).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Read("Location", "nope").status().code(), StatusCode::kNotFound);
}

TEST_F(ResourceStoreTest, IfMatchRejectsStaleVersions) {
  ASSERT_TRUE(store_->Write({Put("b1", "{}")}).ok());
  EXPECT_TRUE(store_->Write({Put("b1", R"({"x":1})", 1)}).ok());
  Result<std::vector<WriteResult>> stale = store_->Write({Put("b1", R"({"x":2})", 1)});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Write({Put("b1", "{}", 0)}).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->Read("Location", "b1")->json, R"({"x":1})");
}

TEST_F(ResourceStoreTest, FailedBatchLeavesNothingBehind) {
  ASSERT_TRUE(store_->Write({Put("a", R"({"v":1})")}).ok());
  Result<std::vector<WriteResult>> batch =
      store_->Write({Put("a", R"({"v":2})"), Put("new", "{}"), Put("a", "{}", 7)});
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(store_->Read("Location", "a")->version, 1);
  EXPECT_EQ(store_->Read("Location", "new").status().code(), StatusCode::kNotFound);
}

TEST_F(ResourceStoreTest, DeleteLeavesATombstoneAndHistory) {
  ASSERT_TRUE(store_->Write({Put("a", R"({"v":1})")}).ok());
  WriteOp del;
  del.kind = WriteKind::kDelete;
  del.type = "Location";
  del.id = "a";
  Result<std::vector<WriteResult>> deleted = store_->Write({del});
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ((*deleted)[0].version, 2);
  Result<StoredResource> tomb = store_->Read("Location", "a");
  ASSERT_TRUE(tomb.ok());
  EXPECT_TRUE(tomb->deleted);
  EXPECT_EQ(store_->Count("Location").value(), 0);
  // Deleting again creates no version.
  Result<std::vector<WriteResult>> again = store_->Write({del});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)[0].unchanged);
  Result<std::vector<StoredResource>> history = store_->History({.type = "Location", .id = "a"});
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version, 2);
  EXPECT_TRUE((*history)[0].deleted);
  EXPECT_EQ((*history)[1].json, R"({"v":1})");
}

TEST_F(ResourceStoreTest, PurgeRemovesEveryVersionAndIndexRow) {
  WriteOp first = Put("p", R"({"v":1})");
  first.index.push_back(IndexRow{.param = "status", .value = "active"});
  ASSERT_TRUE(store_->Write({first}).ok());
  ASSERT_TRUE(store_->Write({Put("p", R"({"v":2})")}).ok());
  ASSERT_TRUE(store_->Write({Put("kept", R"({"v":1})")}).ok());
  WriteOp purge;
  purge.kind = WriteKind::kPurge;
  purge.type = "Location";
  purge.id = "p";
  Result<std::vector<WriteResult>> purged = store_->Write({purge});
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_TRUE((*purged)[0].deleted);
  EXPECT_FALSE((*purged)[0].unchanged);
  EXPECT_EQ(store_->Read("Location", "p").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ReadVersion("Location", "p", 1).status().code(), StatusCode::kNotFound);
  Result<std::vector<StoredResource>> history = store_->History({.type = "Location", .id = "p"});
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->empty());
  EXPECT_EQ(store_->Count("Location").value(), 1);
  // Purging what is not there changes nothing; the id can be used afresh.
  Result<std::vector<WriteResult>> again = store_->Write({purge});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)[0].unchanged);
  Result<std::vector<WriteResult>> reused = store_->Write({Put("p", R"({"v":3})")});
  ASSERT_TRUE(reused.ok());
  EXPECT_EQ((*reused)[0].version, 1);
  EXPECT_TRUE((*reused)[0].created);
}

TEST_F(ResourceStoreTest, SkipIfUnchangedMakesRedeliveryIdempotent) {
  auto stamped = [](const std::string& body) {
    WriteOp op = Put("a", "");
    op.skip_if_unchanged = true;
    op.stamp = [body](std::int64_t version, std::int64_t) {
      return R"({"meta":{"versionId":")" + std::to_string(version) + R"("},)" + body + "}";
    };
    return op;
  };
  ASSERT_TRUE(store_->Write({stamped(R"("v":1)")}).ok());
  Result<std::vector<WriteResult>> same = store_->Write({stamped(R"("v":1)")});
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE((*same)[0].unchanged);
  EXPECT_EQ((*same)[0].version, 1);
  Result<std::vector<WriteResult>> changed = store_->Write({stamped(R"("v":2)")});
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ((*changed)[0].version, 2);
  EXPECT_EQ(store_->Read("Location", "a")->json, R"({"meta":{"versionId":"2"},"v":2})");
}

TEST_F(ResourceStoreTest, SurvivesReopen) {
  ASSERT_TRUE(store_->Write({Put("a", R"({"v":1})"), Put("b", R"({"v":1})")}).ok());
  const std::int64_t before = store_->Read("Location", "a")->last_updated_ms;
  Open();
  Result<StoredResource> a = store_->Read("Location", "a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->json, R"({"v":1})");
  Result<std::vector<WriteResult>> next = store_->Write({Put("a", R"({"v":2})")});
  ASSERT_TRUE(next.ok());
  EXPECT_GE((*next)[0].last_updated_ms, before);  // never backwards
  EXPECT_EQ(store_->Count("").value(), 2);
}

TEST_F(ResourceStoreTest, ConcurrentIfMatchWritersLoseNoUpdate) {
  ASSERT_TRUE(store_->Write({Put("counter", "0")}).ok());
  std::atomic<int> applied{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        for (;;) {
          Result<StoredResource> cur = store_->Read("Location", "counter");
          const int value = std::stoi(cur->json);
          Result<std::vector<WriteResult>> w =
              store_->Write({Put("counter", std::to_string(value + 1), cur->version)});
          if (w.ok()) {
            ++applied;
            break;
          }
          ASSERT_EQ(w.status().code(), StatusCode::kFailedPrecondition);
          ++conflicts;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(applied.load(), 200);
  EXPECT_EQ(store_->Read("Location", "counter")->json, "200");
  EXPECT_EQ(store_->Read("Location", "counter")->version, 201);
}

// Regression: a read left its cached statement on a row, which kept that
// reader's WAL snapshot open, so later reads on it missed new commits.
TEST_F(ResourceStoreTest, ReadsSeeCommitsAfterEarlierReads) {
  ASSERT_TRUE(store_->Write({Put("b1", R"({"v":1})")}).ok());
  for (int i = 0; i < 8; ++i) {  // touch every pooled reader, both statements
    ASSERT_TRUE(store_->ReadVersion("Location", "b1", 1).ok());
    ASSERT_TRUE(store_->Read("Location", "b1").ok());
  }
  ASSERT_TRUE(store_->Write({Put("b1", R"({"v":2})")}).ok());
  for (int i = 0; i < 8; ++i) {
    Result<StoredResource> current = store_->Read("Location", "b1");
    ASSERT_TRUE(current.ok());
    EXPECT_EQ(current->version, 2) << "read " << i;
  }
}

// A parameter no stored resource of the type has ever had matches nothing:
// it used to be picked to drive the query (its probe counts 0 rows) and then
// left the SQL without its condition ("near AND: syntax error").
TEST_F(ResourceStoreTest, SearchByAParameterNeverIndexedFindsNothing) {
  WriteOp op = Put("w1", R"({"resourceType":"Location","id":"w1"})");
  op.index.push_back(IndexRow{.param = "status", .value = "active"});
  ASSERT_TRUE(store_->Write({op}).ok());
  SearchQuery query;
  query.type = "Location";
  Clause never_indexed;
  never_indexed.param = "operational-status";
  never_indexed.any.push_back(RowMatch{{Compare{Column::kValue, CompareOp::kEq, "O"}}});
  query.clauses.push_back(never_indexed);
  Result<SearchPage> page = store_->Search(query, PageRequest{});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->hits.empty());
  EXPECT_EQ(page->total, 0);

  Clause status;
  status.param = "status";
  status.any.push_back(RowMatch{{Compare{Column::kValue, CompareOp::kEq, "active"}}});
  query.clauses = {status};
  page = store_->Search(query, PageRequest{});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->hits.size(), 1u);
  EXPECT_EQ(page->hits[0].id, "w1");
}

}  // namespace
}  // namespace fhirengine::store
