// The capacity rollup over a real temporary store: resources written through
// the store reach the rollup through the change feed (or the initial load),
// and the counts per region, organization, site, ward and category follow
// docs/capacity.md exactly: bed states, out-of-order hierarchies, moves,
// deletes, discharge-ready patients and source staleness on a fake clock.
#include "engine/capacity/capacity_rollup.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/capacity/capacity_index.h"
#include "engine/capacity/capacity_summary_json.h"
#include "engine/core/time_format.h"
#include "engine/json/json_parser.h"
#include "engine/search/search_request.h"
#include "tests/unit/store/temp_store_test.h"

namespace fhirengine::capacity {
namespace {

constexpr const char* kBase = "https://fhir-engine.example.org/fhir";

std::string SourceMeta(const std::string& source) {
  return source.empty() ? "" : R"("meta":{"source":"urn:fhir-engine:adapter:)" + source + R"("},)";
}

std::string Org(const std::string& id, const std::string& name, const std::string& kind) {
  return R"({"resourceType":"Organization","id":")" + id + R"(","name":")" + name +
         R"(","type":[{"coding":[{"system":")" + kBase +
         R"(/CodeSystem/organization-kind","code":")" + kind + R"("}]}]})";
}

// A site/ward/room: physical type `code`, partOf `parent` ("" none), managing org `org`.
std::string Place(const std::string& id, const std::string& code, const std::string& name,
                  const std::string& parent, const std::string& org = "") {
  std::string json =
      R"({"resourceType":"Location","id":")" + id + R"(","status":"active","name":")" + name +
      R"(","physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":")" +
      code + R"("}]})";
  if (!parent.empty()) json += R"(,"partOf":{"reference":"Location/)" + parent + R"("})";
  if (!org.empty())
    json += R"(,"managingOrganization":{"reference":"Organization/)" + org + R"("})";
  return json + "}";
}

struct BedSpec {
  std::string ward;
  std::string op = "U";  // "" for none
  std::string status = "active";
  std::string category = "general";  // "" for none
  std::string org;
  std::string source;
  std::string op_system = "http://terminology.hl7.org/CodeSystem/v2-0116";
};

std::string Bed(const std::string& id, const BedSpec& b) {
  std::string json = R"({"resourceType":"Location","id":")" + id + R"(",)" + SourceMeta(b.source);
  if (!b.category.empty()) {
    json += R"("extension":[{"url":")" + std::string(kBase) +
            R"(/StructureDefinition/bed-category","valueCodeableConcept":{"coding":[{"system":")" +
            kBase + R"(/CodeSystem/bed-category","code":")" + b.category + R"("}]}}],)";
  }
  if (!b.status.empty()) json += R"("status":")" + b.status + R"(",)";
  if (!b.op.empty()) {
    json += R"("operationalStatus":{"system":")" + b.op_system + R"(","code":")" + b.op + R"("},)";
  }
  json +=
      R"("name":")" + id +
      R"(","physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"bd"}]})";
  if (!b.ward.empty()) json += R"(,"partOf":{"reference":"Location/)" + b.ward + R"("})";
  if (!b.org.empty()) {
    json += R"(,"managingOrganization":{"reference":"Organization/)" + b.org + R"("})";
  }
  return json + "}";
}

struct EncounterSpec {
  std::string bed;
  std::string ready;  // discharge-ready valueDateTime, "" for none
  std::string status = "in-progress";
  std::string provider;
  std::string source;
};

std::string Encounter(const std::string& id, const EncounterSpec& e) {
  std::string json = R"({"resourceType":"Encounter","id":")" + id + R"(",)" + SourceMeta(e.source);
  if (!e.ready.empty()) {
    json += R"("extension":[{"url":")" + std::string(kBase) +
            R"(/StructureDefinition/discharge-ready","valueDateTime":")" + e.ready + R"("}],)";
  }
  json += R"("status":")" + e.status +
          R"(","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"})";
  if (!e.bed.empty()) {
    json += R"(,"location":[{"location":{"reference":"Location/old"},"status":"completed"},)"
            R"({"location":{"reference":"Location/)" +
            e.bed + R"("},"status":"active"}])";
  }
  if (!e.provider.empty()) {
    json += R"(,"serviceProvider":{"reference":"Organization/)" + e.provider + R"("})";
  }
  return json + "}";
}

