// Compiling a mapping file and applying it to source records.
#include "engine/mapping/mapping.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "engine/core/log.h"
#include "engine/fhir/xml_safety.h"
#include "engine/fhirpath/fhirpath.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"
#include "engine/mapping/concept_map.h"
#include "engine/mapping/json_line_index.h"
#include "engine/mapping/local_time.h"
#include "engine/mapping/pseudonym.h"

namespace fhirengine::mapping {
namespace internal {

enum class SpecKind {
  kLiteral,
  kColumn,
  kXpath,
  kFhirpath,
  kTemplate,
  kConceptMap,
  kDate,
  kPseudonym,
  kForEach
};
enum class Unmapped { kReject, kDefault, kKeep };

struct XPathDeleter {
  void operator()(xmlXPathCompExpr* e) const { xmlXPathFreeCompExpr(e); }
};

struct ValueSpec;
// Field path -> value, in file order.
using FieldList = std::vector<std::pair<std::string, ValueSpec>>;

struct ValueSpec {
  SpecKind kind = SpecKind::kLiteral;
  std::string pointer;                      // JSON Pointer in the mapping file (for the line)
  std::string text;                         // literal JSON text, column name, template, format
  std::string as;                           // "", "boolean", "integer", "decimal"
  std::optional<std::string> default_json;  // when the value is absent
  std::shared_ptr<xmlXPathCompExpr> xpath;
  std::optional<fhirpath::Expression> fhirpath;
  std::unique_ptr<ValueSpec> from;
  std::shared_ptr<const ConceptMap> concept_map;
  std::string system;  // concept-map source system; pseudonym identifier system
  Unmapped unmapped = Unmapped::kReject;
  std::string zone;
  std::string separator;                            // for-each: split text at this
  std::shared_ptr<const FieldList> fields;          // for-each: each item's object
  std::shared_ptr<const FieldList> item_variables;  // for-each: {name} per item
};

// An extension the output carries when its value is present.
struct ExtensionSpec {
  std::string url;
  std::string value_path;  // "valueCoding", "valueCodeableConcept.coding[0]"
  ValueSpec value;
};

struct Output {
  std::string pointer;
  std::string resource_type;
  std::optional<ValueSpec> when;
  ValueSpec id;
  std::string profile;                              // meta.profile[0] when not empty
  std::optional<ValueSpec> for_each;                // one resource per item when set
  std::string separator;                            // for-each over text: split at this
  std::shared_ptr<const FieldList> item_variables;  // {name} per for-each item
  bool source_time = true;                          // carry the source-timestamp extension
  std::vector<ExtensionSpec> extensions;
  FieldList fields;
};

struct Compiled {
  std::string file;
  std::string name;
  std::string format;
  std::string source;
  std::string pseudonym_key;
  std::unique_ptr<JsonLineIndex> lines;
  std::vector<std::pair<std::string, ValueSpec>> variables;
  std::optional<ValueSpec> source_time;
  std::vector<Output> outputs;
};

}  // namespace internal

namespace {

using internal::Compiled;
using internal::SpecKind;
using internal::ValueSpec;

constexpr std::size_t kMaxMappingBytes = 1u << 20;
constexpr std::size_t kMaxRecordBytes = 4u << 20;
// Items one for-each may yield (a ward of a thousand beds is already absurd).
constexpr std::size_t kMaxForEachItems = 1000;

// `s` as a JSON string literal (the log's escaping: control characters as \u00XX).
std::string Quote(std::string_view s) {
  std::string out;
  log::AppendJsonString(out, s);
  return out;
}

// ---- loading ----

struct Loader {
  const std::string& file;
  const std::string& base_dir;
  const JsonLineIndex& lines;
  std::map<std::string, std::shared_ptr<const ConceptMap>>& concept_maps;

  Status Error(const std::string& pointer, const std::string& message) const {
    return InvalidArgument(file + " line " + std::to_string(lines.LineOf(pointer)) + ": " +
                           message);
  }

