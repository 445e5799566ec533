// Paths into a JSON response for the json-rest adapter: a JSON Pointer
// (RFC 6901, "/data/items") or a dotted path ("data.items"); an empty path
// is the document itself. Immutable after parsing; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/json/json_value.h"

namespace fhirengine::adapters::json_rest {

class RecordPath {
 public:
  // kInvalidArgument for a pointer with a bad escape ("~2") or a dotted path
  // with an empty segment ("a..b").
  static Result<RecordPath> Parse(std::string_view text);

  // The value at the path, or nullptr. Array steps take decimal indices.
  const json::Value* Find(const json::Value& root) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::vector<std::string> segments_;
};

}  // namespace fhirengine::adapters::json_rest