BedCounts Counts(std::int64_t occupied, std::int64_t free, std::int64_t closed = 0,
                 std::int64_t housekeeping = 0, std::int64_t isolated = 0,
                 std::int64_t unknown = 0) {
  return BedCounts{occupied + free + closed + housekeeping + isolated + unknown,
                   occupied,
                   free,
                   closed,
                   housekeeping,
                   isolated,
                   unknown};
}

std::string Describe(const BedCounts& c) {
  return "total=" + std::to_string(c.total) + " occupied=" + std::to_string(c.occupied) +
         " free=" + std::to_string(c.free) + " closed=" + std::to_string(c.closed) +
         " housekeeping=" + std::to_string(c.housekeeping) +
         " isolated=" + std::to_string(c.isolated) + " unknown=" + std::to_string(c.unknown);
}

// "kind reference [name] beds" lines of the whole tree, depth-first.
void Outline(const CapacityNode& node, int depth, std::vector<std::string>& out) {
  static const char* kKinds[] = {"region", "organization", "site", "ward"};
  out.push_back(std::string(static_cast<std::size_t>(depth) * 2, ' ') +
                kKinds[static_cast<int>(node.kind)] + " " + node.reference + " [" + node.name +
                "] " + std::to_string(node.counts.beds.total) + (node.stale ? " stale" : ""));
  for (const CapacityNode& child : node.children) Outline(child, depth + 1, out);
}

class CapacityRollupTest : public store::TempStoreTest {
 protected:
  void TearDown() override {
    rollup_.reset();
    store::TempStoreTest::TearDown();
  }

  void StartRollup(std::size_t max_queued_bytes = 128u << 20) {
    RollupOptions options;
    options.max_queued_bytes = max_queued_bytes;
    options.now_ms = [this] { return now_ms_.load(); };
    options.sources = [this] {
      std::lock_guard lock(sources_mutex_);
      return sources_;
    };
    options.freshness_interval = std::chrono::milliseconds(5);
    options.load_page_size = 2;  // several pages even in small tests
    rollup_ = CapacityRollup::Start(*store_, options);
    Sync();
  }

  void Put(const std::string& type, const std::string& id, const std::string& json) {
    Result<json::Document> doc = json::Parse(json);
    ASSERT_TRUE(doc.ok()) << doc.status().ToString() << "\n" << json;
    store::WriteOp op;
    op.type = type;
    op.id = id;
    op.json = json;
    op.index = search::IndexRowsFor(doc->root());
    ASSERT_TRUE(store_->Write({op}).ok());
    Sync();
  }
  void Delete(const std::string& type, const std::string& id) {
    store::WriteOp op;
    op.kind = store::WriteKind::kDelete;
    op.type = type;
    op.id = id;
    ASSERT_TRUE(store_->Write({op}).ok());
    Sync();
  }
  void Sync() {
    if (rollup_) ASSERT_TRUE(rollup_->WaitIdleForTest(std::chrono::seconds(10)));
  }

  BedCounts BedsAt(const std::string& reference) {
    Result<CapacityNode> node = rollup_->Node(reference);
    if (!node.ok()) return BedCounts{-1, -1, -1, -1, -1, -1, -1};
    return node->counts.beds;
  }
  void ExpectReady(const std::string& reference, std::int64_t patients, double total, double max) {
    Result<CapacityNode> node = rollup_->Node(reference);
    ASSERT_TRUE(node.ok()) << reference;
    EXPECT_EQ(node->counts.discharge_ready.patients, patients) << reference;
    EXPECT_NEAR(node->counts.discharge_ready.wait_days_total, total, 1e-9) << reference;
    EXPECT_NEAR(node->counts.discharge_ready.wait_days_max, max, 1e-9) << reference;
  }
  std::vector<std::string> Tree() {
    std::vector<std::string> out;
    Outline(rollup_->Snapshot().region, 0, out);
    return out;
  }

