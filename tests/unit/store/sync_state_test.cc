// Adapters' sync state in the store: cursors and quarantined records are
// written through the same batches as resources and commit (or roll back)
// with them; deleting an absent resource is a no-op, not a failed batch.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "engine/store/resource_store.h"
#include "tests/unit/store/temp_store_test.h"

namespace fhirengine::store {
namespace {

class SyncStateTest : public TempStoreTest {
 protected:
  static WriteOp Cursor(const std::string& adapter, const std::string& cursor) {
    WriteOp op;
    op.kind = WriteKind::kSetCursor;
    op.adapter = adapter;
    op.json = cursor;
    return op;
  }
  static WriteOp Quarantine(const std::string& adapter, const std::string& locator) {
    WriteOp op;
    op.kind = WriteKind::kQuarantine;
    op.adapter = adapter;
    op.locator = locator;
    op.reason = "bad row";
    op.json = "a;b;\"c";
    return op;
  }
  static WriteOp Put(const std::string& id, std::optional<std::int64_t> expected = std::nullopt) {
    WriteOp op;
    op.type = "Location";
    op.id = id;
    op.json = R"({"resourceType":"Location"})";
    op.expected_version = expected;
    return op;
  }
};

TEST_F(SyncStateTest, CursorIsAbsentUntilWrittenAndSurvivesReopen) {
  Result<std::optional<std::string>> none = store_->ReadCursor("a");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store_->Write({Put("l1"), Cursor("a", R"({"n":1})")}).ok());
  ASSERT_TRUE(store_->Write({Cursor("a", R"({"n":2})")}).ok());
  Open();
  Result<std::optional<std::string>> read = store_->ReadCursor("a");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->value_or(""), R"({"n":2})");
  EXPECT_FALSE(store_->ReadCursor("b")->has_value());
}

// The crash-safety contract: a batch whose resource write fails leaves
// neither its resources nor its cursor nor its quarantine rows behind.
TEST_F(SyncStateTest, CursorAndQuarantineRollBackWithTheBatch) {
  ASSERT_TRUE(store_->Write({Put("l1"), Cursor("a", "1")}).ok());
  Result<std::vector<WriteResult>> failed =
      store_->Write({Put("l2"), Quarantine("a", "f.csv:3"), Cursor("a", "2"), Put("l1", 7)});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->ReadCursor("a")->value_or(""), "1");
  EXPECT_EQ(store_->Read("Location", "l2").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*store_->CountQuarantine("a"), 0);
}

TEST_F(SyncStateTest, QuarantineListsNewestFirstFilteredAndPaged) {
  ASSERT_TRUE(store_
                  ->Write({Quarantine("a", "f.csv:2"), Quarantine("b", "x.xml:/r[1]"),
                           Quarantine("a", "f.csv:9")})
                  .ok());
  EXPECT_EQ(*store_->CountQuarantine(""), 3);
  EXPECT_EQ(*store_->CountQuarantine("a"), 2);
  Result<std::vector<QuarantineEntry>> a = store_->ListQuarantine({.adapter = "a"});
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].locator, "f.csv:9");
  EXPECT_EQ((*a)[1].locator, "f.csv:2");
  EXPECT_EQ((*a)[0].reason, "bad row");
  EXPECT_EQ((*a)[0].record, "a;b;\"c");
  EXPECT_GT((*a)[0].seq, (*a)[1].seq);
  EXPECT_GT((*a)[0].received_ms, 0);
  Result<std::vector<QuarantineEntry>> page =
      store_->ListQuarantine({.adapter = "", .count = 1, .offset = 1});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].adapter, "b");
}

TEST_F(SyncStateTest, DeletingAnAbsentResourceDoesNotFailTheBatch) {
  WriteOp del;
  del.kind = WriteKind::kDelete;
  del.type = "Location";
  del.id = "never-there";
  Result<std::vector<WriteResult>> written = store_->Write({del, Put("l1"), Cursor("a", "c")});
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_TRUE((*written)[0].unchanged);
  EXPECT_EQ(store_->ReadCursor("a")->value_or(""), "c");
}

}  // namespace
}  // namespace fhirengine::store
