// Adapter types registered by name ("fhir-rest", "csv-file"), each with the
// JSON Schema of its settings and a factory. Registration is explicit
// (RegisterBuiltinAdapters, plugins loaded at start), never by static
// initialisers the linker may drop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/api/adapter.h"
#include "engine/core/status.h"

namespace fhirengine::adapters {

struct AdapterType {
  std::string name;  // kebab-case, as in the config's "type"
  // JSON Schema (draft-04, as RapidJSON's validator reads it) of the
  // adapter's "settings" object; check-config reports its violations.
  std::string settings_schema;
  // Checks what the schema cannot (files exist, URLs parse, keys load) and
  // creates the adapter; kInvalidArgument naming the settings key.
  std::function<Result<std::unique_ptr<Adapter>>(const AdapterConfig&)> create;
};

// Not thread-safe: filled at start, read-only afterwards.
class AdapterRegistry {
 public:
  // kAlreadyExists when the name is taken.
  Status Register(AdapterType type);
  // nullptr when unknown.
  const AdapterType* Find(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, AdapterType, std::less<>> types_;
};

// The adapters built into the engine (adapters/builtin_adapters.cc).
void RegisterBuiltinAdapters(AdapterRegistry& registry);

}  // namespace fhirengine::adapters
