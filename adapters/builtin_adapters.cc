// The adapter types compiled into the engine. Registration is explicit, one
// line per type (static initialisers would be dropped by the linker); a new
// built-in adapter adds its include and its line here. Adapters shipped as
// shared libraries are loaded from the config's "plugins" instead.
#include "adapters/api/registry.h"

namespace fhirengine::adapters {

void RegisterBuiltinAdapters(AdapterRegistry& registry) {
  (void)registry;  // e.g. FE_CHECK(registry.Register(csv_file::Type()).ok());
}

}  // namespace fhirengine::adapters
