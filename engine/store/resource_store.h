// The versioned resource store on SQLite (WAL): every version of every
// resource is kept; the current version of each is one indexed lookup away.
// One writer thread applies batches in group-committed transactions (each
// batch atomic on its own, through a SAVEPOINT); readers use a pool of
// read-only connections and never block the writer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/store/search_query.h"

namespace fhirengine::store {
namespace internal {
struct StoreImpl;
}  // namespace internal

// How hard a commit waits for the disk. kFull survives power loss (fsync on
// every commit); kNormal survives a killed process but may lose the last
// commits on power loss. See docs/operations.md.
enum class Durability { kFull, kNormal };

struct StoreOptions {
  std::string path;  // SQLite file; created when missing
  Durability durability = Durability::kFull;
  int read_connections = 4;
  // Most client batches the writer folds into one transaction.
  int max_batches_per_transaction = 64;
  // Bound on batches queued for the writer; Submit fails with
  // kUnavailable beyond it (back-pressure, never unbounded memory).
  std::size_t max_queued_batches = 4096;
  // Computes a stored resource's index rows: used when an older database
  // is opened and its search index has to be built (schema upgrade).
  // Without it such a database is refused.
  std::function<Result<std::vector<IndexRow>>(const std::string& type, const std::string& json)>
      indexer;
};

// One stored version of a resource.
struct StoredResource {
  std::string type;
  std::string id;
  std::int64_t version = 0;
  std::int64_t last_updated_ms = 0;  // Unix epoch milliseconds
  bool deleted = false;
  std::string json;  // the resource as stored (canonical JSON, meta set); empty when deleted
};

// kPut and kDelete write resources. kPurge removes a resource with every
// version and index row, leaving nothing (for data the engine makes and
// retires itself, such as capacity snapshots past their retention; never
// from the FHIR API, where history is kept). kSetCursor and kQuarantine
// write an adapter's sync state beside them, so an adapter's cursor and
// quarantined records commit in the same transaction as the resources they
// cover.
enum class WriteKind { kPut, kDelete, kPurge, kSetCursor, kQuarantine };

// One write in a batch. For kPut, `json` is the complete resource (its meta
// is set by the caller to the version and time the store reports back:
// see PrepareForStore in resource_meta.h). For kSetCursor, `adapter` and
// `json` (the cursor text). For kQuarantine, `adapter`, `locator`, `reason`
// and `json` (the record as received).
struct WriteOp {
  WriteKind kind = WriteKind::kPut;
  std::string type;
  std::string id;
  std::string json;
  std::string adapter;  // kSetCursor, kQuarantine
  std::string locator;  // kQuarantine: where the record came from
  std::string reason;   // kQuarantine: why it was set aside
  // If set, the write applies only when the current version equals it
  // (If-Match); 0 means "must not exist yet" (create-only).
  std::optional<std::int64_t> expected_version;
  // When the stored current content equals `json` (meta aside), keep the
  // current version instead of writing a new one (idempotent re-delivery).
  bool skip_if_unchanged = false;
  // Given to the caller before the write so it can stamp the JSON:
  // (new version, timestamp ms) -> final JSON. Runs on the writer thread.
  std::function<std::string(std::int64_t version, std::int64_t last_updated_ms)> stamp;
  // kPut: the search index rows of the new content; they replace the
  // resource's rows in the same transaction (kDelete removes them).
  std::vector<IndexRow> index;
};

struct WriteResult {
  std::string type;
  std::string id;
  std::int64_t version = 0;
  std::int64_t last_updated_ms = 0;
  bool created = false;    // first version (or re-created after delete)
  bool unchanged = false;  // skip_if_unchanged found identical content
  bool deleted = false;
  std::string json;  // what was stored
};

// One quarantined record (see WriteKind::kQuarantine).
struct QuarantineEntry {
  std::int64_t seq = 0;  // increasing; the entry's id
  std::string adapter;
  std::int64_t received_ms = 0;
  std::string locator;
  std::string reason;
  std::string record;
};

struct QuarantineQuery {
  std::string adapter;  // empty: every adapter
  std::size_t count = 100;
  std::size_t offset = 0;
};

using BatchCallback = std::function<void(Result<std::vector<WriteResult>>)>;

// The change feed: the resources one committed transaction wrote (kPut and
// kDelete results that made a new version, in commit order; never the
// unchanged ones or the sync-state writes). `json` is what was stored.
using ChangeListener = std::function<void(const std::vector<WriteResult>&)>;

class ResourceStore {
 public:
  // Opens (creating if needed) the database and starts the writer thread.
  // kIoError when the file cannot be opened or the schema is from a newer engine.
  static Result<std::unique_ptr<ResourceStore>> Open(const StoreOptions& options);