  Result<std::shared_ptr<const ConceptMap>> LoadConceptMap(const std::string& name,
                                                           const std::string& pointer) {
    auto it = concept_maps.find(name);
    if (it != concept_maps.end()) return it->second;
    const std::string path = (std::filesystem::path(base_dir) / name).string();
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error(pointer, "cannot read ConceptMap " + path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    auto map = ConceptMap::FromJson(buffer.str(), name);
    if (!map.ok()) return Error(pointer, map.status().message());
    auto shared = std::make_shared<const ConceptMap>(std::move(*map));
    concept_maps.emplace(name, shared);
    return shared;
  }

  Result<ValueSpec> Spec(const json::Value& v, const std::string& pointer) {
    ValueSpec spec;
    spec.pointer = pointer;
    if (!v.IsObject()) {
      spec.kind = SpecKind::kLiteral;
      spec.text = json::Write(v);
      return spec;
    }
    auto str = [&](std::string_view key) -> Result<std::string> {
      const json::Value* m = v.Find(key);
      if (m == nullptr) return std::string();
      if (!m->IsString())
        return Error(pointer + "/" + std::string(key),
                     "'" + std::string(key) + "' must be a string");
      return std::string(m->text());
    };
    auto sub = [&](std::string_view key) -> Result<std::unique_ptr<ValueSpec>> {
      const json::Value* m = v.Find(key);
      if (m == nullptr) return Error(pointer, "needs '" + std::string(key) + "'");
      auto s = Spec(*m, pointer + "/" + std::string(key));
      if (!s.ok()) return s.status();
      return std::make_unique<ValueSpec>(std::move(*s));
    };
    if (const json::Value* d = v.Find("default")) spec.default_json = json::Write(*d);
    if (v.Find("for-each")) {
      spec.kind = SpecKind::kForEach;
      auto items = sub("for-each");
      if (!items.ok()) return items.status();
      spec.from = std::move(*items);
      auto separator = str("separator");
      if (!separator.ok()) return separator.status();
      spec.separator = *separator;
      const json::Value* fields = v.Find("fields");
      if (fields == nullptr || !fields->IsObject())
        return Error(pointer, "'for-each' needs 'fields' (an object)");
      auto list = Fields(*fields, pointer + "/fields", false);
      if (!list.ok()) return list.status();
      spec.fields = std::make_shared<const internal::FieldList>(std::move(*list));
      auto vars = ItemVariables(v, pointer);
      if (!vars.ok()) return vars.status();
      spec.item_variables = std::move(*vars);
      return spec;
    }
    auto as = str("as");
    if (!as.ok()) return as.status();
    spec.as = *as;
    if (!spec.as.empty() && spec.as != "boolean" && spec.as != "integer" && spec.as != "decimal" &&
        spec.as != "string")
      return Error(pointer + "/as", "'as' must be string, boolean, integer or decimal");
    if (v.Find("column")) {
      spec.kind = SpecKind::kColumn;
      auto c = str("column");
      if (!c.ok()) return c.status();
      spec.text = *c;
    } else if (v.Find("xpath")) {
      spec.kind = SpecKind::kXpath;
      auto x = str("xpath");
      if (!x.ok()) return x.status();
      spec.text = *x;
      xmlXPathCompExpr* compiled = xmlXPathCompile(reinterpret_cast<const xmlChar*>(x->c_str()));
      if (compiled == nullptr) return Error(pointer + "/xpath", "invalid XPath '" + *x + "'");
      spec.xpath.reset(compiled, internal::XPathDeleter());
    } else if (v.Find("fhirpath")) {
      spec.kind = SpecKind::kFhirpath;
      auto f = str("fhirpath");
      if (!f.ok()) return f.status();
      spec.text = *f;
      auto e = fhirpath::Compile(*f);
      if (!e.ok()) return Error(pointer + "/fhirpath", "FHIRPath: " + e.status().message());
      spec.fhirpath = std::move(*e);
    } else if (v.Find("template")) {
      spec.kind = SpecKind::kTemplate;
      auto t = str("template");
      if (!t.ok()) return t.status();
      spec.text = *t;
    } else if (v.Find("concept-map")) {
      spec.kind = SpecKind::kConceptMap;
      auto n = str("concept-map");
      if (!n.ok()) return n.status();
      auto map = LoadConceptMap(*n, pointer + "/concept-map");
      if (!map.ok()) return map.status();
      spec.concept_map = *map;
      auto from = sub("from");
      if (!from.ok()) return from.status();
      spec.from = std::move(*from);
      auto system = str("system");
      if (!system.ok()) return system.status();
      spec.system = *system;
      auto unmapped = str("unmapped");
      if (!unmapped.ok()) return unmapped.status();
      if (unmapped->empty() || *unmapped == "reject") {
        spec.unmapped = internal::Unmapped::kReject;
      } else if (*unmapped == "default") {
        spec.unmapped = internal::Unmapped::kDefault;
        if (!spec.default_json) return Error(pointer, "unmapped 'default' needs a 'default'");
      } else if (*unmapped == "keep") {
        spec.unmapped = internal::Unmapped::kKeep;
      } else {
        return Error(pointer + "/unmapped", "'unmapped' must be reject, default or keep");
      }
    } else if (v.Find("date")) {
      spec.kind = SpecKind::kDate;
      auto from = sub("date");
      if (!from.ok()) return from.status();
      spec.from = std::move(*from);
      auto format = str("format");
      if (!format.ok()) return format.status();
      spec.text = format->empty() ? "%Y-%m-%dT%H:%M:%S" : *format;
      auto zone = str("time-zone");
      if (!zone.ok()) return zone.status();
      spec.zone = zone->empty() ? "UTC" : *zone;
      if (!IsSupportedTimeZone(spec.zone))
        return Error(pointer + "/time-zone", "unsupported time zone '" + spec.zone + "'");
    } else if (v.Find("pseudonym")) {
      spec.kind = SpecKind::kPseudonym;
      auto from = sub("pseudonym");
      if (!from.ok()) return from.status();
      spec.from = std::move(*from);
    } else {
      spec.kind = SpecKind::kLiteral;
      spec.text = json::Write(v);
    }
    return spec;
  }

  // The "item-variables" of a for-each (nullptr when there are none).
  Result<std::shared_ptr<const internal::FieldList>> ItemVariables(const json::Value& owner,
                                                                   const std::string& pointer) {
    const json::Value* vars = owner.Find("item-variables");
    if (vars == nullptr) return std::shared_ptr<const internal::FieldList>();
    if (!vars->IsObject())
      return Error(pointer + "/item-variables", "'item-variables' must be an object");
    internal::FieldList list;
    for (const json::Member& m : vars->members()) {
      auto s = Spec(m.value, pointer + "/item-variables/" + std::string(m.key));
      if (!s.ok()) return s.status();
      list.emplace_back(std::string(m.key), std::move(*s));
    }
    return std::make_shared<const internal::FieldList>(std::move(list));
  }

  // A "fields" object; `top_level` forbids what the engine sets itself.
  Result<internal::FieldList> Fields(const json::Value& fields, const std::string& pointer,
                                     bool top_level);
};

// ---- the output tree ----

struct OutNode {
  enum class Kind { kEmpty, kRaw, kObject, kArray } kind = Kind::kEmpty;
  std::string raw;
  std::vector<std::pair<std::string, OutNode>> members;
  std::vector<OutNode> elements;

