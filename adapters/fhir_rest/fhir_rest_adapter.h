// The fhir-rest adapter: pulls resources from an EHR's FHIR R4 API. Per
// configured type a full sync through the search's `next` links, then
// incremental searches by _lastUpdated (an overlap window against clock
// skew, de-duplicated through the cursor), and deletions from _history when
// enabled. Each page becomes one batch; the next page is fetched while the
// previous one is delivered.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "adapters/api/adapter.h"
#include "adapters/api/registry.h"
#include "adapters/fhir_rest/fhir_rest_settings.h"
#include "adapters/http_source/source_fetcher.h"

namespace fhirengine::adapters::fhir_rest {

class FhirRestAdapter : public Adapter {
 public:
  // `fetcher` talks to settings.base_url's origin (and nowhere else).
  FhirRestAdapter(FhirRestSettings settings, std::shared_ptr<http_source::SourceFetcher> fetcher);

  // One round over every configured type, bounded by max-pages-per-poll
  // (`more` is set when the bound stopped it). A response that is not a
  // Bundle, a paging link to another origin, or an HTTP error ends the round
  // with a Status naming the URL; 429/503 set retry_after.
  PollOutcome Poll(AdapterContext& ctx) override;
  void Cancel() override;

 private:
  struct Round;
  PollOutcome RunPass(Round& round, const std::string& type, bool history);

  const FhirRestSettings settings_;
  const std::shared_ptr<http_source::SourceFetcher> fetcher_;
  std::atomic<bool> cancelled_{false};
  std::size_t next_type_ = 0;  // where the next round starts (Poll's thread only)
};

// The "fhir-rest" type: settings schema and factory (which builds the HTTP
// client and the authorizer for none, basic, bearer or smart-backend).
AdapterType FhirRestAdapterType();

}  // namespace fhirengine::adapters::fhir_rest
