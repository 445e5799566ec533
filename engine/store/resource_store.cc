// SQLite implementation of the versioned store. SQLiteCpp throws; every
// exception is caught here and becomes a Status (nothing escapes the store).
#include "engine/store/resource_store.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

namespace fhirengine::store {
namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS store_info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- The current version of every resource (deleted ones as tombstones).
CREATE TABLE IF NOT EXISTS resource(
  rid INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  json BLOB);
CREATE UNIQUE INDEX IF NOT EXISTS resource_key ON resource(type, id);
CREATE INDEX IF NOT EXISTS resource_updated ON resource(last_updated);
-- Every earlier version, moved here when a newer one replaces it.
CREATE TABLE IF NOT EXISTS resource_history(
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  json BLOB,
  PRIMARY KEY(type, id, version));
CREATE INDEX IF NOT EXISTS history_updated ON resource_history(last_updated);
)sql";

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status FromException(const std::exception& e, const std::string& what) {
  return IoError(what + ": " + e.what());
}

StoredResource RowToResource(SQLite::Statement& q) {
  StoredResource r;
  r.type = q.getColumn(0).getString();
  r.id = q.getColumn(1).getString();
  r.version = q.getColumn(2).getInt64();
  r.last_updated_ms = q.getColumn(3).getInt64();
  r.deleted = q.getColumn(4).getInt() != 0;
  if (!q.getColumn(5).isNull()) r.json = q.getColumn(5).getString();
  return r;
}

// A read-only connection with its prepared statements.
struct Reader {
  explicit Reader(const std::string& path)
      : db(path, SQLite::OPEN_READONLY),
        current(db,
                "SELECT type,id,version,last_updated,deleted,json FROM resource "
                "WHERE type=? AND id=?"),
        version(db,
                "SELECT type,id,version,last_updated,deleted,json FROM resource "
                "WHERE type=?1 AND id=?2 AND version=?3 UNION ALL "
                "SELECT type,id,version,last_updated,deleted,json FROM resource_history "
                "WHERE type=?1 AND id=?2 AND version=?3") {
    db.setBusyTimeout(5000);
  }
  SQLite::Database db;
  SQLite::Statement current;
  SQLite::Statement version;
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

}  // namespace

struct ResourceStore::Impl {
  StoreOptions options;
  std::unique_ptr<SQLite::Database> writer_db;
  std::unique_ptr<SQLite::Statement> select_current;
  std::unique_ptr<SQLite::Statement> insert_current;
  std::unique_ptr<SQLite::Statement> update_current;
  std::unique_ptr<SQLite::Statement> move_to_history;
  std::int64_t last_ms = 0;

  std::mutex queue_mutex;
  std::condition_variable queue_cv;
  std::deque<PendingBatch> queue;
  bool stopping = false;
  std::thread writer;

  mutable std::mutex readers_mutex;
  mutable std::condition_variable readers_cv;
  mutable std::vector<std::unique_ptr<Reader>> idle_readers;