  OutNode& Member(const std::string& key) {
    kind = Kind::kObject;
    for (auto& [k, n] : members)
      if (k == key) return n;
    members.emplace_back(key, OutNode());
    return members.back().second;
  }
  void Write(std::string& out) const {
    switch (kind) {
      case Kind::kEmpty:
        out += "null";
        break;
      case Kind::kRaw:
        out += raw;
        break;
      case Kind::kObject: {
        out.push_back('{');
        bool first = true;
        for (const auto& [k, n] : members) {
          if (n.kind == Kind::kEmpty) continue;
          if (!first) out.push_back(',');
          first = false;
          out += Quote(k);
          out.push_back(':');
          n.Write(out);
        }
        out.push_back('}');
        break;
      }
      case Kind::kArray: {
        out.push_back('[');
        bool first = true;
        for (const auto& n : elements) {
          if (n.kind == Kind::kEmpty) continue;
          if (!first) out.push_back(',');
          first = false;
          n.Write(out);
        }
        out.push_back(']');
        break;
      }
    }
  }
};

// "physicalType.coding[0].code" -> node, creating objects and arrays.
Result<OutNode*> Walk(OutNode& root, std::string_view path) {
  OutNode* node = &root;
  std::size_t p = 0;
  while (p < path.size()) {
    std::size_t end = path.find_first_of(".[", p);
    if (end == std::string_view::npos) end = path.size();
    const std::string name(path.substr(p, end - p));
    if (name.empty()) return InvalidArgument("bad field path '" + std::string(path) + "'");
    node = &node->Member(name);
    p = end;
    while (p < path.size() && path[p] == '[') {
      const std::size_t close = path.find(']', p);
      if (close == std::string_view::npos)
        return InvalidArgument("bad field path '" + std::string(path) + "'");
      const std::string digits(path.substr(p + 1, close - p - 1));
      if (digits.empty() || digits.size() > 3 ||
          digits.find_first_not_of("0123456789") != std::string::npos)
        return InvalidArgument("bad index in field path '" + std::string(path) + "'");
      const std::size_t index = std::stoul(digits);
      node->kind = OutNode::Kind::kArray;
      if (node->elements.size() <= index) node->elements.resize(index + 1);
      node = &node->elements[index];
      p = close + 1;
    }
    if (p < path.size() && path[p] == '.') ++p;
  }
  return node;
}

Result<internal::FieldList> Loader::Fields(const json::Value& fields, const std::string& pointer,
                                           bool top_level) {
  internal::FieldList list;
  for (const json::Member& m : fields.members()) {
    const std::string fp = pointer + "/" + std::string(m.key);
    OutNode probe;
    if (auto w = Walk(probe, m.key); !w.ok()) return Error(fp, w.status().message());
    if (top_level && (m.key == "id" || m.key == "resourceType" || m.key.starts_with("meta")))
      return Error(fp, "'" + std::string(m.key) + "' is set by the mapping engine");
    if (top_level && (m.key == "extension" || m.key.starts_with("extension[") ||
                      m.key.starts_with("extension.")))
      return Error(fp, "the resource's extensions go in the output's 'extensions'");
    auto s = Spec(m.value, fp);
    if (!s.ok()) return s.status();
    list.emplace_back(std::string(m.key), std::move(*s));
  }
  return list;
}

// ---- applying ----

struct XmlDocDeleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

// One item of a for-each: the context of the output's relative expressions.
struct ForEachItem {
  const internal::FieldList* variables = nullptr;  // item-variables
  const ForEachItem* outer = nullptr;              // the enclosing item (nested for-each)
  mutable std::map<std::string, std::optional<std::string>, std::less<>> values;
  std::size_t index = 0;
  std::string text;     // {item}
  json::Document json;  // FHIRPath context (when has_json)
  bool has_json = false;
  xmlNode* node = nullptr;  // XPath context (a node of the record's document)
};

struct RecordView {
  const Compiled& c;
  const adapters::SourceRecord& record;
  json::Document json;  // csv: {column: value}; json/fhir: the payload
  std::unique_ptr<xmlDoc, XmlDocDeleter> xml;
  std::map<std::string, std::optional<std::string>, std::less<>> variables;
  const ForEachItem* item = nullptr;  // inside a for-each
  std::vector<std::string>* warnings = nullptr;

