// The structural validator: one walk over the JSON tree beside the type model.
// Paths are kept as a chain of stack frames and turned into text only when an
// issue is reported, so valid input costs no string building.
#include "engine/validation/structural_validator.h"

#include <algorithm>
#include <string>
#include <vector>

#include "engine/fhir/primitive_types.h"
#include "engine/fhir/xhtml.h"

namespace fhirengine::validation {
namespace {

using fhir::ElementDef;
using fhir::ElementType;
using fhir::JsonRepr;
using fhir::TypeDef;
using json::Kind;
using json::Value;

// One step of the FHIRPath to the current node.
struct PathFrame {
  const PathFrame* parent;
  std::string_view name;
  std::ptrdiff_t index;  // -1 when not an array element
};

// `s` fit for a message: control characters written as \uXXXX (FHIR strings
// may not hold them) and, past `max` bytes, cut on a UTF-8 boundary with "...".
std::string Printable(std::string_view s, std::size_t max = std::string_view::npos) {
  bool cut = false;
  if (s.size() > max) {
    std::size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    s = s.substr(0, end);
    cut = true;
  }
  std::string out;
  out.reserve(s.size() + 3);
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  if (cut) out += "...";
  return out;
}

std::string PathText(const PathFrame* frame) {
  std::vector<const PathFrame*> chain;
  for (const PathFrame* f = frame; f != nullptr; f = f->parent) chain.push_back(f);
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (!out.empty()) out += '.';
    out += Printable((*it)->name);
    if ((*it)->index >= 0) {
      out += '[';
      out += std::to_string((*it)->index);
      out += ']';
    }
  }
  return out;
}

// "a" or "an" before a type name ("an id", "a decimal").
std::string Article(std::string_view word) {
  if (word.starts_with("ur") || word.starts_with("uu")) return "a";  // "a uri", "a uuid"
  return !word.empty() && std::string_view("aeiouAEIOU").find(word[0]) != std::string_view::npos
             ? "an"
             : "a";
}

std::string Quote(std::string_view s) { return "'" + Printable(s, 80) + "'"; }

class Validator {
 public:
  Validator(const fhir::TypeModel& model, IssueSink& sink) : model_(model), sink_(sink) {}

  void Resource(const Value& v, const PathFrame* parent, std::string_view name,
                std::ptrdiff_t index) {
    PathFrame here{parent, name, index};
    if (!v.IsObject()) {
      Error(IssueType::kStructure, &here,
            "a resource must be a JSON object, found " + std::string(json::KindName(v.kind())));
      return;
    }
    const Value* rt = v.Find("resourceType");
    if (rt == nullptr) {
      Error(IssueType::kStructure, &here, "missing 'resourceType' (a string naming the type)");
      return;
    }
    if (!rt->IsString()) {
      Error(IssueType::kStructure, &here,
            "'resourceType' must be a string naming the type, found " +
                std::string(json::KindName(rt->kind())));
      return;
    }
    const TypeDef* type = model_.Find(rt->text());
    if (type == nullptr || !type->IsResource()) {
      Error(IssueType::kNotSupported, &here,
            "unknown resourceType " + Quote(rt->text()) + " (not an R4 resource type)");
      return;
    }
    if (type->is_abstract) {
      Error(IssueType::kStructure, &here,
            "resourceType " + Quote(rt->text()) + " is abstract and cannot be instantiated");
      return;
    }
    // The root is named by its type, as in FHIRPath ("Patient.name").
    PathFrame root{parent, parent == nullptr ? type->name : name, index};
    Object(v, *type, &root, /*is_resource=*/true);
  }

