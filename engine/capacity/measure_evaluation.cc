// $evaluate-measure: parameter checks, the node lookup in the CapacityView,
// the report, and its write as the latest report.
#include "engine/capacity/measure_evaluation.h"

#include <cstdio>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/capacity/regional_measures.h"
#include "engine/core/check.h"
#include "engine/core/time_format.h"
#include "engine/json/json_parser.h"
#include "engine/rest/fhir_interaction.h"
#include "engine/rest/route.h"

namespace fhirengine::capacity {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = m > 2 ? m - 3 : m + 9;
  const unsigned doy = (153 * mp + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr std::int64_t kDayMs = 86'400'000;

// A periodStart/periodEnd value: an instant, or a date "YYYY-MM-DD" (UTC),
// which starts at its first millisecond (start) or ends at its last (end).
Result<std::int64_t> ParsePeriodBound(const std::string& name, const std::string& text, bool end) {
  if (text.find('T') != std::string::npos) {
    Result<std::int64_t> ms = ParseInstant(text);
    if (!ms.ok()) return InvalidArgument(name + ": " + ms.status().message());
    return *ms;
  }
  unsigned y = 0, m = 0, d = 0;
  char extra = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4u-%2u-%2u%c", &y, &m, &d, &extra) != 3 ||
      m < 1 || m > 12 || d < 1 || d > 31) {
    return InvalidArgument(name + " '" + text +
                           "' is not a date (YYYY-MM-DD) or an instant (YYYY-MM-DDThh:mm:ssZ)");
  }
  const std::int64_t start = DaysFromCivil(y, m, d) * kDayMs;
  return end ? start + kDayMs - 1 : start;
}

bool IsSubjectReference(const std::string& s) {
  for (std::string_view type : {"Organization/", "Location/"}) {
    if (s.starts_with(type)) return rest::IsValidId(std::string_view(s).substr(type.size()));
  }
  return false;
}

}  // namespace

MeasureEvaluator::MeasureEvaluator(const CapacityView& view, store::ResourceStore& store,
                                   NowFunction now)
    : view_(view), store_(store), now_(std::move(now)) {
  for (const EmbeddedMeasure& m : RegionalMeasures()) {
    Result<json::Document> doc = json::Parse(m.json);
    FE_CHECK(doc.ok());  // our own embedded file
    measures_[std::string(m.id)] = std::make_shared<const json::Document>(std::move(doc).value());
  }
}

bool MeasureEvaluator::HasMeasure(const std::string& measure_id) const {
  return measures_.contains(measure_id);
}

Result<json::Document> MeasureEvaluator::Report(const std::string& measure_id,
                                                const std::string& subject, ReportPeriod period,
                                                const CapacitySnapshot& snapshot,
                                                std::int64_t now) const {
  auto measure = measures_.find(measure_id);
  if (measure == measures_.end()) {
    return Status(StatusCode::kNotFound, "Measure/" + measure_id + " is not known");
  }
  if (snapshot.loading) {
    return Status(StatusCode::kUnavailable,
                  "the capacity picture is still loading from the store; try again shortly");
  }
  CapacityNode node;
  {
    Result<CapacityNode> found = FindCapacityNode(snapshot.region, subject);
    if (!found.ok()) {
      if (found.status().code() == StatusCode::kNotFound) {
        return Status(StatusCode::kNotFound,
                      "subject " + subject + " is not in the capacity picture");
      }
      return found.status();
    }
    node = std::move(found).value();
  }
  json::Document doc;
  Result<json::Value> report =
      BuildMeasureReport(doc, measure->second->root(), node, snapshot.sources, period, now);
  if (!report.ok()) return Internal("Measure/" + measure_id + ": " + report.status().message());
  doc.set_root(*report);
  return doc;
}

