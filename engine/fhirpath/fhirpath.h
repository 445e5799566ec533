// FHIRPath (N1 normative release, with the FHIR R4 additions) for the whole
// engine: compile an expression once into an immutable Expression, then
// evaluate it against any number of resources, from any number of threads.
//
//   Result<Expression> e = fhirpath::Compile("Observation.value.ofType(Quantity).value > 5");
//   Result<Collection> r = fhirpath::Evaluate(*e, resource_json);
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/status.h"
#include "engine/fhir/type_model.h"
#include "engine/fhirpath/value.h"
#include "engine/json/json_value.h"

namespace fhirengine::fhirpath {

namespace internal {
struct Ast;
}  // namespace internal

struct CompileOptions {
  // Type names in is/as/ofType resolve against this model (default: R4).
  const fhir::TypeModel* model = nullptr;
  // Hard limits on hostile expressions: length in bytes, and the height of
  // the expression tree (parentheses, operator chains, path steps).
  std::size_t max_length = 256 * 1024;
  int max_depth = 200;
};

// A compiled expression. Immutable and cheap to copy (shares its tree);
// safe to evaluate from many threads at once.
class Expression {
 public:
  const std::string& text() const { return *text_; }
  const internal::Ast& root() const { return *root_; }

 private:
  friend Result<Expression> Compile(std::string_view text, const CompileOptions& options);
  friend std::optional<Expression> SpecializeForResourceType(const Expression& expression,
                                                             const fhir::TypeDef& resource_type,
                                                             const fhir::TypeModel* model);
  Expression(std::shared_ptr<const std::string> text, std::shared_ptr<const internal::Ast> root)
      : text_(std::move(text)), root_(std::move(root)) {}
  std::shared_ptr<const std::string> text_;
  std::shared_ptr<const internal::Ast> root_;
};

// Compiles `text`. Errors are kInvalidArgument and name the position
// ("column 12: expected ')' to close the call of 'where'"), or
// kResourceExhausted when a limit in `options` is hit.
Result<Expression> Compile(std::string_view text, const CompileOptions& options = {});

// `expression` for inputs that are resources of `resource_type` only. The
// branches of its top-level unions ('|', through parentheses) that start at
// another resource type ("Account.subject" in "Account.subject |
// Encounter.subject"), and so select nothing from such a resource and cannot
// fail, are dropped; a union left with one branch keeps its de-duplication as
// distinct(); a first step naming the type itself or a base of it
// ("Encounter", "Resource") is resolved now instead of at every evaluation.
// On every resource of that type the result has the same items in the same
// order, and the same errors, as `expression` evaluated with `model`
// (default: R4; the evaluation must use the same model). Error positions still
// refer to the original text, except that a max_collection_size error of a
// rebuilt union or distinct() names its first kept branch. nullopt when no
// branch remains: the expression is empty on every such resource.
std::optional<Expression> SpecializeForResourceType(const Expression& expression,
                                                    const fhir::TypeDef& resource_type,
                                                    const fhir::TypeModel* model = nullptr);

// Everything an evaluation may consult besides the input. All members are
// optional; the hooks are called on the evaluating thread.
struct EvaluationContext {
  const fhir::TypeModel* model = nullptr;      // default: R4
  const json::Value* resource = nullptr;       // %resource (default: the input resource)
  const json::Value* root_resource = nullptr;  // %rootResource (default: %resource)
  // User variables, referenced as %name (they take precedence over the
  // built-in %ucum, %sct, %loinc, %vs-..., %ext-...).
  std::map<std::string, Collection, std::less<>> variables;
  // now(), today() and timeOfDay() read this fixed instant when set (one
  // clock reading per evaluation otherwise).
  std::optional<Temporal> now;
  // Accept choice elements by their JSON names (Observation.valueQuantity).
  // FHIRPath says Observation.value.ofType(Quantity); off by default.
  bool lenient_choice_names = false;
  // A path step that names no element of any typed item in a non-empty input
  // is an error (name.given1), as in the specification's strict mode.
  bool check_element_names = true;
  // Largest collection any step may produce (kResourceExhausted beyond).
  std::size_t max_collection_size = 1'000'000;
  // trace(name, ...) reports here; without a sink trace() just passes through.
  std::function<void(std::string_view name, const Collection& values)> trace;
  // resolve() for references that are neither contained ('#id') nor entries
  // of the Bundle being evaluated: the resource JSON (kept alive by the
  // caller for the evaluation and its result), or nullptr.
  std::function<const json::Value*(std::string_view reference)> resolve;
  // memberOf(valueSet); without it memberOf() fails with kUnimplemented.
  std::function<Result<bool>(const Item& coded, std::string_view value_set)> member_of;
  // conformsTo(profile) beyond the base resource profiles; without it an
  // unknown profile is an error.
  std::function<Result<bool>(const Item& resource, std::string_view profile)> conforms_to;
};

// Evaluates `expression` with `resource` (a resource's JSON; without a
// resourceType it is navigated as untyped JSON) as the input and %context.
// The result's elements point into `resource`: keep it alive while using
// them. Errors: kInvalidArgument (type errors, singleton violations, unknown
// elements or variables), kUnimplemented (memberOf without a terminology
// hook, subsumes), kResourceExhausted (max_collection_size).
Result<Collection> Evaluate(const Expression& expression, const json::Value& resource,
                            const EvaluationContext& context = {});
// Evaluates with an arbitrary input collection (for example an element of a
// resource for an invariant, with context.resource set to the resource).
Result<Collection> EvaluateCollection(const Expression& expression, const Collection& input,
                                      const EvaluationContext& context = {});

// Whether a result counts as true for a constraint: one item that is true
// (an empty result is "not true"; several items or a non-boolean are errors).
Result<bool> IsTrue(const Collection& result);

// The collection as a JSON array of {"type": ..., "value": ...}: FHIR types
// by name ("HumanName", "string"), System types as "System.Integer"...;
// primitives as JSON values, complex elements as their JSON objects,
// quantities as {"value": ..., "unit": ...}.
std::string CollectionToJson(const Collection& collection, bool pretty = false);

}  // namespace fhirengine::fhirpath
