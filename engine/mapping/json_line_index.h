// Line numbers for a JSON document's values: RapidJSON (and json::Parse)
// keep none, so this scans the already-validated text once and records the
// 1-based line where each value starts, keyed by its JSON Pointer
// ("/outputs/0/fields/status"). For error messages about mapping files.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace fhirengine::mapping {

class JsonLineIndex {
 public:
  // REQUIRES: `text` is valid JSON (parse it first). Nesting beyond 64
  // levels is not indexed (lines then fall back to the parent's).
  explicit JsonLineIndex(std::string_view text);
  // The line of `pointer`, or of its nearest indexed ancestor; 1 if none.
  int LineOf(std::string_view pointer) const;

 private:
  std::map<std::string, int, std::less<>> lines_;
};

}  // namespace fhirengine::mapping
