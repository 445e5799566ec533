// Element access on the JSON tree, typed by the R4 type model.
#include "engine/fhirpath/navigation.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace fhirengine::fhirpath::internal {
namespace {

// Appends one element's value(s): arrays are flattened and paired with the
// "_name" twin array; resources are typed by their own resourceType.
void AddValues(const json::Value* value, const json::Value* twin, const fhir::TypeDef* type,
               const json::Value* resource, const fhir::TypeModel& model, Collection& out) {
  auto add = [&](const json::Value* v, const json::Value* tw) {
    if (v != nullptr && v->IsNull()) v = nullptr;
    if (tw != nullptr && tw->IsNull()) tw = nullptr;
    if (v == nullptr && tw == nullptr) return;
    Node n{v, tw, type, resource};
    if (v != nullptr && v->IsObject() && (type == nullptr || type->IsResource()) &&
        v->Find("resourceType") != nullptr) {
      if (const fhir::TypeDef* rt = ResourceType(*v, model)) {
        n.type = rt;
        n.resource = v;
      }
    }
    out.push_back(Item::FromNode(n));
  };
  if (value != nullptr && value->IsArray()) {
    // Grow geometrically: a step over many inputs appends here many times.
    const std::size_t needed = out.size() + value->elements().size();
    if (out.capacity() < needed) out.reserve(std::max(needed, 2 * out.capacity()));
    std::span<const json::Value> twins;
    if (twin != nullptr && twin->IsArray()) twins = twin->elements();
    const std::span<const json::Value> values = value->elements();
    for (std::size_t i = 0; i < values.size(); ++i) {
      add(&values[i], i < twins.size() ? &twins[i] : nullptr);
    }
  } else if (value == nullptr && twin != nullptr && twin->IsArray()) {
    for (const json::Value& tw : twin->elements()) add(nullptr, &tw);
  } else {
    add(value, twin);
  }
}

const json::Value* FindTwin(const json::Value& object, std::string_view name) {
  // "_" + name, on the stack for the usual short names.
  char buffer[64];
  if (name.size() < sizeof(buffer)) {
    buffer[0] = '_';
    name.copy(buffer + 1, name.size());
    return object.Find(std::string_view(buffer, name.size() + 1));
  }
  std::string key;
  key.reserve(name.size() + 1);
  key.push_back('_');
  key.append(name);
  return object.Find(key);
}

// The R4 data type a choice element's JSON name ends in ("String" of
// valueString is string, "Coding" of valueCoding is Coding), or nullptr.
const fhir::TypeDef* ChoiceSuffixType(std::string_view suffix, const fhir::TypeModel& model) {
  if (suffix.empty() || !std::isupper(static_cast<unsigned char>(suffix[0]))) return nullptr;
  const fhir::TypeDef* type = model.Find(suffix);
  if (type == nullptr) {
    std::string primitive(suffix);
    primitive[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(primitive[0])));
    type = model.Find(primitive);
  }
  return type != nullptr && !type->IsResource() ? type : nullptr;
}

// `name` on an untyped object that has no member of that name: the choice
// element value[x] is navigated as `value` (R4 FHIRPath, polymorphism), so the
// one member named `name` plus a data type's name (valueString, _valueString,
// valueCoding) stands for it, typed by that suffix.
void AppendUntypedChoice(const json::Value& object, std::string_view name,
                         const json::Value* resource, const fhir::TypeModel& model,
                         Collection& out) {
  // Only names that are choices somewhere in FHIR: `ward` on a source
  // record with a `wardId` member is not a choice, and stays empty.
  if (!model.IsChoiceName(name)) return;
  for (const json::Member& m : object.members()) {
    std::string_view key = m.key;
    if (!key.empty() && key[0] == '_') key.remove_prefix(1);
    if (key.size() <= name.size() || !key.starts_with(name)) continue;
    const fhir::TypeDef* type = ChoiceSuffixType(key.substr(name.size()), model);
    if (type == nullptr) continue;
    AddValues(object.Find(key), type->IsPrimitive() ? FindTwin(object, key) : nullptr, type,
              resource, model, out);
    return;
  }
}

// The element `name` of `t`: by the hashed JSON property names (the same for
// elements that are not choices), else by a scan of the elements.
const fhir::ElementDef* FindElementFast(const fhir::TypeDef& t, std::string_view name) {
  if (const fhir::Property* p = t.FindProperty(name); p != nullptr && p->element->name == name) {
    return p->element;
  }
  return t.FindElement(name);
}

}  // namespace