  // A hospital with one site, two wards.
  void PutHospital() {
    Put("Organization", "h1", Org("h1", "Hospital One", "hospital"));
    Put("Location", "s1", Place("s1", "si", "Site One", "", "h1"));
    Put("Location", "w1", Place("w1", "wa", "Ward A", "s1"));
    Put("Location", "w2", Place("w2", "wa", "Ward B", "s1"));
  }

  std::atomic<std::int64_t> now_ms_{*ParseInstant("2026-11-24T08:00:00Z")};
  std::mutex sources_mutex_;
  std::vector<SourceStatus> sources_;
  std::unique_ptr<CapacityRollup> rollup_;
};

TEST_F(CapacityRollupTest, EveryBedStateRule) {
  StartRollup();
  PutHospital();
  Put("Location", "o", Bed("o", {.ward = "w1", .op = "O"}));
  Put("Location", "u", Bed("u", {.ward = "w1", .op = "U"}));
  // Suspended closes a bed whatever its 0116 code.
  Put("Location", "u-suspended",
      Bed("u-suspended", {.ward = "w1", .op = "U", .status = "suspended"}));
  Put("Location", "c", Bed("c", {.ward = "w1", .op = "C"}));
  Put("Location", "o-suspended",
      Bed("o-suspended", {.ward = "w1", .op = "O", .status = "suspended"}));
  Put("Location", "h", Bed("h", {.ward = "w1", .op = "H"}));
  Put("Location", "i", Bed("i", {.ward = "w1", .op = "I"}));
  Put("Location", "k", Bed("k", {.ward = "w1", .op = "K"}));
  Put("Location", "none", Bed("none", {.ward = "w1", .op = ""}));
  Put("Location", "x", Bed("x", {.ward = "w1", .op = "X"}));
  Put("Location", "other-system",
      Bed("other-system", {.ward = "w1", .op = "U", .op_system = "urn:local"}));
  // U is free only with status active.
  Put("Location", "u-no-status", Bed("u-no-status", {.ward = "w1", .op = "U", .status = ""}));
  // An inactive bed is no capacity at all.
  Put("Location", "gone", Bed("gone", {.ward = "w1", .op = "U", .status = "inactive"}));
  const BedCounts expected = Counts(1, 1, 3, 1, 2, 4);
  EXPECT_EQ(Describe(BedsAt("")), Describe(expected));
  EXPECT_EQ(Describe(BedsAt("Organization/h1")), Describe(expected));
  EXPECT_EQ(Describe(BedsAt("Location/s1")), Describe(expected));
  EXPECT_EQ(Describe(BedsAt("Location/w1")), Describe(expected));
  EXPECT_FALSE(rollup_->Node("Location/w2").ok());  // no beds: no node
  EXPECT_EQ(rollup_->Node("Location/w2").status().code(), StatusCode::kNotFound);
}

TEST_F(CapacityRollupTest, CountsByCategoryAndNamesTheHierarchy) {
  StartRollup();
  PutHospital();
  Put("Location", "b1", Bed("b1", {.ward = "w1", .op = "O", .category = "intensive-care"}));
  Put("Location", "b2", Bed("b2", {.ward = "w1", .op = "U", .category = "intensive-care"}));
  Put("Location", "b3", Bed("b3", {.ward = "w2", .op = "U", .category = "general"}));
  Put("Location", "b4", Bed("b4", {.ward = "w2", .op = "H", .category = ""}));
  CapacitySnapshot snap = rollup_->Snapshot();
  ASSERT_EQ(snap.region.counts.by_category.size(), 3u);
  EXPECT_EQ(snap.region.counts.by_category.at("intensive-care"), Counts(1, 1));
  EXPECT_EQ(snap.region.counts.by_category.at("general"), Counts(0, 1));
  EXPECT_EQ(snap.region.counts.by_category.at("unknown"), Counts(0, 0, 0, 1));
  Result<CapacityNode> w2 = rollup_->Node("Location/w2");
  ASSERT_TRUE(w2.ok());
  EXPECT_EQ(w2->counts.by_category.count("intensive-care"), 0u);
  EXPECT_EQ(Tree(), (std::vector<std::string>{
                        "region  [Region] 4", "  organization Organization/h1 [Hospital One] 4",
                        "    site Location/s1 [Site One] 4", "      ward Location/w1 [Ward A] 2",
                        "      ward Location/w2 [Ward B] 2"}));
  ASSERT_EQ(snap.region.children.size(), 1u);
  EXPECT_EQ(snap.region.children[0].organization_kind, "hospital");
}

