// The ndjson-file adapter's plugin entry point: exports its AdapterType
// through the C ABI (adapters/api/adapter_plugin.h).
#include "adapters/api/adapter_plugin_export.h"
#include "adapters/ndjson_file/ndjson_file_adapter.h"

FHIR_ENGINE_EXPORT_ADAPTER_PLUGIN(fhirengine::adapters::ndjson_file::Type)
