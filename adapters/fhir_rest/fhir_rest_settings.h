// The fhir-rest adapter's settings: its JSON Schema (draft-04) and the
// checks the schema cannot make (the base URL parses, search filters are
// plain queries, key and certificate files can be read).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "adapters/api/adapter.h"
#include "adapters/http_source/http_source_settings.h"
#include "adapters/http_source/source_url.h"
#include "engine/core/status.h"
#include "engine/fhir/resource_format.h"

namespace fhirengine::adapters::fhir_rest {

struct FhirRestSettings {
  http_source::SourceUrl base_url;  // target without a trailing '/'
  std::vector<std::string> resource_types;
  std::map<std::string, std::string> search;  // type -> extra query ("status=in-progress")
  int page_size = 1000;                       // _count
  fhir::Format format = fhir::Format::kJson;
  std::int64_t overlap_ms = 60'000;
  bool history_deletes = false;
  int max_pages_per_poll = 50;
  http_source::HttpSourceSettings http;
};

// The settings object's schema (draft-04, additionalProperties false).
std::string FhirRestSettingsSchema();

// kInvalidArgument naming the key for anything the schema lets through but
// the adapter cannot use.
Result<FhirRestSettings> ParseFhirRestSettings(const AdapterConfig& config);

}  // namespace fhirengine::adapters::fhir_rest
