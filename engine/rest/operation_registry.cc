// Operation lookup by URL shape: [type]/$name or [type]/[id]/$name.
#include "engine/rest/operation_registry.h"

#include <utility>

namespace fhirengine::rest {

void OperationRegistry::Register(OperationDeclaration declaration, OperationHandler handler) {
  for (Entry& e : entries_) {
    if (e.declaration.type == declaration.type && e.declaration.instance == declaration.instance &&
        e.declaration.name == declaration.name) {
      e = Entry{std::move(declaration), std::move(handler)};
      return;
    }
  }
  entries_.push_back(Entry{std::move(declaration), std::move(handler)});
}

const OperationHandler* OperationRegistry::Match(std::span<const std::string> segments,
                                                 OperationCall& call) const {
  if (segments.size() < 2 || segments.size() > 3) return nullptr;
  const std::string& last = segments.back();
  if (!last.starts_with('$') || last.size() < 2) return nullptr;
  const bool instance = segments.size() == 3;
  if (instance && !IsValidId(segments[1])) return nullptr;
  const std::string_view name = std::string_view(last).substr(1);
  for (const Entry& e : entries_) {
    if (e.declaration.type == segments[0] && e.declaration.instance == instance &&
        e.declaration.name == name) {
      call.type = segments[0];
      call.id = instance ? segments[1] : std::string();
      call.name = std::string(name);
      return &e.handler;
    }
  }
  return nullptr;
}

std::vector<OperationDeclaration> OperationRegistry::declarations() const {
  std::vector<OperationDeclaration> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back(e.declaration);
  return out;
}

}  // namespace fhirengine::rest
