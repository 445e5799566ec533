// The fhir-rest cursor's JSON form and watermark bookkeeping (see fhir_rest_cursor.h).
//
// {"version":1,"types":{"Location":{
//   "full-sync-done":true,"watermark":"2026-11-23T10:00:00.000Z",
//   "search":{"next":"https://...","since":"...","max":"...","started":"..."},
//   "seen":{"17":["3","2026-11-23T10:00:00.000Z"]},
//   "deletes-watermark":"...","history":{...},"deletes-seen":{"9":"..."}}}}
#include "adapters/fhir_rest/fhir_rest_cursor.h"

#include <algorithm>
#include <span>
#include <vector>

#include "engine/core/log.h"
#include "engine/core/time_format.h"
#include "engine/json/json_parser.h"

namespace fhirengine::adapters::fhir_rest {
namespace {

void AppendInstant(std::string& out, std::string_view key, std::int64_t ms, bool& first) {
  out += first ? "" : ",";
  first = false;
  log::AppendJsonString(out, key);
  out += ':';
  log::AppendJsonString(out, FormatInstant(ms));
}

void AppendPass(std::string& out, std::string_view key, const SyncPass& pass, bool& first) {
  if (!pass.active) return;
  out += first ? "" : ",";
  first = false;
  log::AppendJsonString(out, key);
  out += ":{";
  bool inner_first = true;
  out += R"("next":)";
  log::AppendJsonString(out, pass.next);
  inner_first = false;
  if (pass.since_ms) AppendInstant(out, "since", *pass.since_ms, inner_first);
  if (pass.max_ms) AppendInstant(out, "max", *pass.max_ms, inner_first);
  if (pass.started_ms) AppendInstant(out, "started", *pass.started_ms, inner_first);
  out += '}';
}

Result<std::optional<std::int64_t>> InstantMember(const json::Value& object, std::string_view key,
                                                  std::string_view where) {
  const json::Value* v = object.Find(key);
  if (v == nullptr) return std::optional<std::int64_t>();
  if (!v->IsString())
    return InvalidArgument(std::string(where) + "." + std::string(key) + " is not a string");
  Result<std::int64_t> ms = ParseInstant(v->text());
  if (!ms.ok())
    return InvalidArgument(std::string(where) + "." + std::string(key) + ": " +
                           ms.status().message());
  return std::optional<std::int64_t>(*ms);
}

Status ReadPass(const json::Value& object, std::string_view key, std::string_view where,
                SyncPass& pass) {
  const json::Value* v = object.Find(key);
  if (v == nullptr) return Status::Ok();
  const std::string here = std::string(where) + "." + std::string(key);
  if (!v->IsObject()) return InvalidArgument(here + " is not an object");
  pass.active = true;
  const json::Value* next = v->Find("next");
  if (next != nullptr && next->IsString()) pass.next = std::string(next->text());
  Result<std::optional<std::int64_t>> since = InstantMember(*v, "since", here);
  if (!since.ok()) return since.status();
  Result<std::optional<std::int64_t>> max = InstantMember(*v, "max", here);
  if (!max.ok()) return max.status();
  Result<std::optional<std::int64_t>> started = InstantMember(*v, "started", here);
  if (!started.ok()) return started.status();
  pass.since_ms = *since;
  pass.max_ms = *max;
  pass.started_ms = *started;
  return Status::Ok();
}

template <typename Map, typename TimeOf>
void Prune(Map& map, std::int64_t floor_ms, TimeOf time_of) {
  std::erase_if(map, [&](const auto& kv) { return time_of(kv.second) < floor_ms; });
  if (map.size() <= kMaxSeenPerType) return;
  std::vector<std::int64_t> times;
  times.reserve(map.size());
  for (const auto& kv : map) times.push_back(time_of(kv.second));
  const std::size_t drop = map.size() - kMaxSeenPerType;
  std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(drop - 1),
                   times.end());
  const std::int64_t cut = times[drop - 1];
  std::size_t dropped = 0;
  std::erase_if(map, [&](const auto& kv) {
    if (dropped < drop && time_of(kv.second) <= cut) {
      ++dropped;
      return true;
    }
    return false;
  });
}

}  // namespace

std::string WriteCursor(const FhirRestCursor& cursor) {
  std::string out = R"({"version":1,"types":{)";
  bool first_type = true;
  for (const auto& [type, state] : cursor.types) {
    out += first_type ? "" : ",";
    first_type = false;
    log::AppendJsonString(out, type);
    out += ":{";
    out += state.full_sync_done ? R"("full-sync-done":true)" : R"("full-sync-done":false)";
    bool first = false;
    if (state.watermark_ms) AppendInstant(out, "watermark", *state.watermark_ms, first);
    AppendPass(out, "search", state.search, first);
    if (!state.seen.empty()) {
      out += R"(,"seen":{)";
      bool first_seen = true;
      for (const auto& [id, seen] : state.seen) {
        out += first_seen ? "" : ",";
        first_seen = false;
        log::AppendJsonString(out, id);
        out += ":[";
        log::AppendJsonString(out, seen.version_id);
        out += ',';
        log::AppendJsonString(out, FormatInstant(seen.last_updated_ms));
        out += ']';
      }
      out += '}';
    }
    if (state.deletes_watermark_ms) {
      AppendInstant(out, "deletes-watermark", *state.deletes_watermark_ms, first);
    }
    AppendPass(out, "history", state.history, first);
    if (!state.deletes_seen.empty()) {
      out += R"(,"deletes-seen":{)";
      bool first_seen = true;
      for (const auto& [id, ms] : state.deletes_seen) {
        out += first_seen ? "" : ",";
        first_seen = false;
        log::AppendJsonString(out, id);
        out += ':';
        log::AppendJsonString(out, FormatInstant(ms));
      }
      out += '}';
    }
    out += '}';
  }
  out += "}}";
  return out;
}

