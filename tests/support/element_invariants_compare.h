// Test helper: ele-1 on one FHIRPath node, natively and by the
// FHIRPath evaluator, and whether their verdicts agree (used by the unit test
// and the R4-examples corpus test of engine/fhirpath/element_invariants).
#pragma once

#include <optional>
#include <string>

#include "engine/fhirpath/element_invariants.h"
#include "engine/fhirpath/fhirpath.h"
#include "engine/json/json_writer.h"

namespace fhirengine::fhirpath::testing {

struct InvariantCounts {
  int decided = 0;   // the native check gave a verdict
  int deferred = 0;  // it left the node to the evaluator
};

// "" when the native verdict (if any) equals the evaluator's, else a description.
inline std::string CompareOne(ElementInvariant which, std::string_view key,
                              const Expression& compiled, const Node& node,
                              InvariantCounts& counts) {
  static const fhir::TypeModel& model = fhir::TypeModel::R4();
  EvaluationContext ctx;
  ctx.resource = node.resource;
  Result<Collection> r = EvaluateCollection(compiled, Collection{Item::FromNode(node)}, ctx);
  std::optional<bool> evaluated;
  if (r.ok() && r->size() == 1 && r->front().kind() == ItemKind::kBoolean) {
    evaluated = r->front().boolean();
  }
  std::optional<bool> native = CheckElementInvariant(which, node, model);
  if (!native) {
    ++counts.deferred;
    return "";
  }
  ++counts.decided;
  if (evaluated == native) return "";
  auto text = [](const json::Value* v) {
    return v == nullptr ? std::string("-") : json::Write(*v);
  };
  return std::string(key) + " on " + (node.type ? node.type->name : "untyped") + " " +
         text(node.value) + " twin " + text(node.twin) + ": native " +
         (*native ? "true" : "false") + ", FHIRPath " +
         (!r.ok() ? "error " + r.status().message()
                  : (evaluated ? (*evaluated ? "true" : "false")
                               : std::to_string(r->size()) + " items"));
}

// ele-1 on `node` (and that ext-1 is left to FHIRPath); mismatches appended to `out`.
inline void CompareBoth(const Node& node, InvariantCounts& counts, std::vector<std::string>& out) {
  constexpr std::string_view kEle1 = "hasValue() or (children().count() > id.count())";
  if (FindElementInvariant("ext-1", "extension.exists() != value.exists()") !=
      ElementInvariant::kNone) {
    out.push_back("ext-1 is taken natively");
  }
  if (FindElementInvariant("ele-1", kEle1) != ElementInvariant::kEle1) {
    out.push_back("ele-1: not recognised by its standard text");
    return;
  }
  static const Result<Expression> compiled = Compile(kEle1);
  if (!compiled.ok()) {
    out.push_back("ele-1 does not compile: " + compiled.status().message());
    return;
  }
  std::string m = CompareOne(ElementInvariant::kEle1, "ele-1", *compiled, node, counts);
  if (!m.empty()) out.push_back(std::move(m));
}

}  // namespace fhirengine::fhirpath::testing