  std::string Message(const std::string& pointer, const std::string& message) const {
    return c.file + " line " + std::to_string(c.lines->LineOf(pointer)) + ", field '" + pointer +
           "': " + message + " (record " +
           (record.locator.empty() ? std::string("?") : record.locator) + ")";
  }
  Status Error(const std::string& pointer, const std::string& message) const {
    return InvalidArgument(Message(pointer, message));
  }
};

// A value as JSON text, or nullopt when absent.
using Value = std::optional<std::string>;

Result<Value> Evaluate(const ValueSpec& spec, RecordView& view);

// The value as plain text (strings unquoted); nullopt when absent.
Result<std::optional<std::string>> EvaluateText(const ValueSpec& spec, RecordView& view) {
  auto v = Evaluate(spec, view);
  if (!v.ok()) return v.status();
  if (!*v) return std::optional<std::string>();
  const std::string& t = **v;
  if (!t.empty() && t[0] == '"') {
    auto doc = json::Parse(t);
    if (!doc.ok()) return Internal("bad value text");
    return std::optional<std::string>(std::string(doc->root().text()));
  }
  return std::optional<std::string>(t);
}

Result<std::optional<std::string>> Placeholder(const std::string& name, RecordView& view,
                                               const std::string& pointer) {
  if (name == "source") return std::optional<std::string>(view.c.source);
  if (view.item != nullptr && name == "index")
    return std::optional<std::string>(std::to_string(view.item->index));
  if (view.item != nullptr && name == "item") {
    if (view.item->text.empty()) return std::optional<std::string>();
    return std::optional<std::string>(view.item->text);
  }
  // Item variables, innermost item first; each evaluated in its own item's context.
  for (const ForEachItem* item = view.item; item != nullptr; item = item->outer) {
    if (item->variables == nullptr) continue;
    auto cached = item->values.find(name);
    if (cached != item->values.end()) return cached->second;
    for (const auto& [var, spec] : *item->variables) {
      if (var != name) continue;
      const ForEachItem* current = view.item;
      view.item = item;
      auto v = EvaluateText(spec, view);
      view.item = current;
      if (!v.ok()) return v.status();
      item->values.emplace(name, *v);
      return *v;
    }
  }
  auto it = view.variables.find(name);
  if (it != view.variables.end()) return it->second;
  for (const auto& [var, spec] : view.c.variables) {
    if (var != name) continue;
    // Variables belong to the record, never to a for-each item.
    const ForEachItem* item = view.item;
    view.item = nullptr;
    auto v = EvaluateText(spec, view);
    view.item = item;
    if (!v.ok()) return v.status();
    view.variables.emplace(name, *v);
    return *v;
  }
  if (view.record.format == adapters::RecordFormat::kCsvRow) {
    for (std::size_t i = 0; i < view.record.columns.size(); ++i) {
      if (view.record.columns[i] != name) continue;
      if (i >= view.record.fields.size() || view.record.fields[i].empty())
        return std::optional<std::string>();
      return std::optional<std::string>(view.record.fields[i]);
    }
  }
  return view.Error(pointer, "placeholder {" + name + "} is neither a variable nor a column");
}

Result<Value> EvaluateForEach(const ValueSpec& spec, RecordView& view);

Result<Value> EvaluateRaw(const ValueSpec& spec, RecordView& view) {
  switch (spec.kind) {
    case SpecKind::kLiteral:
      return Value(spec.text);
    case SpecKind::kColumn: {
      if (view.record.format != adapters::RecordFormat::kCsvRow)
        return view.Error(spec.pointer, "'column' needs a CSV record");
      for (std::size_t i = 0; i < view.record.columns.size(); ++i) {
        if (view.record.columns[i] != spec.text) continue;
        if (i >= view.record.fields.size() || view.record.fields[i].empty()) return Value();
        return Value(Quote(view.record.fields[i]));
      }
      return view.Error(spec.pointer, "column '" + spec.text + "' is not in the record");
    }
    case SpecKind::kXpath: {
      if (!view.xml) return view.Error(spec.pointer, "'xpath' needs an XML record");
      xmlXPathContext* ctx = xmlXPathNewContext(view.xml.get());
      ctx->node = view.item != nullptr && view.item->node != nullptr
                      ? view.item->node
                      : xmlDocGetRootElement(view.xml.get());
      xmlXPathObject* obj = xmlXPathCompiledEval(spec.xpath.get(), ctx);
      Value result;
      if (obj == nullptr) {
        xmlXPathFreeContext(ctx);
        return view.Error(spec.pointer, "XPath '" + spec.text + "' failed");
      }
      const bool empty_set = obj->type == XPATH_NODESET &&
                             (obj->nodesetval == nullptr || obj->nodesetval->nodeNr == 0);
      if (!empty_set) {
        xmlChar* s = xmlXPathCastToString(obj);
        std::string text(reinterpret_cast<const char*>(s));
        xmlFree(s);
        if (!text.empty()) result = Quote(text);
      }
      xmlXPathFreeObject(obj);
      xmlXPathFreeContext(ctx);
      return result;
    }
    case SpecKind::kFhirpath: {
      if (view.record.format == adapters::RecordFormat::kXmlElement)
        return view.Error(spec.pointer, "'fhirpath' needs a CSV, JSON or FHIR record");
      fhirpath::EvaluationContext context;
      context.check_element_names = false;
      const bool in_item = view.item != nullptr && view.item->has_json;
      if (in_item) context.resource = &view.json.root();  // %resource: the record
      auto r = fhirpath::Evaluate(*spec.fhirpath,
                                  in_item ? view.item->json.root() : view.json.root(), context);
      if (!r.ok()) return view.Error(spec.pointer, "FHIRPath: " + r.status().message());
      if (r->empty()) return Value();
      if (r->size() > 1)
        return view.Error(spec.pointer, "FHIRPath '" + spec.text + "' gave " +
                                            std::to_string(r->size()) +
                                            " items; a field takes one");
      const fhirpath::Item& item = r->front();
      // Elements keep their JSON type (objects, arrays, booleans, numbers).
      if (item.is_node() && item.node().value != nullptr &&
          (item.node().value->IsObject() || item.node().value->IsArray() ||
           item.node().value->IsBool() || item.node().value->IsNumber()))
        return Value(json::Write(*item.node().value));
      if (item.kind() == fhirpath::ItemKind::kBoolean)
        return Value(item.boolean() ? "true" : "false");
      auto text = fhirpath::ItemToText(item);
      if (!text) return Value();
      return Value(Quote(*text));
    }
    case SpecKind::kTemplate: {
      std::string out;
      const std::string& t = spec.text;
      for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] != '{') {
          out.push_back(t[i]);
          continue;
        }
        const std::size_t close = t.find('}', i);
        if (close == std::string::npos) return view.Error(spec.pointer, "unclosed '{' in template");
        auto v = Placeholder(t.substr(i + 1, close - i - 1), view, spec.pointer);
        if (!v.ok()) return v.status();
        if (!*v) return Value();  // a missing part makes the whole value absent
        out += **v;
        i = close;
      }
      return Value(Quote(out));
    }
    case SpecKind::kConceptMap: {
      auto code = EvaluateText(*spec.from, view);
      if (!code.ok()) return code.status();
      if (!*code) return Value();
      auto target = spec.concept_map->Translate(spec.system, **code);
      if (!target && spec.concept_map->IsNoMap(spec.system, **code)) return Value();
      if (target) {
        std::string coding =
            "{\"system\":" + Quote(target->system) + ",\"code\":" + Quote(target->code);
        if (!target->display.empty()) coding += ",\"display\":" + Quote(target->display);
        return Value(coding + "}");
      }
      switch (spec.unmapped) {
        case internal::Unmapped::kReject:
          return view.Error(spec.pointer, "code '" + **code + "' is not in ConceptMap " +
                                              spec.concept_map->name() + " (unmapped: reject)");
        case internal::Unmapped::kDefault:
          return Value(*spec.default_json);
        case internal::Unmapped::kKeep: {
          const std::string& system =
              spec.system.empty() ? spec.concept_map->first_source() : spec.system;
          if (view.warnings != nullptr)
            view.warnings->push_back(
                view.Message(spec.pointer, "code '" + **code + "' is not in ConceptMap " +
                                               spec.concept_map->name() + "; kept as " + system +
                                               "|" + **code + " (unmapped: keep)"));
          return Value("{\"system\":" + Quote(system) + ",\"code\":" + Quote(**code) + "}");
        }
      }
      return Value();
    }
    case SpecKind::kDate: {
      auto text = EvaluateText(*spec.from, view);
      if (!text.ok()) return text.status();
      if (!*text) return Value();
      auto local = ParseLocal(**text, spec.text);
      if (!local.ok()) return view.Error(spec.pointer, local.status().message());
      if (spec.text.find("%H") == std::string::npos) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", local->year, local->month, local->day);
        return Value(Quote(buf));
      }
      auto offset = LocalOffsetMinutes(*local, spec.zone);
      if (!offset.ok()) return view.Error(spec.pointer, offset.status().message());
      return Value(Quote(FormatInstant(*local, *offset)));
    }
    case SpecKind::kPseudonym: {
      auto text = EvaluateText(*spec.from, view);
      if (!text.ok()) return text.status();
      if (!*text) return Value();
      return Value(Quote(Pseudonym(view.c.pseudonym_key, **text)));
    }
    case SpecKind::kForEach:
      return EvaluateForEach(spec, view);
  }
  return Value();
}