TEST_F(CapacityRollupTest, BedBeforeItsWardAndWardBeforeItsSite) {
  StartRollup();
  Put("Location", "b1", Bed("b1", {.ward = "w1", .op = "O"}));
  EXPECT_EQ(Tree(), (std::vector<std::string>{
                        "region  [Region] 1", "  organization unplaced [Unplaced] 1",
                        "    site unplaced [Unplaced] 1", "      ward unplaced [Unplaced] 1"}));
  Put("Location", "w1", Place("w1", "wa", "Ward A", "s1", "h1"));
  EXPECT_EQ(Tree(), (std::vector<std::string>{
                        "region  [Region] 1", "  organization Organization/h1 [Organization/h1] 1",
                        "    site unplaced [Unplaced] 1", "      ward Location/w1 [Ward A] 1"}));
  Put("Location", "s1", Place("s1", "si", "Site One", ""));
  Put("Organization", "h1", Org("h1", "Hospital One", "hospital"));
  EXPECT_EQ(Tree(), (std::vector<std::string>{
                        "region  [Region] 1", "  organization Organization/h1 [Hospital One] 1",
                        "    site Location/s1 [Site One] 1", "      ward Location/w1 [Ward A] 1"}));
}

TEST_F(CapacityRollupTest, OrganizationFromBedThenWardThenSiteAndRoomsAreSkipped) {
  StartRollup();
  Put("Location", "s1", Place("s1", "si", "Site", "", "site-org"));
  Put("Location", "w1", Place("w1", "wa", "Ward", "s1"));
  Put("Location", "w2", Place("w2", "wa", "Ward 2", "s1", "ward-org"));
  Put("Location", "r1", Place("r1", "ro", "Room", "w2"));
  Put("Location", "b1", Bed("b1", {.ward = "w1"}));
  Put("Location", "b2", Bed("b2", {.ward = "r1"}));
  Put("Location", "b3", Bed("b3", {.ward = "r1", .org = "bed-org"}));
  EXPECT_EQ(BedsAt("Organization/site-org"), Counts(0, 1));
  EXPECT_EQ(BedsAt("Organization/ward-org"), Counts(0, 1));
  EXPECT_EQ(BedsAt("Organization/bed-org"), Counts(0, 1));
  // A Location under several organizations is the sum of its occurrences:
  // w2 holds b2 (ward-org) and b3 (bed-org); s1 all three.
  EXPECT_EQ(BedsAt("Location/w2"), Counts(0, 2));
  EXPECT_EQ(BedsAt("Location/s1"), Counts(0, 3));
  // A loop in partOf breaks the chain; the bed still counts, unplaced.
  Put("Location", "la", Place("la", "ro", "Loop A", "lb"));
  Put("Location", "lb", Place("lb", "ro", "Loop B", "la"));
  Put("Location", "b4", Bed("b4", {.ward = "la", .op = "O"}));
  EXPECT_EQ(BedsAt(""), Counts(1, 3));
  EXPECT_EQ(BedsAt("unplaced"), (BedCounts{-1, -1, -1, -1, -1, -1, -1}));  // never a subject
  const CapacityNode region = rollup_->Snapshot().region;
  const auto unplaced =
      std::find_if(region.children.begin(), region.children.end(),
                   [](const CapacityNode& n) { return n.reference == kUnplaced; });
  ASSERT_NE(unplaced, region.children.end());
  EXPECT_EQ(unplaced->counts.beds, Counts(1, 0));
}

