// The fhir-rest cursor: JSON round trip, overlap de-duplication and the
// watermark moves at the end of each pass.
#include "adapters/fhir_rest/fhir_rest_cursor.h"

#include <gtest/gtest.h>

#include "engine/core/time_format.h"

namespace fhirengine::adapters::fhir_rest {
namespace {

std::int64_t T(const char* instant) { return *ParseInstant(instant); }

TEST(FhirRestCursor, RoundTripsThroughJson) {
  FhirRestCursor cursor;
  TypeSyncState& loc = cursor.types["Location"];
  loc.full_sync_done = true;
  loc.watermark_ms = T("2026-11-23T10:00:00.000Z");
  loc.search.active = true;
  loc.search.next = "https://ehr.test/fhir/Location?_count=2&_offset=2";
  loc.search.since_ms = T("2026-11-23T09:59:00.000Z");
  loc.search.max_ms = T("2026-11-23T10:00:05.000Z");
  loc.search.started_ms = T("2026-11-23T10:00:06.000Z");
  loc.seen["ward-\"1\""] = {"3", T("2026-11-23T09:59:30.000Z")};
  loc.deletes_watermark_ms = T("2026-11-23T09:00:00.000Z");
  loc.deletes_seen["bed-9"] = T("2026-11-23T09:30:00.000Z");
  cursor.types["Encounter"];  // a type that has not started

  const std::string text = WriteCursor(cursor);
  Result<FhirRestCursor> back = ParseCursor(text);
  ASSERT_TRUE(back.ok()) << back.status().message() << "\n" << text;
  EXPECT_EQ(WriteCursor(*back), text);
  const TypeSyncState& b = back->types.at("Location");
  EXPECT_TRUE(b.full_sync_done);
  EXPECT_EQ(b.watermark_ms, loc.watermark_ms);
  EXPECT_TRUE(b.search.active);
  EXPECT_EQ(b.search.next, loc.search.next);
  EXPECT_EQ(b.search.since_ms, loc.search.since_ms);
  EXPECT_EQ(b.search.started_ms, loc.search.started_ms);
  EXPECT_EQ(b.seen.at("ward-\"1\"").version_id, "3");
  EXPECT_EQ(b.deletes_seen.at("bed-9"), T("2026-11-23T09:30:00.000Z"));
  EXPECT_FALSE(back->types.at("Encounter").full_sync_done);
  EXPECT_FALSE(b.history.active);
}

TEST(FhirRestCursor, RejectsForeignText) {
  EXPECT_TRUE(ParseCursor("").ok());
  EXPECT_FALSE(ParseCursor("not json").ok());
  EXPECT_FALSE(ParseCursor(R"({"version":2,"types":{}})").ok());
  EXPECT_FALSE(ParseCursor(R"({"version":1,"types":{"Location":{"watermark":"noon"}}})").ok());
  EXPECT_FALSE(ParseCursor(R"({"version":1,"types":{"Location":{"seen":{"a":"1"}}}})").ok());
}

TEST(FhirRestCursor, DeliversEachVersionOnce) {
  TypeSyncState state;
  EXPECT_TRUE(TakeIfNew(state, "a", "1", T("2026-11-23T10:00:00.000Z")));
  EXPECT_FALSE(TakeIfNew(state, "a", "1", T("2026-11-23T10:00:00.000Z")));
  EXPECT_TRUE(TakeIfNew(state, "a", "2", T("2026-11-23T10:00:01.000Z")));
  EXPECT_FALSE(TakeIfNew(state, "a", "2", T("2026-11-23T10:00:01.000Z")));
  // Without version and time there is nothing to compare: always delivered.
  EXPECT_TRUE(TakeIfNew(state, "b", "", std::nullopt));
  EXPECT_TRUE(TakeIfNew(state, "b", "", std::nullopt));
}

TEST(FhirRestCursor, FullSyncWatermarkStopsAtItsStart) {
  TypeSyncState state;
  state.search.active = true;
  state.search.started_ms = T("2026-11-23T10:00:00.000Z");
  state.search.max_ms = T("2026-11-23T10:05:00.000Z");  // changed while the sync ran
  CompleteSearchPass(state, 60'000);
  EXPECT_TRUE(state.full_sync_done);
  EXPECT_EQ(state.watermark_ms, T("2026-11-23T10:00:00.000Z"));
  EXPECT_EQ(state.deletes_watermark_ms, T("2026-11-23T10:00:00.000Z"));
  EXPECT_FALSE(state.search.active);
}

TEST(FhirRestCursor, IncrementalPassMovesWatermarkAndPrunesSeen) {
  TypeSyncState state;
  state.full_sync_done = true;
  state.watermark_ms = T("2026-11-23T10:00:00.000Z");
  state.seen["old"] = {"1", T("2026-11-23T09:58:00.000Z")};
  state.seen["inside"] = {"1", T("2026-11-23T10:09:30.000Z")};
  state.search.active = true;
  state.search.max_ms = T("2026-11-23T10:10:00.000Z");
  CompleteSearchPass(state, 60'000);
  EXPECT_EQ(state.watermark_ms, T("2026-11-23T10:10:00.000Z"));
  EXPECT_EQ(state.seen.count("old"), 0u);
  EXPECT_EQ(state.seen.count("inside"), 1u);

  // An empty pass leaves the watermark where it was.
  state.search.active = true;
  CompleteSearchPass(state, 60'000);
  EXPECT_EQ(state.watermark_ms, T("2026-11-23T10:10:00.000Z"));
}

TEST(FhirRestCursor, SeenSetIsBounded) {
  TypeSyncState state;
  state.full_sync_done = true;
  for (std::size_t i = 0; i < kMaxSeenPerType + 100; ++i) {
    TakeIfNew(state, "r" + std::to_string(i), "1",
              T("2026-11-23T10:00:00.000Z") + static_cast<std::int64_t>(i));
  }
  state.search.active = true;
  state.search.max_ms = T("2026-11-23T10:00:00.000Z");
  CompleteSearchPass(state, 3'600'000);
  EXPECT_EQ(state.seen.size(), kMaxSeenPerType);
  EXPECT_EQ(state.seen.count("r0"), 0u);  // the oldest go first
  EXPECT_EQ(state.seen.count("r" + std::to_string(kMaxSeenPerType + 99)), 1u);
}

}  // namespace
}  // namespace fhirengine::adapters::fhir_rest
