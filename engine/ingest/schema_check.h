// JSON Schema (draft-04) checks that report EVERY problem with its JSON path
// and a hint. RapidJSON's validator (1.1) stops at the first violation, so
// the tree is walked here: objects' properties, required and
// additionalProperties and arrays' items are checked and recursed into
// directly, and RapidJSON's validator checks each value against the rest
// of its schema (types, ranges, patterns, enums, oneOf...).
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <string>
#include <vector>

namespace fhirengine::ingest {

struct ConfigProblem {
  std::string path;     // "$.adapters[1].settings.delimiter"
  std::string problem;  // what is wrong
  std::string hint;     // what to do
};

// Where ${ENV} substitution put a value: path -> variable name, so that
// messages say "the value from ${X}" and never echo it.
using SubstitutedPaths = std::map<std::string, std::string>;

// "$.a.b[2]" + key / index.
std::string ChildPath(const std::string& path, const std::string& key);
std::string ChildPath(const std::string& path, std::size_t index);

// Checks `value` at `path` against `schema` (a draft-04 schema without
// $ref), appending every problem to `problems`. Messages never contain
// the checked values.
void CheckAgainstSchema(const rapidjson::Value& value, const rapidjson::Value& schema,
                        const std::string& path, const SubstitutedPaths& substituted,
                        std::vector<ConfigProblem>& problems);

}  // namespace fhirengine::ingest
