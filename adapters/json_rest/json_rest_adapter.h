// The json-rest adapter: pulls records from a non-FHIR JSON API (offset or
// cursor paging, an optional "since" parameter for incremental pulls) and
// delivers each page as one batch of kJsonObject records.
#pragma once

#include <atomic>
#include <memory>

#include "adapters/api/adapter.h"
#include "adapters/api/registry.h"
#include "adapters/http_source/source_fetcher.h"
#include "adapters/json_rest/json_rest_settings.h"

namespace fhirengine::adapters::json_rest {

class JsonRestAdapter : public Adapter {
 public:
  JsonRestAdapter(JsonRestSettings settings, std::shared_ptr<http_source::SourceFetcher> fetcher);

  // One pull (or the next max-pages-per-poll pages of it, with `more`).
  // Without since-param every completed pull starts again from the first
  // page (delivery is idempotent). Errors name the URL; 429/503 set
  // retry_after.
  PollOutcome Poll(AdapterContext& ctx) override;
  void Cancel() override;

 private:
  const JsonRestSettings settings_;
  const std::shared_ptr<http_source::SourceFetcher> fetcher_;
  std::atomic<bool> cancelled_{false};
};

// The "json-rest" type: settings schema and factory.
AdapterType JsonRestAdapterType();

}  // namespace fhirengine::adapters::json_rest
