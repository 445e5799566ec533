// The store's search SQL on a real SQLite file: resources written with
// their index rows (IndexRowsFor), then Search and Include — driving-clause
// choice, paging and totals, sorting, deletes, updates, rolled-back batches.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/json/json_parser.h"
#include "engine/search/search_request.h"
#include "engine/store/resource_store.h"

namespace fhirengine::store {
namespace {

std::string LocationJson(const std::string& id, const std::string& name,
                         const std::string& status = "active", const std::string& partof = "",
                         const std::string& organization = "") {
  std::string json = R"({"resourceType":"Location","id":")" + id + R"(","status":")" + status +
                     R"(","name":")" + name + R"(")";
  if (!partof.empty()) json += R"(,"partOf":{"reference":"Location/)" + partof + R"("})";
  if (!organization.empty()) {
    json += R"(,"managingOrganization":{"reference":"Organization/)" + organization + R"("})";
  }
  return json + "}";
}

std::string EncounterJson(const std::string& id, const std::string& location,
                          const std::string& start, const std::string& status = "in-progress") {
  return R"({"resourceType":"Encounter","id":")" + id + R"(","status":")" + status +
         R"(","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},)"
         R"("location":[{"location":{"reference":"Location/)" +
         location + R"("}}],"period":{"start":")" + start + R"("}})";
}

WriteOp Put(const std::string& type, const std::string& id, const std::string& json,
            std::optional<std::int64_t> expected = std::nullopt) {
  WriteOp op;
  op.type = type;
  op.id = id;
  op.json = json;
  op.expected_version = expected;
  Result<json::Document> doc = json::Parse(json);
  EXPECT_TRUE(doc.ok()) << json;
  if (doc.ok()) op.index = search::IndexRowsFor(doc->root());
  return op;
}

WriteOp Delete(const std::string& type, const std::string& id) {
  WriteOp op;
  op.kind = WriteKind::kDelete;
  op.type = type;
  op.id = id;
  return op;
}

class SearchSqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fe-search-sql-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    StoreOptions options;
    options.path = (dir_ / "store.db").string();
    options.durability = Durability::kNormal;
    Result<std::unique_ptr<ResourceStore>> opened = ResourceStore::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Write(std::vector<WriteOp> batch) {
    Result<std::vector<WriteResult>> written = store_->Write(std::move(batch));
    ASSERT_TRUE(written.ok()) << written.status().ToString();
  }

  static SearchQuery Query(const std::string& type, std::vector<search::UrlParam> params) {
    search::SearchOptions options;
    options.strict = true;
    Result<search::ParsedSearch> parsed = search::ParseSearch(type, params, options);
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    return parsed.ok() ? parsed->query : SearchQuery{};
  }

  // The ids of one page, in order.
  std::vector<std::string> Ids(const SearchQuery& query, std::size_t count = 1000,
                               std::size_t offset = 0) {
    PageRequest page;
    page.count = count;
    page.offset = offset;
    Result<SearchPage> found = store_->Search(query, page);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    std::vector<std::string> ids;
    if (found.ok()) {
      for (const Hit& h : found->hits) ids.push_back(h.id);
    }
    return ids;
  }
  std::vector<std::string> Ids(const std::string& type, std::vector<search::UrlParam> params) {
    return Ids(Query(type, std::move(params)));
  }

  std::filesystem::path dir_;
  std::unique_ptr<ResourceStore> store_;
};

using Strings = std::vector<std::string>;

