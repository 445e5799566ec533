// Path-based dispatch to the engine's endpoints.
#include "engine/rest/path_router.h"

#include "engine/core/check.h"

namespace fhirengine::rest {

void PathRouter::AddExact(std::string path, RequestHandler& handler) {
  FE_CHECK(!path.empty() && path.front() == '/');
  exact_.emplace_back(std::move(path), &handler);
}

void PathRouter::AddPrefix(std::string prefix, RequestHandler& handler) {
  FE_CHECK(prefix.size() >= 2 && prefix.front() == '/' && prefix.back() == '/');
  prefixes_.emplace_back(std::move(prefix), &handler);
}

RequestHandler& PathRouter::Select(std::string_view target) const {
  const std::string_view path = target.substr(0, target.find_first_of("?#"));
  for (const auto& [exact, handler] : exact_) {
    if (path == exact) return *handler;
  }
  for (const auto& [prefix, handler] : prefixes_) {
    if (path.starts_with(prefix)) return *handler;
  }
  return *fallback_;
}

void PathRouter::Handle(RestRequest request, Responder responder) {
  RequestHandler& handler = Select(request.target);
  handler.Handle(std::move(request), std::move(responder));
}

RestResponse PathRouter::ProtocolError(int status, std::string_view message) const {
  return fallback_->ProtocolError(status, message);
}

}  // namespace fhirengine::rest
