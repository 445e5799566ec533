// JSON Patch (RFC 6902) over json::Document: parsing a patch document into
// checked operations, and applying them atomically to a copy of a JSON tree,
// with JSON Pointer (RFC 6901) paths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/limits.h"
#include "engine/core/status.h"
#include "engine/json/json_value.h"

namespace fhirengine::json {

// A parsed JSON Pointer: "/a~1b/0" -> {"a/b", "0"}; "" (the whole document)
// -> {}.
struct JsonPointer {
  std::string text;                 // as written, for messages
  std::vector<std::string> tokens;  // unescaped reference tokens

  // kInvalidArgument unless `text` is "" or starts with '/' and every '~' is
  // followed by '0' or '1'.
  static Result<JsonPointer> Parse(std::string_view text);
};

enum class PatchOp : std::uint8_t { kAdd, kRemove, kReplace, kMove, kCopy, kTest };

// "add", "remove", ...
std::string_view PatchOpName(PatchOp op);

struct PatchOperation {
  PatchOp op = PatchOp::kAdd;
  JsonPointer path;
  JsonPointer from;  // move and copy only
  Value value;       // add, replace and test only; lives in the JsonPatch's document
};

// Hard limits on a patch and on what applying it may build.
struct JsonPatchLimits {
  std::size_t max_operations = 10000;
  // Nesting of objects/arrays in the result (as ParseLimits::max_depth).
  std::size_t max_depth = 100;
  // Bytes the working copy may allocate while the patch applies (the copy
  // operation can double a document at each step).
  std::size_t max_result_bytes = 64u << 20;
};

// A checked JSON Patch document. Immutable after parsing; const methods are
// thread-safe. Error messages name the operation by its 0-based index in the
// patch array: "operation 2 (remove /a/b): ...".
class JsonPatch {
 public:
  // Parses JSON text (with `parse_limits`), then as FromValue. Returns
  // kInvalidArgument for text that is not JSON (duplicate member names
  // included) or not a valid patch, kResourceExhausted over a limit.
  static Result<JsonPatch> Parse(std::string_view text, const ParseLimits& parse_limits = {},
                                 const JsonPatchLimits& limits = {});
  // Checks `patch` (an array of operation objects) and copies what it needs.
  // kInvalidArgument names the operation and the problem: not an object, a
  // missing or unknown "op", a missing or malformed "path"/"from", a missing
  // "value", a move into its own child. Members an operation does not define
  // are ignored (RFC 6902 section 4). kResourceExhausted over max_operations.
  static Result<JsonPatch> FromValue(const Value& patch, const JsonPatchLimits& limits = {});

  std::span<const PatchOperation> operations() const { return operations_; }

  // Applies every operation, in order, to a deep copy of `target`; `target`
  // itself never changes. Errors (the first failing operation stops it):
  //   kNotFound: a path or "from" that does not exist (a missing member, an
  //     array index past the end, a step into a string or number);
  //   kInvalidArgument: an array index that is not a number ("01", "x"),
  //     "-" where an existing element is needed;
  //   kFailedPrecondition: a "test" whose value differs;
  //   kResourceExhausted: the result would pass max_depth or max_result_bytes.
  Result<Document> ApplyTo(const Value& target) const;

  // ApplyTo(doc.root()), then swaps the result into `doc` only on success:
  // on any error `doc` is unchanged.
  Status Apply(Document& doc) const;

 private:
  JsonPatch(Document doc, std::vector<PatchOperation> operations, const JsonPatchLimits& limits)
      : doc_(std::move(doc)), operations_(std::move(operations)), limits_(limits) {}

  Document doc_;  // holds the operations' values
  std::vector<PatchOperation> operations_;
  JsonPatchLimits limits_;
};

// JSON equality as RFC 6902 "test" defines it: numbers by numeric value
// (1, 1.0 and 10e-1 are equal), strings by their characters, arrays by
// element order, objects by member set regardless of order.
bool JsonValuesEqual(const Value& a, const Value& b);

}  // namespace fhirengine::json