TEST_F(CapacityRollupTest, MovesStatusChangesAndDeletes) {
  StartRollup();
  PutHospital();
  Put("Location", "b1", Bed("b1", {.ward = "w1", .op = "U"}));
  Put("Location", "b2", Bed("b2", {.ward = "w1", .op = "O"}));
  EXPECT_EQ(BedsAt("Location/w1"), Counts(1, 1));
  // The bed moves to the other ward.
  Put("Location", "b1", Bed("b1", {.ward = "w2", .op = "U"}));
  EXPECT_EQ(BedsAt("Location/w1"), Counts(1, 0));
  EXPECT_EQ(BedsAt("Location/w2"), Counts(0, 1));
  // Its status changes.
  Put("Location", "b1", Bed("b1", {.ward = "w2", .op = "C"}));
  EXPECT_EQ(BedsAt("Location/w2"), Counts(0, 0, 1));
  EXPECT_EQ(BedsAt("Location/s1"), Counts(1, 0, 1));
  // A bed becomes inactive, then is deleted.
  Put("Location", "b2", Bed("b2", {.ward = "w1", .op = "O", .status = "inactive"}));
  EXPECT_FALSE(rollup_->Node("Location/w1").ok());
  Delete("Location", "b1");
  EXPECT_EQ(BedsAt(""), Counts(0, 0));
  EXPECT_TRUE(rollup_->Snapshot().region.children.empty());
  // A whole ward moves to another site: all its beds with it.
  Put("Location", "s2", Place("s2", "si", "Site Two", "", "h1"));
  Put("Location", "b3", Bed("b3", {.ward = "w1", .op = "O"}));
  Put("Location", "b4", Bed("b4", {.ward = "w1", .op = "U"}));
  Put("Location", "w1", Place("w1", "wa", "Ward A", "s2"));
  EXPECT_FALSE(rollup_->Node("Location/s1").ok());
  EXPECT_EQ(BedsAt("Location/s2"), Counts(1, 1));
  // Deleting the ward leaves its beds unplaced (still counted).
  Delete("Location", "w1");
  EXPECT_EQ(BedsAt(""), Counts(1, 1));
  EXPECT_EQ(Tree(), (std::vector<std::string>{
                        "region  [Region] 2", "  organization unplaced [Unplaced] 2",
                        "    site unplaced [Unplaced] 2", "      ward unplaced [Unplaced] 2"}));
}

TEST_F(CapacityRollupTest, DischargeReadyPatientsFollowTheirBed) {
  StartRollup();
  PutHospital();
  Put("Location", "b1", Bed("b1", {.ward = "w1", .op = "O"}));
  Put("Location", "b2", Bed("b2", {.ward = "w2", .op = "O"}));
  // Ready for 2 days (now is 2026-11-24T08:00Z).
  Put("Encounter", "e1", Encounter("e1", {.bed = "b1", .ready = "2026-11-22T08:00:00Z"}));
  // Not ready, or not in progress: not counted.
  Put("Encounter", "e2", Encounter("e2", {.bed = "b2"}));
  Put("Encounter", "e3",
      Encounter("e3", {.bed = "b2", .ready = "2026-11-20T08:00:00Z", .status = "finished"}));
  Result<CapacityNode> w1 = rollup_->Node("Location/w1");
  ASSERT_TRUE(w1.ok());
  EXPECT_EQ(w1->counts.discharge_ready, (DischargeReady{1, 2.0, 2.0}));
  EXPECT_EQ(rollup_->Node("Location/w2")->counts.discharge_ready, DischargeReady{});
  // e2 becomes ready (a date only: midnight UTC, 2 days 8 h ago); e1 moves to b2.
  Put("Encounter", "e2", Encounter("e2", {.bed = "b2", .ready = "2026-11-22"}));
  Put("Encounter", "e1", Encounter("e1", {.bed = "b2", .ready = "2026-11-22T08:00:00Z"}));
  EXPECT_EQ(rollup_->Node("Location/w1")->counts.discharge_ready, DischargeReady{});
  const double e2_days = 2.0 + 8.0 / 24.0;
  ExpectReady("Location/w2", 2, 2.0 + e2_days, e2_days);
  // The bed moves ward: the patients move with it.
  Put("Location", "b2", Bed("b2", {.ward = "w1", .op = "O"}));
  EXPECT_EQ(rollup_->Node("Location/w1")->counts.discharge_ready.patients, 2);
  // Time passes: the waits grow.
  now_ms_ += 86'400'000;
  ExpectReady("", 2, 4.0 + e2_days, e2_days + 1.0);
  // Readiness withdrawn, then the encounter finished.
  Put("Encounter", "e1", Encounter("e1", {.bed = "b2"}));
  EXPECT_EQ(rollup_->Node("")->counts.discharge_ready.patients, 1);
  Put("Encounter", "e2",
      Encounter("e2", {.bed = "b2", .ready = "2026-11-22", .status = "finished"}));
  EXPECT_EQ(rollup_->Node("")->counts.discharge_ready, DischargeReady{});
  // Ready in the future: counted, waiting 0 days, never negative.
  Put("Encounter", "e4", Encounter("e4", {.bed = "b1", .ready = "2026-12-01T00:00:00Z"}));
  EXPECT_EQ(rollup_->Node("")->counts.discharge_ready, (DischargeReady{1, 0.0, 0.0}));
  Delete("Encounter", "e4");
  EXPECT_EQ(rollup_->Node("")->counts.discharge_ready, DischargeReady{});
}

