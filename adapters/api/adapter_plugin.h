/* The C ABI of adapter plugins: a shared library (.so) that exports
 * fhir_engine_adapter_plugin_v1() adds one adapter type to the engine
 * without rebuilding it (listed in the config's "plugins").
 *
 * Versioning: the entry point's name carries the major version; a plugin
 * built for another major version has no such symbol and is refused by
 * name. abi_version must equal FHIR_ENGINE_ADAPTER_ABI_VERSION.
 *
 * Strings cross the boundary as (pointer, size) pairs valid only during
 * the call; whatever one side hands back is written through a sink the
 * other side provides, so neither side frees the other's memory.
 *
 * Batches and reports are JSON text (see plugin_batch_codec.h):
 *   batch:  {"records": [{"format": "fhir-resource" | "fhir-delete" |
 *            "csv-row" | "xml-element" | "json-object", "payload": "...",
 *            "columns": [...], "fields": [...], "resource_type": "...",
 *            "resource_id": "...", "key": "...", "locator": "...",
 *            "source_time_ms": 0}],
 *           "rejected": [{"locator": "...", "reason": "...", "raw": "..."}],
 *           "cursor": "..."}
 *   report: {"stored": 0, "unchanged": 0, "deleted": 0, "quarantined": 0}
 * Status codes are the engine's StatusCode values (0 = OK, 1 = invalid
 * argument, 6 = unavailable, 8 = internal, 9 = I/O error...). */
#ifndef FHIR_ENGINE_ADAPTERS_API_ADAPTER_PLUGIN_H_
#define FHIR_ENGINE_ADAPTERS_API_ADAPTER_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FHIR_ENGINE_ADAPTER_ABI_VERSION 1u

/* Receives a string (not NUL-terminated) owned by the caller. */
typedef void (*fe_string_sink)(void* sink_ctx, const char* data, size_t size);

/* The engine's side, handed to every poll. All callbacks are thread-safe. */
typedef struct fe_adapter_host {
  void* ctx;
  /* Writes the cursor committed with the last acknowledged batch ("" before
   * the first) to `sink`. */
  void (*committed_cursor)(void* ctx, fe_string_sink sink, void* sink_ctx);
  /* Maps, validates and durably stores the batch (JSON text, see above) with
   * its cursor. Returns 0 and writes the report JSON to `sink`, or a
   * status code and writes the error message to `sink`. Blocks until
   * committed. */
  int32_t (*deliver)(void* ctx, const char* batch_json, size_t batch_size, fe_string_sink sink,
                     void* sink_ctx);
  /* Non-zero once the engine is stopping the adapter. */
  int32_t (*stopping)(void* ctx);
  /* Sleeps `ms` or until stopping; 0 when stopping. */
  int32_t (*sleep_for)(void* ctx, int64_t ms);
  /* level: 0 info, 1 warning, 2 error. Never pass secrets. */
  void (*log)(void* ctx, int32_t level, const char* message, size_t size);
} fe_adapter_host;

typedef struct fe_poll_outcome {
  int32_t status_code;    /* 0: the round succeeded */
  int64_t retry_after_ms; /* < 0: none; else the next poll waits at least this */
  int32_t more;           /* non-zero: poll again at once */
} fe_poll_outcome;

typedef struct fe_adapter_plugin_v1 {
  uint32_t abi_version;        /* FHIR_ENGINE_ADAPTER_ABI_VERSION */
  const char* type_name;       /* kebab-case, as in the config's "type" */
  const char* settings_schema; /* JSON Schema (draft-04) of "settings" */
  /* Creates an adapter from its settings (JSON object text), configured name
   * and the directory relative paths resolve against. Returns 0 and sets
   * *handle, or a status code and writes the reason to `error`. */
  int32_t (*create)(const char* settings_json, size_t settings_size, const char* name,
                    const char* config_dir, void** handle, fe_string_sink error, void* error_ctx);
  /* One round (see Adapter::Poll); a failed round writes its message to
   * `message`. */
  void (*poll)(void* handle, const fe_adapter_host* host, fe_poll_outcome* outcome,
               fe_string_sink message, void* message_ctx);
  /* Interrupts a poll in progress from another thread; idempotent. */
  void (*cancel)(void* handle);
  void (*destroy)(void* handle);
} fe_adapter_plugin_v1;

/* The one symbol a plugin exports. */
typedef const fe_adapter_plugin_v1* (*fe_adapter_plugin_v1_entry)(void);
#define FHIR_ENGINE_ADAPTER_PLUGIN_V1_SYMBOL "fhir_engine_adapter_plugin_v1"

#ifdef __cplusplus
}
#endif

#endif /* FHIR_ENGINE_ADAPTERS_API_ADAPTER_PLUGIN_H_ */
