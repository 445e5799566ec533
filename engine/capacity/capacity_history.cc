// Snapshots as stored MeasureReports, their pruning, and the trend points
// kept in memory (loaded back from the stored snapshots with the store's
// search).
#include "engine/capacity/capacity_history.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "engine/core/log.h"
#include "engine/core/time_format.h"
#include "engine/json/json_parser.h"
#include "engine/rest/json_error.h"
#include "engine/rest/route.h"
#include "engine/search/search_request.h"

namespace fhirengine::capacity {
namespace {

constexpr const char* kBedMeasure = "regional-bed-capacity";
constexpr const char* kDischargeMeasure = "regional-discharge-ready";

// Every current resource matching `params`, page by page, at most `limit`.
Result<std::vector<store::Hit>> SearchAll(const store::ResourceStore& store,
                                          std::vector<search::UrlParam> params, std::size_t limit) {
  search::SearchOptions options;
  options.strict = true;
  Result<search::ParsedSearch> parsed = search::ParseSearch("MeasureReport", params, options);
  if (!parsed.ok()) return parsed.status();
  store::PageRequest page;
  page.count = 500;
  page.want_total = false;
  std::vector<store::Hit> out;
  while (out.size() < limit) {
    Result<store::SearchPage> got = store.Search(parsed->query, page);
    if (!got.ok()) return got.status();
    for (store::Hit& h : got->hits) out.push_back(std::move(h));
    if (!got->has_more) break;
    page.offset += page.count;
  }
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::string_view CodeIn(const json::Value* codeable, std::string_view system) {
  const json::Value* codings = codeable != nullptr ? codeable->Find("coding") : nullptr;
  if (codings == nullptr) return {};
  for (const json::Value& c : codings->elements()) {
    const json::Value* s = c.Find("system");
    const json::Value* code = c.Find("code");
    if (s && s->IsString() && s->text() == system && code && code->IsString()) return code->text();
  }
  return {};
}

// The snapshot a stored report belongs to: the seconds that end its
// snapshot identifier ("{measure}-{subject key}-{seconds}", the same for
// every report of one snapshot); -1 when it has none.
std::int64_t SnapshotSecond(const json::Value& report) {
  const json::Value* ids = report.Find("identifier");
  if (ids == nullptr) return -1;
  for (const json::Value& id : ids->elements()) {
    const json::Value* system = id.Find("system");
    const json::Value* value = id.Find("value");
    if (!system || !system->IsString() || system->text() != kSnapshotSystem || !value ||
        !value->IsString()) {
      continue;
    }
    const std::string_view text = value->text();
    const std::size_t dash = text.rfind('-');
    if (dash == std::string_view::npos || dash + 1 == text.size() || text.size() - dash > 19) {
      return -1;
    }
    std::int64_t seconds = 0;
    for (char c : text.substr(dash + 1)) {
      if (c < '0' || c > '9') return -1;
      seconds = seconds * 10 + (c - '0');
    }
    return seconds;
  }
  return -1;
}

// Who a stored snapshot report is on: "" for the region (neither subject
// nor reporter), "Organization/x" for an organization's (its reporter);
// nothing for others.
std::optional<std::string> SnapshotSubject(const json::Value& report) {
  if (report.Find("subject") != nullptr) return std::nullopt;
  const json::Value* reporter = report.Find("reporter");
  if (reporter == nullptr) return std::string();
  const json::Value* ref = reporter->Find("reference");
  if (ref == nullptr || !ref->IsString()) return std::nullopt;
  return std::string(ref->text());
}

// One trend point under construction.
struct Point {
  std::string time;                                      // the earliest report date of the snapshot
  std::map<std::string, std::string, std::less<>> beds;  // state -> count text
  std::map<std::string, std::string, std::less<>> discharge_ready;
  bool stale = false;
};

void ReadReport(const json::Value& report, Point& point) {
  if (const json::Value* ext = report.Find("extension")) {
    for (const json::Value& e : ext->elements()) {
      const json::Value* url = e.Find("url");
      const json::Value* v = e.Find("valueBoolean");
      if (url && url->IsString() && url->text() == kStaleExtensionUrl && v && v->IsBool() &&
          v->GetBool()) {
        point.stale = true;
      }
    }
  }
  const json::Value* groups = report.Find("group");
  if (groups == nullptr) return;
  for (const json::Value& g : groups->elements()) {
    const std::string_view kind = CodeIn(g.Find("code"), kMeasureGroupSystem);
    const json::Value* score = g.Find("measureScore");
    const json::Value* value = score != nullptr ? score->Find("value") : nullptr;
    if (kind == "beds") {
      if (const json::Value* pops = g.Find("population")) {
        for (const json::Value& p : pops->elements()) {
          const std::string_view state = CodeIn(p.Find("code"), kMeasuredValueSystem);
          const json::Value* count = p.Find("count");
          if (!state.empty() && count && count->IsNumber()) {
            point.beds[std::string(state)] = std::string(count->text());
          }
        }
      }
    } else if (kind == "discharge-ready") {
      const json::Value* pops = g.Find("population");
      if (pops && pops->size() > 0) {
        const json::Value* count = pops->elements()[0].Find("count");
        if (count && count->IsNumber()) point.discharge_ready["patients"] = count->text();
      }
    } else if ((kind == "wait-days-total" || kind == "wait-days-max") && value &&
               value->IsNumber()) {
      point.discharge_ready[kind == "wait-days-total" ? "wait_days_total" : "wait_days_max"] =
          value->text();
    }
  }
}

void AppendObject(std::string& out, const std::map<std::string, std::string, std::less<>>& m) {
  out += '{';
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out += ',';
    first = false;
    log::AppendJsonString(out, k);
    out += ':';
    out += v;  // numbers as the report holds them
  }
  out += '}';
}

// A point as one element of the answer's "points".
std::string PointJson(const Point& p) {
  std::string out = "{\"time\":";
  log::AppendJsonString(out, p.time);
  out += ",\"beds\":";
  AppendObject(out, p.beds);
  out += ",\"discharge_ready\":";
  AppendObject(out, p.discharge_ready);
  out += p.stale ? ",\"stale\":true}" : ",\"stale\":false}";
  return out;
}

}  // namespace

CapacityHistory::CapacityHistory(const MeasureEvaluator& evaluator, const CapacityView& view,
                                 store::ResourceStore& store, HistoryOptions options)
    : evaluator_(evaluator), view_(view), store_(store), options_(options) {
  if (Status loaded = LoadPoints(); !loaded.ok()) {
    log::Write(log::Level::kWarning, "capacity history: loading the stored trend failed",
               {{"error", loaded.message()}});
  }
}

CapacityHistory::~CapacityHistory() { Stop(); }

Status CapacityHistory::TakeSnapshot() {
  // One moment and one picture for every report of the snapshot, so its
  // reports carry the same date and agree with each other.
  const std::int64_t now = evaluator_.Now();
  const CapacitySnapshot picture = view_.Snapshot();
  if (picture.loading) {
    return Status(StatusCode::kUnavailable, "the capacity picture is still loading");
  }
  std::vector<std::string> subjects{""};
  for (const CapacityNode& child : picture.region.children) {
    // The "unplaced" placeholder is no subject (docs/capacity.md).
    if (child.kind == NodeKind::kOrganization && child.reference.starts_with("Organization/")) {
      subjects.push_back(child.reference);
    }
  }
  std::vector<store::WriteOp> batch;
  std::vector<std::pair<std::string, Point>> points;
  for (const std::string& subject : subjects) {
    Point& point = points.emplace_back(subject, Point{}).second;
    point.time = FormatInstant(now);
    for (const char* measure : {kBedMeasure, kDischargeMeasure}) {
      Result<json::Document> report = evaluator_.Report(measure, subject, {now, now}, picture, now);
      if (!report.ok()) return report.status();
      const std::string id =
          std::string(measure) + "-" + SubjectKey(subject) + "-" + std::to_string(now / 1000);
      json::Document& doc = *report;
      ReadReport(doc.root(), point);
      json::Value identifier = doc.MakeObject(std::vector<json::Member>{
          {"system", doc.MakeString(kSnapshotSystem)}, {"value", doc.MakeString(id)}});
      doc.SetMember(doc.root(), "identifier", doc.MakeArray(std::vector<json::Value>{identifier}));
      batch.push_back(ReportWrite(doc, id, kSnapshotTag));
    }
  }
  Result<std::vector<store::WriteResult>> written = store_.Write(std::move(batch));
  if (!written.ok()) return written.status();
  {
    std::lock_guard lock(points_mu_);
    for (const auto& [subject, point] : points) {
      std::deque<TrendPoint>& trend = points_[subject];
      auto at = std::upper_bound(trend.begin(), trend.end(), now,
                                 [](std::int64_t ms, const TrendPoint& p) { return ms < p.ms; });
      trend.insert(at, TrendPoint{now, PointJson(point)});
      while (trend.size() > options_.max_points) trend.pop_front();
    }
  }
  std::lock_guard lock(mu_);
  last_snapshot_ms_ = now;
  return Status::Ok();
}

Status CapacityHistory::LoadPoints() {
  const std::int64_t since = evaluator_.Now() - options_.retention_ms;
  search::SearchOptions search_options;
  search_options.strict = true;
  const std::vector<search::UrlParam> params{{"identifier", std::string(kSnapshotSystem) + "|"},
                                             {"date", "ge" + FormatInstant(since)},
                                             {"_sort", "date"}};
  Result<search::ParsedSearch> parsed =
      search::ParseSearch("MeasureReport", params, search_options);
  if (!parsed.ok()) return parsed.status();
  // subject -> snapshot second -> point; page by page (the reports' JSON is
  // never all in memory at once).
  std::map<std::string, std::map<std::int64_t, Point>> grouped;
  store::PageRequest page;
  page.count = 500;
  page.want_total = false;
  for (bool more = true; more; page.offset += page.count) {
    Result<store::SearchPage> got = store_.Search(parsed->query, page);
    if (!got.ok()) return got.status();
    more = got->has_more;
    for (const store::Hit& h : got->hits) {
      Result<json::Document> doc = json::Parse(h.json);
      if (!doc.ok()) return Internal("MeasureReport/" + h.id + " as stored does not parse");
      const json::Value* date = doc->root().Find("date");
      const std::int64_t snapshot = SnapshotSecond(doc->root());
      std::optional<std::string> subject = SnapshotSubject(doc->root());
      if (date == nullptr || !date->IsString() || snapshot < 0 || !subject) continue;
      Point& point = grouped[*subject][snapshot];
      if (point.time.empty() || date->text() < point.time) point.time = date->text();
      ReadReport(doc->root(), point);
    }
  }
  std::map<std::string, std::deque<TrendPoint>> loaded;
  for (const auto& [subject, by_second] : grouped) {
    std::deque<TrendPoint>& trend = loaded[subject];
    for (const auto& [second, point] : by_second) {
      Result<std::int64_t> ms = ParseInstant(point.time);
      trend.push_back(TrendPoint{ms.ok() ? *ms : second * 1000, PointJson(point)});
    }
    std::stable_sort(trend.begin(), trend.end(),
                     [](const TrendPoint& a, const TrendPoint& b) { return a.ms < b.ms; });
    while (trend.size() > options_.max_points) trend.pop_front();
  }
  std::lock_guard lock(points_mu_);
  points_ = std::move(loaded);
  return Status::Ok();
}

Result<std::size_t> CapacityHistory::Prune() {
  const std::int64_t cutoff = evaluator_.Now() - options_.retention_ms;
  {
    std::lock_guard lock(points_mu_);
    for (auto it = points_.begin(); it != points_.end();) {
      std::deque<TrendPoint>& trend = it->second;
      while (!trend.empty() && trend.front().ms < cutoff) trend.pop_front();
      it = trend.empty() ? points_.erase(it) : std::next(it);
    }
  }
  std::size_t removed = 0;
  for (;;) {
    Result<std::vector<store::Hit>> old =
        SearchAll(store_,
                  {{"identifier", std::string(kSnapshotSystem) + "|"},
                   {"date", "lt" + FormatInstant(cutoff)}},
                  /*limit=*/500);
    if (!old.ok()) return old.status();
    if (old->empty()) return removed;
    std::vector<store::WriteOp> batch;
    for (const store::Hit& h : *old) {
      store::WriteOp op;
      // Gone with every version: snapshots past retention must not grow the
      // database as tombstones and history rows.
      op.kind = store::WriteKind::kPurge;
      op.type = h.type;
      op.id = h.id;
      batch.push_back(std::move(op));
    }
    Result<std::vector<store::WriteResult>> written = store_.Write(std::move(batch));
    if (!written.ok()) return written.status();
    removed += old->size();
  }
}

Status CapacityHistory::Tick() {
  // No snapshot of a partial picture while the rollup loads (at each start).
  if (!view_.ready()) return Status::Ok();
  bool due = false;
  {
    std::lock_guard lock(mu_);
    due = last_snapshot_ms_ < 0 || evaluator_.Now() - last_snapshot_ms_ >= options_.interval_ms;
  }
  if (due) FE_RETURN_IF_ERROR(TakeSnapshot());
  Result<std::size_t> pruned = Prune();
  return pruned.ok() ? Status::Ok() : pruned.status();
}

Result<std::string> CapacityHistory::PointsJson(int hours, const std::string& subject) const {
  const std::int64_t max_hours = options_.retention_ms / 3'600'000;
  if (hours < 1 || hours > max_hours) {
    return InvalidArgument("hours must be between 1 and " + std::to_string(max_hours));
  }
  const std::int64_t since = evaluator_.Now() - static_cast<std::int64_t>(hours) * 3'600'000;
  std::string out = "{\"subject\":";
  log::AppendJsonString(out, subject);
  out += ",\"hours\":" + std::to_string(hours) + ",\"points\":[";
  {
    std::lock_guard lock(points_mu_);
    auto trend = points_.find(subject);
    bool first = true;
    if (trend != points_.end()) {
      for (const TrendPoint& p : trend->second) {
        if (p.ms < since) continue;
        if (!first) out += ',';
        first = false;
        out += p.json;
      }
    }
  }
  out += "]}";
  return out;
}

void CapacityHistory::Start() {
  std::lock_guard start_lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      if (Status s = Tick(); !s.ok()) {
        log::Write(log::Level::kWarning, "capacity history snapshot failed",
                   {{"error", s.message()}});
      }
      lock.lock();
      // Real time here: the interval is short against it, and Tick checks
      // due-ness with the injected clock.
      cv_.wait_for(lock,
                   std::chrono::milliseconds(std::min<std::int64_t>(options_.interval_ms, 60'000)),
                   [this] { return stopping_; });
    }
  });
}