  // Drains queued batches, stops the writer and closes the connections.
  ~ResourceStore();
  ResourceStore(const ResourceStore&) = delete;
  ResourceStore& operator=(const ResourceStore&) = delete;

  // Queues a batch; `done` runs on the writer thread after the batch's
  // transaction committed (or with the error that rolled the whole batch
  // back: kFailedPrecondition for a version mismatch, kNotFound for a
  // If-Match of a missing resource; a plain delete of a missing resource is
  // a success with no new version). Thread-safe.
  void Submit(std::vector<WriteOp> batch, BatchCallback done);
  // Submit and wait.
  Result<std::vector<WriteResult>> Write(std::vector<WriteOp> batch);

  // Registers `listener` for the change feed: it runs on the writer thread
  // after each committed transaction that wrote resources, before the
  // transaction's batch callbacks (so a Write() that returned has been
  // seen by every listener). The writer is the ingest bottleneck: a
  // listener must only copy what it needs and enqueue, never block or call
  // back into the store's write path. Returns an id for
  // RemoveChangeListener. Thread-safe.
  int AddChangeListener(ChangeListener listener);
  // After this returns, the listener is not running and is never called
  // again. Unknown ids are ignored. Thread-safe; not from a listener.
  void RemoveChangeListener(int id);

  // The current version; kNotFound when absent. A deleted resource is
  // returned with deleted=true (the REST layer answers 410). Thread-safe.
  Result<StoredResource> Read(const std::string& type, const std::string& id) const;
  // One version; kNotFound when absent.
  Result<StoredResource> ReadVersion(const std::string& type, const std::string& id,
                                     std::int64_t version) const;

  struct HistoryQuery {
    std::string type;  // empty: all types
    std::string id;    // empty: all resources of `type`
    std::optional<std::int64_t> since_ms;
    std::size_t count = 100;
    std::size_t offset = 0;
  };
  // Versions, newest first.
  Result<std::vector<StoredResource>> History(const HistoryQuery& query) const;

  // The cursor last committed for `adapter` (kSetCursor); nullopt before
  // the first.
  Result<std::optional<std::string>> ReadCursor(const std::string& adapter) const;
  // Quarantined records, newest first.
  Result<std::vector<QuarantineEntry>> ListQuarantine(const QuarantineQuery& query) const;
  // Number of quarantined records of `adapter` (all when empty).
  Result<std::int64_t> CountQuarantine(const std::string& adapter) const;

  // Number of current, non-deleted resources of `type` (all types when empty).
  Result<std::int64_t> Count(const std::string& type) const;

  // One page of the current, non-deleted resources matching `query`, in
  // its sort order (then by insertion order). Thread-safe; runs on a reader.
  Result<SearchPage> Search(const SearchQuery& query, const PageRequest& page) const;

  // The resources `specs` include for `hits` (_include, _revinclude and
  // their :iterate), without duplicates or the hits themselves, at most
  // `limit` of them (kResourceExhausted beyond).
  Result<std::vector<Hit>> Include(const std::vector<Hit>& hits,
                                   const std::vector<IncludeSpec>& specs, std::size_t limit) const;

 private:
  using Impl = internal::StoreImpl;
  explicit ResourceStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fhirengine::store
