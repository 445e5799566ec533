// Opening a database written by an older engine: its search index is
// rebuilt from the stored resources in this engine's form, and without an
// indexer the database is refused rather than searched wrongly.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "engine/json/json_parser.h"
#include "engine/search/search_request.h"
#include "engine/store/resource_store.h"

namespace fhirengine::store {
namespace {

class SchemaUpgradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fe-upgrade-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "store.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static StoreOptions Options(const std::string& path, bool with_indexer) {
    StoreOptions options;
    options.path = path;
    options.durability = Durability::kNormal;
    if (with_indexer) {
      options.indexer = [](const std::string&,
                           const std::string& json) -> Result<std::vector<IndexRow>> {
        Result<json::Document> doc = json::Parse(json);
        if (!doc.ok()) return doc.status();
        return search::IndexRowsFor(doc->root());
      };
    }
    return options;
  }

  // Writes two Locations with this engine, then makes the file look like
  // schema 2: version 2 and an index in the old form (system as text),
  // holding nothing useful.
  void WriteOldDatabase() {
    {
      Result<std::unique_ptr<ResourceStore>> store = ResourceStore::Open(Options(path_, true));
      ASSERT_TRUE(store.ok()) << store.status().message();
      for (const char* id : {"ward-1", "ward-2"}) {
        WriteOp op;
        op.type = "Location";
        op.id = id;
        op.json =
            std::string(R"({"resourceType":"Location","id":")") + id +
            R"(","status":"active","physicalType":{"coding":[{"system":)"
            R"("http://terminology.hl7.org/CodeSystem/location-physical-type","code":"wa"}]}})";
        ASSERT_TRUE((*store)->Write({op}).ok());
      }
    }
    SQLite::Database db(path_, SQLite::OPEN_READWRITE);
    db.exec("DROP TABLE search_index");
    db.exec("CREATE TABLE search_index(rid INTEGER, pid INTEGER, system TEXT, value TEXT)");
    db.exec("UPDATE store_info SET value='2' WHERE key='schema_version'");
  }

  static SearchQuery PhysicalType(const std::string& code) {
    SearchQuery q;
    q.type = "Location";
    Clause c;
    c.param = "physical-type";
    c.any.push_back(RowMatch{{Compare{Column::kSystem, CompareOp::kEq,
                                      std::string("http://terminology.hl7.org/CodeSystem/"
                                                  "location-physical-type")},
                              Compare{Column::kValue, CompareOp::kEq, code}}});
    q.clauses.push_back(c);
    return q;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SchemaUpgradeTest, AnOlderIndexIsRebuiltOnOpen) {
  WriteOldDatabase();
  Result<std::unique_ptr<ResourceStore>> store = ResourceStore::Open(Options(path_, true));
  ASSERT_TRUE(store.ok()) << store.status().message();
  Result<SearchPage> page = (*store)->Search(PhysicalType("wa"), PageRequest{});
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(page->hits.size(), 2u);
  EXPECT_EQ(page->hits[0].id, "ward-1");
  EXPECT_EQ(page->hits[1].id, "ward-2");
  Result<SearchPage> none = (*store)->Search(PhysicalType("bd"), PageRequest{});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->hits.empty());
  store->reset();
  SQLite::Database db(path_, SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT value FROM store_info WHERE key='schema_version'").getString(),
            "4");
}

// 3 -> 4 adds the adapters' sync state and quarantine tables only: the
// index is kept as it is, so no indexer is needed.
TEST_F(SchemaUpgradeTest, VersionThreeGainsTheSyncTablesWithoutAnIndexRebuild) {
  {
    Result<std::unique_ptr<ResourceStore>> store = ResourceStore::Open(Options(path_, true));
    ASSERT_TRUE(store.ok());
  }
  {
    SQLite::Database db(path_, SQLite::OPEN_READWRITE);
    db.exec("DROP TABLE sync_state");
    db.exec("DROP TABLE quarantine");
    db.exec("UPDATE store_info SET value='3' WHERE key='schema_version'");
  }
  Result<std::unique_ptr<ResourceStore>> store = ResourceStore::Open(Options(path_, false));
  ASSERT_TRUE(store.ok()) << store.status().message();
  WriteOp cursor;
  cursor.kind = WriteKind::kSetCursor;
  cursor.adapter = "a";
  cursor.json = "{}";
  ASSERT_TRUE((*store)->Write({cursor}).ok());
  Result<std::optional<std::string>> read = (*store)->ReadCursor("a");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->value_or(""), "{}");
  store->reset();
  SQLite::Database db(path_, SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT value FROM store_info WHERE key='schema_version'").getString(),
            "4");
}

TEST_F(SchemaUpgradeTest, WithoutAnIndexerAnOlderDatabaseIsRefused) {
  WriteOldDatabase();
  Result<std::unique_ptr<ResourceStore>> store = ResourceStore::Open(Options(path_, false));
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("upgrading from schema version 2"), std::string::npos)
      << store.status().message();
}

}  // namespace
}  // namespace fhirengine::store