TEST_F(SearchSqlTest, DriverChoiceDoesNotChangeResults) {
  // More active wards than the probe counts, so status=active cannot drive
  // and the type is scanned; partof=Location/site1 is selective and drives.
  std::vector<WriteOp> batch;
  batch.push_back(Put("Location", "site1", LocationJson("site1", "Site one")));
  batch.push_back(Put("Location", "site2", LocationJson("site2", "Site two")));
  for (int i = 0; i < 5200; ++i) {
    const std::string id = "w" + std::to_string(i);
    const std::string status = i % 7 == 0 ? "suspended" : "active";
    const std::string partof = i % 1000 == 1 ? "site1" : "site2";
    batch.push_back(Put("Location", id, LocationJson(id, "Ward " + id, status, partof)));
  }
  Write(std::move(batch));

  // w1001 is suspended (1001 = 7 * 143).
  const Strings expected = {"w1", "w2001", "w3001", "w4001", "w5001"};
  // Driven by search_index_value through partof.
  EXPECT_EQ(Ids("Location", {{"status", "active"}, {"partof", "Location/site1"}}), expected);
  EXPECT_EQ(Ids("Location", {{"partof", "Location/site1"}, {"status", "active"}}), expected);
  // No clause that can drive (:not and :missing never do): a scan of the
  // type. 743 of the 5200 wards are suspended; the sites have no partof.
  {
    PageRequest page;
    page.count = 1;
    Result<SearchPage> scan = store_->Search(
        Query("Location", {{"status:not", "suspended"}, {"partof:missing", "false"}}), page);
    ASSERT_TRUE(scan.ok()) << scan.status().ToString();
    EXPECT_EQ(scan->total.value_or(-1), 5200 - 743);
    ASSERT_EQ(scan->hits.size(), 1u);
    EXPECT_EQ(scan->hits[0].id, "w1");
  }
  // As a chain whose target query is selective, the chain drives.
  EXPECT_EQ(Ids("Location", {{"status", "active"}, {"partof._id", "site1"}}), expected);
  EXPECT_EQ(Ids("Location", {{"status", "active"}, {"partof.name", "site one"}}), expected);
  EXPECT_EQ(Ids("Location", {{"partof", "Location/site1"}}),
            (Strings{"w1", "w1001", "w2001", "w3001", "w4001", "w5001"}));
  EXPECT_EQ(Ids("Location", {{"partof", "Location/site1"}, {"status:not", "suspended"}}),
            (Strings{"w1", "w2001", "w3001", "w4001", "w5001"}));
  EXPECT_EQ(Ids("Location", {{"partof._id", "site1"}, {"status:not", "suspended"}}),
            (Strings{"w1", "w2001", "w3001", "w4001", "w5001"}));
  // A chain whose target matches too many to drive: the scan tests it.
  EXPECT_EQ(Ids("Location", {{"partof.status", "active"}, {"name", "ward w5001"}}),
            (Strings{"w5001"}));
  // A chain through a parameter no resource has, or to nothing.
  EXPECT_EQ(Ids("Encounter", {{"location.partof", "Location/site1"}}), Strings{});
  EXPECT_EQ(Ids("Location", {{"partof.partof._id", "site1"}}), Strings{});
  // OR alternatives in the driving clause.
  EXPECT_EQ(Ids("Location", {{"_id:not", "w1"}, {"name", "Ward w1001,Ward w2001"}}),
            (Strings{"w1001", "w2001"}));
}

TEST_F(SearchSqlTest, PagingReportsMoreAndTotal) {
  std::vector<WriteOp> batch;
  for (int i = 0; i < 7; ++i) {
    const std::string id = "p" + std::to_string(i);
    batch.push_back(Put("Location", id, LocationJson(id, "Ward")));
  }
  batch.push_back(Put("Location", "other", LocationJson("other", "Clinic")));
  Write(std::move(batch));
  const SearchQuery query = Query("Location", {{"name", "ward"}, {"_sort", "_id"}});
  Strings all;
  for (std::size_t offset = 0; offset < 9; offset += 3) {
    PageRequest page;
    page.count = 3;
    page.offset = offset;
    Result<SearchPage> found = store_->Search(query, page);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    ASSERT_TRUE(found->total.has_value());
    EXPECT_EQ(*found->total, 7);
    EXPECT_EQ(found->has_more, offset + 3 < 7) << offset;
    for (const Hit& h : found->hits) all.push_back(h.id);
  }
  EXPECT_EQ(all, (Strings{"p0", "p1", "p2", "p3", "p4", "p5", "p6"}));

  PageRequest no_total;
  no_total.count = 3;
  no_total.want_total = false;
  Result<SearchPage> found = store_->Search(query, no_total);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->total.has_value());
  EXPECT_TRUE(found->has_more);

  PageRequest count_only;
  count_only.count = 0;
  found = store_->Search(query, count_only);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->hits.empty());
  EXPECT_EQ(found->total.value_or(-1), 7);
}

