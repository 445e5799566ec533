// JSON Patch parsing and application. Every operation works on a private deep
// copy, so no Value handle is ever shared between two places in the tree and
// the caller's document is untouched until the whole patch has succeeded.
#include "engine/json/json_patch.h"

#include <algorithm>
#include <utility>

#include "engine/json/json_parser.h"

namespace fhirengine::json {
namespace {

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// "operation 2 (remove /a/b)": how messages name an operation.
std::string OperationName(std::size_t index, const PatchOperation& op) {
  std::string name = "operation " + std::to_string(index) + " (" + std::string(PatchOpName(op.op));
  if (op.op == PatchOp::kMove || op.op == PatchOp::kCopy) {
    name += " from " + Quote(op.from.text) + " to";
  }
  return name + " " + Quote(op.path.text) + ")";
}

// The pointer text of the first `count` tokens of `p` (for messages).
std::string Prefix(const JsonPointer& p, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back('/');
    for (char c : p.tokens[i]) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out.push_back(c);
      }
    }
  }
  return out.empty() ? "the document root" : Quote(out);
}

// Nesting of objects and arrays in `v` (a scalar is 0), without recursion.
std::size_t Depth(const Value& root) {
  std::size_t deepest = 0;
  std::vector<std::pair<const Value*, std::size_t>> stack{{&root, 0}};
  while (!stack.empty()) {
    auto [v, depth] = stack.back();
    stack.pop_back();
    if (v->IsArray()) {
      deepest = std::max(deepest, depth + 1);
      for (const Value& e : v->elements()) stack.emplace_back(&e, depth + 1);
    } else if (v->IsObject()) {
      deepest = std::max(deepest, depth + 1);
      for (const Member& m : v->members()) stack.emplace_back(&m.value, depth + 1);
    }
  }
  return deepest;
}

// An array index token (RFC 6901 section 4: "0" or digits without a leading
// zero). `size` bounds it; a larger index is reported as past the end.
enum class IndexKind { kIndex, kPastEnd, kDash, kNotAnIndex };
IndexKind ParseIndex(std::string_view token, std::size_t size, std::size_t& index) {
  if (token == "-") return IndexKind::kDash;
  if (token.empty() || (token.size() > 1 && token[0] == '0')) return IndexKind::kNotAnIndex;
  std::size_t value = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return IndexKind::kNotAnIndex;
  }
  for (char c : token) {
    value = value * 10 + static_cast<std::size_t>(c - '0');
    if (value > size) return IndexKind::kPastEnd;  // also stops any overflow
  }
  index = value;
  return IndexKind::kIndex;
}

// A number as sign, significant digits and exponent: value = 0.digits * 10^exp
// scaled so that equal values compare equal ("1.50" == "15e-1").
struct NormalNumber {
  bool negative = false;
  std::string digits;  // no leading or trailing zeros; empty for zero
  std::int64_t exponent = 0;
  bool operator==(const NormalNumber&) const = default;
};

NormalNumber Normalize(std::string_view text) {
  NormalNumber n;
  if (!text.empty() && text[0] == '-') {
    n.negative = true;
    text.remove_prefix(1);
  }
  std::string_view mantissa = text;
  std::int64_t exponent = 0;
  if (std::size_t e = text.find_first_of("eE"); e != std::string_view::npos) {
    mantissa = text.substr(0, e);
    std::string_view exp_text = text.substr(e + 1);
    bool exp_negative = false;
    if (!exp_text.empty() && (exp_text[0] == '+' || exp_text[0] == '-')) {
      exp_negative = exp_text[0] == '-';
      exp_text.remove_prefix(1);
    }
    // Saturates: exponents beyond 10^15 are all "huge" (no real document has them).
    constexpr std::int64_t kMaxExponent = 1'000'000'000'000'000;
    for (char c : exp_text) {
      exponent = std::min(kMaxExponent, exponent * 10 + (c - '0'));
    }
    if (exp_negative) exponent = -exponent;
  }
  std::string_view integer = mantissa;
  std::string_view fraction;
  if (std::size_t dot = mantissa.find('.'); dot != std::string_view::npos) {
    integer = mantissa.substr(0, dot);
    fraction = mantissa.substr(dot + 1);
  }
  std::string digits = std::string(integer) + std::string(fraction);
  // value = digits * 10^(exponent - |fraction|) = 0.digits * 10^(exponent + |integer|).
  std::int64_t exp = exponent + static_cast<std::int64_t>(integer.size());
  const std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return NormalNumber{};  // zero, -0 included
  exp -= static_cast<std::int64_t>(first);
  digits.erase(0, first);
  digits.erase(digits.find_last_not_of('0') + 1);
  n.digits = std::move(digits);
  n.exponent = exp;
  return n;
}