Result<Value> Evaluate(const ValueSpec& spec, RecordView& view) {
  auto v = EvaluateRaw(spec, view);
  if (!v.ok()) return v;
  if (!*v) {
    if (spec.default_json && spec.kind != SpecKind::kConceptMap) return Value(*spec.default_json);
    return v;
  }
  if (spec.as.empty()) return v;
  const std::string& t = **v;
  if (spec.as == "string") {
    // A JSON number or boolean (a FHIRPath field on such an element) as
    // its text; strings, objects and arrays as they are.
    if (!t.empty() && t[0] != '"' && t[0] != '{' && t[0] != '[') return Value(Quote(t));
    return v;
  }
  std::string plain = t;
  if (!t.empty() && t[0] == '"') plain = t.substr(1, t.size() - 2);
  if (spec.as == "boolean") {
    if (plain == "true" || plain == "false") return Value(plain);
    return view.Error(spec.pointer, "'" + plain + "' is not a boolean");
  }
  auto doc = json::Parse(plain);
  if (!doc.ok() || !doc->root().IsNumber() ||
      (spec.as == "integer" && plain.find_first_of(".eE") != std::string::npos))
    return view.Error(spec.pointer, "'" + plain + "' is not " +
                                        (spec.as == "integer" ? "an integer" : "a decimal"));
  return Value(plain);
}

// The items `spec` yields in the current context: the text split at
// `separator` when one is given, else the nodes of an XPath node-set or the
// items of a FHIRPath collection.
Result<std::vector<ForEachItem>> Items(const ValueSpec& spec, const std::string& separator,
                                       RecordView& view) {
  std::vector<ForEachItem> items;
  auto too_many = [&] {
    return view.Error(spec.pointer,
                      "for-each gives more than " + std::to_string(kMaxForEachItems) + " items");
  };
  if (!separator.empty()) {
    auto text = EvaluateText(spec, view);
    if (!text.ok()) return text.status();
    if (!*text) return items;
    std::string_view rest = **text;
    while (true) {
      const std::size_t cut = rest.find(separator);
      std::string_view part = rest.substr(0, cut);
      while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) part.remove_prefix(1);
      while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) part.remove_suffix(1);
      if (!part.empty()) {
        if (items.size() == kMaxForEachItems) return too_many();
        ForEachItem& item = items.emplace_back();
        item.index = items.size() - 1;
        item.text = std::string(part);
      }
      if (cut == std::string_view::npos) break;
      rest.remove_prefix(cut + separator.size());
    }
    return items;
  }
  if (spec.kind == SpecKind::kXpath) {
    if (!view.xml) return view.Error(spec.pointer, "'xpath' needs an XML record");
    xmlXPathContext* ctx = xmlXPathNewContext(view.xml.get());
    ctx->node = view.item != nullptr && view.item->node != nullptr
                    ? view.item->node
                    : xmlDocGetRootElement(view.xml.get());
    xmlXPathObject* obj = xmlXPathCompiledEval(spec.xpath.get(), ctx);
    xmlXPathFreeContext(ctx);
    if (obj == nullptr || obj->type != XPATH_NODESET) {
      if (obj != nullptr) xmlXPathFreeObject(obj);
      return view.Error(spec.pointer, "for-each XPath '" + spec.text + "' must give a node-set");
    }
    const int n = obj->nodesetval == nullptr ? 0 : obj->nodesetval->nodeNr;
    if (static_cast<std::size_t>(n) > kMaxForEachItems) {
      xmlXPathFreeObject(obj);
      return too_many();
    }
    for (int i = 0; i < n; ++i) {
      ForEachItem& item = items.emplace_back();
      item.index = static_cast<std::size_t>(i);
      item.node = obj->nodesetval->nodeTab[i];
      xmlChar* content = xmlNodeGetContent(item.node);
      if (content != nullptr) {
        item.text = reinterpret_cast<const char*>(content);
        xmlFree(content);
      }
    }
    xmlXPathFreeObject(obj);
    return items;
  }
  if (spec.kind == SpecKind::kFhirpath) {
    if (view.record.format == adapters::RecordFormat::kXmlElement)
      return view.Error(spec.pointer, "'fhirpath' needs a CSV, JSON or FHIR record");
    fhirpath::EvaluationContext context;
    context.check_element_names = false;
    const bool in_item = view.item != nullptr && view.item->has_json;
    if (in_item) context.resource = &view.json.root();
    auto r = fhirpath::Evaluate(*spec.fhirpath, in_item ? view.item->json.root() : view.json.root(),
                                context);
    if (!r.ok()) return view.Error(spec.pointer, "FHIRPath: " + r.status().message());
    if (r->size() > kMaxForEachItems) return too_many();
    for (const fhirpath::Item& value : *r) {
      std::string json_text;
      std::string text;
      if (value.is_node() && value.node().value != nullptr &&
          (value.node().value->IsObject() || value.node().value->IsArray())) {
        json_text = json::Write(*value.node().value);
      } else if (value.kind() == fhirpath::ItemKind::kBoolean) {
        text = json_text = value.boolean() ? "true" : "false";
      } else if (auto t = fhirpath::ItemToText(value)) {
        text = *t;
        json_text = Quote(*t);
      } else {
        continue;
      }
      auto doc = json::Parse(json_text);
      if (!doc.ok()) return Internal("for-each item is not JSON: " + doc.status().message());
      ForEachItem& item = items.emplace_back();
      item.index = items.size() - 1;
      item.text = std::move(text);
      item.json = std::move(*doc);
      item.has_json = true;
    }
    return items;
  }
  return view.Error(spec.pointer,
                    "for-each needs an 'xpath' or 'fhirpath' collection, or a 'separator'");
}