 private:
  void Object(const Value& obj, const TypeDef& type, const PathFrame* path, bool is_resource) {
    if (obj.size() == 0) {
      Error(IssueType::kStructure, path, "empty object: an element must have a value or children");
      return;
    }
    // Per element: number of values seen, and the choice type that was used.
    const std::size_t n = type.elements.size();
    counts_.resize(counts_.size() + n, 0);
    const std::size_t base = counts_.size() - n;
    choice_.resize(counts_.size(), nullptr);

    for (const json::Member& m : obj.members()) {
      // In a resource, resourceType names its type; elsewhere it is an
      // ordinary element where the type defines one (ExampleScenario.instance).
      if (is_resource && m.key == "resourceType") continue;
      const bool underscore = !m.key.empty() && m.key[0] == '_';
      std::string_view name = underscore ? m.key.substr(1) : m.key;
      const fhir::Property* prop = type.FindProperty(name);
      if (prop == nullptr) {
        Unknown(m.key, path);
        continue;
      }
      const ElementDef& el = *prop->element;
      const ElementType& et = *prop->type;
      const auto idx = base + static_cast<std::size_t>(&el - type.elements.data());
      PathFrame child{path, name, -1};

      if (el.is_choice) {
        if (choice_[idx] != nullptr && choice_[idx] != &et) {
          Error(IssueType::kStructure, &child,
                "more than one type given for choice element '" + el.name + "[x]'");
        }
        choice_[idx] = &et;
      }
      const bool primitive = et.type != nullptr && et.type->IsPrimitive();
      if (underscore && (!primitive || el.xml_attr)) {
        Unknown(m.key, path);
        continue;
      }
      const std::size_t seen = Element(m.value, el, et, &child, underscore, obj, name);
      counts_[idx] = std::max(counts_[idx], static_cast<std::uint32_t>(seen));
    }

    for (std::size_t i = 0; i < n; ++i) {
      const ElementDef& el = type.elements[i];
      const std::uint32_t count = counts_[base + i];
      if (count < el.min) {
        PathFrame child{path, el.name, -1};
        Error(IssueType::kRequired, &child,
              "element '" + el.name + (el.is_choice ? "[x]" : "") + "' is required (min " +
                  std::to_string(el.min) + "), found " + std::to_string(count));
      }
      if (count > el.max) {
        PathFrame child{path, el.name, -1};
        Error(IssueType::kStructure, &child,
              "element '" + el.name + "' allows at most " + std::to_string(el.max) + ", found " +
                  std::to_string(count));
      }
    }
    counts_.resize(base);
    choice_.resize(base);
  }

  // Validates one member (a value or its "_" twin); returns how many values it holds.
  std::size_t Element(const Value& v, const ElementDef& el, const ElementType& et, PathFrame* path,
                      bool underscore, const Value& owner, std::string_view name) {
    if (!el.repeating()) {
      if (v.IsArray()) {
        Error(IssueType::kStructure, path,
              "element '" + el.name + "' does not repeat: give a single value, not an array");
        return 1;
      }
      if (underscore) {
        PrimitiveElement(v, *et.type, path);
      } else if (v.IsNull()) {
        Error(IssueType::kStructure, path, "null is not a value: leave the element out instead");
      } else {
        Item(v, el, et, path);
      }
      return 1;
    }
    if (!v.IsArray()) {
      Error(IssueType::kStructure, path,
            "element '" + el.name + "' repeats: it must be a JSON array, found " +
                std::string(json::KindName(v.kind())));
      return 1;
    }
    if (v.size() == 0) {
      Error(IssueType::kStructure, path, "empty array: leave the element out instead");
      return 0;
    }
    // For primitives, values and "_" twins are matched by index; a null is a
    // placeholder only where the twin has an entry.
    const Value* twin = nullptr;
    if (et.type != nullptr && et.type->IsPrimitive()) {
      std::string twin_name = underscore ? std::string(name) : "_" + std::string(name);
      twin = owner.Find(twin_name);
      if (twin != nullptr && twin->IsArray() && twin->size() != v.size() && !underscore) {
        Error(IssueType::kStructure, path,
              "'" + std::string(name) + "' and '_" + std::string(name) +
                  "' must have the same number of entries");
      }
    }
    std::span<const Value> items = v.elements();
    for (std::size_t i = 0; i < items.size(); ++i) {
      path->index = static_cast<std::ptrdiff_t>(i);
      const Value& item = items[i];
      if (item.IsNull()) {
        const bool twin_has =
            twin != nullptr && twin->IsArray() && i < twin->size() && !twin->elements()[i].IsNull();
        // When both sides hold null, the value side reports it (once).
        if (!twin_has && !(underscore && twin != nullptr && twin->IsArray())) {
          Error(IssueType::kStructure, path,
                twin == nullptr ? "null is not a value"
                                : "null in both '" + std::string(name) + "' and its '_' twin");
        }
        continue;
      }
      if (underscore) {
        PrimitiveElement(item, *et.type, path);
      } else {
        Item(item, el, et, path);
      }
    }
    path->index = -1;
    return items.size();
  }

