// Builds the _summary and _elements forms of a resource. The subset is a new
// tree in the same Document that shares every kept subtree with the original
// (nothing is copied but the member and element arrays that change).
#include "engine/fhir/resource_subset.h"

#include <optional>

namespace fhirengine::fhir {
namespace {

using json::Document;
using json::Member;
using json::Value;

std::string_view StripUnderscore(std::string_view key) {
  return (!key.empty() && key[0] == '_') ? key.substr(1) : key;
}

// Element names are FHIR names ([A-Za-z][A-Za-z0-9]*), with "[x]" allowed
// at the end of a choice.
bool IsElementName(std::string_view name) {
  if (name.ends_with("[x]")) name.remove_suffix(3);
  if (name.empty()) return false;
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(name[0])) return false;
  for (char c : name) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The concrete resource type named by `resource`'s resourceType, or nullptr.
const TypeDef* ResourceTypeOf(const Value& resource, const TypeModel& model) {
  const Value* rt = resource.Find("resourceType");
  if (rt == nullptr || !rt->IsString()) return nullptr;
  return model.FindResource(rt->text());
}

bool IsSubsettedTag(const Value& coding) {
  const Value* system = coding.Find("system");
  const Value* code = coding.Find("code");
  return system != nullptr && system->IsString() && system->text() == kSubsettedSystem &&
         code != nullptr && code->IsString() && code->text() == kSubsettedCode;
}

// Adds meta.tag SUBSETTED to `resource` unless it is there already. A new
// meta goes right after id (JSON order follows the definitions: id, meta).
void AddSubsettedTag(Document& doc, Value& resource) {
  const Member coding_members[] = {
      {doc.Intern("system"), doc.MakeString(kSubsettedSystem)},
      {doc.Intern("code"), doc.MakeString(kSubsettedCode)},
      {doc.Intern("display"), doc.MakeString("subsetted")},
  };
  const Value coding = doc.MakeObject(coding_members);
  Value* meta = resource.Find("meta");
  if (meta != nullptr && meta->IsObject()) {
    Value* tags = meta->Find("tag");
    std::vector<Value> new_tags;
    if (tags != nullptr && tags->IsArray()) {
      for (const Value& t : tags->elements()) {
        if (IsSubsettedTag(t)) return;
        new_tags.push_back(t);
      }
    }
    new_tags.push_back(coding);
    doc.SetMember(*meta, doc.Intern("tag"), doc.MakeArray(new_tags));
    return;
  }
  const Member tag_member[] = {{doc.Intern("tag"), doc.MakeArray(std::span(&coding, 1))}};
  const Member meta_member{doc.Intern("meta"), doc.MakeObject(tag_member)};
  std::vector<Member> members;
  bool placed = false;
  for (const Member& m : resource.members()) {
    if (m.key == "meta") continue;  // not an object: replaced
    members.push_back(m);
    if (!placed && m.key == "id") {
      members.push_back(meta_member);
      placed = true;
    }
  }
  if (!placed) {
    // After resourceType when there is no id.
    const bool first_is_type = !members.empty() && members.front().key == "resourceType";
    members.insert(members.begin() + (first_is_type ? 1 : 0), meta_member);
  }
  resource = doc.MakeObject(members);
}

// _summary=true, recursively: every element keeps only its summary children.
class SummaryBuilder {
 public:
  SummaryBuilder(Document& doc, const TypeModel& model) : doc_(doc), model_(model) {}

  // The summary of a resource (top-level or nested): id and meta stay whole,
  // a resource of unknown type stays as it is. Tags it when it shrank.
  Value Resource(const Value& resource, bool& removed) {
    const TypeDef* type = ResourceTypeOf(resource, model_);
    if (type == nullptr || !resource.IsObject()) return resource;
    bool removed_here = false;
    Value out = Object(resource, *type, /*is_resource=*/true, removed_here);
    if (removed_here) {
      AddSubsettedTag(doc_, out);
      removed = true;
    }
    return out;
  }

 private:
  // The summary of an object of `type`; an object left empty comes back null.
  Value Object(const Value& obj, const TypeDef& type, bool is_resource, bool& removed) {
    std::vector<Member> kept;
    kept.reserve(obj.size());
    bool changed = false;
    for (const Member& m : obj.members()) {
      if (is_resource && (m.key == "resourceType" || m.key == "id" || m.key == "meta")) {
        kept.push_back(m);
        continue;
      }
      const Property* prop = type.FindProperty(StripUnderscore(m.key));
      Value v = (prop != nullptr && prop->element->is_summary) ? Element(m.value, *prop, removed)
                                                               : Value();
      if (v.IsNull()) {
        removed = changed = true;
        continue;
      }
      changed = changed || !SameNode(v, m.value);
      kept.push_back({m.key, v});
    }
    if (kept.empty()) return Value();
    return changed ? doc_.MakeObject(kept) : obj;
  }

  // One kept element's value (an array or a single value).
  Value Element(const Value& v, const Property& prop, bool& removed) {
    if (!v.IsArray()) return Single(v, prop, removed);
    std::vector<Value> items;
    items.reserve(v.size());
    bool changed = false;
    for (const Value& item : v.elements()) {
      Value out = Single(item, prop, removed);
      // Null stays in arrays of primitives ([null, "x"] pairs with "_name").
      if (out.IsNull() && !item.IsNull()) {
        removed = changed = true;
        continue;
      }
      changed = changed || !SameNode(out, item);
      items.push_back(out);
    }
    if (items.empty()) return Value();
    return changed ? doc_.MakeArray(items) : v;
  }

