// Loading ConceptMap JSON into a lookup table.
#include "engine/mapping/concept_map.h"

#include "engine/json/json_parser.h"

namespace fhirengine::mapping {
namespace {

std::string Text(const json::Value* v) {
  return v != nullptr && v->IsString() ? std::string(v->text()) : std::string();
}

bool IsTranslation(std::string_view equivalence) {
  return equivalence != "unmatched" && equivalence != "disjoint";
}

}  // namespace

Result<ConceptMap> ConceptMap::FromJson(std::string_view text, std::string name) {
  auto doc = json::Parse(text);
  if (!doc.ok()) return InvalidArgument(name + ": " + doc.status().message());
  const json::Value& root = doc->root();
  if (Text(root.Find("resourceType")) != "ConceptMap")
    return InvalidArgument(name + ": not a ConceptMap resource");
  ConceptMap map;
  map.name_ = std::move(name);
  const json::Value* groups = root.Find("group");
  if (groups == nullptr || !groups->IsArray() || groups->size() == 0)
    return InvalidArgument(map.name_ + ": a ConceptMap needs at least one group");
  for (const json::Value& group : groups->elements()) {
    const std::string source = Text(group.Find("source"));
    const std::string target_system = Text(group.Find("target"));
    if (map.first_source_.empty()) map.first_source_ = source;
    const json::Value* elements = group.Find("element");
    if (elements == nullptr) continue;
    for (const json::Value& element : elements->elements()) {
      const std::string code = Text(element.Find("code"));
      const json::Value* targets = element.Find("target");
      if (code.empty() || targets == nullptr) continue;
      bool all_unmatched = targets->size() > 0;
      for (const json::Value& target : targets->elements())
        all_unmatched = all_unmatched && Text(target.Find("equivalence")) == "unmatched";
      if (all_unmatched) {
        map.no_map_.emplace(source, code);
        map.no_map_codes_.insert(code);
        continue;
      }
      for (const json::Value& target : targets->elements()) {
        if (!IsTranslation(Text(target.Find("equivalence")))) continue;
        TargetCoding coding{target_system, Text(target.Find("code")), Text(target.Find("display"))};
        if (coding.code.empty()) continue;
        map.by_system_code_.emplace(std::make_pair(source, code), coding);
        map.by_code_.emplace(code, std::move(coding));
        break;
      }
    }
  }
  return map;
}

std::optional<TargetCoding> ConceptMap::Translate(std::string_view system,
                                                  std::string_view code) const {
  if (system.empty()) {
    auto it = by_code_.find(code);
    if (it == by_code_.end()) return std::nullopt;
    return it->second;
  }
  auto it = by_system_code_.find(std::make_pair(std::string(system), std::string(code)));
  if (it == by_system_code_.end()) return std::nullopt;
  return it->second;
}

bool ConceptMap::IsNoMap(std::string_view system, std::string_view code) const {
  if (system.empty()) return no_map_codes_.find(code) != no_map_codes_.end();
  return no_map_.find(std::make_pair(std::string(system), std::string(code))) != no_map_.end();
}

}  // namespace fhirengine::mapping