// Applies operations to one working document.
class Applier {
 public:
  Applier(Document& doc, const JsonPatchLimits& limits) : doc_(doc), limits_(limits) {}

  Status Run(std::size_t index, const PatchOperation& op) {
    Status s = Dispatch(op);
    if (s.ok() && doc_.arena_bytes() > limits_.max_result_bytes) {
      s = ResourceExhausted("the patched document would need more than " +
                            std::to_string(limits_.max_result_bytes) + " bytes");
    }
    if (s.ok()) return s;
    return Status(s.code(), OperationName(index, op) + ": " + s.message());
  }

 private:
  Status Dispatch(const PatchOperation& op) {
    switch (op.op) {
      case PatchOp::kAdd:
        return Add(op.path, doc_.Copy(op.value));
      case PatchOp::kRemove: {
        Value removed;
        return Remove(op.path, removed);
      }
      case PatchOp::kReplace: {
        Result<Value*> target = Resolve(op.path, op.path.tokens.size());
        if (!target.ok()) return target.status();
        FE_RETURN_IF_ERROR(CheckDepth(op.path, op.value));
        **target = doc_.Copy(op.value);
        return Status::Ok();
      }
      case PatchOp::kMove: {
        Result<Value*> source = Resolve(op.from, op.from.tokens.size());
        if (!source.ok()) return source.status();
        if (op.from.tokens == op.path.tokens) return Status::Ok();
        FE_RETURN_IF_ERROR(CheckDepth(op.path, **source));
        Value moved;
        FE_RETURN_IF_ERROR(Remove(op.from, moved));
        return Add(op.path, moved);
      }
      case PatchOp::kCopy: {
        Result<Value*> source = Resolve(op.from, op.from.tokens.size());
        if (!source.ok()) return source.status();
        FE_RETURN_IF_ERROR(CheckDepth(op.path, **source));
        return Add(op.path, doc_.Copy(**source));
      }
      case PatchOp::kTest: {
        Result<Value*> target = Resolve(op.path, op.path.tokens.size());
        if (!target.ok()) return target.status();
        if (!JsonValuesEqual(**target, op.value)) {
          return Status(StatusCode::kFailedPrecondition,
                        "test failed: the value at " + Prefix(op.path, op.path.tokens.size()) +
                            " differs from the expected value");
        }
        return Status::Ok();
      }
    }
    return Internal("unknown patch operation");
  }

  // A value placed at `path` must keep the document within max_depth.
  Status CheckDepth(const JsonPointer& path, const Value& value) const {
    const std::size_t depth = path.tokens.size() + Depth(value);
    if (depth > limits_.max_depth) {
      return ResourceExhausted("the result would nest " + std::to_string(depth) +
                               " levels deep; at most " + std::to_string(limits_.max_depth) +
                               " are allowed");
    }
    return Status::Ok();
  }

  // The value the first `count` tokens of `p` name (every token must name an
  // existing member or element).
  Result<Value*> Resolve(const JsonPointer& p, std::size_t count) {
    Value* v = &doc_.root();
    for (std::size_t i = 0; i < count; ++i) {
      const std::string& token = p.tokens[i];
      if (v->IsObject()) {
        Value* next = v->Find(token);
        if (next == nullptr) {
          return NotFound(Prefix(p, i + 1) + " does not exist (" + Prefix(p, i) +
                          " has no member " + Quote(token) + ")");
        }
        v = next;
      } else if (v->IsArray()) {
        std::size_t index = 0;
        switch (ParseIndex(token, v->size(), index)) {
          case IndexKind::kIndex:
            if (index < v->size()) {
              v = &v->elements()[index];
              continue;
            }
            [[fallthrough]];
          case IndexKind::kPastEnd:
            return NotFound(Prefix(p, i + 1) + " does not exist (the array at " + Prefix(p, i) +
                            " has " + std::to_string(v->size()) + " elements)");
          case IndexKind::kDash:
            return InvalidArgument(Prefix(p, i + 1) +
                                   ": '-' names the end of an array; only add can use it, "
                                   "as the last token");
          case IndexKind::kNotAnIndex:
            return InvalidArgument(Prefix(p, i + 1) + ": " + Quote(token) +
                                   " is not an array index (digits, no leading zeros)");
        }
      } else {
        return NotFound(Prefix(p, i + 1) + " does not exist (" + Prefix(p, i) + " is " +
                        std::string(KindName(v->kind())) + ", not an object or array)");
      }
    }
    return v;
  }