TEST_F(CapacityRollupTest, PatientInAnUnknownBedCountsAtItsServiceProviderUntilTheBedArrives) {
  StartRollup();
  Put("Encounter", "e1",
      Encounter("e1", {.bed = "b9", .ready = "2026-11-23T08:00:00Z", .provider = "h1"}));
  Result<CapacityNode> h1 = rollup_->Node("Organization/h1");
  ASSERT_TRUE(h1.ok());
  EXPECT_EQ(h1->counts.discharge_ready, (DischargeReady{1, 1.0, 1.0}));
  EXPECT_TRUE(h1->children.empty());
  Put("Location", "s1", Place("s1", "si", "Site", "", "h1"));
  Put("Location", "w1", Place("w1", "wa", "Ward", "s1"));
  Put("Location", "b9", Bed("b9", {.ward = "w1", .op = "O"}));
  EXPECT_EQ(rollup_->Node("Location/w1")->counts.discharge_ready.patients, 1);
  EXPECT_EQ(rollup_->Node("Organization/h1")->counts.discharge_ready.patients, 1);
  // The bed goes inactive: back to the organization only.
  Put("Location", "b9", Bed("b9", {.ward = "w1", .op = "O", .status = "inactive"}));
  EXPECT_FALSE(rollup_->Node("Location/w1").ok());
  EXPECT_EQ(rollup_->Node("Organization/h1")->counts.discharge_ready.patients, 1);
}

TEST_F(CapacityRollupTest, LoadsWhatTheStoreHeldBeforeItStarted) {
  PutHospital();
  for (int i = 0; i < 5; ++i) {
    const std::string id = "b" + std::to_string(i);
    Put("Location", id, Bed(id, {.ward = i < 3 ? "w1" : "w2", .op = i % 2 == 0 ? "O" : "U"}));
  }
  Put("Encounter", "e1", Encounter("e1", {.bed = "b0", .ready = "2026-11-23T08:00:00Z"}));
  Put("Encounter", "e2",
      Encounter("e2", {.bed = "b2", .ready = "2026-11-23T08:00:00Z", .status = "finished"}));
  StartRollup();
  EXPECT_TRUE(rollup_->ready());
  EXPECT_FALSE(rollup_->Snapshot().loading);
  EXPECT_EQ(BedsAt(""), Counts(3, 2));
  EXPECT_EQ(BedsAt("Location/w1"), Counts(2, 1));
  EXPECT_EQ(BedsAt("Location/w2"), Counts(1, 1));
  EXPECT_EQ(rollup_->Node("")->counts.discharge_ready.patients, 1);
  EXPECT_TRUE(rollup_->load_status().ok());
  EXPECT_EQ(rollup_->Node("Organization/h1")->name, "Hospital One");
}

