// The search interaction: a FHIR search (type or system level, GET or POST
// _search) run against the store and answered as a searchset Bundle with
// paging links, included resources and, under lenient handling, an
// OperationOutcome entry naming the parameters that were ignored.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/rest/route.h"
#include "engine/search/search_parameters.h"
#include "engine/search/search_request.h"
#include "engine/store/resource_store.h"

namespace fhirengine::rest {

struct SearchCall {
  std::string type;                // empty: system search
  std::vector<QueryParam> params;  // URL query and form body, decoded
  bool strict = false;             // Prefer: handling=strict
  std::string base_url;
  std::size_t default_count = 20;
  std::size_t max_count = 1000;
  std::size_t max_included = 1000;
};

// The searchset Bundle as canonical JSON text. kInvalidArgument for bad
// parameters (400), kIoError when the store fails.
Result<std::string> RunSearch(
    const store::ResourceStore& store, const SearchCall& call,
    const search::SearchParameterRegistry& registry = search::SearchParameterRegistry::Default());

// The current resources of `type` matching `criteria` (a conditional
// create, update or delete), at most `limit` + 1 of them so the caller can
// tell "several". Unknown parameters are errors here: a condition that is
// silently dropped would match everything.
Result<std::vector<store::Hit>> MatchCriteria(
    const store::ResourceStore& store, const std::string& type,
    std::span<const QueryParam> criteria, const std::string& base_url, std::size_t limit = 1,
    const search::SearchParameterRegistry& registry = search::SearchParameterRegistry::Default());

}  // namespace fhirengine::rest