// Evaluates `fields` into `root` (absent values are left out).
Status BuildFields(const internal::FieldList& fields, RecordView& view, OutNode& root) {
  for (const auto& [path, spec] : fields) {
    auto v = Evaluate(spec, view);
    if (!v.ok()) return v.status();
    if (!*v) continue;
    auto node = Walk(root, path);
    if (!node.ok()) return view.Error(spec.pointer, node.status().message());
    **node = OutNode{OutNode::Kind::kRaw, **v, {}, {}};
  }
  return Status();
}

// A field's "for-each": a JSON array with one object per item (items whose
// fields are all absent are left out); absent when no object remains.
Result<Value> EvaluateForEach(const ValueSpec& spec, RecordView& view) {
  auto items = Items(*spec.from, spec.separator, view);
  if (!items.ok()) return items.status();
  const ForEachItem* outer = view.item;
  for (ForEachItem& item : *items) {
    item.variables = spec.item_variables.get();
    item.outer = outer;
  }
  std::string array = "[";
  bool any = false;
  for (const ForEachItem& item : *items) {
    view.item = &item;
    OutNode object;
    object.kind = OutNode::Kind::kObject;
    Status s = BuildFields(*spec.fields, view, object);
    view.item = outer;
    if (!s.ok()) return s;
    std::string text;
    object.Write(text);
    if (text == "{}") continue;
    if (any) array.push_back(',');
    array += text;
    any = true;
  }
  if (!any) return Value();
  return Value(array + "]");
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.'))
      return false;
  return true;
}

std::string UtcInstant(std::int64_t ms) {
  const std::int64_t secs = ms / 1000;
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// One output's resource in the current context (the record or a for-each
// item), appended to `result`; nothing when its "when" does not hold.
Status MakeResource(const internal::Output& out, const std::optional<std::string>& source_time,
                    RecordView& view, std::vector<MappedResource>& result) {
  const Compiled& c = view.c;
  if (out.when) {
    auto w = EvaluateText(*out.when, view);
    if (!w.ok()) return w.status();
    if (!*w || **w == "false" || (*w)->empty()) return Status();
  }
  auto id = EvaluateText(out.id, view);
  if (!id.ok()) return id.status();
  if (!*id) return view.Error(out.pointer + "/id", "the id has no value");
  if (!IsValidId(**id))
    return view.Error(out.pointer + "/id", "'" + **id + "' is not a valid FHIR id");
  OutNode root;
  root.Member("resourceType") = OutNode{OutNode::Kind::kRaw, Quote(out.resource_type), {}, {}};
  root.Member("id") = OutNode{OutNode::Kind::kRaw, Quote(**id), {}, {}};
  OutNode& meta = root.Member("meta");
  meta.Member("source") =
      OutNode{OutNode::Kind::kRaw, Quote("urn:fhir-engine:mapping:" + c.name), {}, {}};
  if (!out.profile.empty())
    meta.Member("profile") = OutNode{OutNode::Kind::kRaw, "[" + Quote(out.profile) + "]", {}, {}};
  meta.Member("tag") = OutNode{
      OutNode::Kind::kRaw,
      "[{\"system\":" + Quote(kSourceSystemTagSystem) + ",\"code\":" + Quote(c.source) + "}]",
      {},
      {}};
  OutNode extensions;
  extensions.kind = OutNode::Kind::kArray;
  if (source_time && out.source_time) {
    extensions.elements.push_back(OutNode{OutNode::Kind::kRaw,
                                          "{\"url\":" + Quote(kSourceTimestampExtension) +
                                              ",\"valueInstant\":" + Quote(*source_time) + "}",
                                          {},
                                          {}});
  }
  for (const internal::ExtensionSpec& x : out.extensions) {
    auto v = Evaluate(x.value, view);
    if (!v.ok()) return v.status();
    if (!*v) continue;
    OutNode extension;
    extension.Member("url") = OutNode{OutNode::Kind::kRaw, Quote(x.url), {}, {}};
    auto node = Walk(extension, x.value_path);
    if (!node.ok()) return view.Error(x.value.pointer, node.status().message());
    **node = OutNode{OutNode::Kind::kRaw, **v, {}, {}};
    extensions.elements.push_back(std::move(extension));
  }
  if (!extensions.elements.empty()) root.Member("extension") = std::move(extensions);
  if (Status s = BuildFields(out.fields, view, root); !s.ok()) return s;
  std::string text;
  root.Write(text);
  auto doc = json::Parse(text);
  if (!doc.ok())
    return view.Error(out.pointer, "the output is not valid JSON: " + doc.status().message());
  result.push_back(MappedResource{out.resource_type, **id, std::move(*doc)});
  return Status();
}

}  // namespace

