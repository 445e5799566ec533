// The store's change feed (AddChangeListener): listeners see each committed
// transaction's resource writes in order, never unchanged writes, sync-state
// writes or rolled-back batches, and nothing after RemoveChangeListener.
#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/store/resource_store.h"
#include "tests/unit/store/temp_store_test.h"

namespace fhirengine::store {
namespace {

class ChangeFeedTest : public TempStoreTest {
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
  static WriteOp Delete(const std::string& id) {
    WriteOp op;
    op.kind = WriteKind::kDelete;
    op.type = "Location";
    op.id = id;
    return op;
  }
  // "type/id/version[/deleted]: json" per change seen, in order.
  std::vector<std::string> Seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  int Listen() {
    return store_->AddChangeListener([this](const std::vector<WriteResult>& changes) {
      std::lock_guard lock(mutex_);
      for (const WriteResult& r : changes) {
        seen_.push_back(r.type + "/" + r.id + "/" + std::to_string(r.version) +
                        (r.deleted ? "/deleted" : "") + ": " + r.json);
      }
    });
  }

  std::mutex mutex_;
  std::vector<std::string> seen_;
};

TEST_F(ChangeFeedTest, SeesCommittedPutsAndDeletesInOrderBeforeWriteReturns) {
  Listen();
  ASSERT_TRUE(store_->Write({Put("b1", R"({"v":1})"), Put("b2", R"({"v":2})")}).ok());
  ASSERT_TRUE(store_->Write({Put("b1", R"({"v":3})")}).ok());
  ASSERT_TRUE(store_->Write({Delete("b2")}).ok());
  EXPECT_EQ(Seen(),
            (std::vector<std::string>{"Location/b1/1: {\"v\":1}", "Location/b2/1: {\"v\":2}",
                                      "Location/b1/2: {\"v\":3}", "Location/b2/2/deleted: "}));
}

TEST_F(ChangeFeedTest, LeavesOutUnchangedSyncStateAndFailedWrites) {
  ASSERT_TRUE(store_->Write({Put("b1", R"({"v":1})")}).ok());
  Listen();
  WriteOp same = Put("b1", R"({"v":1})");
  same.skip_if_unchanged = true;
  same.stamp = [](std::int64_t, std::int64_t) { return std::string(R"({"v":1})"); };
  WriteOp cursor;
  cursor.kind = WriteKind::kSetCursor;
  cursor.adapter = "a";
  cursor.json = "1";
  ASSERT_TRUE(store_->Write({same, cursor}).ok());
  // Deleting what does not exist makes no version.
  ASSERT_TRUE(store_->Write({Delete("missing")}).ok());
  // A version mismatch rolls the whole batch back, the good put with it.
  EXPECT_FALSE(store_->Write({Put("b2", "{}"), Put("b1", "{}", 7)}).ok());
  EXPECT_TRUE(Seen().empty());
  ASSERT_TRUE(store_->Write({Put("b3", "{}")}).ok());
  EXPECT_EQ(Seen(), (std::vector<std::string>{"Location/b3/1: {}"}));
}

TEST_F(ChangeFeedTest, RemovedListenerIsNotCalledAgain) {
  const int id = Listen();
  int other_calls = 0;
  const int other =
      store_->AddChangeListener([&other_calls](const std::vector<WriteResult>&) { ++other_calls; });
  EXPECT_NE(id, other);
  ASSERT_TRUE(store_->Write({Put("b1", "{}")}).ok());
  store_->RemoveChangeListener(id);
  store_->RemoveChangeListener(12345);  // unknown: ignored
  ASSERT_TRUE(store_->Write({Put("b2", "{}")}).ok());
  EXPECT_EQ(Seen(), (std::vector<std::string>{"Location/b1/1: {}"}));
  EXPECT_EQ(other_calls, 2);
  store_->RemoveChangeListener(other);
}

}  // namespace
}  // namespace fhirengine::store