TEST_F(CapacityRollupTest, AnOverflowingQueueIsReplacedByAReloadFromTheStore) {
  // Bounded by bytes: two beds' JSON fits, three at once do not.
  const std::size_t bound = 2 * Bed("b0", {.ward = "w1", .op = "O"}).size() + 300;
  ASSERT_GT(bound, Place("s1", "si", "Site One", "", "h1").size() + 600);
  ASSERT_GT(3 * Bed("b0", {.ward = "w1", .op = "O"}).size(), bound);
  StartRollup(bound);
  PutHospital();  // one change per write: within the bound
  const std::uint64_t before = rollup_->Snapshot().sequence;
  std::vector<store::WriteOp> beds;
  for (int i = 0; i < 3; ++i) {
    const std::string id = "b" + std::to_string(i);
    std::string json = Bed(id, {.ward = "w1", .op = i == 0 ? "O" : "U"});
    store::WriteOp op;
    op.type = "Location";
    op.id = id;
    op.json = json;
    op.index = search::IndexRowsFor(json::Parse(json)->root());
    beds.push_back(std::move(op));
  }
  ASSERT_TRUE(store_->Write(std::move(beds)).ok());  // three at once: over the bound
  Sync();
  EXPECT_TRUE(rollup_->ready());  // the previous picture was served during the reload
  EXPECT_GT(rollup_->Snapshot().sequence, before);
  EXPECT_EQ(BedsAt("Location/w1"), Counts(1, 2));
  EXPECT_EQ(rollup_->Node("Organization/h1")->name, "Hospital One");
}

TEST_F(CapacityRollupTest, RemembersVersionsOnlyOfWhatItHolds) {
  PutHospital();
  Put("Location", "b1", Bed("b1", {.ward = "w1", .op = "O"}));
  StartRollup();
  Put("Location", "b2", Bed("b2", {.ward = "w1"}));  // the first batch after the load
  const std::size_t held = 6;                        // h1, s1, w1, w2, b1, b2
  EXPECT_EQ(rollup_->RememberedVersionsForTest(), held);
  // Encounters that come and go through the feed leave nothing behind.
  for (int i = 0; i < 50; ++i) {
    const std::string id = "e" + std::to_string(i);
    Put("Encounter", id, Encounter(id, {.bed = "b1", .ready = "2026-11-23T08:00:00Z"}));
    EXPECT_EQ(rollup_->Node("")->counts.discharge_ready.patients, 1);
    Put("Encounter", id,
        Encounter(id, {.bed = "b1", .ready = "2026-11-23T08:00:00Z", .status = "finished"}));
    EXPECT_EQ(rollup_->Node("")->counts.discharge_ready.patients, 0);
  }
  Put("Location", "b3", Bed("b3", {.ward = "w2"}));
  Delete("Location", "b3");
  EXPECT_EQ(rollup_->RememberedVersionsForTest(), held);
  // Held resources keep their version check: an older version changes nothing.
  EXPECT_EQ(BedsAt("Location/w1"), Counts(1, 1));
  CapacityIndex index;
  EXPECT_TRUE(index.Apply("Location", "x", 2, false, Bed("x", {.ward = "w1", .op = "O"})));
  index.ForgetUnheldVersions();
  EXPECT_FALSE(index.Apply("Location", "x", 1, false, Bed("x", {.ward = "w1", .op = "U"})));
  EXPECT_EQ(index.remembered_versions(), 1u);
  EXPECT_TRUE(index.Apply("Location", "x", 3, true, ""));
  EXPECT_EQ(index.remembered_versions(), 0u);
  EXPECT_EQ(index.counted_beds(), 0u);
}

