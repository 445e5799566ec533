// The suite-wide engine of SharedEngineTest.
#include "tests/support/shared_engine.h"

#include <unistd.h>

#include <atomic>
#include <fstream>

namespace fhirengine::testing {

namespace fs = std::filesystem;

EngineProcess* SharedEngineTest::engine_ = nullptr;
fs::path* SharedEngineTest::dir_ = nullptr;
std::string* SharedEngineTest::start_error_ = nullptr;

fs::path MakeTempDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  fs::path dir = fs::temp_directory_path() / ("fe-test-" + std::to_string(::getpid()) + "-" + tag +
                                              "-" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void SharedEngineTest::StartEngine(const std::string& suite, const std::string& config_json) {
  dir_ = new fs::path(MakeTempDir(suite));
  const fs::path config = *dir_ / "config.json";
  std::ofstream(config) << config_json;
  std::string error;
  engine_ = EngineProcess::Start(FHIR_ENGINE_BINARY,
                                 {"serve", "--config", config.string(), "--port", "0", "--database",
                                  (*dir_ / "db").string()},
                                 error)
                .release();
  if (engine_ == nullptr) start_error_ = new std::string(error);
}

void SharedEngineTest::StopEngine() {
  if (engine_ != nullptr) {
    EXPECT_EQ(engine_->Stop(), 0) << "the engine must exit 0 on SIGTERM";
    delete engine_;
    engine_ = nullptr;
  }
  if (dir_ != nullptr) {
    fs::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }
  delete start_error_;
  start_error_ = nullptr;
}

void SharedEngineTest::SetUp() {
  ASSERT_NE(engine_, nullptr) << (start_error_ != nullptr ? *start_error_ : std::string());
}

}  // namespace fhirengine::testing