void CapacityHistory::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CapacityHistoryEndpoint::Handle(rest::RestRequest request, rest::Responder responder) {
  rest::RestResponse r;
  r.content_type = "application/json";
  auto fail = [&](int status, const std::string& message) {
    rest::RestResponse error = rest::JsonErrorResponse(status, message);
    for (auto& header : r.headers) error.headers.push_back(std::move(header));
    responder.reply(std::move(error));
  };
  if (request.method != "GET" && request.method != "HEAD") {
    r.AddHeader("Allow", "GET, HEAD");
    return fail(405, "GET /capacity/history only");
  }
  Result<rest::RequestTarget> target = rest::ParseRequestTarget(request.target);
  if (!target.ok()) return fail(400, target.status().message());
  int hours = 24;
  if (const std::string* h = target->Find("hours")) {
    if (h->empty() || h->size() > 5 || h->find_first_not_of("0123456789") != std::string::npos) {
      return fail(400, "hours '" + *h + "' is not a whole number");
    }
    hours = std::stoi(*h);
  }
  std::string subject;
  if (const std::string* s = target->Find("subject")) {
    if (!s->starts_with("Organization/") || !rest::IsValidId(std::string_view(*s).substr(13))) {
      return fail(400, "subject must be Organization/{id}");
    }
    subject = *s;
  }
  Result<std::string> body = history_.PointsJson(hours, subject);
  if (!body.ok()) {
    return fail(body.status().code() == StatusCode::kInvalidArgument ? 400 : 500,
                body.status().message());
  }
  r.status = 200;
  r.body = std::move(body).value();
  responder.reply(std::move(r));
}

rest::RestResponse CapacityHistoryEndpoint::ProtocolError(int status,
                                                          std::string_view message) const {
  return rest::JsonErrorResponse(status, message);
}

}  // namespace fhirengine::capacity