  // Borrows a reader for the scope of the returned handle.
  struct ReaderLease {
    const Impl* impl;
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
  void Commit(std::vector<PendingBatch>& batches);
};

Result<WriteResult> ResourceStore::Impl::ApplyOp(WriteOp& op) {
  SQLite::Statement& sel = *select_current;
  sel.reset();
  sel.bind(1, op.type);
  sel.bind(2, op.id);
  std::optional<StoredResource> current;
  std::int64_t current_rid = 0;
  if (sel.executeStep()) {
    current = StoredResource{};
    current->version = sel.getColumn(0).getInt64();
    current->deleted = sel.getColumn(1).getInt() != 0;
    if (!sel.getColumn(2).isNull()) current->json = sel.getColumn(2).getString();
    current->last_updated_ms = sel.getColumn(3).getInt64();
    current_rid = sel.getColumn(4).getInt64();
  }
  const bool exists = current.has_value() && !current->deleted;
  if (op.expected_version.has_value()) {
    const std::int64_t expected = *op.expected_version;
    if (expected == 0 && exists) {
      return Status(StatusCode::kAlreadyExists, op.type + "/" + op.id + " already exists");
    }
    if (expected != 0 && (!exists || current->version != expected)) {
      if (!current.has_value()) return NotFound(op.type + "/" + op.id + " does not exist");
      return Status(StatusCode::kFailedPrecondition, op.type + "/" + op.id + " is at version " +
                                                         std::to_string(current->version) +
                                                         ", not " + std::to_string(expected));
    }
  }

  WriteResult result;
  result.type = op.type;
  result.id = op.id;
  if (op.kind == WriteKind::kDelete) {
    if (!exists) {  // deleting nothing is a success with no new version (FHIR)
      result.deleted = true;
      result.version = current.has_value() ? current->version : 0;
      result.unchanged = true;
      return result;
    }
  }
  const std::int64_t version = current.has_value() ? current->version + 1 : 1;
  // Timestamps never go backwards, whatever the wall clock does.
  last_ms = std::max(NowMs(), last_ms);
  std::string json;
  if (op.kind == WriteKind::kPut) {
    if (op.skip_if_unchanged && exists && op.stamp) {
      // Compare with the current content stamped as it is stored.
      if (op.stamp(current->version, current->last_updated_ms) == current->json) {
        result.version = current->version;
        result.last_updated_ms = current->last_updated_ms;
        result.unchanged = true;
        result.json = current->json;
        return result;
      }
    }
    json = op.stamp ? op.stamp(version, last_ms) : op.json;
  }
  if (current.has_value()) {
    SQLite::Statement& mv = *move_to_history;
    mv.reset();
    mv.bind(1, current_rid);
    mv.exec();
    SQLite::Statement& up = *update_current;
    up.reset();
    up.bind(1, version);
    up.bind(2, last_ms);
    up.bind(3, op.kind == WriteKind::kDelete ? 1 : 0);
    if (op.kind == WriteKind::kDelete) {
      up.bind(4);
    } else {
      up.bind(4, json.data(), static_cast<int>(json.size()));
    }
    up.bind(5, current_rid);
    up.exec();
  } else {
    SQLite::Statement& ins = *insert_current;
    ins.reset();
    ins.bind(1, op.type);
    ins.bind(2, op.id);
    ins.bind(3, version);
    ins.bind(4, last_ms);
    ins.bind(5, json.data(), static_cast<int>(json.size()));
    ins.exec();
  }
  result.version = version;
  result.last_updated_ms = last_ms;
  result.created = op.kind == WriteKind::kPut && !exists;
  result.deleted = op.kind == WriteKind::kDelete;
  result.json = std::move(json);
  return result;
}

void ResourceStore::Impl::Commit(std::vector<PendingBatch>& batches) {
  std::vector<Result<std::vector<WriteResult>>> outcomes;
  outcomes.reserve(batches.size());
  try {
    SQLite::Transaction txn(*writer_db, SQLite::TransactionBehavior::IMMEDIATE);
    for (PendingBatch& batch : batches) {
      writer_db->exec("SAVEPOINT batch");
      std::vector<WriteResult> results;
      Status failed;
      for (WriteOp& op : batch.ops) {
        Result<WriteResult> r = ApplyOp(op);
        if (!r.ok()) {
          failed = r.status();
          break;
        }
        results.push_back(std::move(r).value());
      }
      if (failed.ok()) {
        writer_db->exec("RELEASE batch");
        outcomes.emplace_back(std::move(results));
      } else {
        writer_db->exec("ROLLBACK TO batch");
        writer_db->exec("RELEASE batch");
        outcomes.emplace_back(failed);
      }
    }
    txn.commit();
  } catch (const std::exception& e) {
    // The whole transaction rolled back: every batch in it failed.
    Status status = FromException(e, "store write");
    for (PendingBatch& batch : batches) batch.done(status);
    return;
  }
  for (std::size_t i = 0; i < batches.size(); ++i) batches[i].done(std::move(outcomes[i]));
}

void ResourceStore::Impl::WriterLoop() {
  for (;;) {
    std::vector<PendingBatch> batches;
    {
      std::unique_lock lock(queue_mutex);
      queue_cv.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and drained
      while (!queue.empty() &&
             batches.size() < static_cast<std::size_t>(options.max_batches_per_transaction)) {
        batches.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    Commit(batches);
  }
}

ResourceStore::ResourceStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ResourceStore::~ResourceStore() {
  {
    std::lock_guard lock(impl_->queue_mutex);
    impl_->stopping = true;
  }
  impl_->queue_cv.notify_all();
  if (impl_->writer.joinable()) impl_->writer.join();
}

Result<std::unique_ptr<ResourceStore>> ResourceStore::Open(const StoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  try {
    impl->writer_db = std::make_unique<SQLite::Database>(
        options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    SQLite::Database& db = *impl->writer_db;
    db.setBusyTimeout(5000);
    db.exec("PRAGMA journal_mode=WAL");
    db.exec(options.durability == Durability::kFull ? "PRAGMA synchronous=FULL"
                                                    : "PRAGMA synchronous=NORMAL");
    db.exec(kSchema);
    {
      SQLite::Statement q(db, "SELECT value FROM store_info WHERE key='schema_version'");
      if (q.executeStep()) {
        const int found = std::stoi(q.getColumn(0).getString());
        if (found > kSchemaVersion) {
          return IoError(options.path + ": schema version " + std::to_string(found) +
                         " is newer than this engine's " + std::to_string(kSchemaVersion));
        }
      } else {
        db.exec("INSERT INTO store_info(key,value) VALUES('schema_version','" +
                std::to_string(kSchemaVersion) + "')");
      }
    }
    {
      SQLite::Statement q(db, "SELECT coalesce(max(last_updated),0) FROM resource");
      if (q.executeStep()) impl->last_ms = q.getColumn(0).getInt64();
    }
    impl->select_current = std::make_unique<SQLite::Statement>(
        db, "SELECT version,deleted,json,last_updated,rid FROM resource WHERE type=? AND id=?");
    impl->insert_current = std::make_unique<SQLite::Statement>(
        db, "INSERT INTO resource(type,id,version,last_updated,deleted,json) VALUES(?,?,?,?,0,?)");
    impl->update_current = std::make_unique<SQLite::Statement>(
        db, "UPDATE resource SET version=?,last_updated=?,deleted=?,json=? WHERE rid=?");
    impl->move_to_history = std::make_unique<SQLite::Statement>(
        db,
        "INSERT INTO resource_history(type,id,version,last_updated,deleted,json) "
        "SELECT type,id,version,last_updated,deleted,json FROM resource WHERE rid=?");
    for (int i = 0; i < std::max(1, options.read_connections); ++i) {
      impl->idle_readers.push_back(std::make_unique<Reader>(options.path));
    }
  } catch (const std::exception& e) {
    return FromException(e, options.path);
  }
  Impl* raw = impl.get();
  impl->writer = std::thread([raw] { raw->WriterLoop(); });
  return std::unique_ptr<ResourceStore>(new ResourceStore(std::move(impl)));
}

void ResourceStore::Submit(std::vector<WriteOp> batch, BatchCallback done) {
  {
    std::lock_guard lock(impl_->queue_mutex);
    if (impl_->stopping) {
      done(Status(StatusCode::kUnavailable, "the store is shutting down"));
      return;
    }
    if (impl_->queue.size() >= impl_->options.max_queued_batches) {
      done(Status(StatusCode::kUnavailable, "the store's write queue is full; retry later"));
      return;
    }
    impl_->queue.push_back(PendingBatch{std::move(batch), std::move(done)});
  }
  impl_->queue_cv.notify_one();
}

Result<std::vector<WriteResult>> ResourceStore::Write(std::vector<WriteOp> batch) {
  std::promise<Result<std::vector<WriteResult>>> promise;
  auto future = promise.get_future();
  Submit(std::move(batch),
         [&promise](Result<std::vector<WriteResult>> r) { promise.set_value(std::move(r)); });
  return future.get();
}

Result<StoredResource> ResourceStore::Read(const std::string& type, const std::string& id) const {
  try {
    Impl::ReaderLease lease = impl_->Lease();
    SQLite::Statement& q = lease.reader->current;
    q.reset();
    ResetOnExit reset_after{q};
    q.bind(1, type);
    q.bind(2, id);
    if (!q.executeStep()) return NotFound(type + "/" + id + " is not known");
    return RowToResource(q);
  } catch (const std::exception& e) {
    return FromException(e, "store read");
  }
}

Result<StoredResource> ResourceStore::ReadVersion(const std::string& type, const std::string& id,
                                                  std::int64_t version) const {
  try {
    Impl::ReaderLease lease = impl_->Lease();
    SQLite::Statement& q = lease.reader->version;
    q.reset();
    ResetOnExit reset_after{q};
    q.bind(1, type);
    q.bind(2, id);
    q.bind(3, version);
    if (!q.executeStep()) {
      return NotFound(type + "/" + id + "/_history/" + std::to_string(version) + " is not known");
    }
    return RowToResource(q);
  } catch (const std::exception& e) {
    return FromException(e, "store read");
  }
}

Result<std::vector<StoredResource>> ResourceStore::History(const HistoryQuery& query) const {
  std::string where = "WHERE 1";
  if (!query.type.empty()) where += " AND type=:type";
  if (!query.id.empty()) where += " AND id=:id";
  if (query.since_ms) where += " AND last_updated>=:since";
  const std::string cols = "SELECT type,id,version,last_updated,deleted,json FROM ";
  const std::string sql = cols + "resource " + where + " UNION ALL " + cols + "resource_history " +
                          where +
                          " ORDER BY last_updated DESC, version DESC LIMIT :count OFFSET :offset";
  try {
    Impl::ReaderLease lease = impl_->Lease();
    SQLite::Statement q(lease.reader->db, sql);
    if (!query.type.empty()) q.bind(":type", query.type);
    if (!query.id.empty()) q.bind(":id", query.id);
    if (query.since_ms) q.bind(":since", *query.since_ms);
    q.bind(":count", static_cast<std::int64_t>(query.count));
    q.bind(":offset", static_cast<std::int64_t>(query.offset));
    std::vector<StoredResource> out;
    while (q.executeStep()) out.push_back(RowToResource(q));
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "store history");
  }
}

Result<std::int64_t> ResourceStore::Count(const std::string& type) const {
  try {
    Impl::ReaderLease lease = impl_->Lease();
    SQLite::Statement q(lease.reader->db,
                        type.empty() ? "SELECT count(*) FROM resource WHERE deleted=0"
                                     : "SELECT count(*) FROM resource WHERE deleted=0 AND type=?");
    if (!type.empty()) q.bind(1, type);
    q.executeStep();
    return q.getColumn(0).getInt64();
  } catch (const std::exception& e) {
    return FromException(e, "store count");
  }
}

}  // namespace fhirengine::store
