// SpecializeForResourceType: drops the union branches of an expression that
// cannot select anything from a resource of a given type (see fhirpath.h).
// Multi-resource SearchParameter expressions ("Account.subject |
// ActivityDefinition.subject | ...") are the reason: on one resource type all
// but one or two of their dozens of branches are dead weight.
#include <algorithm>
#include <memory>
#include <vector>

#include "engine/fhirpath/ast.h"
#include "engine/fhirpath/fhirpath.h"

namespace fhirengine::fhirpath {
namespace {

using internal::Ast;
using internal::AstKind;
using internal::FunctionId;

// Functions that give an empty result for an empty input, without evaluating
// their arguments (the per-item ones) or with arguments that cannot fail.
bool EmptyInEmptyOut(const Ast& call) {
  switch (call.function->id) {
    case FunctionId::kWhere:
    case FunctionId::kSelect:
    case FunctionId::kRepeat:
    case FunctionId::kOfType:
    case FunctionId::kAs:
    case FunctionId::kIs:
    case FunctionId::kFirst:
    case FunctionId::kLast:
    case FunctionId::kTail:
    case FunctionId::kSingle:
    case FunctionId::kDistinct:
    case FunctionId::kNot:
    case FunctionId::kResolve:
      return true;
    case FunctionId::kExtension:
      return call.args.size() == 1 && call.args[0]->kind == AstKind::kLiteral &&
             call.args[0]->literal->kind() == ItemKind::kString;
    default:
      return false;
  }
}

// Whether `n`, evaluated with a resource of type `type` as $this, surely
// gives an empty collection and no error. Follows the chain of foci only, so
// a focus-less step here is applied to the resource itself.
bool SelectsNothing(const Ast& n, const fhir::TypeDef& type, const fhir::TypeModel& model) {
  switch (n.kind) {
    case AstKind::kMember:
      if (n.focus) return SelectsNothing(*n.focus, type, model);
      // A type name as the first step filters the input by type (the
      // evaluator's rule): "Account" on an Encounter is empty.
      return !n.name.empty() && n.name[0] >= 'A' && n.name[0] <= 'Z' &&
             model.Find(n.name) != nullptr && !DerivesFrom(&type, n.name);
    case AstKind::kAs:
    case AstKind::kIs:
      return SelectsNothing(*n.focus, type, model);
    case AstKind::kIndexer:
      return n.args[0]->kind == AstKind::kLiteral &&
             n.args[0]->literal->kind() == ItemKind::kInteger &&
             SelectsNothing(*n.focus, type, model);
    case AstKind::kFunction:
      return n.focus && EmptyInEmptyOut(n) && SelectsNothing(*n.focus, type, model);
    case AstKind::kBinary:
      return n.op == internal::Op::kUnion && SelectsNothing(*n.args[0], type, model) &&
             SelectsNothing(*n.args[1], type, model);
    default:
      return false;
  }
}

// The first step of a branch when it is a type name that `type` is or
// derives from ("Encounter" in Encounter.subject, "Resource" in Resource.id):
// on a resource of that type it passes the resource through unchanged.
bool PassesThrough(const Ast& n, const fhir::TypeDef& type, const fhir::TypeModel& model) {
  return n.kind == AstKind::kMember && !n.focus && !n.name.empty() && n.name[0] >= 'A' &&
         n.name[0] <= 'Z' && model.Find(n.name) != nullptr && DerivesFrom(&type, n.name);
}

std::unique_ptr<Ast> ThisNode(std::uint32_t offset) {
  auto n = std::make_unique<Ast>();
  n->kind = AstKind::kThis;
  n->offset = offset;
  return n;
}

// A copy of `n` and its arguments, without its focus.
std::unique_ptr<Ast> CloneWithoutFocus(const Ast& n);

std::unique_ptr<Ast> Clone(const Ast& n) {
  std::unique_ptr<Ast> copy = CloneWithoutFocus(n);
  if (n.focus) copy->focus = Clone(*n.focus);
  return copy;
}

std::unique_ptr<Ast> CloneWithoutFocus(const Ast& n) {
  auto copy = std::make_unique<Ast>();
  copy->kind = n.kind;
  copy->op = n.op;
  copy->function = n.function;
  copy->name = n.name;
  copy->literal = n.literal;
  copy->type = n.type;
  copy->regex = n.regex;
  copy->args.reserve(n.args.size());
  for (const auto& a : n.args) copy->args.push_back(Clone(*a));
  copy->offset = n.offset;
  copy->depth = n.depth;
  return copy;
}

// A copy of the top-level branch `n` whose first step, if it passes the
// resource through, is taken out: a member or function step then applies
// to $this (the resource) itself, the other steps get an explicit $this.
// Follows the chain of foci only, which are all evaluated with the resource
// as $this; arguments are copied unchanged.
std::unique_ptr<Ast> CloneBranch(const Ast& n, const fhir::TypeDef& type,
                                 const fhir::TypeModel& model) {
  if (PassesThrough(n, type, model)) return ThisNode(n.offset);
  std::unique_ptr<Ast> copy = CloneWithoutFocus(n);
  if (!n.focus) return copy;
  switch (n.kind) {
    case AstKind::kMember:
    case AstKind::kFunction:
      if (!PassesThrough(*n.focus, type, model)) copy->focus = CloneBranch(*n.focus, type, model);
      break;
    case AstKind::kAs:
    case AstKind::kIs:
    case AstKind::kIndexer:
      copy->focus = CloneBranch(*n.focus, type, model);
      break;
    default:
      copy->focus = Clone(*n.focus);
      break;
  }
  return copy;
}

// The branches of the union tree at `n` (itself when it is not a union)
// that may select something, left to right.
void LiveBranches(const Ast& n, const fhir::TypeDef& type, const fhir::TypeModel& model,
                  std::vector<const Ast*>& out) {
  if (n.kind == AstKind::kBinary && n.op == internal::Op::kUnion) {
    LiveBranches(*n.args[0], type, model, out);
    LiveBranches(*n.args[1], type, model, out);
    return;
  }
  if (!SelectsNothing(n, type, model)) out.push_back(&n);
}

std::uint32_t Depth(const Ast& n) {
  std::uint32_t d = n.focus ? n.focus->depth : 0;
  for (const auto& a : n.args) d = std::max(d, a->depth);
  return d + 1;
}

}  // namespace

std::optional<Expression> SpecializeForResourceType(const Expression& expression,
                                                    const fhir::TypeDef& resource_type,
                                                    const fhir::TypeModel* model) {
  const fhir::TypeModel& m = model != nullptr ? *model : fhir::TypeModel::R4();
  const Ast& root = expression.root();
  std::vector<const Ast*> live;
  LiveBranches(root, resource_type, m, live);
  if (live.empty()) return std::nullopt;
  const bool is_union = root.kind == AstKind::kBinary && root.op == internal::Op::kUnion;
  std::unique_ptr<Ast> tree;
  if (!is_union) {
    tree = CloneBranch(root, resource_type, m);
  } else if (live.size() == 1) {
    // One branch: the union's de-duplication is all that is left of it.
    tree = std::make_unique<Ast>();
    tree->kind = AstKind::kFunction;
    tree->function = internal::FindFunction("distinct");
    tree->name = "distinct";
    tree->focus = CloneBranch(*live[0], resource_type, m);
    tree->offset = live[0]->offset;
  } else {
    // (a | b) | c, as the parser builds a chain of unions.
    tree = CloneBranch(*live[0], resource_type, m);
    for (std::size_t i = 1; i < live.size(); ++i) {
      auto u = std::make_unique<Ast>();
      u->kind = AstKind::kBinary;
      u->op = internal::Op::kUnion;
      u->offset = live[i]->offset;
      u->args.push_back(std::move(tree));
      u->args.push_back(CloneBranch(*live[i], resource_type, m));
      u->depth = Depth(*u);
      tree = std::move(u);
    }
  }
  tree->depth = Depth(*tree);
  return Expression(expression.text_, std::shared_ptr<const Ast>(std::move(tree)));
}

}  // namespace fhirengine::fhirpath
