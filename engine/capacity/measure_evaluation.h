// $evaluate-measure on the regional capacity Measures: parameters to a
// MeasureReport of the live capacity picture, stored as the subject's latest
// report (searchable with MeasureReport?subject=&date=).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "engine/capacity/capacity_model.h"
#include "engine/capacity/measure_report_builder.h"
#include "engine/core/status.h"
#include "engine/json/json_value.h"
#include "engine/rest/operation_registry.h"
#include "engine/store/resource_store.h"

namespace fhirengine::capacity {

// Milliseconds since the Unix epoch; injected so tests control time.
using NowFunction = std::function<std::int64_t()>;

// The most bytes of one $evaluate-measure parameter value.
inline constexpr std::size_t kMaxParameterBytes = 256;

// Thread-safe (const after construction). `view` and `store` must outlive it.
class MeasureEvaluator {
 public:
  MeasureEvaluator(const CapacityView& view, store::ResourceStore& store, NowFunction now);

  // The MeasureReport of Measure/`measure_id` for the URL parameters
  // periodStart, periodEnd (both or neither: neither means now; dates or
  // instants; the period must contain now, as the picture is live), subject
  // (Organization/x or Location/x; none: the region) and reportType
  // (summary only). kNotFound for an unknown Measure or subject,
  // kInvalidArgument for bad or unknown parameters, kUnavailable while the
  // view is not ready (its first load is not done).
  Result<json::Document> Evaluate(const std::string& measure_id,
                                  std::span<const rest::QueryParam> params) const;

  // The report of `measure_id` on `subject` ("" for the region) in
  // `snapshot` at `now_ms`, for the period [start, end]. The reports of one
  // history snapshot share `snapshot` and `now_ms`, so they agree.
  Result<json::Document> Report(const std::string& measure_id, const std::string& subject,
                                ReportPeriod period, const CapacitySnapshot& snapshot,
                                std::int64_t now_ms) const;

  // The operation handler: evaluates, stores the report as the latest of its
  // measure and subject, then answers with it (a failed store write is a 503).
  void HandleOperation(const rest::OperationCall& call, rest::OperationDone done) const;

  // Whether a Measure of this id is known.
  bool HasMeasure(const std::string& measure_id) const;

  std::int64_t Now() const { return now_(); }
  const CapacityView& view() const { return view_; }

 private:
  const CapacityView& view_;
  store::ResourceStore& store_;
  NowFunction now_;
  std::map<std::string, std::shared_ptr<const json::Document>> measures_;
};

// A short stable key of a subject: "region" or 16 hex digits of its reference.
std::string SubjectKey(const std::string& subject);

// The id of the latest report of `measure_id` on `subject`.
std::string LatestReportId(const std::string& measure_id, const std::string& subject);

// The meta.tag system telling the stored reports apart (docs/capacity.md):
// kLatestTag on the latest report of a Measure and subject (kept by
// $evaluate-measure), kSnapshotTag on the history snapshots, so
// MeasureReport?_tag={system}|latest finds only the former.
inline constexpr std::string_view kReportKindSystem =
    "https://fhir-engine.example.org/fhir/CodeSystem/capacity-report-kind";
inline constexpr std::string_view kLatestTag = "latest";
inline constexpr std::string_view kSnapshotTag = "snapshot";

// A store write putting `report` (a MeasureReport in `doc`) under `id`, with
// its search index rows, after tagging it with `kind` (kLatestTag or
// kSnapshotTag) in kReportKindSystem.
store::WriteOp ReportWrite(json::Document& doc, const std::string& id, std::string_view kind);

}  // namespace fhirengine::capacity