Result<Mapping> Mapping::FromText(std::string_view text, const std::string& file_name,
                                  const std::string& base_dir, const MappingOptions& options) {
  if (text.size() > kMaxMappingBytes) return ResourceExhausted(file_name + ": mapping too large");
  auto doc = json::Parse(text);
  if (!doc.ok()) return InvalidArgument(file_name + ": " + doc.status().message());
  auto c = std::make_shared<Compiled>();
  c->file = file_name;
  c->lines = std::make_unique<JsonLineIndex>(text);
  c->pseudonym_key = options.pseudonym_key;
  std::map<std::string, std::shared_ptr<const ConceptMap>> concept_maps;
  Loader loader{c->file, base_dir, *c->lines, concept_maps};
  const json::Value& root = doc->root();
  if (!root.IsObject()) return loader.Error("", "a mapping is a JSON object");
  auto text_of = [&](std::string_view key, bool required) -> Result<std::string> {
    const json::Value* v = root.Find(key);
    if (v == nullptr || !v->IsString() || v->text().empty()) {
      if (!required && v == nullptr) return std::string();
      return loader.Error("/" + std::string(key),
                          "'" + std::string(key) + "' must be a non-empty string");
    }
    return std::string(v->text());
  };
  auto name = text_of("name", true);
  if (!name.ok()) return name.status();
  c->name = *name;
  auto format = text_of("source-format", true);
  if (!format.ok()) return format.status();
  c->format = *format;
  if (c->format != "csv" && c->format != "xml" && c->format != "json" && c->format != "fhir")
    return loader.Error("/source-format", "'source-format' must be csv, xml, json or fhir");
  auto source = text_of("source", false);
  if (!source.ok()) return source.status();
  c->source = !options.source.empty() ? options.source : !source->empty() ? *source : c->name;
  if (const json::Value* vars = root.Find("variables")) {
    if (!vars->IsObject()) return loader.Error("/variables", "'variables' must be an object");
    for (const json::Member& m : vars->members()) {
      auto s = loader.Spec(m.value, "/variables/" + std::string(m.key));
      if (!s.ok()) return s.status();
      c->variables.emplace_back(std::string(m.key), std::move(*s));
    }
  }
  if (const json::Value* st = root.Find("source-time")) {
    auto s = loader.Spec(*st, "/source-time");
    if (!s.ok()) return s.status();
    c->source_time = std::move(*s);
  }
  const json::Value* outputs = root.Find("outputs");
  if (outputs == nullptr || !outputs->IsArray() || outputs->size() == 0)
    return loader.Error("/outputs", "'outputs' must be a non-empty array");
  for (std::size_t i = 0; i < outputs->size(); ++i) {
    const json::Value& o = outputs->elements()[i];
    const std::string p = "/outputs/" + std::to_string(i);
    if (!o.IsObject()) return loader.Error(p, "an output must be an object");
    internal::Output out;
    out.pointer = p;
    const json::Value* type = o.Find("resourceType");
    if (type == nullptr || !type->IsString() || type->text().empty())
      return loader.Error(p, "an output needs a 'resourceType'");
    out.resource_type = std::string(type->text());
    const json::Value* id = o.Find("id");
    if (id == nullptr) return loader.Error(p, "an output needs an 'id'");
    auto id_spec = loader.Spec(*id, p + "/id");
    if (!id_spec.ok()) return id_spec.status();
    out.id = std::move(*id_spec);
    if (const json::Value* when = o.Find("when")) {
      auto s = loader.Spec(*when, p + "/when");
      if (!s.ok()) return s.status();
      out.when = std::move(*s);
    }
    if (const json::Value* profile = o.Find("profile")) {
      if (!profile->IsString() || profile->text().empty())
        return loader.Error(p + "/profile",
                            "'profile' must be a non-empty string (a canonical URL)");
      out.profile = std::string(profile->text());
    }
    if (const json::Value* each = o.Find("for-each")) {
      auto s = loader.Spec(*each, p + "/for-each");
      if (!s.ok()) return s.status();
      out.for_each = std::move(*s);
      if (const json::Value* sep = o.Find("separator")) {
        if (!sep->IsString() || sep->text().empty())
          return loader.Error(p + "/separator", "'separator' must be a non-empty string");
        out.separator = std::string(sep->text());
      }
      if (out.separator.empty() && out.for_each->kind != SpecKind::kXpath &&
          out.for_each->kind != SpecKind::kFhirpath)
        return loader.Error(p + "/for-each",
                            "for-each needs an 'xpath' or 'fhirpath' collection, or a 'separator'");
    }
    if (const json::Value* st = o.Find("source-time")) {
      if (!st->IsBool())
        return loader.Error(p + "/source-time", "an output's 'source-time' is true or false");
      out.source_time = st->GetBool();
    }
    if (o.Find("item-variables") != nullptr && !out.for_each)
      return loader.Error(p + "/item-variables", "'item-variables' needs a 'for-each'");
    {
      auto vars = loader.ItemVariables(o, p);
      if (!vars.ok()) return vars.status();
      out.item_variables = std::move(*vars);
    }
    if (const json::Value* extensions = o.Find("extensions")) {
      if (!extensions->IsArray())
        return loader.Error(p + "/extensions", "'extensions' must be an array");
      for (std::size_t e = 0; e < extensions->size(); ++e) {
        const json::Value& x = extensions->elements()[e];
        const std::string xp = p + "/extensions/" + std::to_string(e);
        const json::Value* url = x.IsObject() ? x.Find("url") : nullptr;
        if (url == nullptr || !url->IsString() || url->text().empty() || x.size() != 2)
          return loader.Error(xp, "an extension is {\"url\": ..., \"value...\": value-spec}");
        for (const json::Member& m : x.members()) {
          if (m.key == "url") continue;
          OutNode probe;
          if (!m.key.starts_with("value") || !Walk(probe, m.key).ok())
            return loader.Error(xp + "/" + std::string(m.key),
                                "an extension's value path starts with 'value' (valueCoding)");
          auto s = loader.Spec(m.value, xp + "/" + std::string(m.key));
          if (!s.ok()) return s.status();
          out.extensions.push_back(
              internal::ExtensionSpec{std::string(url->text()), std::string(m.key), std::move(*s)});
        }
      }
    }
    const json::Value* fields = o.Find("fields");
    if (fields != nullptr && !fields->IsObject())
      return loader.Error(p + "/fields", "'fields' must be an object");
    if (fields != nullptr) {
      auto list = loader.Fields(*fields, p + "/fields", true);
      if (!list.ok()) return list.status();
      out.fields = std::move(*list);
    }
    c->outputs.push_back(std::move(out));
  }
  // Pseudonyms need a key: refuse to load rather than fail on every record.
  if (text.find("\"pseudonym\"") != std::string_view::npos && c->pseudonym_key.empty())
    return InvalidArgument(file_name +
                           ": the mapping makes pseudonyms but no pseudonym key is configured");
  return Mapping(std::move(c));
}

