// Test doubles for the pulling adapters (fhir-rest, json-rest): an HTTP
// client that answers from a handler function and records every request,
// and an AdapterContext that records delivered batches and commits their
// cursors as the engine would once they are stored.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "adapters/api/adapter.h"
#include "engine/net/http_client.h"
#include "tests/support/recording_adapter_context.h"

namespace fhirengine::adapters::pull_testing {

class ScriptedHttpClient : public net::HttpClient {
 public:
  using Handler = std::function<net::HttpResponse(const net::HttpRequest&)>;
  explicit ScriptedHttpClient(Handler handler) : handler_(std::move(handler)) {}

  Result<net::HttpResponse> Send(const net::HttpRequest& request) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(request);
    }
    return handler_(request);
  }
  void Cancel() override {}

  std::vector<net::HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  std::vector<std::string> urls() const {
    std::vector<std::string> out;
    for (const net::HttpRequest& r : requests()) out.push_back(r.url);
    return out;
  }

 private:
  Handler handler_;
  mutable std::mutex mutex_;
  std::vector<net::HttpRequest> requests_;
};

inline net::HttpResponse JsonResponse(int status, std::string body,
                                      std::string content_type = "application/fhir+json") {
  net::HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

using BatchRecorder = adapters::testing::RecordingContext;

}  // namespace fhirengine::adapters::pull_testing
