// FHIR search URLs to store queries: parameter names with modifiers and
// chains, values with prefixes, escapes and comma-separated alternatives,
// and the result parameters (_sort, _count, _include, _revinclude,
// _summary, _elements, _total), each checked against the SearchParameters
// of the resource type. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/status.h"
#include "engine/search/index_extractor.h"
#include "engine/search/search_parameters.h"
#include "engine/store/search_query.h"

namespace fhirengine::search {

using UrlParam = std::pair<std::string, std::string>;  // decoded name, value

struct SearchOptions {
  // Prefer: handling=strict: unknown or unsupported parameters are errors;
  // otherwise (lenient) they are ignored and reported back.
  bool strict = false;
  std::size_t default_count = 20;
  std::size_t max_count = 1000;
  // The server's own base ("http://host/fhir"): references written with it
  // are the same as relative ones.
  std::string base_url;
  std::int64_t now_ms = 0;  // for the ap prefix on dates
};

enum class SummaryMode { kFalse, kTrue, kText, kData, kCount };

enum class TotalMode { kNone, kEstimate, kAccurate };

struct ParsedSearch {
  store::SearchQuery query;
  store::PageRequest page;
  std::vector<store::IncludeSpec> includes;
  SummaryMode summary = SummaryMode::kFalse;
  std::vector<std::string> elements;  // _elements, empty: all (not parsed yet)
  // The parameters that were applied, in order, for the self link.
  std::vector<UrlParam> applied;
  // Why each ignored parameter was ignored (lenient handling).
  std::vector<std::string> ignored;
};

// Parses the parameters of a search of `type` (empty: a system search,
// where only _type, _id, _lastUpdated and the common Resource parameters
// apply). kInvalidArgument with a message naming the parameter for
// malformed values, and under strict handling for unknown or unsupported
// ones.
Result<ParsedSearch> ParseSearch(
    std::string_view type, std::span<const UrlParam> params, const SearchOptions& options,
    const SearchParameterRegistry& registry = SearchParameterRegistry::Default());

// The index rows the store keeps for `resource` (extraction reduced to
// what searching compares).
std::vector<store::IndexRow> IndexRowsFor(
    const json::Value& resource,
    const SearchParameterRegistry& registry = SearchParameterRegistry::Default());

// Splits a search value at unescaped commas and removes the escapes
// ("a\,b,c" -> {"a,b", "c"}); FHIR's \, \| \$ and \\.
std::vector<std::string> SplitSearchValues(std::string_view value);

}  // namespace fhirengine::search