Result<json::Document> MeasureEvaluator::Evaluate(const std::string& measure_id,
                                                  std::span<const rest::QueryParam> params) const {
  if (!HasMeasure(measure_id)) {
    return Status(StatusCode::kNotFound, "Measure/" + measure_id + " is not known");
  }
  if (!view_.ready()) {
    return Status(StatusCode::kUnavailable,
                  "the capacity picture is still loading from the store; try again shortly");
  }
  const std::string* start = nullptr;
  const std::string* end = nullptr;
  const std::string* subject = nullptr;
  for (const rest::QueryParam& p : params) {
    if (p.value.size() > kMaxParameterBytes) {
      return InvalidArgument(p.name + " is longer than " + std::to_string(kMaxParameterBytes) +
                             " bytes");
    }
    const std::string** slot = p.name == "periodStart" ? &start
                               : p.name == "periodEnd" ? &end
                               : p.name == "subject"   ? &subject
                                                       : nullptr;
    if (p.name == "reportType") {
      if (p.value != "summary") {
        return InvalidArgument("reportType '" + p.value +
                               "' is not supported: the capacity Measures report summary only");
      }
      continue;
    }
    if (slot == nullptr) {
      return InvalidArgument("unknown parameter '" + p.name +
                             "'; $evaluate-measure takes periodStart, periodEnd, subject and "
                             "reportType");
    }
    if (*slot != nullptr) return InvalidArgument(p.name + " is given more than once");
    *slot = &p.value;
  }
  const std::int64_t now = now_();
  ReportPeriod period{now, now};
  if ((start == nullptr) != (end == nullptr)) {
    return InvalidArgument("give both periodStart and periodEnd, or neither (now)");
  }
  if (start != nullptr) {
    Result<std::int64_t> s = ParsePeriodBound("periodStart", *start, false);
    if (!s.ok()) return s.status();
    Result<std::int64_t> e = ParsePeriodBound("periodEnd", *end, true);
    if (!e.ok()) return e.status();
    if (*e < *s) return InvalidArgument("periodEnd is before periodStart");
    if (now < *s || now > *e) {
      return InvalidArgument("the period must contain now (" + FormatInstant(now) +
                             "): the capacity picture is live; earlier reports are found with "
                             "MeasureReport?measure=...&subject=...&date=...");
    }
    period = {*s, *e};
  }
  std::string subject_ref;
  if (subject != nullptr) {
    if (!IsSubjectReference(*subject)) {
      return InvalidArgument("subject '" + *subject +
                             "' is not Organization/{id} or Location/{id}");
    }
    subject_ref = *subject;
  }
  return Report(measure_id, subject_ref, period, view_.Snapshot(), now);
}

void MeasureEvaluator::HandleOperation(const rest::OperationCall& call,
                                       rest::OperationDone done) const {
  Result<json::Document> report = Evaluate(call.id, call.params);
  if (!report.ok()) return done(report.status());
  // Who the report is on: its subject (a Location) or its reporter (an
  // Organization, which R4 does not allow as subject); neither: the region.
  const json::Value* subject = report->root().Find("subject");
  if (subject == nullptr) subject = report->root().Find("reporter");
  const json::Value* ref = subject != nullptr ? subject->Find("reference") : nullptr;
  const std::string subject_ref = ref != nullptr ? std::string(ref->text()) : std::string();
  // Stored as the latest only when the caller may write MeasureReports (a
  // read-only token gets the report, unstored) and never for HEAD.
  const bool may_store =
      !call.head && (!call.allows || (call.allows("MeasureReport", rest::AccessRight::kCreate) &&
                                      call.allows("MeasureReport", rest::AccessRight::kUpdate)));
  if (!may_store) return done(std::move(report));
  const std::string id = LatestReportId(call.id, subject_ref);
  // One version only: the latest replaces the previous one with no history
  // (a dashboard evaluating every few seconds must not grow the database).
  store::WriteOp purge;
  purge.kind = store::WriteKind::kPurge;
  purge.type = "MeasureReport";
  purge.id = id;
  store::WriteOp op = ReportWrite(*report, id, kLatestTag);
  auto shared = std::make_shared<json::Document>(std::move(report).value());
  store_.Submit(
      {std::move(purge), std::move(op)},
      [shared, done = std::move(done)](Result<std::vector<store::WriteResult>> written) {
        if (!written.ok()) {
          return done(Status(StatusCode::kUnavailable,
                             "the report could not be stored: " + written.status().message()));
        }
        // Answer with what was stored (id and meta set).
        Result<json::Document> stored = json::Parse(written->back().json);
        if (!stored.ok()) return done(Internal("stored report does not parse"));
        done(std::move(stored).value());
      });
}

std::string SubjectKey(const std::string& subject) {
  if (subject.empty()) return "region";
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a 64
  for (char c : subject) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string LatestReportId(const std::string& measure_id, const std::string& subject) {
  return measure_id + "-" + SubjectKey(subject);
}

store::WriteOp ReportWrite(json::Document& doc, const std::string& id, std::string_view kind) {
  json::Value tag = doc.MakeObject(std::vector<json::Member>{
      {"system", doc.MakeString(kReportKindSystem)}, {"code", doc.MakeString(kind)}});
  doc.SetMember(doc.root(), "meta",
                doc.MakeObject(std::vector<json::Member>{
                    {"tag", doc.MakeArray(std::vector<json::Value>{tag})}}));
  return rest::PreparePut(doc.root(), "MeasureReport", id, std::nullopt);
}

}  // namespace fhirengine::capacity
