// One real `fhir-engine serve` for a whole test suite: started on a free
// loopback port with a fresh database in its own temporary directory, and
// stopped with SIGTERM at the end (which must exit 0). Integration test
// fixtures derive from SharedEngineTest and call StartEngine/StopEngine from
// their SetUpTestSuite/TearDownTestSuite.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/engine_process.h"

namespace fhirengine::testing {

// A new empty directory under the system's temporary directory.
std::filesystem::path MakeTempDir(const std::string& tag);

class SharedEngineTest : public ::testing::Test {
 protected:
  // Starts FHIR_ENGINE_BINARY with `config_json` written to the suite's
  // directory, `--port 0` and `--database <dir>/db`.
  static void StartEngine(const std::string& suite, const std::string& config_json);
  static void StopEngine();
  // Fails the test at once when the engine did not start (and says why).
  void SetUp() override;

  static EngineProcess* engine_;
  static std::filesystem::path* dir_;
  static std::string* start_error_;
};

}  // namespace fhirengine::testing