TEST_F(SearchSqlTest, SortsAscendingDescendingAndByManyKeys) {
  Write({Put("Location", "a", LocationJson("a", "Bravo", "active")),
         Put("Location", "b", LocationJson("b", "Alpha", "suspended")),
         Put("Location", "c", LocationJson("c", "Charlie", "active")),
         Put("Location", "d", LocationJson("d", "Alpha", "active"))});
  EXPECT_EQ(Ids("Location", {{"_sort", "name"}}), (Strings{"b", "d", "a", "c"}));
  EXPECT_EQ(Ids("Location", {{"_sort", "-name"}}), (Strings{"c", "a", "b", "d"}));
  EXPECT_EQ(Ids("Location", {{"_sort", "status,-name"}}), (Strings{"c", "a", "d", "b"}));
  EXPECT_EQ(Ids("Location", {{"_sort", "name,-_id"}}), (Strings{"d", "b", "a", "c"}));
  EXPECT_EQ(Ids("Location", {{"_sort", "-_id"}}), (Strings{"d", "c", "b", "a"}));

  Write({Put("Encounter", "e1", EncounterJson("e1", "a", "2024-03-02")),
         Put("Encounter", "e2", EncounterJson("e2", "a", "2024-03-01T10:00:00Z")),
         Put("Encounter", "e3", EncounterJson("e3", "a", "2024-03-03"))});
  EXPECT_EQ(Ids("Encounter", {{"_sort", "date"}}), (Strings{"e2", "e1", "e3"}));
  EXPECT_EQ(Ids("Encounter", {{"_sort", "-date"}}), (Strings{"e3", "e1", "e2"}));
}

TEST_F(SearchSqlTest, DeletedResourcesAreNeverFound) {
  Write({Put("Location", "site", LocationJson("site", "Site")),
         Put("Location", "w1", LocationJson("w1", "Ward", "active", "site")),
         Put("Location", "w2", LocationJson("w2", "Ward", "active", "site")),
         Put("Encounter", "e1", EncounterJson("e1", "w1", "2024-03-01"))});
  Write({Delete("Location", "w1")});
  EXPECT_EQ(Ids("Location", {{"name", "ward"}}), (Strings{"w2"}));
  EXPECT_EQ(Ids("Location", {{"_id", "w1,w2"}}), (Strings{"w2"}));
  EXPECT_EQ(Ids("Location", {{"partof", "Location/site"}}), (Strings{"w2"}));
  EXPECT_EQ(Ids("Location", {}), (Strings{"site", "w2"}));
  EXPECT_EQ(Ids("", {{"_id", "w1"}}), Strings{});
  // Through a chain and a reverse chain the deleted ward is gone too.
  EXPECT_EQ(Ids("Encounter", {{"location.name", "ward"}}), Strings{});
  EXPECT_EQ(Ids("Location", {{"_has:Encounter:location:status", "in-progress"}}), Strings{});
  // And it is never included.
  PageRequest page;
  Result<SearchPage> encounters = store_->Search(Query("Encounter", {}), page);
  ASSERT_TRUE(encounters.ok());
  ASSERT_EQ(encounters->hits.size(), 1u);
  Result<std::vector<Hit>> included =
      store_->Include(encounters->hits, {{"Encounter", "location", "", false, false}}, 100);
  ASSERT_TRUE(included.ok());
  EXPECT_TRUE(included->empty());
  // A deleted Encounter no longer counts for _has either.
  Write(
      {Delete("Encounter", "e1"), Put("Encounter", "e2", EncounterJson("e2", "w2", "2024-03-01"))});
  Write({Delete("Encounter", "e2")});
  EXPECT_EQ(Ids("Location", {{"_has:Encounter:location:status", "in-progress"}}), Strings{});
}

TEST_F(SearchSqlTest, AnUpdateReplacesTheIndexRows) {
  Write({Put("Location", "w1", LocationJson("w1", "Old name", "active", "site1"))});
  Write({Put("Location", "w1", LocationJson("w1", "New name", "suspended", "site2"))});
  EXPECT_EQ(Ids("Location", {{"name", "old"}}), Strings{});
  EXPECT_EQ(Ids("Location", {{"status", "active"}}), Strings{});
  EXPECT_EQ(Ids("Location", {{"partof", "Location/site1"}}), Strings{});
  EXPECT_EQ(Ids("Location", {{"name", "new"}}), (Strings{"w1"}));
  EXPECT_EQ(Ids("Location", {{"status", "suspended"}}), (Strings{"w1"}));
  EXPECT_EQ(Ids("Location", {{"partof", "Location/site2"}}), (Strings{"w1"}));
  // A parameter the new content lacks is missing now.
  Write({Put("Location", "w1", LocationJson("w1", "New name"))});
  EXPECT_EQ(Ids("Location", {{"partof:missing", "true"}}), (Strings{"w1"}));
}

