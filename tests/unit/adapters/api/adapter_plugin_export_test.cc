// The plugin side of the adapter C ABI (adapter_plugin_export.h): nothing
// an adapter throws, of whatever type, may unwind through the extern "C"
// table into the engine (undefined behaviour, in practice std::terminate).
#include "adapters/api/adapter_plugin_export.h"

#include <gtest/gtest.h>

namespace fhirengine::adapters {
namespace {

class ThrowingAdapter final : public Adapter {
 public:
  PollOutcome Poll(AdapterContext&) override { throw 42; }
  void Cancel() override { throw 7; }
};

AdapterType ThrowingType() {
  AdapterType type;
  type.name = "throwing";
  type.settings_schema = R"({"type": "object"})";
  type.create = [](const AdapterConfig& config) -> Result<std::unique_ptr<Adapter>> {
    if (config.settings->Find("throw") != nullptr) throw 1;
    return std::unique_ptr<Adapter>(new ThrowingAdapter());
  };
  return type;
}

void Append(void* ctx, const char* data, std::size_t size) {
  static_cast<std::string*>(ctx)->append(data, size);
}

TEST(AdapterPluginExportTest, NoExceptionOfAnyTypeCrossesTheCAbi) {
  const fe_adapter_plugin_v1* table = plugin_export::Export(ThrowingType);
  std::string error;
  void* handle = nullptr;
  const std::string throwing = R"({"throw": true})";
  EXPECT_EQ(table->create(throwing.data(), throwing.size(), "t", "", &handle, Append, &error),
            static_cast<std::int32_t>(StatusCode::kInternal));
  EXPECT_NE(error.find("the plugin threw"), std::string::npos) << error;
  EXPECT_EQ(handle, nullptr);

  const std::string settings = "{}";
  error.clear();
  ASSERT_EQ(table->create(settings.data(), settings.size(), "t", "", &handle, Append, &error), 0)
      << error;
  fe_poll_outcome outcome{0, -1, 0};
  std::string message;
  table->poll(handle, /*host=*/nullptr, &outcome, Append, &message);
  EXPECT_EQ(outcome.status_code, static_cast<std::int32_t>(StatusCode::kInternal));
  EXPECT_NE(message.find("the plugin threw"), std::string::npos) << message;
  table->cancel(handle);  // throws inside: must not escape
  table->destroy(handle);
}

}  // namespace
}  // namespace fhirengine::adapters
