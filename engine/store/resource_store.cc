// SQLite implementation of the versioned store. SQLiteCpp throws; every
// exception is caught here and becomes a Status (nothing escapes the store).
#include "engine/store/resource_store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <future>
#include <mutex>
#include <thread>

#include "engine/store/json_compression.h"
#include "engine/store/store_internal.h"

namespace fhirengine::store {
namespace {

using internal::CachedStatement;
using internal::PendingBatch;
using internal::Reader;
using internal::ResetOnExit;

// 1: resources and history. 2: the search index. 3: the index refers to
// systems by number (search_system). 4: adapters' sync state and
// quarantine. An index older than 3 is dropped and rebuilt on open; 3 -> 4
// only adds the new (empty) tables.
constexpr int kSchemaVersion = 4;
// The oldest schema whose search index this engine reads as it is.
constexpr int kIndexSchemaVersion = 3;

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
CREATE INDEX IF NOT EXISTS resource_type ON resource(type);
-- Search parameters by resource type and code, numbered for the index.
CREATE TABLE IF NOT EXISTS search_param(
  pid INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  code TEXT NOT NULL,
  UNIQUE(type, code));
-- Token systems and reference target types, numbered for the index.
CREATE TABLE IF NOT EXISTS search_system(
  sid INTEGER PRIMARY KEY,
  text TEXT NOT NULL UNIQUE);
-- The search index of the current versions: one row per parameter value
-- (see IndexRow), clustered by resource so replacing a resource's rows and
-- checking a condition on one resource are one range each. system is a
-- search_system id; text columns are NULL when empty.
CREATE TABLE IF NOT EXISTS search_index(
  rid INTEGER NOT NULL,
  pid INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  system INTEGER,
  value TEXT,
  display TEXT,
  low INTEGER,
  high INTEGER,
  number REAL,
  PRIMARY KEY(rid, pid, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS search_index_value ON search_index(pid, value)
  WHERE value IS NOT NULL;
CREATE INDEX IF NOT EXISTS search_index_low ON search_index(pid, low)
  WHERE low IS NOT NULL;
CREATE INDEX IF NOT EXISTS search_index_number ON search_index(pid, number)
  WHERE number IS NOT NULL;
-- Each adapter's position in its source, committed with the resources it
-- covers (opaque text, JSON by convention).
CREATE TABLE IF NOT EXISTS sync_state(
  adapter TEXT PRIMARY KEY,
  cursor TEXT NOT NULL,
  updated_ms INTEGER NOT NULL);
-- Records an adapter delivered that could not be read, mapped or validated,
-- with the reason; the rest of their batch was stored.
CREATE TABLE IF NOT EXISTS quarantine(
  seq INTEGER PRIMARY KEY,
  adapter TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  locator TEXT NOT NULL,
  reason TEXT NOT NULL,
  record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS quarantine_adapter ON quarantine(adapter, seq);
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
  if (!q.getColumn(5).isNull()) r.json = internal::StoredJson(q.getColumn(5));
  return r;
}

}  // namespace

WriteResult internal::StoreImpl::ApplySyncOp(const WriteOp& op) {
  const std::int64_t now = NowMs();
  if (op.kind == WriteKind::kSetCursor) {
    SQLite::Statement& up = *upsert_cursor;
    up.reset();
    up.bind(1, op.adapter);
    up.bind(2, op.json);
    up.bind(3, now);
    up.exec();
  } else {
    SQLite::Statement& ins = *insert_quarantine;
    ins.reset();
    ins.bind(1, op.adapter);
    ins.bind(2, now);
    ins.bind(3, op.locator);
    ins.bind(4, op.reason);
    ins.bind(5, op.json);
    ins.exec();
  }
  WriteResult result;
  result.last_updated_ms = now;
  return result;
}

Result<WriteResult> internal::StoreImpl::ApplyOp(WriteOp& op) {
  if (op.kind == WriteKind::kSetCursor || op.kind == WriteKind::kQuarantine) {
    return ApplySyncOp(op);
  }
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
    if (!sel.getColumn(2).isNull()) current->json = internal::StoredJson(sel.getColumn(2));
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
  if (op.kind == WriteKind::kPurge) {
    result.deleted = true;
    if (!current.has_value()) {  // nothing to purge: a success that changed nothing
      result.unchanged = true;
      return result;
    }
    SQLite::Statement& del = *delete_index;
    del.reset();
    del.bind(1, current_rid);
    del.exec();
    SQLite::Statement history(*writer_db, "DELETE FROM resource_history WHERE type=? AND id=?");
    history.bind(1, op.type);
    history.bind(2, op.id);
    history.exec();
    SQLite::Statement row(*writer_db, "DELETE FROM resource WHERE rid=?");
    row.bind(1, current_rid);
    row.exec();
    result.version = current->version;
    result.last_updated_ms = current->last_updated_ms;
    return result;
  }
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
    const std::string stored = op.kind == WriteKind::kDelete ? std::string() : CompressJson(json);
    if (op.kind == WriteKind::kDelete) {
      up.bind(4);
    } else {
      up.bind(4, stored.data(), static_cast<int>(stored.size()));
    }
    up.bind(5, current_rid);
    up.exec();
    WriteIndex(current_rid, op.type,
               op.kind == WriteKind::kDelete ? std::vector<IndexRow>{} : op.index);
  } else {
    SQLite::Statement& ins = *insert_current;
    ins.reset();
    ins.bind(1, op.type);
    ins.bind(2, op.id);
    ins.bind(3, version);
    ins.bind(4, last_ms);
    const std::string stored = CompressJson(json);
    ins.bind(5, stored.data(), static_cast<int>(stored.size()));
    ins.exec();
    WriteIndex(writer_db->getLastInsertRowid(), op.type, op.index, /*fresh=*/true);
  }
  result.version = version;
  result.last_updated_ms = last_ms;
  result.created = op.kind == WriteKind::kPut && !exists;
  result.deleted = op.kind == WriteKind::kDelete;
  result.json = std::move(json);
  return result;
}

void internal::StoreImpl::WriteIndex(std::int64_t rid, const std::string& type,
                                     const std::vector<IndexRow>& rows, bool fresh) {
  if (!fresh) {
    SQLite::Statement& del = *delete_index;
    del.reset();
    del.bind(1, rid);
    del.exec();
  }
  SQLite::Statement& ins = *insert_index;
  auto bind_text = [&ins](int index, const std::string& text) {
    if (text.empty()) {
      ins.bind(index);
    } else {
      ins.bind(index, text);
    }
  };
  std::int64_t seq = 0;
  for (const IndexRow& row : rows) {
    ins.reset();
    ins.bind(1, rid);
    ins.bind(2, param_ids.FindOrCreate(*writer_db, type, row.param, batch_new_params));
    ins.bind(3, seq++);
    if (row.system.empty()) {
      ins.bind(4);
    } else {
      ins.bind(4, system_ids.FindOrCreate(*writer_db, row.system, batch_new_systems));
    }
    bind_text(5, row.value);
    bind_text(6, row.display);
    if (row.low) {
      ins.bind(7, *row.low);
    } else {
      ins.bind(7);
    }
    if (row.high) {
      ins.bind(8, *row.high);
    } else {
      ins.bind(8);
    }
    if (row.number) {
      ins.bind(9, *row.number);
    } else {
      ins.bind(9);
    }
    ins.exec();
  }
}

Status internal::StoreImpl::BuildIndex() {
  if (!options.indexer) {
    return Status(StatusCode::kFailedPrecondition,
                  "the database has no search index and no indexer was given to build it");
  }
  SQLite::Transaction txn(*writer_db, SQLite::TransactionBehavior::IMMEDIATE);
  SQLite::Statement rows(*writer_db, "SELECT rid,type,json FROM resource WHERE deleted=0");
  while (rows.executeStep()) {
    const std::int64_t rid = rows.getColumn(0).getInt64();
    const std::string type = rows.getColumn(1).getString();
    Result<std::vector<IndexRow>> index =
        options.indexer(type, internal::StoredJson(rows.getColumn(2)));
    if (!index.ok()) return index.status();
    WriteIndex(rid, type, *index);
  }
  writer_db->exec("UPDATE store_info SET value='" + std::to_string(kSchemaVersion) +
                  "' WHERE key='schema_version'");
  txn.commit();
  batch_new_params.clear();
  batch_new_systems.clear();
  return Status::Ok();
}

void internal::StoreImpl::Commit(std::vector<PendingBatch>& batches) {
  std::vector<Result<std::vector<WriteResult>>> outcomes;
  outcomes.reserve(batches.size());
  std::vector<std::pair<std::string, std::string>> txn_new_params;
  std::vector<std::string> txn_new_systems;
  try {
    SQLite::Transaction txn(*writer_db, SQLite::TransactionBehavior::IMMEDIATE);
    for (PendingBatch& batch : batches) {
      batch_new_params.clear();
      batch_new_systems.clear();
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
        txn_new_params.insert(txn_new_params.end(), batch_new_params.begin(),
                              batch_new_params.end());
        txn_new_systems.insert(txn_new_systems.end(), batch_new_systems.begin(),
                               batch_new_systems.end());
      } else {
        writer_db->exec("ROLLBACK TO batch");
        writer_db->exec("RELEASE batch");
        param_ids.Forget(batch_new_params);
        system_ids.Forget(batch_new_systems);
        outcomes.emplace_back(failed);
      }
      batch_new_params.clear();
      batch_new_systems.clear();
    }
    txn.commit();
  } catch (const std::exception& e) {
    param_ids.Forget(batch_new_params);
    param_ids.Forget(txn_new_params);
    system_ids.Forget(batch_new_systems);
    system_ids.Forget(txn_new_systems);
    batch_new_params.clear();
    batch_new_systems.clear();
    // The whole transaction rolled back: every batch in it failed.
    Status status = FromException(e, "store write");
    for (PendingBatch& batch : batches) batch.done(status);
    return;
  }
  PublishChanges(outcomes);
  for (std::size_t i = 0; i < batches.size(); ++i) batches[i].done(std::move(outcomes[i]));
}

void internal::StoreImpl::PublishChanges(
    const std::vector<Result<std::vector<WriteResult>>>& outcomes) {
  std::lock_guard lock(listeners_mutex);
  if (listeners.empty()) return;
  std::vector<WriteResult> changes;
  for (const Result<std::vector<WriteResult>>& outcome : outcomes) {
    if (!outcome.ok()) continue;
    for (const WriteResult& r : *outcome) {
      // Sync-state writes carry no type; unchanged writes made no version.
      if (!r.type.empty() && !r.unchanged) changes.push_back(r);
    }
  }
  if (changes.empty()) return;
  for (const auto& [id, listener] : listeners) listener(changes);
}

int ResourceStore::AddChangeListener(ChangeListener listener) {
  std::lock_guard lock(impl_->listeners_mutex);
  const int id = impl_->next_listener_id++;
  impl_->listeners.emplace_back(id, std::move(listener));
  return id;
}

void ResourceStore::RemoveChangeListener(int id) {
  std::lock_guard lock(impl_->listeners_mutex);
  std::erase_if(impl_->listeners, [id](const auto& entry) { return entry.first == id; });
}

void internal::StoreImpl::WriterLoop() {
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
  // SQLite's global memory statistics take a mutex on every allocation;
  // nothing reads them. Only possible before SQLite initialises (the first
  // Open); later calls are refused by SQLite and change nothing.
  static const bool memstatus_off = [] {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  }();
  (void)memstatus_off;
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  try {
    impl->writer_db = std::make_unique<SQLite::Database>(
        options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX);
    SQLite::Database& db = *impl->writer_db;
    db.setBusyTimeout(5000);
    db.exec("PRAGMA journal_mode=WAL");
    db.exec(options.durability == Durability::kFull ? "PRAGMA synchronous=FULL"
                                                    : "PRAGMA synchronous=NORMAL");
    db.exec("PRAGMA mmap_size=" + std::to_string(internal::kMmapBytes));
    // The writer's page cache holds the index B-trees' upper levels and
    // recent leaves, which every insert walks (SQLite's default is 2 MB).
    db.exec("PRAGMA cache_size=-65536");
    // The version first: an older schema's search index is dropped before
    // this schema's tables and indexes are created (and rebuilt below).
    db.exec("CREATE TABLE IF NOT EXISTS store_info(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    int upgrade_from = 0;
    {
      SQLite::Statement q(db, "SELECT value FROM store_info WHERE key='schema_version'");
      if (q.executeStep()) {
        const int found = std::stoi(q.getColumn(0).getString());
        if (found > kSchemaVersion) {
          return IoError(options.path + ": schema version " + std::to_string(found) +
                         " is newer than this engine's " + std::to_string(kSchemaVersion));
        }
        if (found < kSchemaVersion) upgrade_from = found;
      } else {
        db.exec("INSERT INTO store_info(key,value) VALUES('schema_version','" +
                std::to_string(kSchemaVersion) + "')");
      }
    }
    // A search index older than this engine's form is rebuilt from the
    // resources (BuildIndex below); a newer schema's additions are only new
    // tables, created (empty) by kSchema.
    const bool rebuild_index = upgrade_from != 0 && upgrade_from < kIndexSchemaVersion;
    if (rebuild_index) db.exec("DROP TABLE IF EXISTS search_index");
    db.exec(kSchema);
    if (upgrade_from != 0 && !rebuild_index) {
      db.exec("UPDATE store_info SET value='" + std::to_string(kSchemaVersion) +
              "' WHERE key='schema_version'");
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
    impl->insert_index = std::make_unique<SQLite::Statement>(
        db,
        "INSERT INTO search_index(rid,pid,seq,system,value,display,low,high,number) "
        "VALUES(?,?,?,?,?,?,?,?,?)");
    impl->delete_index =
        std::make_unique<SQLite::Statement>(db, "DELETE FROM search_index WHERE rid=?");
    impl->move_to_history = std::make_unique<SQLite::Statement>(
        db,
        "INSERT INTO resource_history(type,id,version,last_updated,deleted,json) "
        "SELECT type,id,version,last_updated,deleted,json FROM resource WHERE rid=?");
    impl->upsert_cursor = std::make_unique<SQLite::Statement>(
        db,
        "INSERT INTO sync_state(adapter,cursor,updated_ms) VALUES(?,?,?) "
        "ON CONFLICT(adapter) DO UPDATE SET cursor=excluded.cursor,updated_ms=excluded.updated_ms");
    impl->insert_quarantine = std::make_unique<SQLite::Statement>(
        db, "INSERT INTO quarantine(adapter,received_ms,locator,reason,record) VALUES(?,?,?,?,?)");
    if (rebuild_index) {
      if (Status built = impl->BuildIndex(); !built.ok()) {
        return Status(built.code(), options.path + ": upgrading from schema version " +
                                        std::to_string(upgrade_from) + ": " + built.message());
      }
    }
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

Result<std::optional<std::string>> ResourceStore::ReadCursor(const std::string& adapter) const {
  try {
    Impl::ReaderLease lease = impl_->Lease();
    CachedStatement q(*lease.reader, "SELECT cursor FROM sync_state WHERE adapter=?");
    q.statement.bind(1, adapter);
    if (!q.statement.executeStep()) return std::optional<std::string>();
    return std::optional<std::string>(q.statement.getColumn(0).getString());
  } catch (const std::exception& e) {
    return FromException(e, "store cursor read");
  }
}

Result<std::vector<QuarantineEntry>> ResourceStore::ListQuarantine(
    const QuarantineQuery& query) const {
  try {
    Impl::ReaderLease lease = impl_->Lease();
    CachedStatement q(*lease.reader,
                      "SELECT seq,adapter,received_ms,locator,reason,record FROM quarantine "
                      "WHERE (?1='' OR adapter=?1) ORDER BY seq DESC LIMIT ?2 OFFSET ?3");
    q.statement.bind(1, query.adapter);
    q.statement.bind(2, static_cast<std::int64_t>(query.count));
    q.statement.bind(3, static_cast<std::int64_t>(query.offset));
    std::vector<QuarantineEntry> out;
    while (q.statement.executeStep()) {
      QuarantineEntry e;
      e.seq = q.statement.getColumn(0).getInt64();
      e.adapter = q.statement.getColumn(1).getString();
      e.received_ms = q.statement.getColumn(2).getInt64();
      e.locator = q.statement.getColumn(3).getString();
      e.reason = q.statement.getColumn(4).getString();
      e.record = q.statement.getColumn(5).getString();
      out.push_back(std::move(e));
    }
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "store quarantine read");
  }
}

Result<std::int64_t> ResourceStore::CountQuarantine(const std::string& adapter) const {
  try {
    Impl::ReaderLease lease = impl_->Lease();
    CachedStatement q(*lease.reader, "SELECT count(*) FROM quarantine WHERE (?1='' OR adapter=?1)");
    q.statement.bind(1, adapter);
    q.statement.executeStep();
    return q.statement.getColumn(0).getInt64();
  } catch (const std::exception& e) {
    return FromException(e, "store quarantine count");
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
