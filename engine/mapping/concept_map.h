// FHIR R4 ConceptMaps as mappings use them: loaded from JSON, each group's
// source system+code translated to its target coding (equivalence
// equivalent/equal/wider/subsumed/narrower/specializes/relatedto/inexact;
// unmatched and disjoint are not translations). Immutable once loaded.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "engine/core/status.h"

namespace fhirengine::mapping {

struct TargetCoding {
  std::string system;
  std::string code;
  std::string display;
};

class ConceptMap {
 public:
  // Parses a ConceptMap resource's JSON text; `name` names it in messages.
  static Result<ConceptMap> FromJson(std::string_view text, std::string name);

  // The target of (system, code); an empty `system` matches any group.
  std::optional<TargetCoding> Translate(std::string_view system, std::string_view code) const;
  // Whether the map lists (system, code) with only "unmatched" targets: the
  // map says on purpose that the code has no counterpart (the value is then
  // absent, not an unmapped code). An empty `system` matches any group.
  bool IsNoMap(std::string_view system, std::string_view code) const;
  const std::string& name() const { return name_; }
  // The source system of the first group ("" when none).
  const std::string& first_source() const { return first_source_; }

 private:
  std::string name_;
  std::string first_source_;
  std::map<std::pair<std::string, std::string>, TargetCoding, std::less<>> by_system_code_;
  std::map<std::string, TargetCoding, std::less<>> by_code_;           // first group wins
  std::set<std::pair<std::string, std::string>, std::less<>> no_map_;  // (source, code)
  std::set<std::string, std::less<>> no_map_codes_;
};

}  // namespace fhirengine::mapping