  // The "_name" object of a primitive: only id and extension.
  void PrimitiveElement(const Value& v, const TypeDef& primitive, const PathFrame* path) {
    if (!v.IsObject()) {
      Error(IssueType::kStructure, path,
            "a primitive's '_' entry must be an object with id and/or extension, found " +
                std::string(json::KindName(v.kind())));
      return;
    }
    if (v.size() == 0) {
      Error(IssueType::kStructure, path, "empty object: an element must have a value or children");
      return;
    }
    for (const json::Member& m : v.members()) {
      const fhir::Property* prop = primitive.FindProperty(m.key);
      if (prop == nullptr || prop->element->name == "value") {
        Unknown(m.key, path);
        continue;
      }
      PathFrame child{path, m.key, -1};
      Element(m.value, *prop->element, *prop->type, &child, false, v, m.key);
    }
  }

  void Item(const Value& v, const ElementDef& el, const ElementType& et, const PathFrame* path) {
    const TypeDef* type = et.type;
    if (type == nullptr) return;  // cannot happen: the model resolves every type
    if (type->IsPrimitive()) {
      PrimitiveValue(v, *type, path);
      return;
    }
    if (type->IsResource()) {  // contained, Bundle.entry.resource, Parameters...resource
      Resource(v, path->parent, path->name, path->index);
      return;
    }
    if (!v.IsObject()) {
      Error(IssueType::kStructure, path,
            "element '" + el.name + "' of type " + et.code + " must be a JSON object, found " +
                std::string(json::KindName(v.kind())));
      return;
    }
    Object(v, *type, path, /*is_resource=*/false);
  }

  void PrimitiveValue(const Value& v, const TypeDef& type, const PathFrame* path) {
    Kind expected = Kind::kString;
    bool ok = false;
    switch (type.json_repr) {
      case JsonRepr::kString:
        ok = v.IsString();
        break;
      case JsonRepr::kNumber:
        ok = v.IsNumber();
        expected = Kind::kNumber;
        break;
      case JsonRepr::kBoolean:
        ok = v.IsBool();
        expected = Kind::kTrue;
        break;
    }
    if (!ok) {
      Error(IssueType::kStructure, path,
            Article(type.name) + " " + type.name + " value must be " +
                std::string(json::KindName(expected)) + " in JSON, found " +
                std::string(json::KindName(v.kind())));
      return;
    }
    if (v.IsBool()) return;
    std::string_view text = v.text();
    if (type.primitive == fhir::Primitive::kXhtml) {
      std::string reason = fhir::CheckXhtmlDiv(text);
      if (!reason.empty()) Error(IssueType::kValue, path, "invalid xhtml: " + reason);
      return;
    }
    std::string reason = fhir::CheckPrimitive(type.primitive, text);
    if (!reason.empty()) {
      Error(IssueType::kValue, path,
            "invalid " + type.name + " value " + Quote(text) + ": " + reason);
    }
  }

  void Unknown(std::string_view key, const PathFrame* path) {
    PathFrame child{path, key, -1};
    Error(IssueType::kStructure, &child, "unknown element " + Quote(key));
  }

  void Error(IssueType type, const PathFrame* path, std::string message) {
    // A hostile document can hold millions of faults; the report stays bounded.
    if (reported_ == kMaxIssues) {
      sink_.Report(Issue{
          Severity::kError, IssueType::kTooCostly, "",
          "more than " + std::to_string(kMaxIssues) + " issues: validation stopped reporting"});
    }
    if (reported_++ >= kMaxIssues) return;
    sink_.Report(Issue{Severity::kError, type, PathText(path), std::move(message)});
  }

  static constexpr std::size_t kMaxIssues = 1000;
  std::size_t reported_ = 0;

  const fhir::TypeModel& model_;
  IssueSink& sink_;
  // Per-object counters, stacked as objects nest (no allocation per object).
  std::vector<std::uint32_t> counts_;
  std::vector<const ElementType*> choice_;
};

}  // namespace

Status ValidateStructure(const json::Value& resource, IssueSink& sink,
                         const fhir::TypeModel& model) {
  Validator validator(model, sink);
  validator.Resource(resource, nullptr, "", -1);
  return Status::Ok();
}

}  // namespace fhirengine::validation