Result<FhirRestCursor> ParseCursor(std::string_view text) {
  FhirRestCursor cursor;
  if (text.empty()) return cursor;
  Result<json::Document> doc = json::Parse(text);
  if (!doc.ok()) return InvalidArgument("fhir-rest cursor: " + doc.status().message());
  const json::Value& root = doc->root();
  const json::Value* version = root.Find("version");
  if (version == nullptr || !version->IsNumber() || version->text() != "1") {
    return InvalidArgument("fhir-rest cursor: not version 1");
  }
  const json::Value* types = root.Find("types");
  if (types == nullptr || !types->IsObject()) {
    return InvalidArgument("fhir-rest cursor: \"types\" is not an object");
  }
  for (const json::Member& member : types->members()) {
    const std::string where = "fhir-rest cursor: types." + std::string(member.key);
    if (!member.value.IsObject()) return InvalidArgument(where + " is not an object");
    TypeSyncState state;
    const json::Value& v = member.value;
    if (const json::Value* done = v.Find("full-sync-done")) {
      state.full_sync_done = done->kind() == json::Kind::kTrue;
    }
    Result<std::optional<std::int64_t>> watermark = InstantMember(v, "watermark", where);
    if (!watermark.ok()) return watermark.status();
    state.watermark_ms = *watermark;
    Result<std::optional<std::int64_t>> deletes = InstantMember(v, "deletes-watermark", where);
    if (!deletes.ok()) return deletes.status();
    state.deletes_watermark_ms = *deletes;
    FE_RETURN_IF_ERROR(ReadPass(v, "search", where, state.search));
    FE_RETURN_IF_ERROR(ReadPass(v, "history", where, state.history));
    if (const json::Value* seen = v.Find("seen")) {
      for (const json::Member& s : seen->members()) {
        const std::span<const json::Value> pair = s.value.elements();
        if (pair.size() != 2 || !pair.front().IsString() || !pair.back().IsString()) {
          return InvalidArgument(where + ".seen." + std::string(s.key) +
                                 " is not [versionId, instant]");
        }
        Result<std::int64_t> ms = ParseInstant(pair.back().text());
        if (!ms.ok()) return InvalidArgument(where + ".seen: " + ms.status().message());
        state.seen.emplace(std::string(s.key), SeenVersion{std::string(pair.front().text()), *ms});
      }
    }
    if (const json::Value* seen = v.Find("deletes-seen")) {
      for (const json::Member& s : seen->members()) {
        if (!s.value.IsString()) return InvalidArgument(where + ".deletes-seen is malformed");
        Result<std::int64_t> ms = ParseInstant(s.value.text());
        if (!ms.ok()) return InvalidArgument(where + ".deletes-seen: " + ms.status().message());
        state.deletes_seen.emplace(std::string(s.key), *ms);
      }
    }
    cursor.types.emplace(std::string(member.key), std::move(state));
  }
  return cursor;
}

bool TakeIfNew(TypeSyncState& state, const std::string& id, std::string_view version_id,
               std::optional<std::int64_t> last_updated_ms) {
  if (version_id.empty() && !last_updated_ms) return true;
  const std::int64_t ms = last_updated_ms.value_or(0);
  auto it = state.seen.find(id);
  if (it != state.seen.end()) {
    if (it->second.version_id == version_id && it->second.last_updated_ms == ms) return false;
    it->second = SeenVersion{std::string(version_id), ms};
    return true;
  }
  state.seen.emplace(id, SeenVersion{std::string(version_id), ms});
  return true;
}

void CompleteSearchPass(TypeSyncState& state, std::int64_t overlap_ms) {
  const bool was_full = !state.full_sync_done;
  std::optional<std::int64_t> next = state.search.max_ms;
  // Never past the pass's start, full or incremental: a resource changed
  // after the pass paged over it (its new lastUpdated below a later change
  // seen on a further page) is then read by the next pass; what that pass
  // reads again is filtered out by the seen set.
  if (next && state.search.started_ms) next = std::min(*next, *state.search.started_ms);
  if (was_full && !next) next = state.search.started_ms;
  if (next && (!state.watermark_ms || *next > *state.watermark_ms)) state.watermark_ms = next;
  if (was_full) {
    state.full_sync_done = true;
    // Deletions are looked for from the moment the full sync began.
    if (!state.deletes_watermark_ms) state.deletes_watermark_ms = state.search.started_ms;
  }
  state.search = SyncPass{};
  if (state.watermark_ms) {
    Prune(state.seen, *state.watermark_ms - overlap_ms,
          [](const SeenVersion& s) { return s.last_updated_ms; });
  }
}

void CompleteHistoryPass(TypeSyncState& state, std::int64_t overlap_ms) {
  const std::optional<std::int64_t> max = state.history.max_ms;
  if (max && (!state.deletes_watermark_ms || *max > *state.deletes_watermark_ms)) {
    state.deletes_watermark_ms = max;
  }
  state.history = SyncPass{};
  if (state.deletes_watermark_ms) {
    Prune(state.deletes_seen, *state.deletes_watermark_ms - overlap_ms,
          [](std::int64_t ms) { return ms; });
  }
}

}  // namespace fhirengine::adapters::fhir_rest