TEST_F(CapacityRollupTest, SourcesGoStaleWhenTimePassesAndListenersHear) {
  {
    std::lock_guard lock(sources_mutex_);
    sources_ = {{"ehr", "idle", now_ms_.load(), 60'000},
                {"kommun", "idle", now_ms_.load(), 600'000}};
  }
  StartRollup();
  PutHospital();
  Put("Location", "b1", Bed("b1", {.ward = "w1", .op = "O", .source = "ehr"}));
  Put("Location", "b2", Bed("b2", {.ward = "w2", .op = "U", .source = "kommun"}));
  CapacitySnapshot fresh = rollup_->Snapshot();
  EXPECT_FALSE(fresh.region.stale);
  EXPECT_EQ(fresh.region.sources, (std::vector<std::string>{"ehr", "kommun"}));
  EXPECT_EQ(rollup_->Node("Location/w1")->sources, (std::vector<std::string>{"ehr"}));
  std::atomic<std::uint64_t> heard{0};
  rollup_->AddListener([&heard](std::uint64_t sequence) { heard = sequence; });
  // 61 s without a poll of "ehr": no data changes, yet its nodes turn stale.
  now_ms_ += 61'000;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (heard.load() <= fresh.sequence && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_GT(heard.load(), fresh.sequence);
  CapacitySnapshot stale = rollup_->Snapshot();
  EXPECT_TRUE(stale.region.stale);
  EXPECT_TRUE(rollup_->Node("Location/w1")->stale);
  EXPECT_FALSE(rollup_->Node("Location/w2")->stale);
  ASSERT_EQ(stale.sources.size(), 2u);
  EXPECT_TRUE(stale.sources[0].stale);
  EXPECT_FALSE(stale.sources[1].stale);
  // A source in the data that no adapter is configured for is stale.
  Put("Location", "b3", Bed("b3", {.ward = "w2", .op = "U", .source = "retired"}));
  EXPECT_TRUE(rollup_->Node("Location/w2")->stale);
  EXPECT_EQ(rollup_->Snapshot().sources.back().name, "retired");
}

TEST_F(CapacityRollupTest, SummaryJsonIsTheDocumentedShape) {
  {
    std::lock_guard lock(sources_mutex_);
    sources_ = {{"ehr", "idle", now_ms_.load() - 2'500, 900'000},
                {"csv", "starting", std::nullopt, 900'000}};
  }
  StartRollup();
  PutHospital();
  Put("Location", "b1", Bed("b1", {.ward = "w1", .op = "O", .source = "ehr"}));
  Put("Encounter", "e1",
      Encounter("e1", {.bed = "b1", .ready = "2026-11-23T20:00:00Z", .source = "ehr"}));
  CapacitySnapshot snap = rollup_->Snapshot();
  const std::string beds =
      R"({"total":1,"occupied":1,"free":0,"closed":0,"housekeeping":0,"isolated":0,"unknown":0})";
  const std::string counts =
      R"("sources":["ehr"],"beds":)" + beds + R"(,"by_category":{"general":)" + beds +
      R"(},"discharge_ready":{"patients":1,"wait_days_total":0.5,"wait_days_max":0.5})";
  EXPECT_EQ(
      CapacitySummaryJson(snap),
      R"({"generated":"2026-11-24T08:00:00.000Z","sequence":)" + std::to_string(snap.sequence) +
          R"(,"region":{"reference":"","name":"Region","stale":false,)" + counts +
          R"(,"children":[{"kind":"organization","reference":"Organization/h1","name":"Hospital One","organization_kind":"hospital","stale":false,)" +
          counts +
          R"(,"children":[{"kind":"site","reference":"Location/s1","name":"Site One","stale":false,)" +
          counts +
          R"(,"children":[{"kind":"ward","reference":"Location/w1","name":"Ward A","stale":false,)" +
          counts + R"(}]}]}]},"sources":[)" +
          R"({"name":"csv","state":"starting","last_success":null,"age_s":null,"stale_after_s":900,"stale":true},)" +
          R"({"name":"ehr","state":"idle","last_success":"2026-11-24T07:59:57.500Z","age_s":2.5,"stale_after_s":900,"stale":false}]})");
}

}  // namespace
}  // namespace fhirengine::capacity