Result<Mapping> Mapping::Load(const std::string& path, const MappingOptions& options) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return IoError(path + ": " + ec.message());
  if (size > kMaxMappingBytes) return ResourceExhausted(path + ": mapping too large");
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return FromText(buffer.str(), path, dir.empty() ? "." : dir, options);
}

Result<std::vector<MappedResource>> Mapping::Apply(const adapters::SourceRecord& record) const {
  return Apply(record, nullptr);
}

Result<std::vector<MappedResource>> Mapping::Apply(const adapters::SourceRecord& record,
                                                   std::vector<std::string>* warnings) const {
  const Compiled& c = *compiled_;
  std::vector<std::string> record_warnings;
  RecordView view{c, record, json::Document(), nullptr, {}, nullptr, &record_warnings};
  using adapters::RecordFormat;
  auto record_error = [&](const std::string& m) {
    return InvalidArgument(m + " (record " + record.locator + ")");
  };
  if (record.payload.size() > kMaxRecordBytes) return record_error("record too large");
  switch (record.format) {
    case RecordFormat::kCsvRow: {
      if (c.format != "csv")
        return record_error("mapping " + c.name + " expects " + c.format +
                            " records, got a CSV row");
      std::string obj = "{";
      for (std::size_t i = 0; i < record.columns.size() && i < record.fields.size(); ++i) {
        if (i) obj.push_back(',');
        obj += Quote(record.columns[i]) + ":" + Quote(record.fields[i]);
      }
      obj.push_back('}');
      auto doc = json::Parse(obj);
      if (!doc.ok()) return record_error("CSV row: " + doc.status().message());
      view.json = std::move(*doc);
      break;
    }
    case RecordFormat::kXmlElement: {
      if (c.format != "xml")
        return record_error("mapping " + c.name + " expects " + c.format + " records, got XML");
      // The engine's one hardened parse: no DOCTYPE, no entities, no
      // network, size and depth capped.
      Result<fhir::XmlDocPtr> parsed = fhir::ParseXmlSafely(record.payload, ParseLimits{});
      if (!parsed.ok()) return record_error("the XML record: " + parsed.status().message());
      if (xmlDocGetRootElement(parsed->get()) == nullptr) {
        return record_error("the XML record has no element");
      }
      view.xml.reset(parsed->release());
      break;
    }
    case RecordFormat::kJsonObject:
    case RecordFormat::kFhirResource: {
      if (c.format != "json" && c.format != "fhir")
        return record_error("mapping " + c.name + " expects " + c.format + " records, got JSON");
      auto doc = json::Parse(record.payload);
      if (!doc.ok()) return record_error("JSON: " + doc.status().message());
      view.json = std::move(*doc);
      break;
    }
    case RecordFormat::kFhirDelete:
      return record_error("a delete cannot be mapped (deletes pass through)");
  }
  std::optional<std::string> source_time;
  if (c.source_time) {
    auto t = EvaluateText(*c.source_time, view);
    if (!t.ok()) return t.status();
    source_time = *t;
  } else if (record.source_time_ms) {
    source_time = UtcInstant(*record.source_time_ms);
  }
  std::vector<MappedResource> result;
  for (const internal::Output& out : c.outputs) {
    if (!out.for_each) {
      Status s = MakeResource(out, source_time, view, result);
      if (!s.ok()) return s;
      continue;
    }
    auto items = Items(*out.for_each, out.separator, view);
    if (!items.ok()) return items.status();
    for (ForEachItem& item : *items) item.variables = out.item_variables.get();
    for (const ForEachItem& item : *items) {
      view.item = &item;
      Status s = MakeResource(out, source_time, view, result);
      view.item = nullptr;
      if (!s.ok()) return s;
    }
  }
  if (warnings != nullptr)
    warnings->insert(warnings->end(), record_warnings.begin(), record_warnings.end());
  return result;
}

Result<std::vector<MappedResource>> Mapping::DeleteTargets(
    const adapters::SourceRecord& record) const {
  const Compiled& c = *compiled_;
  if (record.format != adapters::RecordFormat::kFhirDelete) {
    return InvalidArgument("not a delete (record " + record.locator + ")");
  }
  if (c.format != "fhir") {
    return InvalidArgument("mapping " + c.name + " maps " + c.format +
                           " records; only fhir mappings map deletes (record " + record.locator +
                           ")");
  }
  std::vector<std::string> record_warnings;
  RecordView view{c, record, json::Document(), nullptr, {}, nullptr, &record_warnings};
  auto stub = json::Parse("{\"resourceType\":" + Quote(record.resource_type) +
                          ",\"id\":" + Quote(record.resource_id) + "}");
  if (!stub.ok()) return stub.status();
  view.json = std::move(*stub);
  std::vector<MappedResource> targets;
  for (const internal::Output& out : c.outputs) {
    if (out.resource_type != record.resource_type || out.for_each) continue;
    auto id = EvaluateText(out.id, view);
    if (!id.ok()) return id.status();
    if (!*id) return view.Error(out.pointer + "/id", "the id has no value");
    if (!IsValidId(**id)) {
      return view.Error(out.pointer + "/id", "'" + **id + "' is not a valid FHIR id");
    }
    const bool seen = std::any_of(targets.begin(), targets.end(),
                                  [&](const MappedResource& t) { return t.id == **id; });
    if (!seen) targets.push_back(MappedResource{out.resource_type, **id, json::Document()});
  }
  return targets;
}

const std::string& Mapping::name() const { return compiled_->name; }
const std::string& Mapping::source_format() const { return compiled_->format; }
Mapping::Mapping(std::shared_ptr<const internal::Compiled> compiled)
    : compiled_(std::move(compiled)) {}
Mapping::Mapping(Mapping&&) noexcept = default;
Mapping& Mapping::operator=(Mapping&&) noexcept = default;
Mapping::~Mapping() = default;

}  // namespace fhirengine::mapping
