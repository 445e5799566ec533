// The public FHIRPath entry points: Compile, Evaluate and the JSON rendering
// of results.
#include "engine/fhirpath/fhirpath.h"

#include <vector>

#include "engine/fhirpath/ast.h"
#include "engine/fhirpath/evaluator.h"
#include "engine/fhirpath/navigation.h"
#include "engine/fhirpath/parser.h"
#include "engine/json/json_writer.h"

namespace fhirengine::fhirpath {

Result<Expression> Compile(std::string_view text, const CompileOptions& options) {
  if (text.size() > options.max_length) {
    return ResourceExhausted("expression of " + std::to_string(text.size()) +
                             " bytes exceeds the limit of " + std::to_string(options.max_length));
  }
  const fhir::TypeModel& model = options.model != nullptr ? *options.model : fhir::TypeModel::R4();
  Result<std::unique_ptr<internal::Ast>> ast = internal::Parse(text, model, options.max_depth);
  if (!ast.ok()) return ast.status();
  return Expression(std::make_shared<const std::string>(text),
                    std::shared_ptr<const internal::Ast>(std::move(*ast)));
}

Result<Collection> Evaluate(const Expression& expression, const json::Value& resource,
                            const EvaluationContext& context) {
  const fhir::TypeModel& model = context.model != nullptr ? *context.model : fhir::TypeModel::R4();
  Collection input;
  input.push_back(Item::FromNode(internal::RootNode(resource, model)));
  return internal::EvaluateAst(expression.root(), expression.text(), input, context);
}

Result<Collection> EvaluateCollection(const Expression& expression, const Collection& input,
                                      const EvaluationContext& context) {
  return internal::EvaluateAst(expression.root(), expression.text(), input, context);
}

Result<bool> IsTrue(const Collection& result) {
  if (result.empty()) return false;
  if (result.size() > 1) {
    return InvalidArgument("expected a single Boolean, got " + std::to_string(result.size()) +
                           " items");
  }
  std::optional<Item> s = ToSystem(result[0]);
  if (!s || s->kind() != ItemKind::kBoolean) {
    return InvalidArgument("expected a Boolean, got " + TypeName(result[0]));
  }
  return s->boolean();
}

std::string CollectionToJson(const Collection& collection, bool pretty) {
  json::Document doc;
  std::vector<json::Value> items;
  items.reserve(collection.size());
  for (const Item& item : collection) {
    json::Value value;
    if (item.is_node()) {
      if (item.node().value != nullptr) value = doc.Copy(*item.node().value);
    } else {
      switch (item.kind()) {
        case ItemKind::kBoolean:
          value = json::Value::Bool(item.boolean());
          break;
        case ItemKind::kString:
          value = doc.MakeString(item.string());
          break;
        case ItemKind::kInteger:
          value = doc.MakeNumber(std::to_string(item.integer()));
          break;
        case ItemKind::kDecimal:
          value = doc.MakeNumber(item.decimal().ToString());
          break;
        case ItemKind::kDate:
        case ItemKind::kDateTime:
        case ItemKind::kTime:
          value = doc.MakeString(item.temporal().ToString());
          break;
        case ItemKind::kQuantity: {
          std::vector<json::Member> m{{"value", doc.MakeNumber(item.quantity().value.ToString())},
                                      {"unit", doc.MakeString(item.quantity().unit)}};
          value = doc.MakeObject(m);
          break;
        }
        case ItemKind::kTypeInfo: {
          std::vector<json::Member> m{{"namespace", doc.MakeString(item.type_info().ns)},
                                      {"name", doc.MakeString(item.type_info().name)}};
          value = doc.MakeObject(m);
          break;
        }
        case ItemKind::kNode:
          break;
      }
    }
    std::vector<json::Member> entry{{"type", doc.MakeString(TypeName(item))}, {"value", value}};
    items.push_back(doc.MakeObject(entry));
  }
  return json::Write(doc.MakeArray(items), {.pretty = pretty});
}

}  // namespace fhirengine::fhirpath
