// Turns a resource into search index entries: every SearchParameter that
// applies to its type is evaluated (FHIRPath) and each value is reduced to
// what searching needs, with FHIR's semantics (tokens as system|code,
// strings normalised for case- and accent-insensitive prefix search, dates
// as the millisecond range their precision covers, references as type/id).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/status.h"
#include "engine/fhirpath/value.h"
#include "engine/json/json_value.h"
#include "engine/search/search_parameters.h"

namespace fhirengine::search {

struct IndexEntry {
  std::string param;  // the parameter's code
  ParamType type = ParamType::kToken;
  // token: system | code, display = text/display (for :text)
  // string: value = normalised, display = as written
  // reference: system = target type, value = target id (or the URL when it
  //            is not a relative or absolute RESTful reference), display = as written
  // quantity: system | value = code (or unit), number = value
  // number: number, value = as written
  // uri: value
  // date: low..high (epoch ms, inclusive)
  std::string system;
  std::string value;
  std::string display;
  std::int64_t low = 0;
  std::int64_t high = 0;
  double number = 0;
};

struct ExtractionResult {
  std::vector<IndexEntry> entries;
  // Parameters whose expression failed on this resource (code: message);
  // the resource is still stored, just not findable by those parameters.
  std::vector<std::string> failures;
};

// resolve() for search expressions. They use it only to ask for the
// target's type (Encounter.subject.where(resolve() is Patient)), and a
// literal reference ("Patient/1", "http://host/fhir/Patient/1/_history/2")
// names that type; so the target is stood in for by {"resourceType": T},
// one per type, without reading anything. Other references resolve to
// nothing, as before. Lives as long as the extraction's results.
class ReferenceTypeStubs {
 public:
  const json::Value* Resolve(std::string_view reference);

 private:
  std::map<std::string, json::Document, std::less<>> stubs_;
};

// Index entries for `resource` (which must have a known resourceType).
ExtractionResult ExtractIndexEntries(
    const json::Value& resource,
    const SearchParameterRegistry& registry = SearchParameterRegistry::Default());

// Appends the index entries for `values`, the result of `param`'s expression
// on a resource (what ExtractIndexEntries does with each parameter's values).
void AppendIndexEntries(const SearchParameter& param, const fhirpath::Collection& values,
                        std::vector<IndexEntry>& out);

// Lower-case and strip accents (Latin-1 and common Latin Extended-A letters:
// "Ärlig Åsa" -> "arlig asa"), as string search compares.
std::string NormalizeForSearch(std::string_view text);

// The inclusive epoch-millisecond range a FHIR date, dateTime or instant
// covers at its precision ("2024-03" -> all of March 2024 UTC); nullopt when
// the text is not one. Times without a zone are taken as UTC.
std::optional<std::pair<std::int64_t, std::int64_t>> DateRange(std::string_view text);

}  // namespace fhirengine::search
