// A gtest fixture with a real ResourceStore in a fresh temporary folder,
// reopened on demand (Open) to test what survives a restart.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "engine/store/resource_store.h"

namespace fhirengine::store {

class TempStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("fe-" + std::string(test->test_suite_name()) + "-" + std::to_string(::getpid()) + "-" +
            test->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // (Re)opens the store on dir_/store.db with the default options.
  void Open() {
    store_.reset();
    StoreOptions options;
    options.path = (dir_ / "store.db").string();
    Result<std::unique_ptr<ResourceStore>> opened = ResourceStore::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  std::filesystem::path dir_;
  std::unique_ptr<ResourceStore> store_;
};

}  // namespace fhirengine::store
