// The FHIRPath tree walker (see evaluator.h).
#include "engine/fhirpath/evaluator.h"

#include <initializer_list>
#include <unordered_set>
#include <vector>

#include "engine/fhirpath/functions.h"
#include "engine/fhirpath/lexer.h"
#include "engine/fhirpath/navigation.h"

namespace fhirengine::fhirpath::internal {
namespace {

using FI = FunctionId;

// $this, $index and $total for the expression being evaluated.
struct Frame {
  const Collection* this_items = nullptr;
  std::int64_t index = -1;  // -1 outside an iteration
  const Collection* total = nullptr;
};

Collection One(Item i) {
  Collection c;
  c.push_back(std::move(i));
  return c;
}

bool InInt32(std::int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

Decimal AsDecimal(const Item& i) {
  return i.kind() == ItemKind::kInteger ? Decimal::FromInt(i.integer()) : i.decimal();
}

bool IsNumber(const Item& i) {
  return i.kind() == ItemKind::kInteger || i.kind() == ItemKind::kDecimal;
}
bool IsTemporal(const Item& i) {
  return i.kind() == ItemKind::kDate || i.kind() == ItemKind::kDateTime ||
         i.kind() == ItemKind::kTime;
}

std::string_view OpText(Op op) {
  switch (op) {
    case Op::kImplies:
      return "implies";
    case Op::kOr:
      return "or";
    case Op::kXor:
      return "xor";
    case Op::kAnd:
      return "and";
    case Op::kIn:
      return "in";
    case Op::kContains:
      return "contains";
    case Op::kEqual:
      return "=";
    case Op::kEquivalent:
      return "~";
    case Op::kNotEqual:
      return "!=";
    case Op::kNotEquivalent:
      return "!~";
    case Op::kLess:
      return "<";
    case Op::kLessOrEqual:
      return "<=";
    case Op::kGreater:
      return ">";
    case Op::kGreaterOrEqual:
      return ">=";
    case Op::kUnion:
      return "|";
    case Op::kPlus:
      return "+";
    case Op::kMinus:
      return "-";
    case Op::kConcat:
      return "&";
    case Op::kMultiply:
      return "*";
    case Op::kDivide:
      return "/";
    case Op::kDiv:
      return "div";
    case Op::kMod:
      return "mod";
  }
  return "?";
}

class Evaluator {
 public:
  Evaluator(const EvaluationContext& ctx, std::string_view text, const Collection& input)
      : ctx_(ctx),
        model_(ctx.model != nullptr ? *ctx.model : fhir::TypeModel::R4()),
        text_(text),
        context_(input),
        clock_(ctx.now),
        env_{model_, clock_, ctx.max_collection_size} {
    // %resource and %rootResource default to the input: referenced, not copied.
    if (ctx.resource != nullptr) {
      own_resource_.push_back(Item::FromNode(RootNode(*ctx.resource, model_)));
      resource_ = &own_resource_;
    }
    root_resource_ = resource_;
    if (ctx.root_resource != nullptr) {
      own_root_resource_.push_back(Item::FromNode(RootNode(*ctx.root_resource, model_)));
      root_resource_ = &own_root_resource_;
    }
  }

  Result<Collection> Eval(const Ast& n, const Frame& f) {
    switch (n.kind) {
      case AstKind::kLiteral:
        return One(*n.literal);
      case AstKind::kEmpty:
        return Collection();
      case AstKind::kThis:
        return *f.this_items;
      case AstKind::kIndex:
        if (f.index < 0) return Collection();
        return One(Item::Integer(f.index));
      case AstKind::kTotal:
        return f.total != nullptr ? *f.total : Collection();
      case AstKind::kVariable:
        return Variable(n);
      case AstKind::kMember: {
        if (!n.focus) return Member(n, *f.this_items);
        Result<Collection> input = Eval(*n.focus, f);
        if (!input.ok()) return input;
        return Member(n, *input);
      }
      case AstKind::kFunction:
        return Function(n, f);
      case AstKind::kIndexer:
        return Indexer(n, f);
      case AstKind::kNegate:
        return Negate(n, f);
      case AstKind::kBinary:
        return Binary(n, f);
      case AstKind::kIs:
      case AstKind::kAs: {
        Result<Collection> input = Eval(*n.focus, f);
        if (!input.ok()) return input;
        if (n.kind == AstKind::kAs) {
          // Filters like ofType(): R4 search parameters apply 'as' to
          // collections ((Observation.value as Quantity) over components).
          Collection out;
          for (const Item& item : *input) {
            if (n.type.Matches(item)) out.push_back(item);
          }
          return out;
        }
        if (input->empty()) return Collection();
        if (input->size() > 1) {
          return Error(
              n, "'is' needs a single item on its left, got " + std::to_string(input->size()));
        }
        return One(Item::Boolean(n.type.Matches((*input)[0])));
      }
    }
    return Internal("unknown node kind");
  }

 private:
  Status Error(const Ast& n, const std::string& message) const {
    return InvalidArgument(DescribePosition(text_, n.offset) + ": " + message);
  }
  // Prefixes an error from a helper with the node's position.
  Status At(const Ast& n, const Status& s) const {
    return Status(s.code(), DescribePosition(text_, n.offset) + ": " + s.message());
  }
  Status CheckSize(const Ast& n, std::size_t size) const {
    if (size <= ctx_.max_collection_size) return Status::Ok();
    return Status(StatusCode::kResourceExhausted,
                  DescribePosition(text_, n.offset) + ": result exceeds the limit of " +
                      std::to_string(ctx_.max_collection_size) + " items");
  }

  Result<Collection> Variable(const Ast& n) {
    const std::string& name = n.name;
    if (auto it = ctx_.variables.find(name); it != ctx_.variables.end()) return it->second;
    if (name == "context") return context_;
    if (name == "resource") return *resource_;
    if (name == "rootResource") return *root_resource_;
    if (name == "ucum") return One(Item::String("http://unitsofmeasure.org"));
    if (name == "sct") return One(Item::String("http://snomed.info/sct"));
    if (name == "loinc") return One(Item::String("http://loinc.org"));
    if (name.starts_with("vs-"))
      return One(Item::String("http://hl7.org/fhir/ValueSet/" + name.substr(3)));
    if (name.starts_with("ext-")) {
      return One(Item::String("http://hl7.org/fhir/StructureDefinition/" + name.substr(4)));
    }
    return Error(n, "unknown variable %" + name);
  }

  Result<Collection> Member(const Ast& n, const Collection& input) {
    Collection out;
    const std::string& name = n.name;
    const bool type_name =
        !name.empty() && name[0] >= 'A' && name[0] <= 'Z' && model_.Find(name) != nullptr;
    bool any_typed = false;
    bool any_known = false;
    const fhir::TypeDef* first_type = nullptr;
    // Items of several types (descendants(), children()): their static type
    // is a union, for which strict mode has no element list to check against.
    bool mixed_types = false;
    for (const Item& item : input) {
      if (!item.is_node()) {
        if (item.kind() == ItemKind::kTypeInfo) {
          if (name == "namespace") out.push_back(Item::String(item.type_info().ns));
          if (name == "name") out.push_back(Item::String(item.type_info().name));
        }
        continue;
      }
      const Node& node = item.node();
      if (node.type != nullptr) {
        any_typed = true;
        if (first_type == nullptr) first_type = node.type;
        mixed_types |= node.type != first_type;
        if (type_name) {
          // Patient.name: a type name filters the input by type.
          any_known = true;
          if (DerivesFrom(node.type, name)) out.push_back(item);
          continue;
        }
      }
      if (AppendMember(node, name, model_, ctx_.lenient_choice_names, out)) any_known = true;
      if (out.size() > ctx_.max_collection_size) return CheckSize(n, out.size());
    }
    if (ctx_.check_element_names && unchecked_ == 0 && any_typed && !any_known && !mixed_types) {
      std::string type = first_type->kind == fhir::TypeKind::kBackbone
                             ? "BackboneElement " + first_type->name
                             : first_type->name;
      std::string message = "'" + name + "' is not an element of " + type;
      const fhir::Property* p = first_type->FindProperty(name);
      if (p != nullptr && p->element->is_choice) {
        message += " ('" + name + "' is the JSON name of the choice element '" + p->element->name +
                   "[x]': write " + p->element->name + ".ofType(" + p->type->code + "))";
      }
      return Error(n, message);
    }
    return out;
  }

  Result<Collection> Indexer(const Ast& n, const Frame& f) {
    Result<Collection> input = Eval(*n.focus, f);
    if (!input.ok()) return input;
    Result<Collection> index = Eval(*n.args[0], f);
    if (!index.ok()) return index;
    if (index->empty()) return Collection();
    if (index->size() > 1) return Error(n, "the index must be a single Integer");
    std::optional<Item> i = ToSystem((*index)[0]);
    if (!i || i->kind() != ItemKind::kInteger) return Error(n, "the index must be an Integer");
    if (i->integer() < 0 || static_cast<std::size_t>(i->integer()) >= input->size())
      return Collection();
    return One((*input)[static_cast<std::size_t>(i->integer())]);
  }

  Result<Collection> Negate(const Ast& n, const Frame& f) {
    Result<Collection> input = Eval(*n.focus, f);
    if (!input.ok()) return input;
    if (input->empty()) return Collection();
    if (input->size() > 1)
      return Error(n, "unary " + std::string(OpText(n.op)) + " needs a single item");
    std::optional<Item> v = ToSystem((*input)[0]);
    if (!v || (!IsNumber(*v) && v->kind() != ItemKind::kQuantity)) {
      return Error(n, "unary " + std::string(OpText(n.op)) + " needs a number or Quantity, got " +
                          TypeName((*input)[0]));
    }
    if (n.op == Op::kPlus) return One(std::move(*v));
    switch (v->kind()) {
      case ItemKind::kInteger:
        return One(Item::Integer(-v->integer()));
      case ItemKind::kDecimal:
        return One(Item::FromDecimal(v->decimal().Negated()));
      default: {
        Quantity q = v->quantity();
        q.value = q.value.Negated();
        return One(Item::FromQuantity(std::move(q)));
      }
    }
  }

  // ---- functions ----------------------------------------------------------

  Result<Collection> Function(const Ast& n, const Frame& f) {
    Collection focus;  // the focus's result; without a focus, $this is used in place
    if (n.focus) {
      Result<Collection> r = Eval(*n.focus, f);
      if (!r.ok()) return r;
      focus = std::move(*r);
    }
    const Collection& input = n.focus ? focus : *f.this_items;
    const FunctionId id = n.function->id;
    switch (id) {
      case FI::kWhere:
      case FI::kSelect:
      case FI::kAll:
      case FI::kRepeat:
        return Iterate(n, input, f);
      case FI::kExists:
        if (n.args.empty()) break;
        return Iterate(n, input, f);
      case FI::kAggregate:
        return Aggregate(n, input, f);
      case FI::kIif:
        return Iif(n, input, f);
      case FI::kTrace:
        return Trace(n, input, f);
      case FI::kResolve:
        return Resolve(input);
      case FI::kMemberOf:
      case FI::kConformsTo:
      case FI::kSubsumes:
      case FI::kSubsumedBy:
        return External(n, input, f);
      default:
        break;
    }
    // Everything left takes its arguments evaluated once, in the caller's context.
    FE_CHECK((n.function->lambda_args == 0 || n.args.empty()) && !n.function->lazy_args);
    std::vector<Collection> args;
    args.reserve(n.args.size());
    for (const auto& a : n.args) {
      Result<Collection> r = Eval(*a, f);
      if (!r.ok()) return r;
      args.push_back(std::move(*r));
    }
    Result<Collection> r = CallValueFunction(n, input, args, env_);
    if (!r.ok()) return At(n, r.status());
    FE_RETURN_IF_ERROR(CheckSize(n, r->size()));
    return r;
  }

  // where, select, all, exists(criteria), repeat: the argument per item.
  Result<Collection> Iterate(const Ast& n, const Collection& input, const Frame& f) {
    const FunctionId id = n.function->id;
    const Ast& body = *n.args[0];
    Collection out;
    if (id == FI::kRepeat) {
      std::unordered_set<const json::Value*> seen_nodes;
      ItemIndex seen_values(out);  // values (not elements) already in `out`
      Collection current = input;
      // Later rounds apply the projection to its own results, whose types
      // need not have the element (name.repeat(given) reaches strings).
      const int saved_unchecked = unchecked_;
      for (bool first_round = true; !current.empty(); first_round = false) {
        if (!first_round) unchecked_ = saved_unchecked + 1;
        Collection next;
        for (std::size_t i = 0; i < current.size(); ++i) {
          Collection one = One(current[i]);
          Frame inner{&one, static_cast<std::int64_t>(i), f.total};
          Result<Collection> r = Eval(body, inner);
          if (!r.ok()) {
            unchecked_ = saved_unchecked;
            return r;
          }
          for (Item& item : *r) {
            if (item.is_node() && item.node().value != nullptr) {
              if (!seen_nodes.insert(item.node().value).second) continue;
            } else if (seen_values.Contains(item)) {
              continue;
            }
            out.push_back(item);
            if (!(item.is_node() && item.node().value != nullptr)) seen_values.Add(out);
            next.push_back(std::move(item));
          }
          if (Status size = CheckSize(n, out.size()); !size.ok()) {
            unchecked_ = saved_unchecked;
            return size;
          }
        }
        current = std::move(next);
      }
      unchecked_ = saved_unchecked;
      return out;
    }
    bool mixed = false;
    for (const Item& item : input) {
      mixed |= item.is_node() && input[0].is_node() && item.node().type != input[0].node().type;
    }
    for (std::size_t i = 0; i < input.size(); ++i) {
      Collection one = One(input[i]);
      Frame inner{&one, static_cast<std::int64_t>(i), f.total};
      // Over items of several types (descendants().where(reference = '#')),
      // the criteria name elements that only some of them have.
      unchecked_ += mixed ? 1 : 0;
      Result<Collection> r = Eval(body, inner);
      unchecked_ -= mixed ? 1 : 0;
      if (!r.ok()) return r;
      if (id == FI::kSelect) {
        out.insert(out.end(), std::make_move_iterator(r->begin()),
                   std::make_move_iterator(r->end()));
        FE_RETURN_IF_ERROR(CheckSize(n, out.size()));
        continue;
      }
      Result<std::optional<bool>> b = ToBoolean3(*r, n.name + "() criteria");
      if (!b.ok()) return At(n, b.status());
      const bool is_true = b->has_value() && **b;
      switch (id) {
        case FI::kWhere:
          if (is_true) out.push_back(input[i]);
          break;
        case FI::kAll:
          if (!is_true) return One(Item::Boolean(false));
          break;
        default:  // exists(criteria)
          if (is_true) return One(Item::Boolean(true));
          break;
      }
    }
    if (id == FI::kAll) return One(Item::Boolean(true));
    if (id == FI::kExists) return One(Item::Boolean(false));
    return out;
  }

  Result<Collection> Aggregate(const Ast& n, const Collection& input, const Frame& f) {
    Collection total;
    if (n.args.size() > 1) {
      Result<Collection> init = Eval(*n.args[1], f);
      if (!init.ok()) return init;
      total = std::move(*init);
    }
    for (std::size_t i = 0; i < input.size(); ++i) {
      Collection one = One(input[i]);
      Frame inner{&one, static_cast<std::int64_t>(i), &total};
      Result<Collection> r = Eval(*n.args[0], inner);
      if (!r.ok()) return r;
      total = std::move(*r);
      FE_RETURN_IF_ERROR(CheckSize(n, total.size()));
    }
    return total;
  }

  Result<Collection> Iif(const Ast& n, const Collection& input, const Frame& f) {
    Frame inner = f;
    if (n.focus) {
      if (input.size() > 1) return Error(n, "iif() needs a single item as its input");
      inner.this_items = &input;
    }
    Result<Collection> criterion = Eval(*n.args[0], inner);
    if (!criterion.ok()) return criterion;
    Result<std::optional<bool>> b = ToBoolean3(*criterion, "the iif() criterion");
    if (!b.ok()) return At(n, b.status());
    if (b->has_value() && **b) return Eval(*n.args[1], inner);
    if (n.args.size() > 2) return Eval(*n.args[2], inner);
    return Collection();
  }

  Result<Collection> Trace(const Ast& n, const Collection& input, const Frame& f) {
    Result<Collection> name = Eval(*n.args[0], f);
    if (!name.ok()) return name;
    if (!ctx_.trace) return input;
    std::string label;
    if (!name->empty()) label = ItemToText((*name)[0]).value_or("");
    if (n.args.size() < 2) {
      ctx_.trace(label, input);
      return input;
    }
    Collection projected;
    for (std::size_t i = 0; i < input.size(); ++i) {
      Collection one = One(input[i]);
      Frame inner{&one, static_cast<std::int64_t>(i), f.total};
      Result<Collection> r = Eval(*n.args[1], inner);
      if (!r.ok()) return r;
      projected.insert(projected.end(), r->begin(), r->end());
    }
    ctx_.trace(label, projected);
    return input;
  }

  // memberOf, conformsTo, subsumes, subsumedBy: answered by hooks.
  Result<Collection> External(const Ast& n, const Collection& input, const Frame& f) {
    const FunctionId id = n.function->id;
    if (id == FI::kSubsumes || id == FI::kSubsumedBy) {
      return At(n,
                Status(StatusCode::kUnimplemented,
                       n.name + "() needs a terminology service, which this engine does not have"));
    }
    Result<Collection> arg = Eval(*n.args[0], f);
    if (!arg.ok()) return arg;
    if (input.empty() || arg->empty()) return Collection();
    if (input.size() > 1) return Error(n, n.name + "() needs a single item as its input");
    std::optional<std::string> url = arg->size() == 1 ? ItemToText((*arg)[0]) : std::nullopt;
    if (!url) return Error(n, n.name + "() needs a single String argument");
    if (id == FI::kMemberOf) {
      if (!ctx_.member_of) {
        return At(n, Status(StatusCode::kUnimplemented,
                            "memberOf() needs a terminology service: no value set expansion is "
                            "available for '" +
                                *url + "'"));
      }
      Result<bool> r = ctx_.member_of(input[0], *url);
      if (!r.ok()) return At(n, r.status());
      return One(Item::Boolean(*r));
    }
    // conformsTo: the base resource profiles are known; others need the hook.
    if (ctx_.conforms_to) {
      Result<bool> r = ctx_.conforms_to(input[0], *url);
      if (!r.ok()) return At(n, r.status());
      return One(Item::Boolean(*r));
    }
    constexpr std::string_view kBase = "http://hl7.org/fhir/StructureDefinition/";
    if (url->starts_with(kBase)) {
      const std::string type = url->substr(kBase.size());
      if (model_.Find(type) != nullptr) {
        const Item& item = input[0];
        return One(Item::Boolean(item.is_node() && DerivesFrom(item.node().type, type)));
      }
    }
    return Error(n, "conformsTo(): unknown profile '" + *url + "'");
  }

  // ---- resolve() ------------------------------------------------------------

  static const json::Value* FindContained(const json::Value& container, std::string_view id) {
    const json::Value* contained = container.Find("contained");
    if (contained == nullptr) return nullptr;
    for (const json::Value& r : contained->elements()) {
      const json::Value* rid = r.Find("id");
      if (rid != nullptr && rid->IsString() && rid->text() == id) return &r;
    }
    return nullptr;
  }

  static const json::Value* FindInBundle(const json::Value& bundle, std::string_view ref) {
    const json::Value* rt = bundle.Find("resourceType");
    if (rt == nullptr || !rt->IsString() || rt->text() != "Bundle") return nullptr;
    const json::Value* entries = bundle.Find("entry");
    if (entries == nullptr) return nullptr;
    // Type/id, ignoring a base URL and a version suffix.
    std::string_view local = ref;
    if (std::size_t h = local.find("/_history/"); h != std::string_view::npos)
      local = local.substr(0, h);
    for (const json::Value& entry : entries->elements()) {
      const json::Value* resource = entry.Find("resource");
      if (resource == nullptr) continue;
      const json::Value* full_url = entry.Find("fullUrl");
      if (full_url != nullptr && full_url->IsString() && full_url->text() == ref) return resource;
      const json::Value* type = resource->Find("resourceType");
      const json::Value* id = resource->Find("id");
      if (type == nullptr || id == nullptr || !type->IsString() || !id->IsString()) continue;
      const std::string key = std::string(type->text()) + "/" + std::string(id->text());
      if (local == key || (local.size() > key.size() && local.ends_with("/" + key)))
        return resource;
    }
    return nullptr;
  }

  Result<Collection> Resolve(const Collection& input) {
    Collection out;
    for (const Item& item : input) {
      std::string ref;
      const json::Value* container = nullptr;
      if (item.is_node()) {
        const Node& n = item.node();
        container = n.resource;
        if (n.value != nullptr && n.value->IsObject()) {
          const json::Value* r = n.value->Find("reference");
          if (r != nullptr && r->IsString()) ref = std::string(r->text());
        } else if (std::optional<Item> s = ToSystem(item); s && s->kind() == ItemKind::kString) {
          ref = s->string();
        }
      } else if (item.kind() == ItemKind::kString) {
        ref = item.string();
      }
      if (ref.empty()) continue;
      if (container == nullptr && !resource_->empty() && (*resource_)[0].is_node()) {
        container = (*resource_)[0].node().value;
      }
      const json::Value* target = nullptr;
      if (ref[0] == '#') {
        if (container != nullptr)
          target = ref.size() == 1 ? container : FindContained(*container, ref.substr(1));
      } else {
        for (const Collection* c :
             std::initializer_list<const Collection*>{&context_, resource_, root_resource_}) {
          if (target != nullptr) break;
          if (!c->empty() && (*c)[0].is_node() && (*c)[0].node().value != nullptr) {
            target = FindInBundle(*(*c)[0].node().value, ref);
          }
        }
      }
      if (target == nullptr && ctx_.resolve) target = ctx_.resolve(ref);
      if (target != nullptr && target->IsObject())
        out.push_back(Item::FromNode(RootNode(*target, model_)));
    }
    return out;
  }

  // ---- operators ------------------------------------------------------------

  Result<Collection> Binary(const Ast& n, const Frame& f) {
    const Op op = n.op;
    if (op == Op::kAnd || op == Op::kOr || op == Op::kImplies || op == Op::kXor) return Logic(n, f);
    Result<Collection> left = Eval(*n.args[0], f);
    if (!left.ok()) return left;
    Result<Collection> right = Eval(*n.args[1], f);
    if (!right.ok()) return right;
    const Collection& l = *left;
    const Collection& r = *right;
    switch (op) {
      case Op::kUnion: {
        Collection out;
        AppendDistinct(out, l);
        AppendDistinct(out, r);
        FE_RETURN_IF_ERROR(CheckSize(n, out.size()));
        return out;
      }
      case Op::kEqual:
      case Op::kNotEqual: {
        if (l.empty() || r.empty()) return Collection();
        std::optional<bool> eq = true;
        if (l.size() != r.size()) {
          eq = false;
        } else {
          for (std::size_t i = 0; i < l.size(); ++i) {
            std::optional<bool> e = ItemsEqual(l[i], r[i]);
            if (e && !*e) {
              eq = false;
              break;
            }
            if (!e) eq = std::nullopt;
          }
        }
        if (!eq) return Collection();
        return One(Item::Boolean(op == Op::kEqual ? *eq : !*eq));
      }
      case Op::kEquivalent:
      case Op::kNotEquivalent: {
        bool eq = l.size() == r.size();
        if (eq) {
          // Order does not matter: match each left item to a distinct right item.
          std::vector<bool> used(r.size(), false);
          for (const Item& a : l) {
            bool found = false;
            for (std::size_t j = 0; j < r.size() && !found; ++j) {
              if (!used[j] && ItemsEquivalent(a, r[j])) {
                used[j] = true;
                found = true;
              }
            }
            if (!found) {
              eq = false;
              break;
            }
          }
        }
        return One(Item::Boolean(op == Op::kEquivalent ? eq : !eq));
      }
      case Op::kIn:
      case Op::kContains: {
        const Collection& element = op == Op::kIn ? l : r;
        const Collection& collection = op == Op::kIn ? r : l;
        if (element.empty()) return Collection();
        if (element.size() > 1) {
          return Error(n, "'" + std::string(OpText(op)) +
                              "' needs a single item to look for, got " +
                              std::to_string(element.size()));
        }
        for (const Item& item : collection) {
          std::optional<bool> e = ItemsEqual(item, element[0]);
          if (e && *e) return One(Item::Boolean(true));
        }
        return One(Item::Boolean(false));
      }
      case Op::kLess:
      case Op::kLessOrEqual:
      case Op::kGreater:
      case Op::kGreaterOrEqual: {
        if (l.empty() || r.empty()) return Collection();
        if (l.size() > 1 || r.size() > 1) {
          return Error(n, "'" + std::string(OpText(op)) + "' needs single items on both sides");
        }
        Result<std::optional<int>> c = CompareItems(l[0], r[0]);
        if (!c.ok()) return At(n, c.status());
        if (!c->has_value()) return Collection();
        const int v = **c;
        const bool result = op == Op::kLess          ? v < 0
                            : op == Op::kLessOrEqual ? v <= 0
                            : op == Op::kGreater     ? v > 0
                                                     : v >= 0;
        return One(Item::Boolean(result));
      }
      default:
        return Arithmetic(n, l, r);
    }
  }

  Result<Collection> Logic(const Ast& n, const Frame& f) {
    const Op op = n.op;
    const std::string what = "the operands of '" + std::string(OpText(op)) + "'";
    Result<Collection> left = Eval(*n.args[0], f);
    if (!left.ok()) return left;
    Result<std::optional<bool>> a = ToBoolean3(*left, what);
    if (!a.ok()) return At(n, a.status());
    // Short circuits that the three-valued tables allow.
    if (op == Op::kAnd && *a == std::optional<bool>(false)) return One(Item::Boolean(false));
    if (op == Op::kOr && *a == std::optional<bool>(true)) return One(Item::Boolean(true));
    if (op == Op::kImplies && *a == std::optional<bool>(false)) return One(Item::Boolean(true));
    Result<Collection> right = Eval(*n.args[1], f);
    if (!right.ok()) return right;
    Result<std::optional<bool>> b = ToBoolean3(*right, what);
    if (!b.ok()) return At(n, b.status());
    const std::optional<bool> x = *a;
    const std::optional<bool> y = *b;
    std::optional<bool> result;
    switch (op) {
      case Op::kAnd:
        if (y == std::optional<bool>(false))
          result = false;
        else if (x && y)
          result = true;
        break;
      case Op::kOr:
        if (y == std::optional<bool>(true))
          result = true;
        else if (x && y)
          result = false;
        break;
      case Op::kXor:
        if (x && y) result = *x != *y;
        break;
      default:  // implies; x is true or empty here
        if (y == std::optional<bool>(true))
          result = true;
        else if (x && y)
          result = false;
        break;
    }
    if (!result) return Collection();
    return One(Item::Boolean(*result));
  }

  Result<Collection> Arithmetic(const Ast& n, const Collection& l, const Collection& r) {
    const Op op = n.op;
    const std::string sym(OpText(op));
    if (l.size() > 1 || r.size() > 1)
      return Error(n, "'" + sym + "' needs single items on both sides");
    if (op == Op::kConcat) {
      std::string out;
      for (const Collection* c : {&l, &r}) {
        if (c->empty()) continue;
        std::optional<Item> s = ToSystem((*c)[0]);
        if (!s || s->kind() != ItemKind::kString)
          return Error(n, "'&' needs Strings, got " + TypeName((*c)[0]));
        out += s->string();
      }
      if (out.size() > kMaxStringBytes) return Error(n, "string result too long");
      return One(Item::String(std::move(out)));
    }
    if (l.empty() || r.empty()) return Collection();
    std::optional<Item> a = ToSystem(l[0]);
    std::optional<Item> b = ToSystem(r[0]);
    if (!a || !b) {
      if ((!a && l[0].is_node() && l[0].node().type != nullptr &&
           l[0].node().type->IsPrimitive()) ||
          (!b && r[0].is_node() && r[0].node().type != nullptr &&
           r[0].node().type->IsPrimitive())) {
        return Collection();  // a primitive that only carries extensions
      }
      return Error(n, "'" + sym + "' cannot combine " + TypeName(l[0]) + " and " + TypeName(r[0]));
    }
    auto mismatch = [&]() {
      return Error(n, "'" + sym + "' cannot combine " + TypeName(*a) + " and " + TypeName(*b));
    };
    const bool ints = a->kind() == ItemKind::kInteger && b->kind() == ItemKind::kInteger;
    const bool numbers = IsNumber(*a) && IsNumber(*b);
    switch (op) {
      case Op::kPlus:
      case Op::kMinus: {
        const bool minus = op == Op::kMinus;
        if (ints) {
          const std::int64_t v = minus ? a->integer() - b->integer() : a->integer() + b->integer();
          return InInt32(v) ? One(Item::Integer(v)) : Collection();
        }
        if (numbers) {
          std::optional<Decimal> d = minus ? Decimal::Subtract(AsDecimal(*a), AsDecimal(*b))
                                           : Decimal::Add(AsDecimal(*a), AsDecimal(*b));
          return d ? One(Item::FromDecimal(*d)) : Collection();
        }
        if (!minus && a->kind() == ItemKind::kString && b->kind() == ItemKind::kString) {
          if (a->string().size() + b->string().size() > kMaxStringBytes)
            return Error(n, "string result too long");
          return One(Item::String(a->string() + b->string()));
        }
        if (IsTemporal(*a) && b->kind() == ItemKind::kQuantity)
          return DateArithmetic(n, *a, b->quantity(), minus);
        if (a->kind() == ItemKind::kQuantity && b->kind() == ItemKind::kQuantity) {
          std::optional<Quantity> q = AddQuantities(a->quantity(), b->quantity(), minus);
          if (!q)
            return Error(n, "'" + sym + "': units '" + a->quantity().unit + "' and '" +
                                b->quantity().unit + "' are not compatible");
          return One(Item::FromQuantity(std::move(*q)));
        }
        return mismatch();
      }
      case Op::kMultiply: {
        if (ints) {
          std::int64_t v;
          if (__builtin_mul_overflow(a->integer(), b->integer(), &v) || !InInt32(v))
            return Collection();
          return One(Item::Integer(v));
        }
        if (numbers) {
          std::optional<Decimal> d = Decimal::Multiply(AsDecimal(*a), AsDecimal(*b));
          return d ? One(Item::FromDecimal(*d)) : Collection();
        }
        std::optional<Quantity> qa = AsQuantity(*a);
        std::optional<Quantity> qb = AsQuantity(*b);
        if (!qa || !qb || (a->kind() != ItemKind::kQuantity && b->kind() != ItemKind::kQuantity))
          return mismatch();
        std::optional<Quantity> q = MultiplyQuantities(*qa, *qb);
        return q ? One(Item::FromQuantity(std::move(*q))) : Collection();
      }
      case Op::kDivide: {
        if (numbers) {
          std::optional<Decimal> d = Decimal::Divide(AsDecimal(*a), AsDecimal(*b));
          return d ? One(Item::FromDecimal(*d)) : Collection();
        }
        std::optional<Quantity> qa = AsQuantity(*a);
        std::optional<Quantity> qb = AsQuantity(*b);
        if (!qa || !qb || (a->kind() != ItemKind::kQuantity && b->kind() != ItemKind::kQuantity))
          return mismatch();
        std::optional<Quantity> q = DivideQuantities(*qa, *qb);
        return q ? One(Item::FromQuantity(std::move(*q))) : Collection();
      }
      case Op::kDiv:
      case Op::kMod: {
        if (!numbers) return mismatch();
        if (ints) {
          if (b->integer() == 0) return Collection();
          return One(Item::Integer(op == Op::kDiv ? a->integer() / b->integer()
                                                  : a->integer() % b->integer()));
        }
        std::optional<Decimal> d = op == Op::kDiv
                                       ? Decimal::DivideTruncated(AsDecimal(*a), AsDecimal(*b))
                                       : Decimal::Modulo(AsDecimal(*a), AsDecimal(*b));
        return d ? One(Item::FromDecimal(*d)) : Collection();
      }
      default:
        return mismatch();
    }
  }

  static std::optional<Quantity> AsQuantity(const Item& i) {
    if (i.kind() == ItemKind::kQuantity) return i.quantity();
    if (IsNumber(i)) return Quantity{AsDecimal(i), "1"};
    return std::nullopt;
  }

  Result<Collection> DateArithmetic(const Ast& n, const Item& t, const Quantity& q, bool subtract) {
    std::optional<TimeUnit> unit = ArithmeticTimeUnit(q.unit);
    if (!unit) {
      return Error(n, "cannot add '" + q.unit + "' to a " + TypeName(t) +
                          " (use a calendar duration such as 1 month or a UCUM 'd', 'wk', 'h', "
                          "'min', 's', 'ms')");
    }
    std::optional<std::int64_t> amount = q.value.TruncatedTo(0).ToInt64();
    if (!amount) return Collection();
    if (subtract) *amount = -*amount;
    if (t.kind() == ItemKind::kTime && *unit <= TimeUnit::kDay) {
      return Error(n, "cannot add '" + q.unit + "' to a Time");
    }
    std::optional<Temporal> result = AddToTemporal(t.temporal(), *amount, *unit);
    if (!result) return Collection();
    return One(Item::FromTemporal(*result));
  }

  const EvaluationContext& ctx_;
  const fhir::TypeModel& model_;
  std::string_view text_;
  const Collection& context_;
  Collection own_resource_;       // %resource when the context names one
  Collection own_root_resource_;  // %rootResource when the context names one
  const Collection* resource_ = &context_;
  const Collection* root_resource_ = &context_;
  EvaluationClock clock_;
  FunctionEnv env_;
  int unchecked_ = 0;  // > 0 while unknown element names are not errors
};

}  // namespace

Result<Collection> EvaluateAst(const Ast& root, std::string_view text, const Collection& input,
                               const EvaluationContext& context) {
  Evaluator evaluator(context, text, input);
  Frame frame{&input, -1, nullptr};
  return evaluator.Eval(root, frame);
}

}  // namespace fhirengine::fhirpath::internal
