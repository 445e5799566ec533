// ProfileValidator: compiles a snapshot into a tree of element nodes and
// walks a resource's JSON along it.
#include "engine/profiles/profile_validator.h"

#include <algorithm>
#include <optional>
#include <set>

#include "engine/fhir/type_model.h"
#include "engine/fhirpath/element_invariants.h"
#include "engine/json/json_writer.h"

namespace fhirengine::profiles {
namespace internal {

struct CompiledConstraint {
  const Constraint* constraint = nullptr;
  const fhirpath::Expression* expression = nullptr;  // nullptr: did not compile
  // ele-1 with its standard text: checked natively (same verdicts).
  fhirpath::ElementInvariant native = fhirpath::ElementInvariant::kNone;
};

struct Node {
  const ElementModel* e = nullptr;
  std::string name;  // last path segment without [x]
  bool choice = false;
  std::vector<Node> children;
  std::vector<Node> slices;
  std::vector<CompiledConstraint> constraints;
  // Per slice: the expected value for each discriminator (nullptr: unknown).
  std::vector<const json::Value*> slice_keys;
  // The compiled definition that applies below this node when it has no
  // children of its own (its type or its type's profile), or nullptr.
  const CompiledProfile* type_profile = nullptr;
};

struct CompiledProfile {
  const ProfileModel* model = nullptr;
  Node root;
};

}  // namespace internal

namespace {

using internal::CompiledProfile;
using internal::Node;
using validation::Issue;
using validation::IssueType;
using validation::Severity;

std::string LastSegment(std::string_view path) {
  auto dot = path.rfind('.');
  return std::string(dot == std::string_view::npos ? path : path.substr(dot + 1));
}

Node ParseNode(const std::vector<ElementModel>& snap, std::size_t& i) {
  Node node;
  node.e = &snap[i];
  node.name = LastSegment(node.e->path);
  if (node.name.ends_with("[x]")) {
    node.name.resize(node.name.size() - 3);
    node.choice = true;
  }
  const std::string prefix = node.e->path + ".";
  ++i;
  while (i < snap.size() && snap[i].path.starts_with(prefix)) {
    if (snap[i].path.find('.', prefix.size()) != std::string::npos) {
      ++i;  // a deeper element without its parent: not a well-formed snapshot; skip it
      continue;
    }
    if (!snap[i].slice_name.empty() && !node.children.empty() &&
        node.children.back().e->path == snap[i].path) {
      node.children.back().slices.push_back(ParseNode(snap, i));
    } else {
      node.children.push_back(ParseNode(snap, i));
    }
  }
  return node;
}

bool IsPrimitiveCode(std::string_view code) {
  return !code.empty() && (std::islower(static_cast<unsigned char>(code[0])) ||
                           code.starts_with("http://hl7.org/fhirpath/System."));
}

// Whether `pattern` is contained in `value`: objects by member subset,
// arrays by each pattern element matching some value element.
bool PatternMatch(const json::Value& pattern, const json::Value& value) {
  if (pattern.IsObject()) {
    if (!value.IsObject()) return false;
    for (const json::Member& m : pattern.members()) {
      const json::Value* v = value.Find(m.key);
      if (v == nullptr || !PatternMatch(m.value, *v)) return false;
    }
    return true;
  }
  if (pattern.IsArray()) {
    std::span<const json::Value> values =
        value.IsArray() ? value.elements() : std::span<const json::Value>(&value, 1);
    for (const json::Value& p : pattern.elements()) {
      bool found = false;
      for (const json::Value& v : values) found = found || PatternMatch(p, v);
      if (!found) return false;
    }
    return true;
  }
  return json::Equal(pattern, value);
}

// The values at a dotted path below `v` (arrays flattened).
void Navigate(const json::Value& v, std::string_view path, std::vector<const json::Value*>& out) {
  if (v.IsArray()) {
    for (const json::Value& e : v.elements()) Navigate(e, path, out);
    return;
  }
  if (path.empty() || path == "$this") {
    out.push_back(&v);
    return;
  }
  auto dot = path.find('.');
  std::string_view head = path.substr(0, dot);
  std::string_view rest = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  if (const json::Value* child = v.Find(head)) Navigate(*child, rest, out);
}

std::string Describe(const json::Value& v) { return json::Write(v); }

constexpr std::string_view kBaseUrl = "http://hl7.org/fhir/StructureDefinition/";
constexpr std::string_view kElementUrl = "http://hl7.org/fhir/StructureDefinition/Element";

// The entry at `k` of a primitive's value or `_name` member (an array, or a
// single value at 0), or nullptr.
const json::Value* At(const json::Value* v, std::size_t k) {
  if (v == nullptr) return nullptr;
  if (!v->IsArray()) return k == 0 && !v->IsNull() ? v : nullptr;
  if (k >= v->elements().size() || v->elements()[k].IsNull()) return nullptr;
  return &v->elements()[k];
}

struct Walk {
  const ProfileValidator& validator;
  const json::Value& resource;
  validation::IssueSink& sink;
  const fhir::TypeModel& model = fhir::TypeModel::R4();

