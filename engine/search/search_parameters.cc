// Loading and compiling the SearchParameter definitions.
#include "engine/search/search_parameters.h"

#include "engine/fhir/embedded_definitions.h"
#include "engine/json/json_parser.h"

namespace fhirengine::search {
namespace {

std::optional<ParamType> ParamTypeFromName(std::string_view n) {
  static const std::pair<std::string_view, ParamType> kTable[] = {
      {"number", ParamType::kNumber},       {"date", ParamType::kDate},
      {"string", ParamType::kString},       {"token", ParamType::kToken},
      {"reference", ParamType::kReference}, {"composite", ParamType::kComposite},
      {"quantity", ParamType::kQuantity},   {"uri", ParamType::kUri},
      {"special", ParamType::kSpecial},
  };
  for (const auto& [name, t] : kTable) {
    if (name == n) return t;
  }
  return std::nullopt;
}

std::vector<std::string> Strings(const json::Value& obj, std::string_view key) {
  std::vector<std::string> out;
  if (const json::Value* v = obj.Find(key)) {
    for (const json::Value& e : v->elements()) {
      if (e.IsString()) out.emplace_back(e.text());
    }
  }
  return out;
}

}  // namespace

std::string_view ParamTypeName(ParamType t) {
  switch (t) {
    case ParamType::kNumber:
      return "number";
    case ParamType::kDate:
      return "date";
    case ParamType::kString:
      return "string";
    case ParamType::kToken:
      return "token";
    case ParamType::kReference:
      return "reference";
    case ParamType::kComposite:
      return "composite";
    case ParamType::kQuantity:
      return "quantity";
    case ParamType::kUri:
      return "uri";
    case ParamType::kSpecial:
      return "special";
  }
  return "token";
}

const SearchParameterRegistry& SearchParameterRegistry::R4() {
  static const SearchParameterRegistry* registry = [] {
    Result<std::unique_ptr<SearchParameterRegistry>> loaded =
        Load({fhir::EmbeddedR4SearchParameters()});
    FE_CHECK(loaded.ok());  // the embedded definitions are part of the build
    return std::move(loaded).value().release();
  }();
  return *registry;
}

const SearchParameterRegistry& SearchParameterRegistry::Default() {
  static const SearchParameterRegistry* registry = [] {
    Result<std::unique_ptr<SearchParameterRegistry>> loaded =
        Load({fhir::EmbeddedR4SearchParameters(), fhir::EmbeddedRegionalSearchParameters()});
    FE_CHECK(loaded.ok());  // the embedded definitions are part of the build
    return std::move(loaded).value().release();
  }();
  return *registry;
}

Result<std::unique_ptr<SearchParameterRegistry>> SearchParameterRegistry::Load(
    std::string_view json_text) {
  return Load(std::vector<std::string_view>{json_text});
}

Result<std::unique_ptr<SearchParameterRegistry>> SearchParameterRegistry::Load(
    const std::vector<std::string_view>& json_texts) {
  std::unique_ptr<SearchParameterRegistry> registry(new SearchParameterRegistry());
  for (std::string_view text : json_texts) {
    if (Status added = registry->Add(text); !added.ok()) return added;
  }
  registry->Specialize();
  return registry;
}

Status SearchParameterRegistry::Add(std::string_view json_text) {
  ParseLimits limits;
  Result<json::Document> doc = json::Parse(json_text, limits);
  if (!doc.ok()) return Status(doc.status().code(), "search parameters: " + doc.status().message());
  // The derived file's {"searchParameters": [...]}, or a Bundle of
  // SearchParameter resources (the regional definitions).
  std::vector<const json::Value*> list;
  if (const json::Value* params = doc->root().Find("searchParameters");
      params != nullptr && params->IsArray()) {
    for (const json::Value& p : params->elements()) list.push_back(&p);
  } else if (const json::Value* entries = doc->root().Find("entry");
             entries != nullptr && entries->IsArray()) {
    for (const json::Value& e : entries->elements()) {
      const json::Value* r = e.Find("resource");
      const json::Value* rt = r != nullptr ? r->Find("resourceType") : nullptr;
      if (rt == nullptr || !rt->IsString() || rt->text() != "SearchParameter") {
        return InvalidArgument("search parameters: a Bundle entry is not a SearchParameter");
      }
      list.push_back(r);
    }
  } else {
    return InvalidArgument(
        "search parameters: neither a 'searchParameters' array nor a Bundle of SearchParameters");
  }
  const fhir::TypeModel& model = fhir::TypeModel::R4();
  for (const json::Value* entry : list) {
    const json::Value& p = *entry;
    auto param = std::make_unique<SearchParameter>();
    if (const json::Value* v = p.Find("url"); v != nullptr && v->IsString()) param->url = v->text();
    if (const json::Value* v = p.Find("code"); v != nullptr && v->IsString()) {
      param->code = v->text();
    }
    const json::Value* type = p.Find("type");
    std::optional<ParamType> t =
        type != nullptr && type->IsString() ? ParamTypeFromName(type->text()) : std::nullopt;
    if (!t || param->code.empty()) {
      return InvalidArgument("search parameters: entry without code or known type: " + param->url);
    }
    param->type = *t;
    param->base = Strings(p, "base");
    param->target = Strings(p, "target");
    if (const json::Value* v = p.Find("expression"); v != nullptr && v->IsString()) {
      param->expression = v->text();
      Result<fhirpath::Expression> compiled = fhirpath::Compile(param->expression);
      if (compiled.ok()) {
        param->compiled = std::move(compiled).value();
      } else {
        param->compile_error = compiled.status().message();
      }
    }
    for (const std::string& base : param->base) {
      if (base == "Resource" || base == "DomainResource") {
        for (const fhir::TypeDef* r : model.resources()) {
          if (r->is_abstract) continue;
          // DomainResource parameters do not apply to Bundle, Binary, Parameters.
          if (base == "DomainResource" &&
              (r->base == nullptr || r->base->name != "DomainResource")) {
            continue;
          }
          by_type_[r->name].insert_or_assign(param->code, param.get());
        }
      } else {
        by_type_[base].insert_or_assign(param->code, param.get());
      }
    }
    params_.push_back(std::move(param));
  }
  return Status::Ok();
}

void SearchParameterRegistry::Specialize() {
  const fhir::TypeModel& model = fhir::TypeModel::R4();
  for (const auto& [type_name, params] : by_type_) {
    std::vector<SpecializedParameter>& specialized = specialized_[type_name];
    const fhir::TypeDef* type = model.FindResource(type_name);
    for (const auto& [code, param] : params) {
      if (!param->compiled) continue;
      if (type == nullptr) {  // not a type of the model: nothing to specialise against
        specialized.push_back({param, *param->compiled});
        continue;
      }
      std::optional<fhirpath::Expression> e =
          fhirpath::SpecializeForResourceType(*param->compiled, *type, &model);
      if (e) specialized.push_back({param, std::move(*e)});
    }
  }
}

const std::map<std::string, const SearchParameter*, std::less<>>& SearchParameterRegistry::ForType(
    std::string_view resource_type) const {
  static const std::map<std::string, const SearchParameter*, std::less<>> kEmpty;
  auto it = by_type_.find(resource_type);
  return it == by_type_.end() ? kEmpty : it->second;
}

std::span<const SpecializedParameter> SearchParameterRegistry::SpecializedForType(
    std::string_view resource_type) const {
  auto it = specialized_.find(resource_type);
  if (it == specialized_.end()) return {};
  return it->second;
}

const SearchParameter* SearchParameterRegistry::Find(std::string_view resource_type,
                                                     std::string_view code) const {
  const auto& params = ForType(resource_type);
  auto it = params.find(code);
  return it == params.end() ? nullptr : it->second;
}

}  // namespace fhirengine::search
