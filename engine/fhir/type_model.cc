// Loads the derived type model and links it: backbone elements become their
// own TypeDefs, content references and type codes resolve to TypeDef pointers,
// and every JSON property name (choice variants included) is indexed.
#include "engine/fhir/type_model.h"

#include <algorithm>
#include <mutex>

#include "engine/fhir/embedded_definitions.h"
#include "engine/json/json_parser.h"

namespace fhirengine::fhir {
namespace {

Primitive PrimitiveFromName(std::string_view n) {
  static const std::pair<std::string_view, Primitive> kTable[] = {
      {"base64Binary", Primitive::kBase64Binary},
      {"boolean", Primitive::kBoolean},
      {"canonical", Primitive::kCanonical},
      {"code", Primitive::kCode},
      {"date", Primitive::kDate},
      {"dateTime", Primitive::kDateTime},
      {"decimal", Primitive::kDecimal},
      {"id", Primitive::kId},
      {"instant", Primitive::kInstant},
      {"integer", Primitive::kInteger},
      {"markdown", Primitive::kMarkdown},
      {"oid", Primitive::kOid},
      {"positiveInt", Primitive::kPositiveInt},
      {"string", Primitive::kString},
      {"time", Primitive::kTime},
      {"unsignedInt", Primitive::kUnsignedInt},
      {"uri", Primitive::kUri},
      {"url", Primitive::kUrl},
      {"uuid", Primitive::kUuid},
      {"xhtml", Primitive::kXhtml},
  };
  for (const auto& [name, p] : kTable) {
    if (name == n) return p;
  }
  return Primitive::kNone;
}

std::string_view Str(const json::Value& obj, std::string_view key) {
  const json::Value* v = obj.Find(key);
  return (v != nullptr && v->IsString()) ? v->text() : std::string_view();
}

std::string UpperFirst(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

std::string_view ParentPath(std::string_view path) {
  std::size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

}  // namespace

const Property* TypeDef::FindProperty(std::string_view json_name) const {
  auto it = properties.find(json_name);
  return it == properties.end() ? nullptr : &it->second;
}

const ElementDef* TypeDef::FindElement(std::string_view element_name) const {
  for (const ElementDef& e : elements) {
    if (e.name == element_name) return &e;
  }
  return nullptr;
}

const TypeDef* TypeModel::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

bool TypeModel::IsChoiceName(std::string_view name) const {
  return choice_names_.find(name) != choice_names_.end();
}

const TypeDef* TypeModel::FindResource(std::string_view name) const {
  const TypeDef* t = Find(name);
  return (t != nullptr && t->IsResource() && !t->is_abstract) ? t : nullptr;
}

const TypeModel& TypeModel::R4() {
  static const TypeModel* model = [] {
    Result<std::unique_ptr<TypeModel>> loaded = Load(EmbeddedR4TypeModel());
    FE_CHECK(loaded.ok());  // the embedded model is part of the build
    return std::move(loaded).value().release();
  }();
  return *model;
}

Result<std::unique_ptr<TypeModel>> TypeModel::Load(std::string_view json_text) {
  ParseLimits limits;
  Result<json::Document> parsed = json::Parse(json_text, limits);
  if (!parsed.ok())
    return Status(parsed.status().code(), "type model: " + parsed.status().message());
  const json::Value& root = parsed->root();
  const json::Value* types = root.Find("types");
  if (types == nullptr || !types->IsArray()) return InvalidArgument("type model: no 'types' array");

  std::unique_ptr<TypeModel> model(new TypeModel());
  model->fhir_version_ = std::string(Str(root, "fhirVersion"));

  // Regexes of primitives come from the "primitives" table.
  std::unordered_map<std::string, std::string> regexes;
  if (const json::Value* prims = root.Find("primitives")) {
    for (const json::Value& p : prims->elements()) {
      regexes[std::string(Str(p, "name"))] = std::string(Str(p, "regex"));
    }
  }

  // Pass 1: TypeDefs and their elements, creating backbone TypeDefs for every
  // element path that has children.
  struct PendingBase {
    TypeDef* type;
    std::string base;
  };
  std::vector<PendingBase> bases;
  std::vector<std::pair<ElementType*, std::string>> content_refs;
  for (const json::Value& t : types->elements()) {
    if (Str(t, "derivation") == "constraint") continue;  // SimpleQuantity etc.: profiles
    TypeDef& def = model->types_.emplace_back();
    def.name = std::string(Str(t, "name"));
    std::string_view kind = Str(t, "kind");
    def.kind = kind == "resource"         ? TypeKind::kResource
               : kind == "primitive-type" ? TypeKind::kPrimitive
               : kind == "logical"        ? TypeKind::kLogical
                                          : TypeKind::kComplex;
    const json::Value* abstract = t.Find("abstract");
    def.is_abstract = abstract != nullptr && abstract->IsBool() && abstract->GetBool();
    if (def.IsPrimitive()) {
      def.primitive = PrimitiveFromName(def.name);
      def.json_repr =
          def.primitive == Primitive::kBoolean ? JsonRepr::kBoolean
          : (def.primitive == Primitive::kDecimal || def.primitive == Primitive::kInteger ||
             def.primitive == Primitive::kPositiveInt || def.primitive == Primitive::kUnsignedInt)
              ? JsonRepr::kNumber
              : JsonRepr::kString;
      def.regex = regexes[def.name];
    }
    if (!Str(t, "base").empty()) bases.push_back({&def, std::string(Str(t, "base"))});
    model->by_name_[def.name] = &def;

    std::unordered_map<std::string, TypeDef*> owners{{def.name, &def}};
    const json::Value* elements = t.Find("elements");
    if (elements == nullptr) continue;
    for (const json::Value& e : elements->elements()) {
      std::string path(Str(e, "path"));
      std::string parent(ParentPath(path));
      auto owner_it = owners.find(parent);
      if (owner_it == owners.end()) {
        // First child of a backbone element: the parent becomes a TypeDef.
        TypeDef& backbone = model->types_.emplace_back();
        backbone.name = parent;
        backbone.kind = TypeKind::kBackbone;
        model->by_name_[backbone.name] = &backbone;
        owner_it = owners.emplace(parent, &backbone).first;
      }
      ElementDef& el = owner_it->second->elements.emplace_back();
      el.path = path;
      std::string_view last = std::string_view(path).substr(parent.size() + 1);
      el.is_choice = last.ends_with("[x]");
      el.name = std::string(el.is_choice ? last.substr(0, last.size() - 3) : last);
      if (const json::Value* min = e.Find("min"); min != nullptr && min->IsNumber()) {
        el.min = static_cast<std::uint32_t>(std::stoul(std::string(min->text())));
      }
      std::string_view max = Str(e, "max");
      el.max = max == "*" ? kUnbounded : static_cast<std::uint32_t>(std::stoul(std::string(max)));
      if (const json::Value* attr = e.Find("xmlAttr"); attr != nullptr && attr->IsBool()) {
        el.xml_attr = attr->GetBool();
      }
      if (const json::Value* summary = e.Find("isSummary");
          summary != nullptr && summary->IsBool()) {
        el.is_summary = summary->GetBool();
      }
      if (const json::Value* b = e.Find("binding")) {
        el.binding = Binding{std::string(Str(*b, "strength")), std::string(Str(*b, "valueSet"))};
      }
      if (const json::Value* ts = e.Find("types")) {
        for (const json::Value& ty : ts->elements()) {
          ElementType& et = el.types.emplace_back();
          et.code = std::string(Str(ty, "code"));
          if (el.is_choice) et.choice_suffix = UpperFirst(et.code);
          if (const json::Value* tp = ty.Find("targetProfile")) {
            for (const json::Value& p : tp->elements()) et.target_profiles.emplace_back(p.text());
          }
        }
      }
      std::string_view content_ref = Str(e, "contentReference");
      if (!content_ref.empty()) {
        ElementType& et = el.types.emplace_back();
        et.code = "BackboneElement";
        content_refs.emplace_back(&et, std::string(content_ref));
      }
    }
  }

  // Pass 2: resolve type codes, content references and bases.
  for (TypeDef& def : model->types_) {
    for (ElementDef& el : def.elements) {
      for (ElementType& et : el.types) {
        if (et.type != nullptr) continue;
        // An element with children has its own backbone TypeDef.
        if (const TypeDef* backbone = model->Find(el.path);
            backbone != nullptr && backbone->kind == TypeKind::kBackbone) {
          et.type = backbone;
        } else {
          et.type = model->Find(et.code);
        }
      }
    }
  }
  for (auto& [et, ref] : content_refs) {
    et->type = model->Find(ref);
    if (et->type == nullptr)
      return InvalidArgument("type model: unresolved contentReference " + ref);
  }
  for (auto& [def, base] : bases) def->base = model->Find(base);

  // Pass 3: index JSON property names and check that every type resolved.
  for (TypeDef& def : model->types_) {
    for (ElementDef& el : def.elements) {
      if (el.types.empty()) return InvalidArgument("type model: element without type " + el.path);
      for (ElementType& et : el.types) {
        if (et.type == nullptr && !def.IsPrimitive()) {
          return InvalidArgument("type model: unknown type " + et.code + " at " + el.path);
        }
        std::string json_name = el.is_choice ? el.name + et.choice_suffix : el.name;
        def.properties[json_name] = Property{&el, &et};
      }
      if (el.is_choice) model->choice_names_.insert(el.name);
    }
    if (def.IsResource()) model->resources_.push_back(&def);
  }
  std::sort(model->resources_.begin(), model->resources_.end(),
            [](const TypeDef* a, const TypeDef* b) { return a->name < b->name; });
  return model;
}

}  // namespace fhirengine::fhir
