// The delivery pipeline (see delivery_pipeline.h).
#include "engine/ingest/delivery_pipeline.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/core/log.h"
#include "engine/core/utf8_text.h"
#include "engine/ingest/identity_mapping.h"
#include "engine/ingest/mapped_record.h"
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

// An OperationOutcome of the errors (and fatals) among `issues`, as JSON.
std::string ErrorOutcomeText(const std::vector<validation::Issue>& issues) {
  std::vector<validation::Issue> errors;
  for (const validation::Issue& i : issues) {
    if (i.severity == validation::Severity::kError || i.severity == validation::Severity::kFatal) {
      errors.push_back(i);
    }
  }
  json::Document doc;
  return json::Write(validation::ToOperationOutcome(errors, doc));
}

}  // namespace

Result<std::unique_ptr<DeliveryPipeline>> DeliveryPipeline::Create(std::string name,
                                                                   store::ResourceStore& store,
                                                                   AdapterHealth& health,
                                                                   Clock& clock, StopSignal& stop,
                                                                   PipelineStages stages) {
  Result<std::optional<std::string>> cursor = store.ReadCursor(name);
  if (!cursor.ok()) return cursor.status();
  return std::unique_ptr<DeliveryPipeline>(
      new DeliveryPipeline(std::move(name), store, health, clock, stop,
                           cursor->value_or(std::string()), std::move(stages)));
}

DeliveryPipeline::DeliveryPipeline(std::string name, store::ResourceStore& store,
                                   AdapterHealth& health, Clock& clock, StopSignal& stop,
                                   std::string cursor, PipelineStages stages)
    : name_(std::move(name)),
      store_(store),
      health_(health),
      clock_(clock),
      stop_(stop),
      stages_(std::move(stages)),
      conformance_(stages_.profiles),
      cursor_(std::move(cursor)) {}

void DeliveryPipeline::MapRecord(const adapters::SourceRecord& record,
                                 std::vector<store::WriteOp>& ops, adapters::DeliveryReport& report,
                                 Warnings& warnings) const {
  const mapping::Mapping& mapping = *stages_.mapping;
  auto quarantine = [&](std::string reason) {
    ops.push_back(QuarantineOp(name_, record.locator, std::move(reason), RecordText(record)));
    ++report.quarantined;
  };
  if (record.format == adapters::RecordFormat::kFhirDelete) {
    // The source deleted its resource: delete every regional resource the
    // mapping derives from that source id (docs/mappings.md, "Deletes").
    if (mapping.source_format() != "fhir") {
      quarantine("a delete from the source cannot be mapped by " + mapping.source_format() +
                 " mapping " + mapping.name() + " (only fhir mappings map deletes)");
      return;
    }
    Result<std::vector<mapping::MappedResource>> targets = mapping.DeleteTargets(record);
    if (!targets.ok()) {
      quarantine("the delete of " + record.resource_type + "/" + record.resource_id +
                 " cannot be mapped: " + targets.status().message());
      return;
    }
    // A delete the mapping has no output for is set aside, never dropped
    // silently: the regional copy would outlive the source's resource.
    if (targets->empty()) {
      quarantine("the delete of " + record.resource_type + "/" + record.resource_id +
                 " maps to no regional resource: mapping " + mapping.name() +
                 " has no output of type " + record.resource_type);
      return;
    }
    for (const mapping::MappedResource& target : *targets) {
      store::WriteOp op;
      op.kind = store::WriteKind::kDelete;
      op.type = target.type;
      op.id = target.id;
      ops.push_back(std::move(op));
    }
    return;
  }
  Result<MappedOutputs> mapped = MapAndValidate(mapping, conformance_, name_, record, &memo_);
  if (!mapped.ok()) {
    quarantine(mapped.status().message());
    return;
  }
  for (const validation::Issue& issue : mapped->findings) {
    if (issue.severity != validation::Severity::kWarning) continue;
    ++warnings.count;
    if (warnings.paths.size() < Warnings::kMaxPaths) warnings.paths.insert(issue.expression);
  }
  // All of the record's resources, or none: a record is one fact of the
  // source, and half of it stored would be a picture the source never had.
  if (mapped->errors > 0) {
    quarantine(ErrorOutcomeText(mapped->findings));
    return;
  }
  for (mapping::MappedResource& out : mapped->resources) {
    store::WriteOp op = rest::PreparePut(out.resource.root(), out.type, out.id, std::nullopt);
    op.skip_if_unchanged = true;  // re-delivery creates no new version
    ops.push_back(std::move(op));
  }
}

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
  Warnings warnings;
  // What the memo learns once the batch committed: the records that were
  // stored whole (not quarantined), and the keys that were deleted.
  std::vector<std::pair<std::string, RecordMemo::Fingerprint>> remember;
  std::vector<std::string> forget;
  std::unordered_set<std::string> mapped_keys;  // a key seen twice: the later one always goes
  std::size_t skipped = 0;
  for (const adapters::SourceRecord& record : batch.records) {
    if (record.source_time_ms &&
        (!newest_source_ms || *record.source_time_ms > *newest_source_ms)) {
      newest_source_ms = record.source_time_ms;
    }
    const std::optional<RecordMemo::Fingerprint> fingerprint = RecordMemo::Of(record);
    if (fingerprint && !mapped_keys.contains(record.key) &&
        committed_.Unchanged(record.key, *fingerprint)) {
      ++skipped;  // the same content as last committed: no mapping, no write
      continue;
    }
    if (!record.key.empty()) mapped_keys.insert(record.key);
    if (record.format == adapters::RecordFormat::kFhirDelete && !record.key.empty()) {
      forget.push_back(record.key);
      // Content remembered earlier in this batch is gone with the delete:
      // a later identical record must not be skipped as unchanged.
      std::erase_if(remember, [&record](const auto& entry) { return entry.first == record.key; });
    }
    const std::size_t quarantined_before = report.quarantined;
    if (stages_.mapping != nullptr) {
      MapRecord(record, ops, report, warnings);
      if (fingerprint && report.quarantined == quarantined_before) {
        remember.emplace_back(record.key, *fingerprint);
      }
      continue;
    }
    if (fingerprint) remember.emplace_back(record.key, *fingerprint);  // undone below if not stored
    Result<MappedRecord> mapped = MapIdentity(record, name_);
    if (!mapped.ok()) {
      if (fingerprint) remember.pop_back();
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
      if (fingerprint) remember.pop_back();
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
  report.unchanged += skipped;
  committed_.Committed(remember, forget);
  if (sets_cursor) {
    std::lock_guard lock(mutex_);
    cursor_ = std::move(batch.cursor);
  }
  health_.RecordDelivery(report, newest_source_ms, clock_.NowMs());
  if (warnings.count > 0) {
    health_.RecordValidationWarnings(warnings.count);
    // Where, never what: the paths carry no record content.
    std::string paths;
    for (const std::string& p : warnings.paths) paths += (paths.empty() ? "" : " ") + p;
    log::Write(log::Level::kWarning, "mapped resources stored with validation warnings",
               {{"adapter", name_}, {"warnings", warnings.count}, {"paths", paths}});
  }
  return report;
}

}  // namespace fhirengine::ingest