  Value Single(const Value& v, const Property& prop, bool& removed) {
    const TypeDef* type = prop.type->type;
    // Primitives (and their "_name" objects) and extensions stay whole.
    if (!v.IsObject() || type == nullptr || type->IsPrimitive() || type->name == "Extension") {
      return v;
    }
    if (type->IsResource()) return Resource(v, removed);
    return Object(v, *type, /*is_resource=*/false, removed);
  }

  static bool SameNode(const Value& a, const Value& b) {
    if (a.kind() != b.kind()) return false;
    if (a.IsObject()) return a.members().data() == b.members().data();
    if (a.IsArray()) return a.elements().data() == b.elements().data();
    return true;  // scalars are never rebuilt
  }

  Document& doc_;
  const TypeModel& model_;
};

// Keeps the top-level members for which `keep(member, property)` holds; the
// result replaces `resource`, tagged when anything went.
template <typename Keep>
SubsetOutcome KeepTopLevel(Document& doc, Value& resource, const TypeDef& type, Keep keep) {
  std::vector<Member> kept;
  for (const Member& m : resource.members()) {
    if (m.key == "resourceType" || m.key == "id" || m.key == "meta") {
      kept.push_back(m);
      continue;
    }
    const Property* prop = type.FindProperty(StripUnderscore(m.key));
    if (keep(m, prop)) kept.push_back(m);
  }
  SubsetOutcome outcome;
  if (kept.size() == resource.size()) return outcome;
  resource = doc.MakeObject(kept);
  AddSubsettedTag(doc, resource);
  outcome.subsetted = true;
  return outcome;
}

Result<const TypeDef*> CheckResource(const Value& resource, const TypeModel& model) {
  if (!resource.IsObject()) return InvalidArgument("a resource must be a JSON object");
  const TypeDef* type = ResourceTypeOf(resource, model);
  if (type == nullptr) return InvalidArgument("the resource has no known concrete resourceType");
  return type;
}

}  // namespace

Result<SummaryMode> ParseSummaryMode(std::string_view text) {
  if (text == "true") return SummaryMode::kTrue;
  if (text == "false") return SummaryMode::kFalse;
  if (text == "text") return SummaryMode::kText;
  if (text == "data") return SummaryMode::kData;
  if (text == "count") return SummaryMode::kCount;
  return InvalidArgument("_summary must be one of true, text, data, count, false; got '" +
                         std::string(text.substr(0, 64)) + "'");
}

Result<std::vector<std::string>> ParseElementsList(std::string_view text) {
  std::vector<std::string> names;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view name = Trim(text.substr(0, comma));
    if (name.empty()) return InvalidArgument("_elements has an empty element name");
    if (name.size() > kMaxElementNameLength) {
      return InvalidArgument("_elements has a name longer than " +
                             std::to_string(kMaxElementNameLength) + " characters");
    }
    if (!IsElementName(name)) {
      return InvalidArgument("_elements: '" + std::string(name) +
                             "' is not an element name (letters and digits, as in 'identifier')");
    }
    if (names.size() == kMaxElementNames) {
      return InvalidArgument("_elements lists more than " + std::to_string(kMaxElementNames) +
                             " names");
    }
    names.emplace_back(name);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return names;
}

Result<SubsetOutcome> ApplySummary(Document& doc, Value& resource, SummaryMode mode,
                                   const TypeModel& model) {
  Result<const TypeDef*> type = CheckResource(resource, model);
  if (!type.ok()) return type.status();
  switch (mode) {
    case SummaryMode::kFalse:
      return SubsetOutcome{};
    case SummaryMode::kCount:
      return InvalidArgument("_summary=count applies to searches, not to a single resource");
    case SummaryMode::kData:
      return KeepTopLevel(doc, resource, **type,
                          [](const Member& m, const Property*) { return m.key != "text"; });
    case SummaryMode::kText:
      return KeepTopLevel(doc, resource, **type, [](const Member& m, const Property* prop) {
        return m.key == "text" || (prop != nullptr && prop->element->mandatory());
      });
    case SummaryMode::kTrue: {
      SubsetOutcome outcome;
      resource = SummaryBuilder(doc, model).Resource(resource, outcome.subsetted);
      return outcome;
    }
  }
  return Internal("unhandled _summary mode");
}

Result<SubsetOutcome> ApplyElements(Document& doc, Value& resource,
                                    std::span<const std::string> names, const TypeModel& model) {
  Result<const TypeDef*> type_or = CheckResource(resource, model);
  if (!type_or.ok()) return type_or.status();
  const TypeDef& type = **type_or;

  // What was asked for: whole elements, or single variants of a choice.
  std::vector<const ElementDef*> elements;
  std::vector<const Property*> variants;
  std::vector<std::string> unknown;
  for (const std::string& raw : names) {
    std::string_view name = raw;
    const bool whole_choice = name.ends_with("[x]");
    if (whole_choice) name.remove_suffix(3);
    const ElementDef* el = type.FindElement(name);
    const Property* variant = whole_choice ? nullptr : type.FindProperty(name);
    if (el != nullptr && (el->is_choice || !whole_choice)) {
      elements.push_back(el);  // "name", or "value" / "value[x]" for a whole choice
    } else if (variant != nullptr && variant->element->is_choice) {
      variants.push_back(variant);  // "valueQuantity": that type only
    } else if (raw != "resourceType") {
      unknown.push_back(raw);
    }
  }

  SubsetOutcome outcome =
      KeepTopLevel(doc, resource, type, [&](const Member&, const Property* prop) {
        if (prop == nullptr) return false;
        if (prop->element->mandatory()) return true;
        for (const ElementDef* el : elements) {
          if (el == prop->element) return true;
        }
        for (const Property* v : variants) {
          if (v->type == prop->type && v->element == prop->element) return true;
        }
        return false;
      });
  outcome.unknown_elements = std::move(unknown);
  return outcome;
}

}  // namespace fhirengine::fhir
