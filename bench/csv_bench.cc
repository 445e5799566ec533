// CSV ingest rate of the csv-file adapter, in rows per second: a generated
// 100,000-row municipal bed export (semicolons, some quoted fields, UTF-8
// with åäö) read by one Poll through the real drop folder (list, read,
// SHA-256, parse, build SourceRecords with keys and timestamps); the records
// go to a context that only counts them. Also the tokenizer alone.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "adapters/api/adapter.h"
#include "adapters/csv_file/csv_file_adapter.h"
#include "adapters/csv_file/csv_parser.h"
#include "engine/json/json_parser.h"

namespace fhirengine {
namespace {

constexpr int kRows = 100000;

std::string GenerateExport() {
  std::string csv = "enhet;plats;typ;status;uppdaterad;kommentar\n";
  static const char* kStatus[] = {"O", "U", "C", "H", "I", "K"};
  for (int i = 0; i < kRows; ++i) {
    csv += "KOMMUN-" + std::to_string(i % 15) + "-SÄBO-" + std::to_string(i / 40) + ";" +
           std::to_string(i % 40 + 1) + ";korttidsvård;" + kStatus[i % 6] + ";2026-11-23 " +
           (i % 24 < 10 ? "0" : "") + std::to_string(i % 24) + ":15;" +
           (i % 10 == 0 ? "\"städas; klar \"\"snart\"\"\"" : "ingen") + "\n";
  }
  return csv;
}

// Counts what is delivered; commits nothing (every Poll reads the file anew).
class CountingContext : public adapters::AdapterContext {
 public:
  const std::string& name() const override { return name_; }
  std::string committed_cursor() const override { return ""; }
  Result<adapters::DeliveryReport> Deliver(adapters::SourceBatch batch) override {
    rows += batch.records.size();
    rejected += batch.rejected.size();
    benchmark::DoNotOptimize(batch.records.data());
    return adapters::DeliveryReport{};
  }
  bool stopping() const override { return false; }
  bool SleepFor(std::chrono::milliseconds /*duration*/) override { return true; }

  std::uint64_t rows = 0;
  std::uint64_t rejected = 0;

 private:
  std::string name_ = "bench";
};

class ExportFolder {
 public:
  ExportFolder() {
    std::string templ = std::filesystem::temp_directory_path() / "fe-csv-bench-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) std::abort();
    path_ = templ;
    content_ = GenerateExport();
    std::ofstream(path_ / "beds.csv", std::ios::binary) << content_;
    std::filesystem::last_write_time(
        path_ / "beds.csv", std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
  }
  ~ExportFolder() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  const std::string& content() const { return content_; }

 private:
  std::filesystem::path path_;
  std::string content_;
};

const ExportFolder& Folder() {
  static const ExportFolder folder;
  return folder;
}

void BM_CsvFileAdapterPoll(benchmark::State& state) {
  const ExportFolder& folder = Folder();
  Result<json::Document> settings =
      json::Parse("{\"directory\": \"" + folder.path().string() +
                  "\", \"delimiter\": \";\", \"key-columns\": [\"enhet\", \"plats\"], "
                  "\"timestamp-column\": \"uppdaterad\", \"timestamp-format\": \"%Y-%m-%d %H:%M\", "
                  "\"timestamp-utc-offset\": \"+01:00\"}");
  if (!settings.ok()) std::abort();
  adapters::AdapterConfig config{"bench", "csv-file", &settings->root(), ""};
  std::uint64_t rows = 0;
  for (auto _ : state) {
    Result<std::unique_ptr<adapters::Adapter>> adapter = adapters::CreateCsvFileAdapter(config);
    if (!adapter.ok()) {
      state.SkipWithError(adapter.status().message().c_str());
      return;
    }
    CountingContext ctx;
    adapters::PollOutcome outcome = (*adapter)->Poll(ctx);
    if (!outcome.status.ok() || ctx.rows != kRows || ctx.rejected != 0) {
      state.SkipWithError("poll did not deliver every row");
      return;
    }
    rows += ctx.rows;
  }
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(folder.content().size()));
}
BENCHMARK(BM_CsvFileAdapterPoll)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CsvParserOnly(benchmark::State& state) {
  const std::string& text = Folder().content();
  std::uint64_t rows = 0;
  for (auto _ : state) {
    adapters::csv_file::CsvParseOptions options;
    options.delimiter = ';';
    adapters::csv_file::CsvParser parser(text, options);
    adapters::csv_file::CsvRecord record;
    while (parser.Next(record)) ++rows;
    benchmark::DoNotOptimize(record.fields.data());
  }
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_CsvParserOnly)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace fhirengine

BENCHMARK_MAIN();
