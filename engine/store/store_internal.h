// The store's internals shared by its source files (resource_store.cc for
// reads and writes, search_sql.cc for searches): the connections, the
// writer's queue and the search-parameter id cache. Not part of the API.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/store/resource_store.h"

namespace fhirengine::store::internal {

// The JSON of a stored json column (see json_compression.h); throws
// std::runtime_error for a corrupt value, which the caller's catch turns
// into a Status like any SQLite error.
std::string StoredJson(const SQLite::Column& column);

// How much of the database file connections map into memory.
inline constexpr std::int64_t kMmapBytes = std::int64_t{1} << 30;

// A read-only connection with its prepared statements.
struct Reader {
  explicit Reader(const std::string& path)
      // NOMUTEX: a reader is leased to one thread at a time, so SQLite's
      // own per-call locking would only cost.
      : db(path, SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX),
        current(db,
                "SELECT type,id,version,last_updated,deleted,json FROM resource "
                "WHERE type=? AND id=?"),
        version(db,
                "SELECT type,id,version,last_updated,deleted,json FROM resource "
                "WHERE type=?1 AND id=?2 AND version=?3 UNION ALL "
                "SELECT type,id,version,last_updated,deleted,json FROM resource_history "
                "WHERE type=?1 AND id=?2 AND version=?3") {
    db.setBusyTimeout(5000);
    // Pages are read through a memory map instead of a pread() and a copy
    // each (the file's pages are shared by every connection).
    db.exec("PRAGMA mmap_size=" + std::to_string(kMmapBytes));
  }
  SQLite::Database db;
  SQLite::Statement current;
  SQLite::Statement version;
  // Searches' prepared statements by SQL text: a search shape (which
  // parameters, how many values) repeats, its values are bound. Bounded;
  // cleared when full.
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements;
};

// A statement from `reader`'s cache (prepared on first use), reset again
// when this goes out of scope so it holds no read snapshot.
class CachedStatement {
 public:
  static constexpr std::size_t kMaxCached = 256;

  CachedStatement(Reader& reader, const std::string& sql) : statement(Find(reader, sql)) {}
  ~CachedStatement() {
    try {
      statement.reset();
      statement.clearBindings();
    } catch (const std::exception&) {  // the next use resets again
    }
  }
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;

  SQLite::Statement& statement;

 private:
  static SQLite::Statement& Find(Reader& reader, const std::string& sql) {
    auto it = reader.statements.find(sql);
    if (it == reader.statements.end()) {
      if (reader.statements.size() >= kMaxCached) reader.statements.clear();
      it =
          reader.statements.emplace(sql, std::make_unique<SQLite::Statement>(reader.db, sql)).first;
    }
    it->second->reset();
    return *it->second;
  }
};

// Resets a cached statement when the read is over. A statement left on a
// row keeps its connection's read transaction, and with it a stale WAL
// snapshot, open: later reads on that connection would not see new commits.
struct ResetOnExit {
  SQLite::Statement& q;
  ~ResetOnExit() {
    try {
      q.reset();
    } catch (const std::exception&) {  // nothing to do; the next use resets again
    }
  }
};

struct PendingBatch {
  std::vector<WriteOp> ops;
  BatchCallback done;
};

// Search parameter ids: (resource type, code) -> the integer the index rows
// carry. Readers look ids up (a parameter no resource ever had has none);
// the writer adds ids inside its transaction and forgets them again if the
// batch that added them rolls back.
class ParamIds {
 public:
  // The id, or nullopt when the parameter is not in the table yet. Reads
  // the table through `db` on a cache miss.
  std::optional<std::int64_t> Find(SQLite::Database& db, const std::string& type,
                                   const std::string& code);
  // The id, creating it through `db` (the writer's connection) when new;
  // new ids are recorded in `added` so a rollback can Forget() them.
  std::int64_t FindOrCreate(SQLite::Database& db, const std::string& type, const std::string& code,
                            std::vector<std::pair<std::string, std::string>>& added);
  void Forget(const std::vector<std::pair<std::string, std::string>>& keys);

 private:
  std::shared_mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::int64_t> ids_;
};

// Token systems and reference target types by integer: the index rows
// carry the number, not the text (a code system URL repeated on millions of
// rows was the largest part of the index). Same rules as ParamIds.
class SystemIds {
 public:
  std::optional<std::int64_t> Find(SQLite::Database& db, const std::string& text);
  std::int64_t FindOrCreate(SQLite::Database& db, const std::string& text,
                            std::vector<std::string>& added);
  void Forget(const std::vector<std::string>& texts);

 private:
  std::shared_mutex mutex_;
  std::unordered_map<std::string, std::int64_t> ids_;
};

struct StoreImpl {
  StoreOptions options;
  std::unique_ptr<SQLite::Database> writer_db;
  std::unique_ptr<SQLite::Statement> select_current;
  std::unique_ptr<SQLite::Statement> insert_current;
  std::unique_ptr<SQLite::Statement> update_current;
  std::unique_ptr<SQLite::Statement> move_to_history;
  std::unique_ptr<SQLite::Statement> insert_index;
  std::unique_ptr<SQLite::Statement> delete_index;
  std::unique_ptr<SQLite::Statement> upsert_cursor;
  std::unique_ptr<SQLite::Statement> insert_quarantine;
  std::int64_t last_ms = 0;
  mutable ParamIds param_ids;
  mutable SystemIds system_ids;
  std::vector<std::string> batch_new_systems;
  // Parameter ids created by the batch being applied (forgotten on rollback).
  std::vector<std::pair<std::string, std::string>> batch_new_params;

  std::mutex queue_mutex;
  std::condition_variable queue_cv;
  std::deque<PendingBatch> queue;
  bool stopping = false;
  std::thread writer;

  // The change feed's listeners (AddChangeListener), called under the mutex.
  std::mutex listeners_mutex;
  std::vector<std::pair<int, ChangeListener>> listeners;
  int next_listener_id = 1;

  mutable std::mutex readers_mutex;
  mutable std::condition_variable readers_cv;
  mutable std::vector<std::unique_ptr<Reader>> idle_readers;

  // Borrows a reader for the scope of the returned handle.
  struct ReaderLease {
    const StoreImpl* impl;
    std::unique_ptr<Reader> reader;
    ~ReaderLease() {
      if (reader) {
        std::lock_guard lock(impl->readers_mutex);
        impl->idle_readers.push_back(std::move(reader));
        impl->readers_cv.notify_one();
      }
    }
  };
  ReaderLease Lease() const {
    std::unique_lock lock(readers_mutex);
    readers_cv.wait(lock, [&] { return !idle_readers.empty(); });
    std::unique_ptr<Reader> r = std::move(idle_readers.back());
    idle_readers.pop_back();
    return ReaderLease{this, std::move(r)};
  }

  void WriterLoop();
  Result<WriteResult> ApplyOp(WriteOp& op);
  // kSetCursor and kQuarantine.
  WriteResult ApplySyncOp(const WriteOp& op);
  // Replaces the index rows of resource `rid` with `rows`. `fresh`: the
  // row was just inserted (rids are never reused: resource rows are never
  // deleted), so it has no index rows to remove.
  void WriteIndex(std::int64_t rid, const std::string& type, const std::vector<IndexRow>& rows,
                  bool fresh = false);
  void Commit(std::vector<PendingBatch>& batches);
  // Hands the resource writes among `outcomes` to the change listeners.
  void PublishChanges(const std::vector<Result<std::vector<WriteResult>>>& outcomes);
  // Indexes every current resource with options.indexer (schema upgrade).
  Status BuildIndex();
};

}  // namespace fhirengine::store::internal
