// Compiling a mapping file and applying it to source records.
#include "engine/mapping/mapping.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

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
  kPseudonym
};
enum class Unmapped { kReject, kDefault, kKeep };

struct XPathDeleter {
  void operator()(xmlXPathCompExpr* e) const { xmlXPathFreeCompExpr(e); }
};

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
};

struct Output {
  std::string pointer;
  std::string resource_type;
  std::optional<ValueSpec> when;
  ValueSpec id;
  std::vector<std::pair<std::string, ValueSpec>> fields;  // path -> value
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

// ---- applying ----

struct XmlDocDeleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

struct RecordView {
  const Compiled& c;
  const adapters::SourceRecord& record;
  json::Document json;  // csv: {column: value}; json/fhir: the payload
  std::unique_ptr<xmlDoc, XmlDocDeleter> xml;
  std::map<std::string, std::optional<std::string>, std::less<>> variables;

  Status Error(const std::string& pointer, const std::string& message) const {
    std::string field = pointer;
    return InvalidArgument(c.file + " line " + std::to_string(c.lines->LineOf(pointer)) +
                           ", field '" + field + "': " + message + " (record " +
                           (record.locator.empty() ? std::string("?") : record.locator) + ")");
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
  auto it = view.variables.find(name);
  if (it != view.variables.end()) return it->second;
  for (const auto& [var, spec] : view.c.variables) {
    if (var != name) continue;
    auto v = EvaluateText(spec, view);
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
      ctx->node = xmlDocGetRootElement(view.xml.get());
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
      auto r = fhirpath::Evaluate(*spec.fhirpath, view.json.root(), context);
      if (!r.ok()) return view.Error(spec.pointer, "FHIRPath: " + r.status().message());
      if (r->empty()) return Value();
      if (r->size() > 1)
        return view.Error(spec.pointer, "FHIRPath '" + spec.text + "' gave " +
                                            std::to_string(r->size()) +
                                            " items; a field takes one");
      const fhirpath::Item& item = r->front();
      if (item.is_node() && item.node().value != nullptr &&
          (item.node().value->IsObject() || item.node().value->IsArray()))
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
  if (spec.as.empty() || spec.as == "string") return v;
  const std::string& t = **v;
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
    const json::Value* fields = o.Find("fields");
    if (fields != nullptr && !fields->IsObject())
      return loader.Error(p + "/fields", "'fields' must be an object");
    if (fields != nullptr) {
      for (const json::Member& m : fields->members()) {
        const std::string fp = p + "/fields/" + std::string(m.key);
        OutNode probe;
        if (auto w = Walk(probe, m.key); !w.ok()) return loader.Error(fp, w.status().message());
        // meta.profile is the mapping's to claim (the pipeline validates
        // against it); the rest of meta is provenance the engine writes.
        if (m.key == "id" || m.key == "resourceType" ||
            (m.key.starts_with("meta") && !m.key.starts_with("meta.profile")))
          return loader.Error(fp, "'" + std::string(m.key) + "' is set by the mapping engine");
        auto s = loader.Spec(m.value, fp);
        if (!s.ok()) return s.status();
        out.fields.emplace_back(std::string(m.key), std::move(*s));
      }
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
  const Compiled& c = *compiled_;
  RecordView view{c, record, json::Document(), nullptr, {}};
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
    if (out.when) {
      auto w = EvaluateText(*out.when, view);
      if (!w.ok()) return w.status();
      if (!*w || **w == "false" || (*w)->empty()) continue;
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
    meta.Member("tag") = OutNode{
        OutNode::Kind::kRaw,
        "[{\"system\":" + Quote(kSourceSystemTagSystem) + ",\"code\":" + Quote(c.source) + "}]",
        {},
        {}};
    if (source_time) {
      root.Member("extension") = OutNode{OutNode::Kind::kRaw,
                                         "[{\"url\":" + Quote(kSourceTimestampExtension) +
                                             ",\"valueInstant\":" + Quote(*source_time) + "}]",
                                         {},
                                         {}};
    }
    for (const auto& [path, spec] : out.fields) {
      auto v = Evaluate(spec, view);
      if (!v.ok()) return v.status();
      if (!*v) continue;
      auto node = Walk(root, path);
      if (!node.ok()) return view.Error(spec.pointer, node.status().message());
      **node = OutNode{OutNode::Kind::kRaw, **v, {}, {}};
    }
    std::string text;
    root.Write(text);
    auto doc = json::Parse(text);
    if (!doc.ok())
      return view.Error(out.pointer, "the output is not valid JSON: " + doc.status().message());
    result.push_back(MappedResource{out.resource_type, **id, std::move(*doc)});
  }
  return result;
}

const std::string& Mapping::name() const { return compiled_->name; }
const std::string& Mapping::source_format() const { return compiled_->format; }
Mapping::Mapping(std::shared_ptr<const internal::Compiled> compiled)
    : compiled_(std::move(compiled)) {}
Mapping::Mapping(Mapping&&) noexcept = default;
Mapping& Mapping::operator=(Mapping&&) noexcept = default;
Mapping::~Mapping() = default;

}  // namespace fhirengine::mapping
