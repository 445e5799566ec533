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
        Load(fhir::EmbeddedR4SearchParameters());
    FE_CHECK(loaded.ok());  // the embedded definitions are part of the build
    return std::move(loaded).value().release();
  }();
  return *registry;
}

Result<std::unique_ptr<SearchParameterRegistry>> SearchParameterRegistry::Load(
    std::string_view json_text) {
  ParseLimits limits;
  Result<json::Document> doc = json::Parse(json_text, limits);
  if (!doc.ok()) return Status(doc.status().code(), "search parameters: " + doc.status().message());
  const json::Value* list = doc->root().Find("searchParameters");
  if (list == nullptr || !list->IsArray()) {
    return InvalidArgument("search parameters: no 'searchParameters' array");
  }
  std::unique_ptr<SearchParameterRegistry> registry(new SearchParameterRegistry());
  const fhir::TypeModel& model = fhir::TypeModel::R4();
  for (const json::Value& p : list->elements()) {
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
          registry->by_type_[r->name].emplace(param->code, param.get());
        }
      } else {
        registry->by_type_[base].emplace(param->code, param.get());
      }
    }
    registry->params_.push_back(std::move(param));
  }
  for (const auto& [type_name, params] : registry->by_type_) {
    std::vector<SpecializedParameter>& specialized = registry->specialized_[type_name];
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
  return registry;
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