  // RFC 6902 4.1: into an object (set or replace a member), into an array
  // (insert before the index, or append on '-'), or the whole document.
  Status Add(const JsonPointer& path, Value value) {
    FE_RETURN_IF_ERROR(CheckDepth(path, value));
    if (path.tokens.empty()) {
      doc_.set_root(value);
      return Status::Ok();
    }
    const std::size_t last = path.tokens.size() - 1;
    Result<Value*> parent = Resolve(path, last);
    if (!parent.ok()) return parent.status();
    Value& container = **parent;
    const std::string& token = path.tokens[last];
    if (container.IsObject()) {
      doc_.SetMember(container, token, value);
      return Status::Ok();
    }
    if (!container.IsArray()) {
      return NotFound("cannot add to " + Prefix(path, last) + ": it is " +
                      std::string(KindName(container.kind())) + ", not an object or array");
    }
    std::size_t index = 0;
    switch (ParseIndex(token, container.size(), index)) {
      case IndexKind::kDash:
        index = container.size();
        break;
      case IndexKind::kIndex:
        break;  // index == size appends
      case IndexKind::kPastEnd:
        return NotFound("index " + Quote(token) + " is past the end of the array at " +
                        Prefix(path, last) + " (" + std::to_string(container.size()) +
                        " elements; add accepts at most " + std::to_string(container.size()) +
                        " or '-')");
      case IndexKind::kNotAnIndex:
        return InvalidArgument(Quote(token) + " is not an array index for the array at " +
                               Prefix(path, last) + " (digits without leading zeros, or '-')");
    }
    std::vector<Value> elements(container.elements().begin(), container.elements().end());
    elements.insert(elements.begin() + static_cast<std::ptrdiff_t>(index), value);
    container = doc_.MakeArray(elements);
    return Status::Ok();
  }

  // RFC 6902 4.2; `removed` receives the value that was there.
  Status Remove(const JsonPointer& path, Value& removed) {
    if (path.tokens.empty()) return InvalidArgument("cannot remove the whole document");
    Result<Value*> target = Resolve(path, path.tokens.size());
    if (!target.ok()) return target.status();
    removed = **target;
    const std::size_t last = path.tokens.size() - 1;
    Result<Value*> parent = Resolve(path, last);
    FE_CHECK(parent.ok());  // the target resolved through it
    Value& container = **parent;
    if (container.IsObject()) {
      const bool was_there = doc_.RemoveMember(container, path.tokens[last]);
      FE_CHECK(was_there);
      return Status::Ok();
    }
    FE_CHECK(container.IsArray());
    std::vector<Value> elements;
    elements.reserve(container.size() - 1);
    for (const Value& e : container.elements()) {
      if (&e != *target) elements.push_back(e);
    }
    container = doc_.MakeArray(elements);
    return Status::Ok();
  }

  Document& doc_;
  const JsonPatchLimits& limits_;
};

Result<PatchOp> ParseOpName(std::string_view name) {
  static constexpr std::pair<std::string_view, PatchOp> kOps[] = {
      {"add", PatchOp::kAdd},   {"remove", PatchOp::kRemove}, {"replace", PatchOp::kReplace},
      {"move", PatchOp::kMove}, {"copy", PatchOp::kCopy},     {"test", PatchOp::kTest}};
  for (const auto& [text, op] : kOps) {
    if (name == text) return op;
  }
  return InvalidArgument("unknown op " + Quote(name) +
                         " (expected add, remove, replace, move, copy or test)");
}

// A pointer member ("path" or "from") of operation object `object`.
Result<JsonPointer> PointerMember(const Value& object, std::string_view name) {
  const Value* v = object.Find(name);
  if (v == nullptr) return InvalidArgument("missing " + Quote(name));
  if (!v->IsString()) return InvalidArgument(Quote(name) + " must be a string (a JSON Pointer)");
  Result<JsonPointer> p = JsonPointer::Parse(v->text());
  if (!p.ok()) return InvalidArgument(Quote(name) + ": " + p.status().message());
  return p;
}

