// Test doubles for the file adapters: an AdapterContext that records every
// delivered batch and commits its cursor (as the engine would once the batch
// is stored), and a temporary drop folder whose files can be aged.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "adapters/api/adapter.h"
#include "engine/json/json_parser.h"

namespace fhirengine::adapters::testing {

class RecordingContext : public AdapterContext {
 public:
  explicit RecordingContext(std::string cursor = "") : cursor_(std::move(cursor)) {}

  const std::string& name() const override { return name_; }
  std::string committed_cursor() const override { return cursor_; }
  Result<DeliveryReport> Deliver(SourceBatch batch) override {
    if (fail_deliveries > 0) {
      --fail_deliveries;
      return Status(StatusCode::kUnavailable, "store queue full (test)");
    }
    DeliveryReport report;
    report.stored = batch.records.size();
    report.quarantined = batch.rejected.size();
    cursor_ = batch.cursor;
    batches.push_back(std::move(batch));
    return report;
  }
  bool stopping() const override { return false; }
  bool SleepFor(std::chrono::milliseconds /*duration*/) override { return true; }

  std::vector<SourceRecord> Records() const {
    std::vector<SourceRecord> out;
    for (const SourceBatch& b : batches) out.insert(out.end(), b.records.begin(), b.records.end());
    return out;
  }
  std::vector<RejectedRecord> Rejected() const {
    std::vector<RejectedRecord> out;
    for (const SourceBatch& b : batches) {
      out.insert(out.end(), b.rejected.begin(), b.rejected.end());
    }
    return out;
  }
  // Forgets what was delivered (the committed cursor stays).
  void ClearBatches() { batches.clear(); }

  std::vector<SourceBatch> batches;
  int fail_deliveries = 0;

 private:
  std::string name_ = "municipal-beds";
  std::string cursor_;
};

class TempFolder {
 public:
  TempFolder() {
    std::string templ = std::filesystem::temp_directory_path() / "fe-drop-XXXXXX";
    FE_CHECK(mkdtemp(templ.data()) != nullptr);
    path_ = templ;
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `name` and dates it `age` in the past (an hour: settled).
  void Write(const std::string& name, const std::string& content,
             std::chrono::seconds age = std::chrono::hours(1)) const {
    {
      std::ofstream out(path_ / name, std::ios::binary | std::ios::trunc);
      out << content;
    }
    std::filesystem::last_write_time(path_ / name,
                                     std::filesystem::file_time_type::clock::now() - age);
  }

 private:
  std::filesystem::path path_;
};

// Parses settings JSON text for an AdapterConfig (kept alive by the caller).
inline json::Document SettingsDoc(const std::string& text) {
  Result<json::Document> doc = json::Parse(text);
  FE_CHECK(doc.ok());
  return std::move(doc).value();
}

}  // namespace fhirengine::adapters::testing