  void Report(Severity s, IssueType t, std::string expression, std::string message) {
    sink.Report(Issue{s, t, std::move(expression), std::move(message)});
  }

  void Element(const Node& n, const json::Value& v, const std::string& path,
               const fhir::TypeDef* td, std::string_view type_code);
  void Children(const Node& n, const json::Value& obj, const std::string& path,
                const fhir::TypeDef* td);
  void Slicing(const Node& c, std::span<const json::Value> items, bool array,
               const std::string& path, const fhir::TypeDef* td, std::string_view type_code);
  bool SliceMatches(const Node& slicing, std::size_t slice, const json::Value& item);
  void Binding(const Node& n, const json::Value& v, const std::string& path);
  void Reference(const Node& n, const json::Value& v, const std::string& path);
  void Invariants(const Node& n, const json::Value& v, const std::string& path,
                  const fhir::TypeDef* td);
  void PrimitiveElements(const Node& c, const json::Value* values, const json::Value& elements,
                         const std::string& path);
  void Failed(const Constraint& c, const std::string& path);

  // Invariant failures already reported, as key + '\n' + path: a node that
  // two definitions constrain alike (a profile's element and its type) gets
  // one issue per invariant.
  std::set<std::string> failed{};
  // The contained resource being walked against its own type, or nullptr.
  const json::Value* contained = nullptr;
};

bool KindFits(std::string_view code, const json::Value& v) {
  if (code == "boolean" || code == "http://hl7.org/fhirpath/System.Boolean") return v.IsBool();
  if (code == "integer" || code == "decimal" || code == "positiveInt" || code == "unsignedInt" ||
      code == "http://hl7.org/fhirpath/System.Integer" ||
      code == "http://hl7.org/fhirpath/System.Decimal") {
    return v.IsNumber();
  }
  if (IsPrimitiveCode(code)) return v.IsString();
  return v.IsObject();
}

void Walk::Element(const Node& n, const json::Value& v, const std::string& path,
                   const fhir::TypeDef* td, std::string_view type_code) {
  if (!type_code.empty() && !KindFits(type_code, v)) {
    Report(
        Severity::kError, IssueType::kStructure, path,
        "expected " + std::string(type_code) + ", found " + std::string(json::KindName(v.kind())));
    return;
  }
  if (n.e->fixed != nullptr && !json::Equal(*n.e->fixed, v)) {
    Report(Severity::kError, IssueType::kValue, path,
           "value must be exactly " + Describe(*n.e->fixed) + " (fixed), found " + Describe(v));
  }
  if (n.e->pattern != nullptr && !PatternMatch(*n.e->pattern, v)) {
    Report(
        Severity::kError, IssueType::kValue, path,
        "value does not match the pattern " + Describe(*n.e->pattern) + ", found " + Describe(v));
  }
  Binding(n, v, path);
  Reference(n, v, path);
  Invariants(n, v, path, td);
  if (!v.IsObject()) return;
  if (!n.children.empty()) {
    Children(n, v, path, td);
    return;
  }
  const CompiledProfile* type_profile = n.type_profile;
  // An extension without a profile of its own: its definition by url, when known.
  if (type_code == "Extension") {
    if (const json::Value* url = v.Find("url"); url != nullptr && url->IsString()) {
      if (const CompiledProfile* ext = validator.FindCompiled(url->text())) type_profile = ext;
    }
  }
  // A resource inside another (contained, Bundle.entry.resource): its own
  // type's base definition, when the registry has it.
  if (type_code == "Resource") {
    const json::Value* rt = v.Find("resourceType");
    if (rt == nullptr || !rt->IsString()) {
      Report(Severity::kError, IssueType::kStructure, path, "a resource here needs a resourceType");
      return;
    }
    const std::string own = std::string(kBaseUrl) + std::string(rt->text());
    if (const CompiledProfile* p = validator.FindCompiled(own); p != nullptr && p != type_profile) {
      type_profile = p;
      if (const fhir::TypeDef* own_td = model.Find(rt->text())) td = own_td;
      if (LastSegment(path).starts_with("contained")) contained = &v;
    }
  }
  if (type_profile == nullptr && !type_code.empty()) {
    type_profile =
        validator.FindCompiled("http://hl7.org/fhir/StructureDefinition/" + std::string(type_code));
  }
  if (type_profile != nullptr && type_profile->root.e != n.e) {
    Element(type_profile->root, v, path, td, "");
  }
}

void Walk::Children(const Node& n, const json::Value& obj, const std::string& path,
                    const fhir::TypeDef* td) {
  for (const Node& c : n.children) {
    std::span<const json::Value> items;
    bool array = false;
    std::string key = c.name;
    std::string type_code = c.e->types.size() == 1 ? c.e->types[0].code : std::string();
    if (c.choice) {
      for (const json::Member& m : obj.members()) {
        if (m.key.size() <= c.name.size() || !m.key.starts_with(c.name) ||
            !std::isupper(static_cast<unsigned char>(m.key[c.name.size()]))) {
          continue;
        }
        std::string suffix(m.key.substr(c.name.size()));
        bool allowed = false;
        std::string allowed_list;
        for (const TypeRef& t : c.e->types) {
          std::string cap = t.code;
          if (!cap.empty())
            cap[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(cap[0])));
          if (cap == suffix) {
            allowed = true;
            type_code = t.code;
          }
          allowed_list += (allowed_list.empty() ? "" : ", ") + t.code;
        }
        if (!allowed) {
          Report(Severity::kError, IssueType::kStructure, path + "." + std::string(m.key),
                 "type " + suffix + " is not allowed for " + c.e->path +
                     " (allowed: " + allowed_list + ")");
          continue;
        }
        key = std::string(m.key);
        items = std::span<const json::Value>(&m.value, 1);
        break;
      }
      // An extension-only primitive choice (`_valueString` without `valueString`).
      if (items.empty()) {
        for (const TypeRef& t : c.e->types) {
          if (!IsPrimitiveCode(t.code)) continue;
          std::string name = "_" + c.name + t.code;
          name[c.name.size() + 1] =
              static_cast<char>(std::toupper(static_cast<unsigned char>(name[c.name.size() + 1])));
          if (obj.Find(name) != nullptr) {
            key = name.substr(1);
            type_code = t.code;
            break;
          }
        }
      }
    } else if (const json::Value* v = obj.Find(c.name)) {
      array = v->IsArray();
      items = array ? v->elements() : std::span<const json::Value>(v, 1);
    }
    // A primitive's id and extensions, beside it as `_name` (a parallel array
    // with nulls for a repeating one): a position holding either is present.
    const json::Value* elements = obj.Find("_" + key);
    const json::Value* values = obj.Find(key);
    std::size_t count = items.size();
    if (elements != nullptr) {
      const std::size_t positions =
          std::max(items.size(), elements->IsArray() ? elements->elements().size() : 1);
      count = 0;
      for (std::size_t k = 0; k < positions; ++k) {
        if (At(values, k) != nullptr || At(elements, k) != nullptr) ++count;
      }
    }
    const std::string child_path = path + "." + key;
    if (count < c.e->min) {
      Report(Severity::kError, IssueType::kRequired, child_path,
             c.e->path + ": minimum required = " + std::to_string(c.e->min) + ", but only found " +
                 std::to_string(count));
    }
    if (c.e->max != kUnbounded && count > c.e->max) {
      Report(Severity::kError, IssueType::kStructure, child_path,
             c.e->path + ": maximum allowed = " + std::to_string(c.e->max) + ", but found " +
                 std::to_string(count));
    }
    const fhir::TypeDef* child_td = nullptr;
    if (td != nullptr) {
      if (const fhir::Property* p = td->FindProperty(key); p != nullptr && p->type != nullptr) {
        child_td = p->type->type;
      }
    }
    if (elements != nullptr) PrimitiveElements(c, values, *elements, child_path);
    // Slices are counted even when there are no items (a required slice).
    if (c.e->slicing && !c.slices.empty()) {
      Slicing(c, items, array, child_path, child_td, type_code);
      continue;
    }
    for (std::size_t k = 0; k < items.size(); ++k) {
      // A null value with its extensions in the parallel `_name` array.
      if (items[k].IsNull() && At(elements, k) != nullptr) continue;
      Element(c, items[k], array ? child_path + "[" + std::to_string(k) + "]" : child_path,
              child_td, type_code);
    }
  }
}

bool Walk::SliceMatches(const Node& c, std::size_t slice, const json::Value& item) {
  const auto& discriminators = c.e->slicing->discriminators;
  if (discriminators.empty()) return false;
  for (std::size_t d = 0; d < discriminators.size(); ++d) {
    const json::Value* expected = c.slice_keys[slice * discriminators.size() + d];
    if (expected == nullptr) return false;
    std::vector<const json::Value*> actual;
    Navigate(item, discriminators[d].path, actual);
    bool hit = false;
    for (const json::Value* a : actual) {
      hit = hit || (discriminators[d].type == "pattern" ? PatternMatch(*expected, *a)
                                                        : json::Equal(*expected, *a));
    }
    if (!hit) return false;
  }
  return true;
}

void Walk::Slicing(const Node& c, std::span<const json::Value> items, bool array,
                   const std::string& path, const fhir::TypeDef* td, std::string_view type_code) {
  std::vector<std::size_t> counts(c.slices.size(), 0);
  for (std::size_t k = 0; k < items.size(); ++k) {
    const std::string item_path = array ? path + "[" + std::to_string(k) + "]" : path;
    std::optional<std::size_t> slice;
    for (std::size_t s = 0; s < c.slices.size() && !slice; ++s) {
      if (SliceMatches(c, s, items[k])) slice = s;
    }
    if (slice) {
      ++counts[*slice];
      Element(c.slices[*slice], items[k], item_path, td, type_code);
      continue;
    }
    if (c.e->slicing->rules == "closed") {
      Report(Severity::kError, IssueType::kStructure, item_path,
             c.e->path + ": this element matches no slice, and the slicing is closed");
    }
    Element(c, items[k], item_path, td, type_code);
  }
  for (std::size_t s = 0; s < c.slices.size(); ++s) {
    const ElementModel& e = *c.slices[s].e;
    if (counts[s] < e.min) {
      Report(Severity::kError, IssueType::kRequired, path,
             c.e->path + ": slice '" + e.slice_name + "' requires at least " +
                 std::to_string(e.min) + ", but found " + std::to_string(counts[s]));
    }
    if (e.max != kUnbounded && counts[s] > e.max) {
      Report(Severity::kError, IssueType::kStructure, path,
             c.e->path + ": slice '" + e.slice_name + "' allows at most " + std::to_string(e.max) +
                 ", but found " + std::to_string(counts[s]));
    }
  }
}

void Walk::Binding(const Node& n, const json::Value& v, const std::string& path) {
  const auto& b = n.e->binding;
  if (!b || (b->strength != "required" && b->strength != "extensible")) return;
  const ProfileRegistry& reg = validator.registry();
  std::vector<std::pair<std::string_view, std::string_view>> codes;  // system, code
  auto add_coding = [&](const json::Value& coding) {
    const json::Value* code = coding.Find("code");
    const json::Value* system = coding.Find("system");
    if (code != nullptr && code->IsString()) {
      codes.emplace_back(system != nullptr && system->IsString() ? system->text() : "",
                         code->text());
    }
  };
  if (v.IsString()) {
    codes.emplace_back("", v.text());
  } else if (v.IsObject()) {
    if (const json::Value* codings = v.Find("coding")) {
      for (const json::Value& c : codings->elements()) add_coding(c);
    } else {
      add_coding(v);
    }
  }
  if (codes.empty()) return;
  bool unknown = false;
  for (const auto& [system, code] : codes) {
    Membership m = reg.ValueSetContains(b->value_set, system, code);
    if (m == Membership::kMember) return;
    unknown |= m == Membership::kUnknown;
  }
  if (unknown) return;
  std::string shown;
  for (const auto& [system, code] : codes) {
    shown += (shown.empty() ? "" : ", ") +
             (system.empty() ? std::string(code) : std::string(system) + "|" + std::string(code));
  }
  const bool required = b->strength == "required";
  Report(required ? Severity::kError : Severity::kWarning, IssueType::kCodeInvalid, path,
         "code " + shown + " is not in the " + b->strength + " ValueSet " + b->value_set);
}

void Walk::Reference(const Node& n, const json::Value& v, const std::string& path) {
  if (!v.IsObject()) return;
  const json::Value* ref = v.Find("reference");
  if (ref == nullptr || !ref->IsString()) return;
  std::vector<std::string> targets;
  for (const TypeRef& t : n.e->types) {
    if (t.code != "Reference") continue;
    for (const std::string& tp : t.target_profiles) {
      const ProfileModel* p = validator.registry().FindProfile(tp);
      targets.push_back(p != nullptr ? p->type : LastSegment(tp.substr(tp.rfind('/') + 1)));
    }
  }
  if (targets.empty()) return;
  std::string_view r = ref->text();
  if (r.starts_with("#") || r.starts_with("urn:")) return;
  if (auto h = r.find("/_history/"); h != std::string_view::npos) r = r.substr(0, h);
  auto slash = r.rfind('/');
  if (slash == std::string_view::npos) return;
  std::string_view head = r.substr(0, slash);
  std::string type(
      head.substr(head.rfind('/') == std::string_view::npos ? 0 : head.rfind('/') + 1));
  std::string allowed;
  for (const std::string& t : targets) {
    if (t == type || t == "Resource") return;
    allowed += (allowed.empty() ? "" : ", ") + t;
  }
  Report(Severity::kError, IssueType::kStructure, path,
         "reference to a " + type + " is not allowed here (allowed targets: " + allowed + ")");
}

void Walk::Invariants(const Node& n, const json::Value& v, const std::string& path,
                      const fhir::TypeDef* td) {
  if (n.constraints.empty()) return;
  fhirpath::Node node{&v, nullptr, td, &resource};
  std::optional<fhirpath::Collection> input;  // built for the first FHIRPath-evaluated one
  fhirpath::EvaluationContext ctx;
  ctx.resource = &resource;
  for (const internal::CompiledConstraint& c : n.constraints) {
    if (c.expression == nullptr) continue;
    // A contained resource has no narrative (dom-1 on its container).
    if (&v == contained && c.constraint->key == "dom-6") continue;
    if (c.native != fhirpath::ElementInvariant::kNone) {
      if (std::optional<bool> verdict = fhirpath::CheckElementInvariant(c.native, node, model)) {
        if (!*verdict) Failed(*c.constraint, path);
        continue;
      }
    }
    if (!input) input.emplace(1, fhirpath::Item::FromNode(node));
    Result<fhirpath::Collection> r = fhirpath::EvaluateCollection(*c.expression, *input, ctx);
    // Only a false result fails: an empty one (ref-1 on a Reference that has
    // only a display: "{}.not() or ..." is empty) does not, as in the HL7
    // reference validator, which the official examples are checked with.
    if (r.ok() && r->empty()) continue;
    Result<bool> ok = r.ok() ? fhirpath::IsTrue(*r) : Result<bool>(r.status());
    if (!ok.ok()) {
      Report(
          Severity::kInformation, IssueType::kInformational, path,
          "constraint " + c.constraint->key + " could not be evaluated: " + ok.status().message());
      continue;
    }
    if (!*ok) Failed(*c.constraint, path);
  }
}

void Walk::PrimitiveElements(const Node& c, const json::Value* values, const json::Value& elements,
                             const std::string& path) {
  const CompiledProfile* element = validator.FindCompiled(kElementUrl);
  const fhir::TypeDef* element_td = model.Find("Element");
  const bool array = elements.IsArray();
  if (array && values != nullptr && values->IsArray() &&
      values->elements().size() != elements.elements().size()) {
    Report(Severity::kError, IssueType::kStructure, path,
           "the arrays of values and of their extensions (_" + LastSegment(path) +
               ") differ in length (" + std::to_string(values->elements().size()) + " and " +
               std::to_string(elements.elements().size()) + ")");
  }
  const std::size_t n = array ? elements.elements().size() : 1;
  for (std::size_t k = 0; k < n; ++k) {
    const json::Value& e = array ? elements.elements()[k] : elements;
    if (e.IsNull()) continue;
    const std::string item_path = array ? path + "[" + std::to_string(k) + "]" : path;
    if (!e.IsObject()) {
      Report(Severity::kError, IssueType::kStructure, item_path,
             "expected the primitive's id and extensions as an object, found " +
                 std::string(json::KindName(e.kind())));
      continue;
    }
    // The Element's own rules: id, and each extension (with ext-1 and its
    // definition when known) as for any other element.
    if (element != nullptr) Children(element->root, e, item_path, element_td);
    // ele-1: a primitive has a value or extensions (an id alone is not enough).
    const json::Value* extensions = e.Find("extension");
    const bool has_extension =
        extensions != nullptr && extensions->IsArray() && !extensions->elements().empty();
    if (At(values, k) == nullptr && !has_extension) {
      for (const internal::CompiledConstraint& cc : c.constraints) {
        if (cc.native == fhirpath::ElementInvariant::kEle1) Failed(*cc.constraint, item_path);
      }
    }
  }
}

void Walk::Failed(const Constraint& c, const std::string& path) {
  if (!failed.insert(c.key + '\n' + path).second) return;
  const bool error = c.severity == "error";
  Report(error ? Severity::kError : Severity::kWarning, IssueType::kInvariant, path,
         "constraint " + c.key + " failed: " + c.human);
}

}  // namespace

