// MeasureReport construction: walks the Measure's groups and populations and
// fills each count from the node by its regional code.
#include "engine/capacity/measure_report_builder.h"

#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

#include "engine/core/time_format.h"

namespace fhirengine::capacity {
namespace {

// The code of the first coding of `codeable` (a CodeableConcept) in `system`.
std::optional<std::string_view> CodeIn(const json::Value* codeable, std::string_view system) {
  if (codeable == nullptr) return std::nullopt;
  const json::Value* codings = codeable->Find("coding");
  if (codings == nullptr) return std::nullopt;
  for (const json::Value& c : codings->elements()) {
    const json::Value* s = c.Find("system");
    const json::Value* code = c.Find("code");
    if (s != nullptr && s->IsString() && s->text() == system && code != nullptr &&
        code->IsString()) {
      return code->text();
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> BedState(const BedCounts& beds, std::string_view code) {
  if (code == "total") return beds.total;
  if (code == "occupied") return beds.occupied;
  if (code == "free") return beds.free;
  if (code == "closed") return beds.closed;
  if (code == "housekeeping") return beds.housekeeping;
  if (code == "isolated") return beds.isolated;
  if (code == "unknown") return beds.unknown;
  return std::nullopt;
}

std::string Decimal(double v) {
  if (!std::isfinite(v)) v = 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

class ReportWriter {
 public:
  explicit ReportWriter(json::Document& doc) : doc_(doc) {}

  json::Value Str(std::string_view s) { return doc_.MakeString(s); }
  json::Value Int(std::int64_t v) { return doc_.MakeNumber(std::to_string(v)); }
  json::Value Obj(std::vector<json::Member> members) { return doc_.MakeObject(members); }
  json::Value Arr(const std::vector<json::Value>& values) { return doc_.MakeArray(values); }
  json::Value Days(double days) {
    return Obj({{"value", doc_.MakeNumber(Decimal(days))},
                {"unit", Str("d")},
                {"system", Str("http://unitsofmeasure.org")},
                {"code", Str("d")}});
  }
  json::Value Population(const json::Value& code, std::int64_t count) {
    return Obj({{"code", doc_.Copy(code)}, {"count", Int(count)}});
  }

 private:
  json::Document& doc_;
};

// One MeasureReport.group for one Measure.group.
Result<json::Value> BuildGroup(ReportWriter& w, json::Document& doc, const json::Value& group,
                               const NodeCounts& counts, std::size_t index) {
  const json::Value* code = group.Find("code");
  const std::string where = "Measure.group[" + std::to_string(index) + "]";
  const std::optional<std::string_view> kind = CodeIn(code, kMeasureGroupSystem);
  if (!kind) {
    return InvalidArgument(where + " has no code in " + std::string(kMeasureGroupSystem));
  }
  std::vector<json::Member> out;
  out.push_back({"code", doc.Copy(*code)});
  const json::Value* populations = group.Find("population");
  std::vector<json::Value> pops;
  const DischargeReady& dr = counts.discharge_ready;
  std::optional<double> score;

  if (*kind == "beds" || *kind == "beds-category" || *kind == "beds-uncategorised") {
    BedCounts beds = counts.beds;
    if (*kind != "beds") {
      std::string category = "unknown";
      if (*kind == "beds-category") {
        std::optional<std::string_view> c = CodeIn(code, kBedCategorySystem);
        if (!c) return InvalidArgument(where + " (beds-category) names no bed-category code");
        category = std::string(*c);
      }
      auto it = counts.by_category.find(category);
      beds = it == counts.by_category.end() ? BedCounts{} : it->second;
    }
    std::size_t p = 0;
    for (const json::Value& population :
         populations ? populations->elements() : std::span<const json::Value>()) {
      const json::Value* pcode = population.Find("code");
      std::optional<std::string_view> state = CodeIn(pcode, kMeasuredValueSystem);
      std::optional<std::int64_t> count = state ? BedState(beds, *state) : std::nullopt;
      if (!count) {
        return InvalidArgument(where + ".population[" + std::to_string(p) +
                               "] has no bed state code of " + std::string(kMeasuredValueSystem));
      }
      pops.push_back(w.Population(*pcode, *count));
      ++p;
    }
  } else if (*kind == "discharge-ready") {
    std::size_t p = 0;
    for (const json::Value& population :
         populations ? populations->elements() : std::span<const json::Value>()) {
      const json::Value* pcode = population.Find("code");
      std::optional<std::string_view> what = CodeIn(pcode, kMeasuredValueSystem);
      // Both count the patients: one observation (days waited) per patient.
      if (!what || (*what != "discharge-ready-patients" && *what != "wait-days")) {
        return InvalidArgument(where + ".population[" + std::to_string(p) +
                               "] is not discharge-ready-patients or wait-days");
      }
      pops.push_back(w.Population(*pcode, dr.patients));
      ++p;
    }
    score = dr.patients > 0 ? dr.wait_days_total / static_cast<double>(dr.patients) : 0.0;
  } else if (*kind == "wait-days-total") {
    score = dr.wait_days_total;
  } else if (*kind == "wait-days-max") {
    score = dr.wait_days_max;
  } else {
    return InvalidArgument(where + " has the group code '" + std::string(*kind) +
                           "', which the capacity picture does not compute");
  }
  if (!pops.empty()) out.push_back({"population", w.Arr(pops)});
  if (score) out.push_back({"measureScore", w.Days(*score)});
  return w.Obj(std::move(out));
}

}  // namespace

Result<json::Value> BuildMeasureReport(json::Document& doc, const json::Value& measure,
                                       const CapacityNode& node,
                                       std::span<const SourceFreshness> sources,
                                       ReportPeriod period, std::int64_t now_ms) {
  ReportWriter w(doc);
  const json::Value* url = measure.Find("url");
  if (url == nullptr || !url->IsString() || url->text().empty()) {
    return InvalidArgument("the Measure has no url to report against");
  }
  std::vector<json::Value> groups;
  if (const json::Value* g = measure.Find("group")) {
    std::size_t i = 0;
    for (const json::Value& group : g->elements()) {
      Result<json::Value> built = BuildGroup(w, doc, group, node.counts, i++);
      if (!built.ok()) return built.status();
      groups.push_back(*built);
    }
  }

  std::vector<json::Value> extensions;
  extensions.push_back(
      w.Obj({{"url", w.Str(kStaleExtensionUrl)}, {"valueBoolean", json::Value::Bool(node.stale)}}));
  for (const std::string& name : node.sources) {
    for (const SourceFreshness& s : sources) {
      if (s.name == name && s.stale) {
        extensions.push_back(
            w.Obj({{"url", w.Str(kStaleSourceExtensionUrl)}, {"valueString", w.Str(name)}}));
      }
    }
  }

  std::vector<json::Member> report;
  report.push_back({"resourceType", w.Str("MeasureReport")});
  report.push_back({"extension", w.Arr(extensions)});
  report.push_back({"status", w.Str("complete")});
  report.push_back({"type", w.Str("summary")});
  report.push_back({"measure", w.Str(url->text())});
  // R4 allows no Organization as MeasureReport.subject: an organization's
  // report names it as the reporter only.
  const bool organization = node.reference.starts_with("Organization/");
  std::vector<json::Member> who{{"reference", w.Str(node.reference)}};
  if (!node.name.empty()) who.push_back({"display", w.Str(node.name)});
  if (!node.reference.empty() && !organization) report.push_back({"subject", w.Obj(who)});
  report.push_back({"date", w.Str(FormatInstant(now_ms))});
  if (organization) report.push_back({"reporter", w.Obj(who)});
  report.push_back({"period", w.Obj({{"start", w.Str(FormatInstant(period.start_ms))},
                                     {"end", w.Str(FormatInstant(period.end_ms))}})});
  if (!groups.empty()) report.push_back({"group", w.Arr(groups)});
  return w.Obj(std::move(report));
}

}  // namespace fhirengine::capacity
