// Native ele-1. The count below mirrors, item for item, what navigation.cc
// appends for children() (the "_name" twins of primitives included), so the
// verdicts cannot drift apart.
#include "engine/fhirpath/element_invariants.h"

#include "engine/fhirpath/navigation.h"

namespace fhirengine::fhirpath {
namespace {

constexpr std::string_view kEle1 = "hasValue() or (children().count() > id.count())";

const json::Value* Twin(const json::Value& object, std::string_view name) {
  char buffer[64];
  if (name.size() < sizeof(buffer)) {
    buffer[0] = '_';
    name.copy(buffer + 1, name.size());
    return object.Find(std::string_view(buffer, name.size() + 1));
  }
  return object.Find("_" + std::string(name));
}

bool Present(const json::Value* v) { return v != nullptr && !v->IsNull(); }

// How many items AddValues (navigation.cc) appends for a value and its twin;
// `twin` is looked up only when it can change the count.
std::size_t CountValues(const json::Value* value, const json::Value& object,
                        std::string_view twin_name, const json::Value* twin, bool twin_known) {
  auto get_twin = [&]() {
    if (!twin_known) {
      twin = Twin(object, twin_name);
      twin_known = true;
    }
    return twin;
  };
  if (value != nullptr && value->IsArray()) {
    std::size_t n = 0;
    std::span<const json::Value> twins;
    const std::span<const json::Value> values = value->elements();
    bool looked = false;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!values[i].IsNull()) {
        ++n;
        continue;
      }
      if (!looked) {
        const json::Value* t = get_twin();
        if (t != nullptr && t->IsArray()) twins = t->elements();
        looked = true;
      }
      if (i < twins.size() && !twins[i].IsNull()) ++n;
    }
    return n;
  }
  if (Present(value)) return 1;
  const json::Value* t = get_twin();
  if (value == nullptr && t != nullptr && t->IsArray()) {
    std::size_t n = 0;
    for (const json::Value& tw : t->elements()) n += tw.IsNull() ? 0u : 1u;
    return n;
  }
  return Present(t) ? 1 : 0;
}

// children().count() on an object value (AppendChildren's member loop).
std::size_t CountObjectChildren(const json::Value& object) {
  std::size_t n = 0;
  for (const json::Member& m : object.members()) {
    std::string_view key = m.key;
    if (key == "resourceType") continue;
    if (!key.empty() && key[0] == '_') {
      key.remove_prefix(1);
      if (object.Find(key) != nullptr) continue;  // counted with its value
      n += CountValues(nullptr, object, key, &m.value, true);
    } else {
      n += CountValues(&m.value, object, key, nullptr, false);
    }
  }
  return n;
}

std::optional<bool> Ele1(const Node& node, const fhir::TypeModel& model) {
  // hasValue(), as functions.cc computes it for a single node.
  const bool primitive = node.type == nullptr ? (node.value != nullptr && !node.value->IsObject() &&
                                                 !node.value->IsArray())
                                              : node.type->IsPrimitive();
  if (primitive && Present(node.value)) return true;
  // id.count(); an unknown "id" is an error in the evaluator: leave it to it.
  Collection ids;
  if (!internal::AppendMember(node, "id", model, false, ids)) return std::nullopt;
  std::size_t children = 0;
  if (node.value != nullptr && node.value->IsObject()) {
    children = CountObjectChildren(*node.value);
  } else {
    Collection items;  // a primitive's twin: rare, so the general code
    internal::AppendChildren(node, model, items);
    children = items.size();
  }
  return children > ids.size();
}

}  // namespace

ElementInvariant FindElementInvariant(std::string_view key, std::string_view expression) {
  if (key == "ele-1" && expression == kEle1) return ElementInvariant::kEle1;
  return ElementInvariant::kNone;
}

std::optional<bool> CheckElementInvariant(ElementInvariant invariant, const Node& node,
                                          const fhir::TypeModel& model) {
  switch (invariant) {
    case ElementInvariant::kEle1:
      return Ele1(node, model);
    case ElementInvariant::kNone:
      break;
  }
  return std::nullopt;
}

}  // namespace fhirengine::fhirpath
