// The fhir-rest adapter's position, kept per resource type in the cursor the
// engine commits with each batch: the watermark (highest meta.lastUpdated
// taken over), the pass in progress (its next link, so a restart resumes),
// and the versions already delivered inside the overlap window, so
// steady-state polls deliver nothing that has not changed. JSON round trip
// plus the watermark/overlap bookkeeping. Not thread-safe (one adapter).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace fhirengine::adapters::fhir_rest {

// One walk through a paged search or history, from its first page to the
// page without `next`.
struct SyncPass {
  bool active = false;
  std::string next;                        // the page to fetch next; empty: the first
  std::optional<std::int64_t> since_ms;    // the lower bound asked for (incremental)
  std::optional<std::int64_t> max_ms;      // highest timestamp seen in this pass
  std::optional<std::int64_t> started_ms;  // the source's clock when the pass began
};

struct SeenVersion {
  std::string version_id;
  std::int64_t last_updated_ms = 0;
};

struct TypeSyncState {
  bool full_sync_done = false;
  std::optional<std::int64_t> watermark_ms;
  SyncPass search;
  // Resources delivered with lastUpdated inside [watermark - overlap, ...).
  std::map<std::string, SeenVersion, std::less<>> seen;
  // Deletions through _history (when enabled).
  std::optional<std::int64_t> deletes_watermark_ms;
  SyncPass history;
  std::map<std::string, std::int64_t, std::less<>> deletes_seen;  // id -> when deleted
};

struct FhirRestCursor {
  std::map<std::string, TypeSyncState, std::less<>> types;
};

// Bound on the de-duplication memory per type; beyond it the oldest entries
// go (those resources may then be delivered again, which is harmless).
inline constexpr std::size_t kMaxSeenPerType = 20'000;

// Compact JSON; deterministic for equal cursors.
std::string WriteCursor(const FhirRestCursor& cursor);
// Empty text gives an empty cursor. kInvalidArgument for text that is not a
// cursor this adapter wrote (the message says what is wrong).
Result<FhirRestCursor> ParseCursor(std::string_view text);

// Incremental de-duplication: true when `id` at `version_id`/`last_updated_ms`
// has not been delivered yet (and records it), false for a version seen
// before. Resources without a version and timestamp are always delivered.
bool TakeIfNew(TypeSyncState& state, const std::string& id, std::string_view version_id,
               std::optional<std::int64_t> last_updated_ms);

// Ends the search pass: the watermark moves to the pass's highest
// lastUpdated but no further than the time the pass began (so changes made
// while it ran are read again), and entries older than watermark - overlap
// leave the seen set.
void CompleteSearchPass(TypeSyncState& state, std::int64_t overlap_ms);
// The same for the history (deletes) pass.
void CompleteHistoryPass(TypeSyncState& state, std::int64_t overlap_ms);

}  // namespace fhirengine::adapters::fhir_rest