ProfileValidator::~ProfileValidator() = default;

const CompiledProfile* ProfileValidator::FindCompiled(std::string_view url) const {
  auto it = compiled_.find(url);
  return it == compiled_.end() ? nullptr : it->second.get();
}

Result<std::unique_ptr<ProfileValidator>> ProfileValidator::Create(const ProfileRegistry& registry,
                                                                   std::string_view profile_url) {
  if (registry.FindProfile(profile_url) == nullptr) {
    return NotFound("profile " + std::string(profile_url) + " is not loaded");
  }
  std::unique_ptr<ProfileValidator> v(new ProfileValidator());
  v->url_ = std::string(profile_url);
  v->registry_ = &registry;
  v->Compile(profile_url);
  // What a primitive's `_name` holds (id, extension), when the registry has it.
  v->Compile(kElementUrl);
  // What a contained resource is checked against: its own type's base
  // definition (only the types the registry holds).
  if (v->reaches_resource_) {
    for (const ProfileModel* type : registry.ResourceTypes()) v->Compile(type->url);
  }
  return v;
}

const CompiledProfile* ProfileValidator::Compile(std::string_view url) {
  if (auto it = compiled_.find(url); it != compiled_.end()) return it->second.get();
  const ProfileModel* model = registry_->FindProfile(url);
  if (model == nullptr || model->kind == "primitive-type") return nullptr;
  auto& slot = compiled_[std::string(url)];
  slot = std::make_unique<CompiledProfile>();
  CompiledProfile* out = slot.get();
  out->model = model;
  std::size_t i = 0;
  out->root = ParseNode(model->snapshot, i);
  // Depth-first over the tree: invariants, discriminator values and the
  // definitions each leaf's type refers to.
  std::vector<Node*> stack{&out->root};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Constraint& c : n->e->constraints) {
      if (c.expression.empty()) continue;
      auto it = expressions_.find(c.expression);
      if (it == expressions_.end()) {
        Result<fhirpath::Expression> e = fhirpath::Compile(c.expression);
        if (!e.ok()) {
          compile_notes_.push_back(Issue{Severity::kInformation, IssueType::kInformational,
                                         n->e->path,
                                         "constraint " + c.key +
                                             " skipped: its expression does "
                                             "not compile (" +
                                             e.status().message() + ")"});
          n->constraints.push_back({&c, nullptr});
          continue;
        }
        it = expressions_.emplace(c.expression, std::move(*e)).first;
      }
      n->constraints.push_back(
          {&c, &it->second, fhirpath::FindElementInvariant(c.key, c.expression)});
    }
    if (n->children.empty() && n->e->types.size() == 1 && n->e != &model->snapshot[0]) {
      const TypeRef& t = n->e->types[0];
      reaches_resource_ |= t.code == "Resource";
      if (!IsPrimitiveCode(t.code) && t.code != "Resource") {
        std::string target = !t.profiles.empty() && registry_->FindProfile(t.profiles[0])
                                 ? t.profiles[0]
                                 : "http://hl7.org/fhir/StructureDefinition/" + t.code;
        n->type_profile = Compile(target);
      }
    }
    if (n->e->slicing) {
      for (Node& s : n->slices) {
        for (const Discriminator& d : n->e->slicing->discriminators) {
          const json::Value* key = nullptr;
          if (d.path == "$this") {
            key = s.e->fixed != nullptr ? s.e->fixed : s.e->pattern;
          } else {
            // Walk the slice's children along the path; a fixed/pattern on the
            // way holds the rest of it.
            const Node* cur = &s;
            std::string_view rest = d.path;
            while (cur != nullptr && key == nullptr) {
              const json::Value* whole = cur->e->fixed != nullptr ? cur->e->fixed : cur->e->pattern;
              if (whole != nullptr && cur != &s) {
                std::vector<const json::Value*> found;
                Navigate(*whole, rest, found);
                if (!found.empty()) key = found[0];
                break;
              }
              if (rest.empty()) break;
              auto dot = rest.find('.');
              std::string_view head = rest.substr(0, dot);
              rest = dot == std::string_view::npos ? "" : rest.substr(dot + 1);
              const Node* next = nullptr;
              for (const Node& ch : cur->children) {
                if (ch.name == head && ch.e->slice_name.empty()) next = &ch;
              }
              if (next == nullptr && whole != nullptr) {
                std::vector<const json::Value*> found;
                Navigate(*whole, std::string(head) + (rest.empty() ? "" : ".") + std::string(rest),
                         found);
                if (!found.empty()) key = found[0];
              }
              cur = next;
            }
            if (key == nullptr && d.path == "url" && !s.e->types.empty() &&
                !s.e->types[0].profiles.empty()) {
              key = new (synthesized_.Allocate(sizeof(json::Value), alignof(json::Value)))
                  json::Value(synthesized_.MakeString(s.e->types[0].profiles[0]));
            }
          }
          n->slice_keys.push_back(key);
        }
        stack.push_back(&s);
      }
    }
    for (Node& c : n->children) stack.push_back(&c);
  }
  return out;
}

void ProfileValidator::Validate(const json::Value& resource, validation::IssueSink& sink) const {
  for (const Issue& note : compile_notes_) sink.Report(note);
  const CompiledProfile* p = FindCompiled(url_);
  FE_CHECK(p != nullptr);
  const json::Value* type = resource.Find("resourceType");
  if (p->model->kind == "resource" &&
      (type == nullptr || !type->IsString() || type->text() != p->model->type)) {
    sink.Report(Issue{Severity::kError, IssueType::kInvalid, p->model->type,
                      "profile " + url_ + " applies to " + p->model->type + " resources"});
    return;
  }
  Walk walk{*this, resource, sink};
  const fhir::TypeDef* td = fhir::TypeModel::R4().Find(p->model->type);
  walk.Element(p->root, resource, p->model->type, td, "");
}

}  // namespace fhirengine::profiles
