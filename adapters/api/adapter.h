// The adapter interface: how a source (an EHR's FHIR API, a municipal drop
// folder, a JSON API) hands its records to the engine. Adapters read sources
// and nothing else; the engine maps, validates and stores what they deliver
// (adapters never see the store), and persists each adapter's cursor in the
// same transaction as the records it covers.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/json/json_value.h"

namespace fhirengine::adapters {

// What a record's payload is.
enum class RecordFormat {
  kFhirResource,  // `payload` is one FHIR R4 resource as JSON text
  kFhirDelete,    // the source deleted `resource_type`/`resource_id`; no payload
  kCsvRow,        // `columns` and `fields`, both UTF-8; no payload
  kXmlElement,    // `payload` is the record's element serialised as XML (UTF-8)
  kJsonObject,    // `payload` is one JSON object as text
};

// One record as read from a source, before mapping.
struct SourceRecord {
  RecordFormat format = RecordFormat::kFhirResource;
  std::string payload;
  std::vector<std::string> columns;  // kCsvRow: the header row
  std::vector<std::string> fields;   // kCsvRow: this row, one per column
  std::string resource_type;         // kFhirResource (optional) and kFhirDelete
  std::string resource_id;           // kFhirResource (optional) and kFhirDelete
  // The source's own, stable identity of the record (a row's key columns, a
  // JSON object's id); the identity mapping derives resource ids from it, so
  // a record delivered twice lands on the same resource.
  std::string key;
  // Where the record came from, for people: "beds-2026-11-23.csv:17",
  // "https://ehr.example.org/fhir/Location/7/_history/3", "/export/unit[3]".
  std::string locator;
  // The source's timestamp of the record (lastUpdated, an export time),
  // Unix epoch milliseconds; feeds the adapter's lag.
  std::optional<std::int64_t> source_time_ms;
};

// A record the adapter could not even read (a CSV row with an unterminated
// quote): quarantined with its reason while the rest of the batch goes on.
struct RejectedRecord {
  std::string locator;
  std::string reason;
  std::string raw;  // the record's text as read, capped by the adapter
};

// Records from one source plus the cursor that follows them.
struct SourceBatch {
  std::vector<SourceRecord> records;
  std::vector<RejectedRecord> rejected;
  // The adapter's position after this batch, opaque to the engine (JSON
  // text by convention). Committed in the same transaction as the records.
  std::string cursor;
};

// What the engine did with a delivered batch.
struct DeliveryReport {
  std::size_t stored = 0;       // new versions written
  std::size_t unchanged = 0;    // identical to the stored version: no new version
  std::size_t deleted = 0;      // deletes applied (or already absent)
  std::size_t quarantined = 0;  // records set aside with their reason
};

// Handed to an adapter by the engine; outlives the adapter. Thread-safe.
class AdapterContext {
 public:
  virtual ~AdapterContext() = default;
  // The adapter's configured name ("hospital-a").
  virtual const std::string& name() const = 0;
  // The cursor committed with the last acknowledged batch; empty before the
  // first one.
  virtual std::string committed_cursor() const = 0;
  // Maps, validates and durably stores `batch`, quarantining records that
  // fail (the rest goes on), and commits batch.cursor in the same
  // transaction. Blocks until committed. On error nothing of the batch is
  // stored and the committed cursor stays where it was (kUnavailable when
  // the store is shutting down or its queue is full: retry later).
  virtual Result<DeliveryReport> Deliver(SourceBatch batch) = 0;
  // True once the engine is stopping this adapter: a Poll should return
  // as soon as it can.
  virtual bool stopping() const = 0;
  // Sleeps for `duration` or until stopping; false when stopping.
  virtual bool SleepFor(std::chrono::milliseconds duration) = 0;
};

// How a Poll ended; the scheduler picks the next poll from it.
struct PollOutcome {
  // OK, or why the round failed (kept as the adapter's last error; the
  // scheduler backs off with jitter). Messages never carry secrets.
  Status status;
  // The source asked for a pause (429 or 503 with Retry-After): the next
  // poll waits at least this long.
  std::optional<std::chrono::milliseconds> retry_after;
  // The round stopped early with more to fetch (a bound on one round):
  // poll again without waiting for the interval.
  bool more = false;
  // The round heard from the source. A drop folder whose poll found no new
  // file says nothing about its source (a stopped export looks the same):
  // false, so the source's freshness does not move (docs/capacity.md).
  bool received = true;
};

// One configured source. Created by its type's factory from a validated
// configuration; run by the engine on a thread of its own.
class Adapter {
 public:
  virtual ~Adapter() = default;
  // One round: fetch what is new since ctx.committed_cursor() and Deliver it
  // in batches. Called again after the poll interval (or back-off).
  virtual PollOutcome Poll(AdapterContext& ctx) = 0;
  // Interrupts a Poll in progress (closes sockets, stops waits); called
  // from another thread when the engine stops. Thread-safe; idempotent.
  virtual void Cancel() {}
};

// An adapter's configuration as the factory sees it.
struct AdapterConfig {
  std::string name;             // unique in the config
  std::string type;             // "csv-file"
  const json::Value* settings;  // the adapter's "settings" object (never null)
  std::string config_dir;       // relative paths in settings resolve against it
};

}  // namespace fhirengine::adapters
