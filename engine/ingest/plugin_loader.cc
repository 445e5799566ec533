// The plugin loader and the C++ face of a plugin's adapters (see
// plugin_loader.h and adapters/api/adapter_plugin.h).
#include "engine/ingest/plugin_loader.h"

#include <dlfcn.h>

#include <cstring>
#include <memory>

#include "adapters/api/adapter_plugin.h"
#include "adapters/api/plugin_batch_codec.h"
#include "engine/core/log.h"
#include "engine/json/json_writer.h"

namespace fhirengine::ingest {
namespace {

void AppendTo(void* ctx, const char* data, std::size_t size) {
  static_cast<std::string*>(ctx)->append(data, size);
}

StatusCode CodeFrom(std::int32_t code) {
  if (code <= 0 || code > static_cast<std::int32_t>(StatusCode::kIoError)) {
    return StatusCode::kInternal;
  }
  return static_cast<StatusCode>(code);
}

// The host callbacks over the engine's AdapterContext.
struct Host {
  static void CommittedCursor(void* ctx, fe_string_sink sink, void* sink_ctx) {
    const std::string cursor = static_cast<adapters::AdapterContext*>(ctx)->committed_cursor();
    sink(sink_ctx, cursor.data(), cursor.size());
  }
  static std::int32_t Deliver(void* ctx, const char* batch_json, std::size_t size,
                              fe_string_sink sink, void* sink_ctx) {
    Result<adapters::SourceBatch> batch =
        adapters::plugin_codec::DecodeBatch(std::string_view(batch_json, size));
    Result<adapters::DeliveryReport> report =
        batch.ok() ? static_cast<adapters::AdapterContext*>(ctx)->Deliver(std::move(batch).value())
                   : Result<adapters::DeliveryReport>(batch.status());
    if (!report.ok()) {
      sink(sink_ctx, report.status().message().data(), report.status().message().size());
      return static_cast<std::int32_t>(report.status().code());
    }
    const std::string text = adapters::plugin_codec::EncodeReport(*report);
    sink(sink_ctx, text.data(), text.size());
    return 0;
  }
  static std::int32_t Stopping(void* ctx) {
    return static_cast<adapters::AdapterContext*>(ctx)->stopping() ? 1 : 0;
  }
  static std::int32_t SleepFor(void* ctx, std::int64_t ms) {
    return static_cast<adapters::AdapterContext*>(ctx)->SleepFor(std::chrono::milliseconds(ms)) ? 1
                                                                                                : 0;
  }
  static void Log(void* ctx, std::int32_t level, const char* message, std::size_t size) {
    const log::Level l = level >= 2   ? log::Level::kError
                         : level == 1 ? log::Level::kWarning
                                      : log::Level::kInfo;
    log::Write(l, std::string_view(message, size),
               {{"adapter", static_cast<adapters::AdapterContext*>(ctx)->name()}});
  }
};

class PluginAdapter final : public adapters::Adapter {
 public:
  PluginAdapter(const fe_adapter_plugin_v1* table, void* handle) : table_(table), handle_(handle) {}
  ~PluginAdapter() override { table_->destroy(handle_); }
  PluginAdapter(const PluginAdapter&) = delete;
  PluginAdapter& operator=(const PluginAdapter&) = delete;

  adapters::PollOutcome Poll(adapters::AdapterContext& ctx) override {
    const fe_adapter_host host{&ctx,           Host::CommittedCursor, Host::Deliver,
                               Host::Stopping, Host::SleepFor,        Host::Log};
    fe_poll_outcome outcome{0, -1, 0};
    std::string message;
    table_->poll(handle_, &host, &outcome, AppendTo, &message);
    adapters::PollOutcome out;
    if (outcome.status_code != 0) out.status = Status(CodeFrom(outcome.status_code), message);
    if (outcome.retry_after_ms >= 0)
      out.retry_after = std::chrono::milliseconds(outcome.retry_after_ms);
    out.more = outcome.more != 0;
    return out;
  }
  void Cancel() override { table_->cancel(handle_); }

 private:
  const fe_adapter_plugin_v1* table_;
  void* handle_;
};

}  // namespace

Result<adapters::AdapterType> LoadAdapterPlugin(const std::string& path) {
  void* library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = ::dlerror();
    return NotFound(path + ": cannot load the plugin: " + (why != nullptr ? why : "unknown error"));
  }
  void* symbol = ::dlsym(library, FHIR_ENGINE_ADAPTER_PLUGIN_V1_SYMBOL);
  if (symbol == nullptr) {
    ::dlclose(library);
    return NotFound(path + ": not an adapter plugin for ABI version 1 (no " +
                    FHIR_ENGINE_ADAPTER_PLUGIN_V1_SYMBOL + ")");
  }
  // dlsym's void* to a function pointer: the one cast POSIX requires.
  fe_adapter_plugin_v1_entry entry = nullptr;
  static_assert(sizeof(entry) == sizeof(symbol));
  std::memcpy(&entry, &symbol, sizeof(entry));
  const fe_adapter_plugin_v1* table = entry();
  if (table == nullptr || table->abi_version != FHIR_ENGINE_ADAPTER_ABI_VERSION) {
    const unsigned found = table == nullptr ? 0u : table->abi_version;
    ::dlclose(library);
    return Status(StatusCode::kFailedPrecondition,
                  path + ": plugin ABI version " + std::to_string(found) + ", this engine speaks " +
                      std::to_string(FHIR_ENGINE_ADAPTER_ABI_VERSION));
  }
  if (table->type_name == nullptr || table->type_name[0] == '\0' ||
      table->settings_schema == nullptr || table->create == nullptr || table->poll == nullptr ||
      table->cancel == nullptr || table->destroy == nullptr) {
    ::dlclose(library);
    return InvalidArgument(path +
                           ": the plugin's table is incomplete (type name, schema, functions)");
  }
  adapters::AdapterType type;
  type.name = table->type_name;
  type.settings_schema = table->settings_schema;
  type.create =
      [table,
       path](const adapters::AdapterConfig& config) -> Result<std::unique_ptr<adapters::Adapter>> {
    const std::string settings = json::Write(*config.settings);
    void* handle = nullptr;
    std::string error;
    const std::int32_t code = table->create(settings.data(), settings.size(), config.name.c_str(),
                                            config.config_dir.c_str(), &handle, AppendTo, &error);
    if (code != 0) return Status(CodeFrom(code), error);
    if (handle == nullptr) return Internal(path + ": the plugin created no adapter");
    return std::unique_ptr<adapters::Adapter>(new PluginAdapter(table, handle));
  };
  return type;
}

}  // namespace fhirengine::ingest
