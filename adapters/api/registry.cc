// The adapter type registry (see registry.h).
#include "adapters/api/registry.h"

namespace fhirengine::adapters {

Status AdapterRegistry::Register(AdapterType type) {
  if (type.name.empty() || !type.create) {
    return InvalidArgument("an adapter type needs a name and a factory");
  }
  if (types_.contains(type.name)) {
    return Status(StatusCode::kAlreadyExists,
                  "adapter type '" + type.name + "' is already registered");
  }
  std::string name = type.name;
  types_.emplace(std::move(name), std::move(type));
  return Status::Ok();
}

const AdapterType* AdapterRegistry::Find(std::string_view name) const {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : &it->second;
}

std::vector<std::string> AdapterRegistry::Names() const {
  std::vector<std::string> names;
  names.reserve(types_.size());
  for (const auto& [name, type] : types_) names.push_back(name);
  return names;
}

}  // namespace fhirengine::adapters