Node RootNode(const json::Value& resource, const fhir::TypeModel& model) {
  return Node{&resource, nullptr, ResourceType(resource, model), &resource};
}

bool AppendMember(const Node& node, std::string_view name, const fhir::TypeModel& model,
                  bool lenient_choice, Collection& out) {
  const fhir::TypeDef* t = node.type;
  if (t == nullptr) {
    if (node.value != nullptr && node.value->IsObject()) {
      if (const json::Value* v = node.value->Find(name)) {
        AddValues(v, nullptr, nullptr, node.resource, model, out);
      } else {
        AppendUntypedChoice(*node.value, name, node.resource, model, out);
      }
    }
    return true;
  }
  if (t->IsPrimitive()) {
    if (name != "extension" && name != "id") return false;
    if (node.twin != nullptr && node.twin->IsObject()) {
      const fhir::ElementDef* e = t->FindElement(name);
      const fhir::TypeDef* type = (e != nullptr && !e->types.empty()) ? e->types[0].type : nullptr;
      AddValues(node.twin->Find(name), nullptr, type, node.resource, model, out);
    }
    return true;
  }
  const fhir::ElementDef* e = FindElementFast(*t, name);
  const bool is_object = node.value != nullptr && node.value->IsObject();
  if (e != nullptr) {
    if (!is_object) return true;
    const json::Value& object = *node.value;
    if (e->is_choice) {
      // The one member whose name is this element's name plus a type suffix.
      for (const json::Member& m : object.members()) {
        std::string_view key = m.key;
        if (!key.empty() && key[0] == '_') key.remove_prefix(1);
        if (key.size() <= name.size() || !key.starts_with(name)) continue;
        const fhir::Property* p = t->FindProperty(key);
        if (p == nullptr || p->element != e) continue;
        AddValues(object.Find(key), FindTwin(object, key), p->type->type, node.resource, model,
                  out);
        break;
      }
      return true;
    }
    const fhir::TypeDef* type = e->types.empty() ? nullptr : e->types[0].type;
    const bool primitive = type != nullptr && type->IsPrimitive();
    AddValues(object.Find(name), primitive ? FindTwin(object, name) : nullptr, type, node.resource,
              model, out);
    return true;
  }
  if (lenient_choice) {
    const fhir::Property* p = t->FindProperty(name);
    if (p != nullptr && p->element->is_choice) {
      if (is_object) {
        AddValues(node.value->Find(name), FindTwin(*node.value, name), p->type->type, node.resource,
                  model, out);
      }
      return true;
    }
  }
  return false;
}

void AppendChildren(const Node& node, const fhir::TypeModel& model, Collection& out) {
  const fhir::TypeDef* t = node.type;
  if (node.value == nullptr || !node.value->IsObject()) {
    // A primitive: its id and extensions live in the twin.
    if (node.twin != nullptr && node.twin->IsObject() && t != nullptr) {
      AppendMember(node, "id", model, false, out);
      AppendMember(node, "extension", model, false, out);
    }
    return;
  }
  const json::Value& object = *node.value;
  for (const json::Member& m : object.members()) {
    std::string_view key = m.key;
    if (key == "resourceType") continue;
    const json::Value* value = &m.value;
    const json::Value* twin = nullptr;
    if (!key.empty() && key[0] == '_') {
      key.remove_prefix(1);
      if (object.Find(key) != nullptr) continue;  // listed with its value
      twin = value;
      value = nullptr;
    } else {
      twin = FindTwin(object, key);
    }
    const fhir::TypeDef* type = nullptr;
    if (t != nullptr) {
      if (const fhir::Property* p = t->FindProperty(key)) type = p->type->type;
    }
    AddValues(value, twin, type, node.resource, model, out);
  }
}

void AppendExtensions(const Node& node, std::string_view url, const fhir::TypeModel& model,
                      Collection& out) {
  Collection all;
  if (node.type != nullptr) {
    AppendMember(node, "extension", model, false, all);
  } else if (node.value != nullptr && node.value->IsObject()) {
    AppendMember(node, "extension", model, false, all);
  }
  for (Item& item : all) {
    const json::Value* v = item.node().value;
    if (v == nullptr || !v->IsObject()) continue;
    const json::Value* u = v->Find("url");
    if (u != nullptr && u->IsString() && u->text() == url) out.push_back(std::move(item));
  }
}

}  // namespace fhirengine::fhirpath::internal
