// The ndjson-file adapter: reads *.ndjson files (one FHIR R4 resource per
// line, as the FHIR Bulk Data export writes them) from a folder, in name
// order, each file once. Built as a plugin (a shared library loaded from
// the config's "plugins") to prove the plugin ABI.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "adapters/api/registry.h"

namespace fhirengine::adapters::ndjson_file {

// Settings: {"folder": "drop/ndjson", "max-records-per-batch": 1000}.
struct Settings {
  std::filesystem::path folder;
  std::size_t max_records_per_batch = 1000;
};

class NdjsonFileAdapter final : public Adapter {
 public:
  // A line longer than this is quarantined, not read.
  static constexpr std::size_t kMaxLineBytes = 16u << 20;

  explicit NdjsonFileAdapter(Settings settings) : settings_(std::move(settings)) {}
  // Delivers every line of every file not yet processed (see the cursor in
  // the .cc), one batch per max-records-per-batch lines.
  PollOutcome Poll(AdapterContext& ctx) override;
  void Cancel() override { cancelled_ = true; }

 private:
  Settings settings_;
  std::atomic<bool> cancelled_{false};
};

// The type for the registry: "ndjson-file", its settings schema, factory.
AdapterType Type();

}  // namespace fhirengine::adapters::ndjson_file
