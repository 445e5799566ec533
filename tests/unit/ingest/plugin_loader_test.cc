// The plugin loader's refusals name the file and say why (loading a real
// plugin is in tests/integration/adapters_test.cc); the batch codec both
// ways.
#include "engine/ingest/plugin_loader.h"

#include <gtest/gtest.h>

#include "adapters/api/plugin_batch_codec.h"

namespace fhirengine::ingest {
namespace {

TEST(PluginLoaderTest, AMissingFileIsNamed) {
  Result<adapters::AdapterType> type = LoadAdapterPlugin("/nonexistent/libx.so");
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(type.status().message().starts_with("/nonexistent/libx.so: cannot load the plugin"))
      << type.status().message();
}

TEST(PluginLoaderTest, ALibraryWithoutTheEntryPointIsRefused) {
  // zlib: a real shared library, but no adapter plugin.
  Result<adapters::AdapterType> type = LoadAdapterPlugin("/lib/x86_64-linux-gnu/libz.so.1");
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.status().message(),
            "/lib/x86_64-linux-gnu/libz.so.1: not an adapter plugin for ABI version 1 (no "
            "fhir_engine_adapter_plugin_v1)");
}

TEST(PluginBatchCodecTest, BatchesRoundTrip) {
  adapters::SourceBatch batch;
  adapters::SourceRecord row;
  row.format = adapters::RecordFormat::kCsvRow;
  row.columns = {"a", "b"};
  row.fields = {"1", ""};
  row.key = "k";
  row.locator = "f.csv:2";
  row.source_time_ms = 1'700'000'000'000;
  batch.records.push_back(row);
  batch.rejected.push_back({"f.csv:3", "unterminated quote", "\"x"});
  batch.cursor = R"({"files":["f.csv"]})";
  Result<adapters::SourceBatch> back =
      adapters::plugin_codec::DecodeBatch(adapters::plugin_codec::EncodeBatch(batch));
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->records.size(), 1u);
  EXPECT_EQ(back->records[0].format, adapters::RecordFormat::kCsvRow);
  EXPECT_EQ(back->records[0].fields, row.fields);
  EXPECT_EQ(back->records[0].source_time_ms, row.source_time_ms);
  ASSERT_EQ(back->rejected.size(), 1u);
  EXPECT_EQ(back->rejected[0].raw, "\"x");
  EXPECT_EQ(back->cursor, batch.cursor);
  EXPECT_FALSE(adapters::plugin_codec::DecodeBatch(R"({"records":[{"format":"nope"}]})").ok());
}

}  // namespace
}  // namespace fhirengine::ingest