// One operation object, checked; its value is copied into `doc`.
Result<PatchOperation> ParseOperation(const Value& object, Document& doc) {
  if (!object.IsObject()) {
    return InvalidArgument("is " + std::string(KindName(object.kind())) +
                           ", not an operation object");
  }
  const Value* op_member = object.Find("op");
  if (op_member == nullptr) return InvalidArgument("missing 'op'");
  if (!op_member->IsString()) return InvalidArgument("'op' must be a string");
  Result<PatchOp> op = ParseOpName(op_member->text());
  if (!op.ok()) return op.status();
  PatchOperation out;
  out.op = *op;
  Result<JsonPointer> path = PointerMember(object, "path");
  if (!path.ok()) return path.status();
  out.path = std::move(path).value();
  switch (out.op) {
    case PatchOp::kAdd:
    case PatchOp::kReplace:
    case PatchOp::kTest: {
      const Value* value = object.Find("value");
      if (value == nullptr) {
        return InvalidArgument("missing 'value' (required by " + std::string(PatchOpName(out.op)) +
                               ")");
      }
      out.value = doc.Copy(*value);
      break;
    }
    case PatchOp::kMove:
    case PatchOp::kCopy: {
      Result<JsonPointer> from = PointerMember(object, "from");
      if (!from.ok()) return from.status();
      out.from = std::move(from).value();
      const auto& f = out.from.tokens;
      const auto& p = out.path.tokens;
      if (out.op == PatchOp::kMove && f.size() < p.size() &&
          std::equal(f.begin(), f.end(), p.begin())) {
        return InvalidArgument("cannot move " + Quote(out.from.text) + " into its own child " +
                               Quote(out.path.text));
      }
      break;
    }
    case PatchOp::kRemove:
      if (out.path.tokens.empty()) return InvalidArgument("cannot remove the whole document");
      break;
  }
  return out;
}

}  // namespace

Result<JsonPointer> JsonPointer::Parse(std::string_view text) {
  JsonPointer p;
  p.text = std::string(text);
  if (text.empty()) return p;
  if (text[0] != '/') {
    return InvalidArgument(Quote(text) +
                           " is not a JSON Pointer (it must be empty or start with '/')");
  }
  std::string token;
  for (std::size_t i = 1; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '/') {
      p.tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (text[i] == '~') {
      const char next = i + 1 < text.size() ? text[i + 1] : '\0';
      if (next != '0' && next != '1') {
        return InvalidArgument(Quote(text) +
                               " is not a JSON Pointer ('~' must be followed by 0 or 1)");
      }
      token.push_back(next == '0' ? '~' : '/');
      ++i;
      continue;
    }
    token.push_back(text[i]);
  }
  return p;
}

std::string_view PatchOpName(PatchOp op) {
  switch (op) {
    case PatchOp::kAdd:
      return "add";
    case PatchOp::kRemove:
      return "remove";
    case PatchOp::kReplace:
      return "replace";
    case PatchOp::kMove:
      return "move";
    case PatchOp::kCopy:
      return "copy";
    case PatchOp::kTest:
      return "test";
  }
  return "?";
}

Result<JsonPatch> JsonPatch::Parse(std::string_view text, const ParseLimits& parse_limits,
                                   const JsonPatchLimits& limits) {
  Result<Document> doc = json::Parse(text, parse_limits);
  if (!doc.ok()) {
    return Status(doc.status().code(), "the patch is not valid JSON: " + doc.status().message());
  }
  return FromValue(doc->root(), limits);
}

Result<JsonPatch> JsonPatch::FromValue(const Value& patch, const JsonPatchLimits& limits) {
  if (!patch.IsArray()) {
    return InvalidArgument("a JSON Patch must be an array of operations, not " +
                           std::string(KindName(patch.kind())));
  }
  if (patch.size() > limits.max_operations) {
    return ResourceExhausted("the patch has " + std::to_string(patch.size()) +
                             " operations; at most " + std::to_string(limits.max_operations) +
                             " are allowed");
  }
  Document doc;
  std::vector<PatchOperation> operations;
  operations.reserve(patch.size());
  for (std::size_t i = 0; i < patch.size(); ++i) {
    Result<PatchOperation> op = ParseOperation(patch.elements()[i], doc);
    if (!op.ok()) {
      return InvalidArgument("operation " + std::to_string(i) + ": " + op.status().message());
    }
    operations.push_back(std::move(op).value());
  }
  return JsonPatch(std::move(doc), std::move(operations), limits);
}

Result<Document> JsonPatch::ApplyTo(const Value& target) const {
  if (Depth(target) > limits_.max_depth) {
    return ResourceExhausted("the document nests deeper than " + std::to_string(limits_.max_depth) +
                             " levels");
  }
  Document work;
  work.set_root(work.Copy(target));
  Applier applier(work, limits_);
  for (std::size_t i = 0; i < operations_.size(); ++i) {
    FE_RETURN_IF_ERROR(applier.Run(i, operations_[i]));
  }
  return work;
}

Status JsonPatch::Apply(Document& doc) const {
  Result<Document> patched = ApplyTo(doc.root());
  if (!patched.ok()) return patched.status();
  doc = std::move(patched).value();
  return Status::Ok();
}

bool JsonValuesEqual(const Value& a, const Value& b) {
  return Equal(a, b,
               [](std::string_view x, std::string_view y) { return Normalize(x) == Normalize(y); });
}

}  // namespace fhirengine::json
