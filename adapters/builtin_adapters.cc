// The adapter types compiled into the engine. Registration is explicit, one
// line per type (static initialisers would be dropped by the linker); a new
// built-in adapter adds its include and its line here. Adapters shipped as
// shared libraries are loaded from the config's "plugins" instead.
#include "adapters/api/registry.h"
#include "adapters/csv_file/csv_file_adapter.h"
#include "adapters/fhir_rest/fhir_rest_adapter.h"
#include "adapters/json_rest/json_rest_adapter.h"
#include "adapters/xml_file/xml_file_adapter.h"
#include "engine/core/check.h"

namespace fhirengine::adapters {

void RegisterBuiltinAdapters(AdapterRegistry& registry) {
  FE_CHECK(registry.Register(CsvFileAdapterType()).ok());
  FE_CHECK(registry.Register(XmlFileAdapterType()).ok());
  FE_CHECK(registry.Register(fhir_rest::FhirRestAdapterType()).ok());
  FE_CHECK(registry.Register(json_rest::JsonRestAdapterType()).ok());
}

}  // namespace fhirengine::adapters