TEST_F(SearchSqlTest, ARolledBackBatchLeavesNoIndexRowsOrParameterIds) {
  Write({Put("Location", "w1", LocationJson("w1", "Ward"))});
  // The first Organization and Encounter ever: their parameters get new ids
  // in this batch, which then fails on a version conflict and rolls back.
  Result<std::vector<WriteResult>> failed = store_->Write(
      {Put("Organization", "o1", R"({"resourceType":"Organization","id":"o1","name":"Unit X"})"),
       Put("Encounter", "e1", EncounterJson("e1", "w1", "2024-03-01")),
       Put("Location", "w1", LocationJson("w1", "Renamed"), /*expected=*/7)});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Ids("Organization", {{"name", "unit"}}), Strings{});
  EXPECT_EQ(Ids("Encounter", {{"status", "in-progress"}}), Strings{});
  EXPECT_EQ(Ids("Location", {{"name", "renamed"}}), Strings{});
  EXPECT_EQ(Ids("Location", {{"name", "ward"}}), (Strings{"w1"}));

  // New parameters created now may take the numbers the rolled-back ones
  // had; a stale cached number would make one type's search find another's.
  Write(
      {Put("Patient", "p1", R"({"resourceType":"Patient","id":"p1","name":[{"family":"Unit"}]})"),
       Put("Group", "g1",
           R"({"resourceType":"Group","id":"g1","type":"person","actual":true,"name":"Unit Y"})")});
  EXPECT_EQ(Ids("Organization", {{"name", "unit"}}), Strings{});
  EXPECT_EQ(Ids("Encounter", {{"status", "in-progress"}}), Strings{});
  EXPECT_EQ(Ids("Patient", {{"name", "unit"}}), (Strings{"p1"}));
  EXPECT_EQ(Ids("Group", {{"actual", "true"}}), (Strings{"g1"}));

  // And the types of the failed batch index normally afterwards.
  Write({Put("Organization", "o1", R"({"resourceType":"Organization","id":"o1","name":"Unit X"})"),
         Put("Encounter", "e1", EncounterJson("e1", "w1", "2024-03-01"))});
  EXPECT_EQ(Ids("Organization", {{"name", "unit"}}), (Strings{"o1"}));
  EXPECT_EQ(Ids("Encounter", {{"location", "Location/w1"}}), (Strings{"e1"}));
}

TEST_F(SearchSqlTest, BatchesFoldedIntoOneTransactionRollBackAlone) {
  // Submitted together, the writer may fold them into one transaction; the
  // failing one must not take the other's index rows or ids with it.
  std::mutex mutex;
  std::condition_variable cv;
  int done = 0;
  Status first_status, second_status;
  store_->Submit(
      {Put("Organization", "o1", R"({"resourceType":"Organization","id":"o1","name":"Unit X"})")},
      [&](Result<std::vector<WriteResult>> r) {
        std::lock_guard lock(mutex);
        first_status = r.status();
        ++done;
        cv.notify_all();
      });
  store_->Submit({Put("Patient", "p1", R"({"resourceType":"Patient","id":"p1","active":true})"),
                  Put("Location", "nope", LocationJson("nope", "Nope"), /*expected=*/3)},
                 [&](Result<std::vector<WriteResult>> r) {
                   std::lock_guard lock(mutex);
                   second_status = r.status();
                   ++done;
                   cv.notify_all();
                 });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return done == 2; }));
  }
  EXPECT_TRUE(first_status.ok()) << first_status.ToString();
  EXPECT_FALSE(second_status.ok());
  EXPECT_EQ(Ids("Organization", {{"name", "unit"}}), (Strings{"o1"}));
  EXPECT_EQ(Ids("Patient", {{"active", "true"}}), Strings{});
  Write({Put("Patient", "p2", R"({"resourceType":"Patient","id":"p2","active":true})")});
  EXPECT_EQ(Ids("Patient", {{"active", "true"}}), (Strings{"p2"}));
  EXPECT_EQ(Ids("Organization", {{"name", "unit"}}), (Strings{"o1"}));
}

