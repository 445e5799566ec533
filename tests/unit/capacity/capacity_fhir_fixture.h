// A gtest fixture with the capacity picture's FHIR side on a real store:
// a FakeCapacityView, RegisterCapacityFhir with a fake clock (no history
// thread) and a FhirApi with its operations, called in-process with Get.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>

#include "engine/capacity/capacity_fhir.h"
#include "engine/rest/fhir_api.h"
#include "tests/unit/capacity/fake_capacity_view.h"
#include "tests/unit/store/temp_store_test.h"

namespace fhirengine::capacity {

class CapacityFhirTest : public store::TempStoreTest {
 protected:
  void SetUp() override {
    store::TempStoreTest::SetUp();
    CapacityFhirOptions options;
    options.now = [this] { return now_ms_ += advance_ms_; };
    options.start_history = false;
    options.history.interval_ms = 300'000;
    options.history.retention_ms = 2 * 86'400'000LL;
    Result<std::unique_ptr<CapacityFhir>> fhir =
        RegisterCapacityFhir(view_, *store_, operations_, options);
    ASSERT_TRUE(fhir.ok()) << fhir.status().ToString();
    fhir_ = std::move(fhir).value();
    rest::FhirApiOptions api_options{"http://fhir.test/fhir", "test"};
    api_options.operations = &operations_;
    api_ = std::make_unique<rest::FhirApi>(*store_, api_options);
  }
  void TearDown() override {
    api_.reset();
    fhir_.reset();
    store::TempStoreTest::TearDown();
  }
  rest::RestResponse Get(const std::string& target) {
    std::promise<rest::RestResponse> done;
    rest::RestRequest request;
    request.method = "GET";
    request.target = target;
    api_->Handle(std::move(request),
                 rest::Responder{[](std::function<void()> work) { work(); },
                                 [&done](rest::RestResponse r) { done.set_value(std::move(r)); }});
    return done.get_future().get();
  }

  std::int64_t now_ms_ = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
  std::int64_t advance_ms_ = 0;              // the clock advances so much on every read
  FakeCapacityView view_;
  rest::OperationRegistry operations_;
  std::unique_ptr<CapacityFhir> fhir_;
  std::unique_ptr<rest::FhirApi> api_;
};

}  // namespace fhirengine::capacity
