// Test doubles for the file adapters: the recording AdapterContext (from
// tests/support) and a temporary drop folder whose files can be aged.
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
#include "tests/support/recording_adapter_context.h"

namespace fhirengine::adapters::testing {

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
