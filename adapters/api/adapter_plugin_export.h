// Exports a C++ adapter type through the plugin C ABI (adapter_plugin.h),
// so an adapter written against adapter.h/registry.h can be built as a
// shared library. In exactly one source file of the plugin:
//
//   #include "adapters/api/adapter_plugin_export.h"
//   FHIR_ENGINE_EXPORT_ADAPTER_PLUGIN(fhirengine::adapters::ndjson_file::Type)
//
// where the argument is a function returning the AdapterType. Header-only;
// the plugin compiles the engine's json and core sources it uses itself.
#pragma once

#include <exception>
#include <memory>
#include <string>

#include "adapters/api/adapter_plugin.h"
#include "adapters/api/plugin_batch_codec.h"
#include "adapters/api/registry.h"
#include "engine/json/json_parser.h"

namespace fhirengine::adapters::plugin_export {

inline void AppendTo(void* ctx, const char* data, std::size_t size) {
  static_cast<std::string*>(ctx)->append(data, size);
}

// The engine's host callbacks as an AdapterContext, for one poll.
class HostContext final : public AdapterContext {
 public:
  HostContext(const std::string& name, const fe_adapter_host* host) : name_(name), host_(host) {}
  const std::string& name() const override { return name_; }
  std::string committed_cursor() const override {
    std::string cursor;
    host_->committed_cursor(host_->ctx, AppendTo, &cursor);
    return cursor;
  }
  Result<DeliveryReport> Deliver(SourceBatch batch) override {
    const std::string text = plugin_codec::EncodeBatch(batch);
    std::string answer;
    const std::int32_t code =
        host_->deliver(host_->ctx, text.data(), text.size(), AppendTo, &answer);
    if (code != 0) return Status(static_cast<StatusCode>(code), answer);
    return plugin_codec::DecodeReport(answer);
  }
  bool stopping() const override { return host_->stopping(host_->ctx) != 0; }
  bool SleepFor(std::chrono::milliseconds duration) override {
    return host_->sleep_for(host_->ctx, static_cast<std::int64_t>(duration.count())) != 0;
  }

 private:
  const std::string& name_;
  const fe_adapter_host* host_;
};

struct Instance {
  std::string name;
  json::Document settings;
  std::unique_ptr<Adapter> adapter;
};

struct Exported {
  AdapterType type;
  fe_adapter_plugin_v1 table{};
};

inline Exported& State() {
  static Exported exported;
  return exported;
}

inline std::int32_t Create(const char* settings_json, std::size_t settings_size, const char* name,
                           const char* config_dir, void** handle, fe_string_sink error,
                           void* error_ctx) {
  auto fail = [&](const Status& s) {
    error(error_ctx, s.message().data(), s.message().size());
    return static_cast<std::int32_t>(s.code());
  };
  try {
    auto instance = std::make_unique<Instance>();
    instance->name = name;
    Result<json::Document> settings = json::Parse(std::string_view(settings_json, settings_size));
    if (!settings.ok()) return fail(settings.status());
    instance->settings = std::move(settings).value();
    AdapterConfig config;
    config.name = name;
    config.type = State().type.name;
    config.settings = &instance->settings.root();
    config.config_dir = config_dir;
    Result<std::unique_ptr<Adapter>> adapter = State().type.create(config);
    if (!adapter.ok()) return fail(adapter.status());
    instance->adapter = std::move(adapter).value();
    *handle = instance.release();
    return 0;
  } catch (const std::exception& e) {  // nothing may unwind through the C ABI
    return fail(Internal(std::string("the plugin threw: ") + e.what()));
  } catch (...) {
    return fail(Internal("the plugin threw an exception of an unknown type"));
  }
}

inline void Poll(void* handle, const fe_adapter_host* host, fe_poll_outcome* outcome,
                 fe_string_sink message, void* message_ctx) {
  auto* instance = static_cast<Instance*>(handle);
  PollOutcome result;
  try {
    HostContext ctx(instance->name, host);
    result = instance->adapter->Poll(ctx);
  } catch (const std::exception& e) {
    result.status = Internal(std::string("the plugin threw: ") + e.what());
  } catch (...) {
    result.status = Internal("the plugin threw an exception of an unknown type");
  }
  outcome->status_code = static_cast<std::int32_t>(result.status.code());
  outcome->retry_after_ms =
      result.retry_after ? static_cast<std::int64_t>(result.retry_after->count()) : -1;
  outcome->more = result.more ? 1 : 0;
  if (!result.status.ok()) {
    message(message_ctx, result.status.message().data(), result.status.message().size());
  }
}

// Cancel has no way to report a failure: whatever it throws stops here.
inline void Cancel(void* handle) {
  try {
    static_cast<Instance*>(handle)->adapter->Cancel();
  } catch (...) {
  }
}
inline void Destroy(void* handle) { delete static_cast<Instance*>(handle); }

inline const fe_adapter_plugin_v1* Export(AdapterType (*make_type)()) {
  Exported& state = State();
  if (state.table.abi_version == 0) {
    state.type = make_type();
    state.table.abi_version = FHIR_ENGINE_ADAPTER_ABI_VERSION;
    state.table.type_name = state.type.name.c_str();
    state.table.settings_schema = state.type.settings_schema.c_str();
    state.table.create = Create;
    state.table.poll = Poll;
    state.table.cancel = Cancel;
    state.table.destroy = Destroy;
  }
  return &state.table;
}

}  // namespace fhirengine::adapters::plugin_export

#define FHIR_ENGINE_EXPORT_ADAPTER_PLUGIN(make_type)                            \
  extern "C" __attribute__((visibility("default"))) const fe_adapter_plugin_v1* \
  fhir_engine_adapter_plugin_v1(void) {                                         \
    return ::fhirengine::adapters::plugin_export::Export(make_type);            \
  }
