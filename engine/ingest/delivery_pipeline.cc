// The delivery pipeline (see delivery_pipeline.h).
#include "engine/ingest/delivery_pipeline.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/core/utf8_text.h"
#include "engine/ingest/identity_mapping.h"
#include "engine/json/json_writer.h"
#include "engine/rest/fhir_interaction.h"
#include "engine/validation/operation_outcome.h"

namespace fhirengine::ingest {
namespace {

// A quarantined text as stored: valid UTF-8 (the listing is JSON, and a
// source's undecoded Latin-1 must not make it invalid), capped.
std::string QuarantineText(std::string_view in, std::size_t max) { return ToValidUtf8(in, max); }

store::WriteOp QuarantineOp(const std::string& adapter, std::string locator, std::string reason,
                            std::string record) {
  record = QuarantineText(record, DeliveryPipeline::kMaxQuarantineRecordBytes);
  store::WriteOp op;
  op.kind = store::WriteKind::kQuarantine;
  op.adapter = adapter;
  op.locator = QuarantineText(locator, DeliveryPipeline::kMaxQuarantineRecordBytes);
  op.reason = QuarantineText(reason, DeliveryPipeline::kMaxQuarantineRecordBytes);
  op.json = std::move(record);
  return op;
}

}  // namespace

Result<std::unique_ptr<DeliveryPipeline>> DeliveryPipeline::Create(std::string name,
                                                                   store::ResourceStore& store,
                                                                   AdapterHealth& health,
                                                                   Clock& clock, StopSignal& stop) {
  Result<std::optional<std::string>> cursor = store.ReadCursor(name);
  if (!cursor.ok()) return cursor.status();
  return std::unique_ptr<DeliveryPipeline>(new DeliveryPipeline(
      std::move(name), store, health, clock, stop, cursor->value_or(std::string())));
}

DeliveryPipeline::DeliveryPipeline(std::string name, store::ResourceStore& store,
                                   AdapterHealth& health, Clock& clock, StopSignal& stop,
                                   std::string cursor)
    : name_(std::move(name)),
      store_(store),
      health_(health),
      clock_(clock),
      stop_(stop),
      cursor_(std::move(cursor)) {}

std::string DeliveryPipeline::committed_cursor() const {
  std::lock_guard lock(mutex_);
  return cursor_;
}

Result<adapters::DeliveryReport> DeliveryPipeline::Deliver(adapters::SourceBatch batch) {
  if (batch.records.size() + batch.rejected.size() > kMaxBatchRecords) {
    return ResourceExhausted("a batch holds at most " + std::to_string(kMaxBatchRecords) +
                             " records");
  }
  adapters::DeliveryReport report;
  std::vector<store::WriteOp> ops;
  ops.reserve(batch.records.size() + batch.rejected.size() + 1);
  for (adapters::RejectedRecord& r : batch.rejected) {
    ops.push_back(QuarantineOp(name_, std::move(r.locator), std::move(r.reason), std::move(r.raw)));
    ++report.quarantined;
  }
  std::optional<std::int64_t> newest_source_ms;
  for (const adapters::SourceRecord& record : batch.records) {
    if (record.source_time_ms &&
        (!newest_source_ms || *record.source_time_ms > *newest_source_ms)) {
      newest_source_ms = record.source_time_ms;
    }
    Result<MappedRecord> mapped = MapIdentity(record, name_);
    if (!mapped.ok()) {
      ops.push_back(
          QuarantineOp(name_, record.locator, mapped.status().message(), RecordText(record)));
      ++report.quarantined;
      continue;
    }
    if (mapped->action == MappedRecord::Action::kDelete) {
      store::WriteOp op;
      op.kind = store::WriteKind::kDelete;
      op.type = mapped->type;
      op.id = mapped->id;
      ops.push_back(std::move(op));
      continue;
    }
    // The same checks as a REST PUT: the structural validator's errors
    // quarantine the record with the OperationOutcome as the reason.
    Result<std::vector<validation::Issue>> issues = rest::ValidateResource(mapped->resource.root());
    if (!issues.ok()) return issues.status();
    if (!issues->empty()) {
      json::Document doc;
      const json::Value outcome = validation::ToOperationOutcome(*issues, doc);
      ops.push_back(QuarantineOp(name_, record.locator, json::Write(outcome), RecordText(record)));
      ++report.quarantined;
      continue;
    }
    store::WriteOp op =
        rest::PreparePut(mapped->resource.root(), mapped->type, mapped->id, std::nullopt);
    op.skip_if_unchanged = true;  // re-delivery creates no new version
    ops.push_back(std::move(op));
  }
  const bool sets_cursor = !batch.cursor.empty();
  if (sets_cursor) {
    store::WriteOp op;
    op.kind = store::WriteKind::kSetCursor;
    op.adapter = name_;
    op.json = batch.cursor;
    ops.push_back(std::move(op));
  }
  std::vector<store::WriteKind> kinds;
  kinds.reserve(ops.size());
  for (const store::WriteOp& op : ops) kinds.push_back(op.kind);
  Result<std::vector<store::WriteResult>> written = store_.Write(std::move(ops));
  if (!written.ok()) return written.status();
  for (std::size_t i = 0; i < written->size() && i < kinds.size(); ++i) {
    const store::WriteResult& w = (*written)[i];
    if (kinds[i] == store::WriteKind::kPut) {
      ++(w.unchanged ? report.unchanged : report.stored);
    } else if (kinds[i] == store::WriteKind::kDelete) {
      ++report.deleted;
    }
  }
  if (sets_cursor) {
    std::lock_guard lock(mutex_);
    cursor_ = std::move(batch.cursor);
  }
  health_.RecordDelivery(report, newest_source_ms, clock_.NowMs());
  return report;
}

}  // namespace fhirengine::ingest