TEST_F(SearchSqlTest, ChainsReverseChainsAndSystemSearch) {
  Write(
      {Put("Organization", "org1",
           R"({"resourceType":"Organization","id":"org1","identifier":[{"system":"urn:oid:1.2","value":"SE1"}]})"),
       Put("Location", "site", LocationJson("site", "Site", "active", "", "org1")),
       Put("Location", "w1", LocationJson("w1", "Ward one", "active", "site")),
       Put("Location", "w2", LocationJson("w2", "Ward two", "active", "other")),
       Put("Encounter", "e1", EncounterJson("e1", "w1", "2024-03-01")),
       Put("Encounter", "e2", EncounterJson("e2", "w2", "2024-03-01", "finished"))});
  EXPECT_EQ(Ids("Encounter", {{"location.partof", "Location/site"}}), (Strings{"e1"}));
  EXPECT_EQ(Ids("Encounter", {{"location.partof.organization.identifier", "urn:oid:1.2|SE1"}}),
            (Strings{"e1"}));
  EXPECT_EQ(Ids("Location", {{"organization.identifier", "urn:oid:1.2|SE1"}}), (Strings{"site"}));
  EXPECT_EQ(Ids("Location", {{"_has:Encounter:location:status", "finished"}}), (Strings{"w2"}));
  EXPECT_EQ(Ids("Organization", {{"_has:Location:organization:_has:Location:partof:name", "ward"}}),
            (Strings{"org1"}));
  EXPECT_EQ(Ids("", {{"_type", "Encounter,Organization"}}), (Strings{"org1", "e1", "e2"}));
  EXPECT_EQ(Ids("", {{"_id", "w1,e2"}}), (Strings{"w1", "e2"}));
  EXPECT_EQ(Ids("", {{"_type", "Location"}, {"_id", "w1,e2"}}), (Strings{"w1"}));
}

TEST_F(SearchSqlTest, IncludeRevincludeAndIterate) {
  Write({Put("Location", "site", LocationJson("site", "Site")),
         Put("Location", "w1", LocationJson("w1", "Ward one", "active", "site")),
         Put("Location", "b1", LocationJson("b1", "Bed one", "active", "w1")),
         Put("Encounter", "e1", EncounterJson("e1", "b1", "2024-03-01"))});
  PageRequest page;
  Result<SearchPage> enc = store_->Search(Query("Encounter", {}), page);
  ASSERT_TRUE(enc.ok());
  auto ids = [](const std::vector<Hit>& hits) {
    std::set<std::string> out;
    for (const Hit& h : hits) out.insert(h.type + "/" + h.id);
    return out;
  };
  IncludeSpec location{"Encounter", "location", "", false, false};
  IncludeSpec partof_iterate{"Location", "partof", "", false, true};
  Result<std::vector<Hit>> inc = store_->Include(enc->hits, {location}, 100);
  ASSERT_TRUE(inc.ok());
  EXPECT_EQ(ids(*inc), (std::set<std::string>{"Location/b1"}));
  inc = store_->Include(enc->hits, {location, partof_iterate}, 100);
  ASSERT_TRUE(inc.ok());
  EXPECT_EQ(ids(*inc), (std::set<std::string>{"Location/b1", "Location/w1", "Location/site"}));
  EXPECT_EQ(store_->Include(enc->hits, {location, partof_iterate}, 2).status().code(),
            StatusCode::kResourceExhausted);

  Result<SearchPage> site = store_->Search(Query("Location", {{"_id", "site"}}), page);
  ASSERT_TRUE(site.ok());
  IncludeSpec children{"Location", "partof", "", true, true};
  IncludeSpec encounters{"Encounter", "location", "", true, false};
  inc = store_->Include(site->hits, {children}, 100);
  ASSERT_TRUE(inc.ok());
  EXPECT_EQ(ids(*inc), (std::set<std::string>{"Location/w1", "Location/b1"}));
  // Without :iterate the Encounter at the bed is only found from the matches.
  inc = store_->Include(site->hits, {children, encounters}, 100);
  ASSERT_TRUE(inc.ok());
  EXPECT_EQ(ids(*inc), (std::set<std::string>{"Location/w1", "Location/b1"}));
  encounters.iterate = true;
  inc = store_->Include(site->hits, {children, encounters}, 100);
  ASSERT_TRUE(inc.ok());
  EXPECT_EQ(ids(*inc), (std::set<std::string>{"Location/w1", "Location/b1", "Encounter/e1"}));
}

}  // namespace
}  // namespace fhirengine::store
