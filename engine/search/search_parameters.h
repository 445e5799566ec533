// The SearchParameters the engine indexes and searches by: the official R4
// set (fhir-profiles/r4-base/search-parameters.json, embedded), each with its
// FHIRPath expression compiled once. Immutable after loading; thread-safe.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/fhirpath/fhirpath.h"

namespace fhirengine::search {

enum class ParamType {
  kNumber,
  kDate,
  kString,
  kToken,
  kReference,
  kComposite,
  kQuantity,
  kUri,
  kSpecial
};

std::string_view ParamTypeName(ParamType t);

struct SearchParameter {
  std::string url;
  std::string code;               // the name in a query: "partof", "_lastUpdated"
  std::vector<std::string> base;  // resource types it applies to
  ParamType type = ParamType::kToken;
  std::string expression;           // FHIRPath; empty for _id, _lastUpdated-style specials
  std::vector<std::string> target;  // reference targets
  // The compiled expression; absent when `expression` is empty or uses a
  // feature the evaluator cannot run (then the parameter is not indexed and
  // the CapabilityStatement must not list it).
  std::optional<fhirpath::Expression> compiled;
  std::string compile_error;
};

// A parameter as evaluated on one resource type: its expression without the
// union branches that belong to other types (fhirpath::SpecializeForResourceType).
struct SpecializedParameter {
  const SearchParameter* param = nullptr;
  fhirpath::Expression expression;
};

class SearchParameterRegistry {
 public:
  // The official R4 parameters, compiled on first use.
  static const SearchParameterRegistry& R4();
  // What the engine indexes and searches by: the official R4 parameters
  // and the regional model's own (fhir-profiles/regional/), which win
  // where both define a code for a type.
  static const SearchParameterRegistry& Default();
  // From the derived {"searchParameters": [...]} form or a Bundle of
  // SearchParameter resources; later texts override earlier ones.
  static Result<std::unique_ptr<SearchParameterRegistry>> Load(std::string_view json_text);
  static Result<std::unique_ptr<SearchParameterRegistry>> Load(
      const std::vector<std::string_view>& json_texts);

  // Parameters that apply to `resource_type` (its own and those with base
  // Resource or DomainResource), by code.
  const std::map<std::string, const SearchParameter*, std::less<>>& ForType(
      std::string_view resource_type) const;
  const SearchParameter* Find(std::string_view resource_type, std::string_view code) const;
  std::span<const std::unique_ptr<SearchParameter>> all() const { return params_; }
  // What index extraction evaluates on a resource of `resource_type`: the
  // parameters of ForType() (same code order) that have a compiled expression
  // that can select something from that type, each specialised to it. Gives
  // the same values and errors as evaluating `param->compiled` there.
  std::span<const SpecializedParameter> SpecializedForType(std::string_view resource_type) const;

 private:
  SearchParameterRegistry() = default;
  Status Add(std::string_view json_text);
  // Builds specialized_ from by_type_, once every text is added.
  void Specialize();
  std::vector<std::unique_ptr<SearchParameter>> params_;
  std::map<std::string, std::map<std::string, const SearchParameter*, std::less<>>, std::less<>>
      by_type_;
  std::map<std::string, std::vector<SpecializedParameter>, std::less<>> specialized_;
};

}  // namespace fhirengine::search
