// Test helper for the FHIRPath tests: compile, evaluate and render a result
// as plain strings so expectations read like the expressions they test.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/fhirpath/fhirpath.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"

namespace fhirengine::fhirpath::testing {

struct Outcome {
  bool ok = false;
  std::string error;                // compile or evaluation error message
  std::vector<std::string> values;  // toString() text, or compact JSON for complex elements
  std::vector<std::string> types;   // TypeName() of each item
};

inline Outcome Run(std::string_view expression, const json::Value* resource,
                   const EvaluationContext& context = {}) {
  Outcome out;
  Result<Expression> e = Compile(expression);
  if (!e.ok()) {
    out.error = e.status().message();
    return out;
  }
  Result<Collection> r =
      resource != nullptr ? Evaluate(*e, *resource, context) : EvaluateCollection(*e, {}, context);
  if (!r.ok()) {
    out.error = r.status().message();
    return out;
  }
  out.ok = true;
  for (const Item& item : *r) {
    std::optional<std::string> text = ItemToText(item);
    if (!text && item.is_node() && item.node().value != nullptr)
      text = json::Write(*item.node().value);
    out.values.push_back(text.value_or("?"));
    out.types.push_back(TypeName(item));
  }
  return out;
}

// Owns a parsed JSON resource for a test.
class Resource {
 public:
  explicit Resource(std::string_view json_text) {
    Result<json::Document> d = json::Parse(json_text);
    EXPECT_TRUE(d.ok()) << d.status().message();
    if (d.ok()) doc_ = std::make_unique<json::Document>(std::move(*d));
  }
  const json::Value* get() const { return doc_ ? &doc_->root() : nullptr; }
  Outcome Run(std::string_view expression, const EvaluationContext& context = {}) const {
    return testing::Run(expression, get(), context);
  }

 private:
  std::unique_ptr<json::Document> doc_;
};

// Values of an expression without input, or {"ERROR"} on failure.
inline std::vector<std::string> Values(std::string_view expression) {
  Outcome o = Run(expression, nullptr);
  if (!o.ok) return {"ERROR: " + o.error};
  return o.values;
}

}  // namespace fhirengine::fhirpath::testing
