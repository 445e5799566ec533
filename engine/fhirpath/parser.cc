// FHIRPath parser: precedence climbing over the N1 operator table
// (implies < or/xor < and < in/contains < equality < comparison < | < is/as
// < additive < multiplicative < unary < . and []), with every recursive step
// counted against a depth limit.
#include "engine/fhirpath/parser.h"

#include <utility>

#include "engine/fhirpath/functions.h"
#include "engine/fhirpath/lexer.h"

namespace fhirengine::fhirpath::internal {
namespace {

constexpr int kImpliesPrecedence = 1;
constexpr int kTypePrecedence = 8;

struct BinaryOp {
  int precedence = 0;  // 0: not a binary operator
  Op op = Op::kPlus;
  bool type_op = false;  // is / as: the right side is a type specifier
  bool is_as = false;
};

BinaryOp Classify(const Token& t) {
  if (t.kind == TokenKind::kPunct) {
    const std::string& s = t.text;
    if (s == "|") return {7, Op::kUnion};
    if (s == "=") return {5, Op::kEqual};
    if (s == "~") return {5, Op::kEquivalent};
    if (s == "!=") return {5, Op::kNotEqual};
    if (s == "!~") return {5, Op::kNotEquivalent};
    if (s == "<") return {6, Op::kLess};
    if (s == "<=") return {6, Op::kLessOrEqual};
    if (s == ">") return {6, Op::kGreater};
    if (s == ">=") return {6, Op::kGreaterOrEqual};
    if (s == "+") return {9, Op::kPlus};
    if (s == "-") return {9, Op::kMinus};
    if (s == "&") return {9, Op::kConcat};
    if (s == "*") return {10, Op::kMultiply};
    if (s == "/") return {10, Op::kDivide};
    return {};
  }
  if (t.kind != TokenKind::kIdentifier) return {};
  const std::string& s = t.text;
  if (s == "implies") return {kImpliesPrecedence, Op::kImplies};
  if (s == "or") return {2, Op::kOr};
  if (s == "xor") return {2, Op::kXor};
  if (s == "and") return {3, Op::kAnd};
  if (s == "in") return {4, Op::kIn};
  if (s == "contains") return {4, Op::kContains};
  if (s == "is") return {kTypePrecedence, Op::kPlus, true, false};
  if (s == "as") return {kTypePrecedence, Op::kPlus, true, true};
  if (s == "div") return {10, Op::kDiv};
  if (s == "mod") return {10, Op::kMod};
  return {};
}

bool IsReservedWord(const std::string& s) {
  return s == "and" || s == "or" || s == "xor" || s == "implies" || s == "div" || s == "mod";
}

std::string Describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEnd:
      return "the end of the expression";
    case TokenKind::kString:
      return "a string";
    case TokenKind::kNumber:
      return "the number " + t.text;
    case TokenKind::kTemporal:
      return "@" + t.text;
    case TokenKind::kDollar:
      return "$" + t.text;
    case TokenKind::kDelimitedIdentifier:
      return "`" + t.text + "`";
    default:
      return "'" + t.text + "'";
  }
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens, const fhir::TypeModel& model,
         int max_depth)
      : text_(text), tokens_(std::move(tokens)), model_(model), max_depth_(max_depth) {}

  Result<std::unique_ptr<Ast>> Run() {
    Result<std::unique_ptr<Ast>> e = Expression(0);
    if (!e.ok()) return e;
    if (Peek().kind != TokenKind::kEnd) {
      return Error(Peek(), "unexpected " + Describe(Peek()) + " after a complete expression");
    }
    return e;
  }

 private:
  // Counts one level of parser recursion for the lifetime of the guard.
  class DepthGuard {
   public:
    explicit DepthGuard(int* depth) : depth_(depth) { ++*depth_; }
    ~DepthGuard() { --*depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    int* depth_;
  };

  const Token& Peek(std::size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Advance() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool IsPunct(const Token& t, std::string_view p) const {
    return t.kind == TokenKind::kPunct && t.text == p;
  }

  Status Error(const Token& at, const std::string& message) const {
    return InvalidArgument(DescribePosition(text_, at.offset) + ": " + message);
  }
  Status TooDeep(const Token& at) const {
    return ResourceExhausted(
        DescribePosition(text_, at.offset) +
        ": expression too deep (nesting, operator chains and path steps count) - the limit is " +
        std::to_string(max_depth_));
  }

  // Sets the node's height from its children and enforces the limit.
  Result<std::unique_ptr<Ast>> Finish(std::unique_ptr<Ast> node, const Token& at) {
    std::uint32_t h = 0;
    if (node->focus) h = std::max(h, node->focus->depth);
    for (const auto& a : node->args) h = std::max(h, a->depth);
    node->depth = h + 1;
    if (node->depth > static_cast<std::uint32_t>(max_depth_)) return TooDeep(at);
    return node;
  }

  std::unique_ptr<Ast> NewNode(AstKind kind, const Token& at) {
    auto node = std::make_unique<Ast>();
    node->kind = kind;
    node->offset = at.offset;
    return node;
  }

  Result<std::unique_ptr<Ast>> Expression(int min_precedence) {
    DepthGuard guard(&depth_);
    if (depth_ > max_depth_) return TooDeep(Peek());
    Result<std::unique_ptr<Ast>> left = Unary();
    if (!left.ok()) return left;
    std::unique_ptr<Ast> node = std::move(*left);
    for (;;) {
      const Token& t = Peek();
      const BinaryOp b = Classify(t);
      if (b.precedence == 0 || b.precedence < min_precedence) break;
      const Token op_token = Advance();
      if (b.type_op) {
        Result<TypeSpec> spec = TypeSpecifier();
        if (!spec.ok()) return spec.status();
        auto n = NewNode(b.is_as ? AstKind::kAs : AstKind::kIs, op_token);
        n->type = std::move(*spec);
        n->focus = std::move(node);
        Result<std::unique_ptr<Ast>> done = Finish(std::move(n), op_token);
        if (!done.ok()) return done;
        node = std::move(*done);
        continue;
      }
      const int next = b.op == Op::kImplies ? b.precedence : b.precedence + 1;
      Result<std::unique_ptr<Ast>> right = Expression(next);
      if (!right.ok()) return right;
      auto n = NewNode(AstKind::kBinary, op_token);
      n->op = b.op;
      n->args.push_back(std::move(node));
      n->args.push_back(std::move(*right));
      Result<std::unique_ptr<Ast>> done = Finish(std::move(n), op_token);
      if (!done.ok()) return done;
      node = std::move(*done);
    }
    return node;
  }

  Result<std::unique_ptr<Ast>> Unary() {
    DepthGuard guard(&depth_);
    if (depth_ > max_depth_) return TooDeep(Peek());
    const Token& t = Peek();
    if (IsPunct(t, "+") || IsPunct(t, "-")) {
      const Token sign = Advance();
      Result<std::unique_ptr<Ast>> operand = Unary();
      if (!operand.ok()) return operand;
      std::unique_ptr<Ast> o = std::move(*operand);
      if (sign.text == "-" && o->kind == AstKind::kLiteral) {
        // Fold -literal so that the literal keeps its exact form.
        const Item& lit = *o->literal;
        switch (lit.kind()) {
          case ItemKind::kInteger:
            o->literal = Item::Integer(-lit.integer());
            return o;
          case ItemKind::kDecimal:
            o->literal = Item::FromDecimal(lit.decimal().Negated());
            return o;
          case ItemKind::kQuantity: {
            Quantity q = lit.quantity();
            q.value = q.value.Negated();
            o->literal = Item::FromQuantity(std::move(q));
            return o;
          }
          default:
            break;
        }
      }
      auto n = NewNode(AstKind::kNegate, sign);
      n->op = sign.text == "-" ? Op::kMinus : Op::kPlus;
      n->focus = std::move(o);
      return Finish(std::move(n), sign);
    }
    return Postfix();
  }

  Result<std::unique_ptr<Ast>> Postfix() {
    Result<std::unique_ptr<Ast>> term = Term();
    if (!term.ok()) return term;
    std::unique_ptr<Ast> node = std::move(*term);
    for (;;) {
      const Token& t = Peek();
      if (IsPunct(t, ".")) {
        Advance();
        Result<std::unique_ptr<Ast>> inv = Invocation(std::move(node));
        if (!inv.ok()) return inv;
        node = std::move(*inv);
      } else if (IsPunct(t, "[")) {
        const Token open = Advance();
        Result<std::unique_ptr<Ast>> index = Expression(0);
        if (!index.ok()) return index;
        if (!IsPunct(Peek(), "]")) return Error(Peek(), "expected ']' to close the indexer");
        Advance();
        auto n = NewNode(AstKind::kIndexer, open);
        n->focus = std::move(node);
        n->args.push_back(std::move(*index));
        Result<std::unique_ptr<Ast>> done = Finish(std::move(n), open);
        if (!done.ok()) return done;
        node = std::move(*done);
      } else {
        return node;
      }
    }
  }

  Result<std::unique_ptr<Ast>> Term() {
    const Token& t = Peek();
    switch (t.kind) {
      case TokenKind::kNumber:
        return NumberLiteral();
      case TokenKind::kString: {
        auto n = NewNode(AstKind::kLiteral, t);
        n->literal = Item::String(Advance().text);
        return n;
      }
      case TokenKind::kTemporal: {
        std::optional<Temporal> v = ParseTemporalLiteral(t.text);
        if (!v) return Error(t, "invalid date/time literal @" + t.text);
        auto n = NewNode(AstKind::kLiteral, t);
        n->literal = Item::FromTemporal(*v);
        Advance();
        return n;
      }
      case TokenKind::kDollar: {
        auto n = NewNode(t.text == "this" ? AstKind::kThis
                                          : (t.text == "index" ? AstKind::kIndex : AstKind::kTotal),
                         t);
        Advance();
        return n;
      }
      case TokenKind::kIdentifier:
        if (t.text == "true" || t.text == "false") {
          auto n = NewNode(AstKind::kLiteral, t);
          n->literal = Item::Boolean(t.text == "true");
          Advance();
          return n;
        }
        if (IsReservedWord(t.text))
          return Error(t, "expected an expression, found '" + t.text + "'");
        return Invocation(nullptr);
      case TokenKind::kDelimitedIdentifier:
        return Invocation(nullptr);
      case TokenKind::kPunct:
        if (t.text == "(") {
          Advance();
          Result<std::unique_ptr<Ast>> inner = Expression(0);
          if (!inner.ok()) return inner;
          if (!IsPunct(Peek(), ")"))
            return Error(Peek(), "expected ')', found " + Describe(Peek()));
          Advance();
          return inner;
        }
        if (t.text == "{") {
          const Token open = Advance();
          if (!IsPunct(Peek(), "}"))
            return Error(Peek(), "expected '}' ({} is the empty collection)");
          Advance();
          return NewNode(AstKind::kEmpty, open);
        }
        if (t.text == "%") {
          const Token percent = Advance();
          const Token& name = Peek();
          if (name.kind != TokenKind::kIdentifier && name.kind != TokenKind::kDelimitedIdentifier &&
              name.kind != TokenKind::kString) {
            return Error(name, "expected a variable name after '%'");
          }
          auto n = NewNode(AstKind::kVariable, percent);
          n->name = Advance().text;
          return n;
        }
        break;
      default:
        break;
    }
    return Error(t, "expected an expression, found " + Describe(t));
  }

  Result<std::unique_ptr<Ast>> NumberLiteral() {
    const Token number = Advance();
    const bool is_decimal = number.text.find('.') != std::string::npos;
    std::optional<Decimal> value = Decimal::Parse(number.text);
    if (!value) return Error(number, "number " + number.text + " is out of range");
    auto n = NewNode(AstKind::kLiteral, number);
    const Token& next = Peek();
    std::optional<std::string> unit;
    if (next.kind == TokenKind::kString) {
      unit = next.text;
    } else if (next.kind == TokenKind::kIdentifier && CalendarUnit(next.text)) {
      unit = next.text;
    }
    if (unit) {
      Advance();
      n->literal = Item::FromQuantity(Quantity{*value, std::move(*unit)});
      return n;
    }
    if (is_decimal) {
      n->literal = Item::FromDecimal(*value);
      return n;
    }
    std::optional<std::int64_t> i = value->ToInt64();
    if (!i || *i > INT32_MAX) {
      return Error(number,
                   "integer " + number.text + " is out of range (FHIRPath integers are 32-bit)");
    }
    n->literal = Item::Integer(*i);
    return n;
  }

  // name or name(args), applied to `focus` (nullptr: to $this).
  Result<std::unique_ptr<Ast>> Invocation(std::unique_ptr<Ast> focus) {
    const Token& t = Peek();
    if (t.kind == TokenKind::kDollar) {
      // $this after a dot is unusual but harmless: `a.$this` is `a`.
      Advance();
      if (t.text != "this") return Error(t, "$" + t.text + " cannot follow '.'");
      if (!focus) return NewNode(AstKind::kThis, t);
      return focus;
    }
    if (t.kind != TokenKind::kIdentifier && t.kind != TokenKind::kDelimitedIdentifier) {
      return Error(t, "expected a name after '.', found " + Describe(t));
    }
    const Token name = Advance();
    if (!IsPunct(Peek(), "(")) {
      auto n = NewNode(AstKind::kMember, name);
      n->name = name.text;
      n->focus = std::move(focus);
      return Finish(std::move(n), name);
    }
    Advance();  // (
    const FunctionSpec* spec = FindFunction(name.text);
    if (spec == nullptr) return Error(name, "unknown function '" + name.text + "'");
    auto n = NewNode(AstKind::kFunction, name);
    n->name = name.text;
    n->function = spec;
    n->focus = std::move(focus);
    if (!IsPunct(Peek(), ")")) {
      for (;;) {
        Result<std::unique_ptr<Ast>> arg = Expression(0);
        if (!arg.ok()) return arg;
        n->args.push_back(std::move(*arg));
        if (IsPunct(Peek(), ",")) {
          Advance();
          continue;
        }
        break;
      }
    }
    if (!IsPunct(Peek(), ")")) {
      return Error(Peek(), "expected ')' to close the call of '" + name.text + "', found " +
                               Describe(Peek()));
    }
    Advance();
    const int count = static_cast<int>(n->args.size());
    if (count < spec->min_args || count > spec->max_args) {
      std::string want =
          spec->min_args == spec->max_args
              ? std::to_string(spec->min_args)
              : std::to_string(spec->min_args) + " to " + std::to_string(spec->max_args);
      return Error(name, "function '" + name.text + "' takes " + want + " argument(s), got " +
                             std::to_string(count));
    }
    if (spec->type_arg) {
      std::string type_name;
      if (!QualifiedName(*n->args[0], &type_name)) {
        return Error(name, "the argument of '" + name.text + "' must be a type name");
      }
      Result<TypeSpec> resolved = ResolveTypeSpec(type_name, model_);
      if (!resolved.ok()) return Error(name, resolved.status().message());
      n->type = std::move(*resolved);
      n->args.clear();
    }
    if ((spec->id == FunctionId::kMatches || spec->id == FunctionId::kMatchesFull ||
         spec->id == FunctionId::kReplaceMatches) &&
        n->args[0]->kind == AstKind::kLiteral && n->args[0]->literal->kind() == ItemKind::kString) {
      const RegexUse use = spec->id == FunctionId::kMatches       ? RegexUse::kMatches
                           : spec->id == FunctionId::kMatchesFull ? RegexUse::kMatchesFull
                                                                  : RegexUse::kReplace;
      Result<std::shared_ptr<const std::regex>> re =
          CompileRegex(n->args[0]->literal->string(), use);
      if (!re.ok()) return Error(name, re.status().message());
      n->regex = std::move(*re);
    }
    return Finish(std::move(n), name);
  }

  // A member chain without functions (FHIR.Patient) as dotted text.
  static bool QualifiedName(const Ast& a, std::string* out) {
    if (a.kind != AstKind::kMember) return false;
    if (a.focus) {
      if (!QualifiedName(*a.focus, out)) return false;
      *out += ".";
    }
    *out += a.name;
    return true;
  }

  Result<TypeSpec> TypeSpecifier() {
    const Token start = Peek();
    std::string text;
    for (;;) {
      const Token& t = Peek();
      if (t.kind != TokenKind::kIdentifier && t.kind != TokenKind::kDelimitedIdentifier) {
        return Error(t, "expected a type name, found " + Describe(t));
      }
      text += Advance().text;
      if (IsPunct(Peek(), ".") && (Peek(1).kind == TokenKind::kIdentifier ||
                                   Peek(1).kind == TokenKind::kDelimitedIdentifier)) {
        Advance();
        text += ".";
        continue;
      }
      break;
    }
    Result<TypeSpec> spec = ResolveTypeSpec(text, model_);
    if (!spec.ok()) return Error(start, spec.status().message());
    return spec;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  const fhir::TypeModel& model_;
  int max_depth_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

std::optional<ItemKind> SystemKind(std::string_view name) {
  if (name == "Boolean") return ItemKind::kBoolean;
  if (name == "String") return ItemKind::kString;
  if (name == "Integer") return ItemKind::kInteger;
  if (name == "Decimal") return ItemKind::kDecimal;
  if (name == "Date") return ItemKind::kDate;
  if (name == "DateTime") return ItemKind::kDateTime;
  if (name == "Time") return ItemKind::kTime;
  if (name == "Quantity") return ItemKind::kQuantity;
  return std::nullopt;
}

}  // namespace

bool TypeSpec::Matches(const Item& item) const {
  if (item.is_node()) {
    const Node& n = item.node();
    if (n.type != nullptr) return fhir_type != nullptr && DerivesFrom(n.type, fhir_type->name);
    std::optional<Item> s = ToSystem(item);
    return s && system_kind && s->kind() == *system_kind;
  }
  return system_kind && item.kind() == *system_kind;
}

Result<TypeSpec> ResolveTypeSpec(std::string_view text, const fhir::TypeModel& model) {
  TypeSpec spec;
  spec.text = std::string(text);
  bool system_only = false;
  bool fhir_only = false;
  std::string_view name = text;
  if (name.starts_with("System.")) {
    system_only = true;
    name.remove_prefix(7);
  } else if (name.starts_with("FHIR.")) {
    fhir_only = true;
    name.remove_prefix(5);
  }
  spec.name = std::string(name);
  if (!fhir_only) spec.system_kind = SystemKind(name);
  if (!system_only) spec.fhir_type = model.Find(name);
  if (system_only) return spec;  // an unknown System type matches nothing
  if (fhir_only && spec.fhir_type == nullptr) {
    return InvalidArgument("unknown FHIR type '" + spec.name + "'");
  }
  if (spec.fhir_type == nullptr && !spec.system_kind) {
    return InvalidArgument("unknown type '" + spec.text + "'");
  }
  return spec;
}

Result<std::unique_ptr<Ast>> Parse(std::string_view text, const fhir::TypeModel& model,
                                   int max_depth) {
  Result<std::vector<Token>> tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  return Parser(text, std::move(*tokens), model, max_depth).Run();
}

}  // namespace fhirengine::fhirpath::internal
