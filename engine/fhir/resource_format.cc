// Format detection, parse dispatch and canonical JSON ordering.
#include "engine/fhir/resource_format.h"

#include <algorithm>
#include <vector>

#include "engine/fhir/xml_reader.h"
#include "engine/fhir/xml_writer.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"

namespace fhirengine::fhir {
namespace {

json::Value CanonicalObject(const json::Value& obj, const TypeDef* type, json::Document& doc,
                            const TypeModel& model);

json::Value CanonicalValue(const json::Value& v, const TypeDef* type, json::Document& doc,
                           const TypeModel& model) {
  if (v.IsArray()) {
    std::vector<json::Value> items;
    items.reserve(v.size());
    for (const json::Value& e : v.elements()) items.push_back(CanonicalValue(e, type, doc, model));
    return doc.MakeArray(items);
  }
  if (v.IsObject()) return CanonicalObject(v, type, doc, model);
  return v;  // scalars share the source's storage; `doc` must not outlive it
}

json::Value CanonicalObject(const json::Value& obj, const TypeDef* type, json::Document& doc,
                            const TypeModel& model) {
  // resourceType selects the type only where a resource is expected (the
  // root, contained, Bundle.entry.resource...), not in ordinary elements that
  // happen to be named so (ExampleScenario.instance.resourceType).
  const bool resource_expected = type == nullptr || type->IsResource();
  const json::Value* rt = resource_expected ? obj.Find("resourceType") : nullptr;
  if (rt != nullptr && rt->IsString()) {
    if (const TypeDef* t = model.Find(rt->text()); t != nullptr && t->IsResource()) type = t;
  }
  if (type == nullptr || type->IsPrimitive()) {
    // Unknown shape (or a primitive's "_" object): keep the order, recurse.
    std::vector<json::Member> members;
    for (const json::Member& m : obj.members()) {
      const TypeDef* child = nullptr;
      if (type != nullptr && m.key == "extension") child = model.Find("Extension");
      members.push_back({m.key, CanonicalValue(m.value, child, doc, model)});
    }
    return doc.MakeObject(members);
  }
  // Sort key: resourceType first, then definition order with each "_name"
  // right after "name"; unknown members last in their source order.
  struct Keyed {
    std::size_t key;
    const json::Member* member;
    const TypeDef* type;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(obj.size());
  constexpr std::size_t kUnknown = std::size_t{1} << 40;
  std::size_t position = 0;
  for (const json::Member& m : obj.members()) {
    ++position;
    if (type->IsResource() && m.key == "resourceType") {
      keyed.push_back({0, &m, nullptr});
      continue;
    }
    const bool underscore = m.key.starts_with('_');
    const Property* prop = type->FindProperty(underscore ? m.key.substr(1) : m.key);
    if (prop == nullptr) {
      keyed.push_back({kUnknown + position, &m, nullptr});
      continue;
    }
    const auto index = static_cast<std::size_t>(prop->element - type->elements.data());
    keyed.push_back({2 + index * 2 + (underscore ? 1 : 0), &m, prop->type->type});
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const Keyed& a, const Keyed& b) { return a.key < b.key; });
  std::vector<json::Member> members;
  members.reserve(keyed.size());
  for (const Keyed& k : keyed) {
    members.push_back({k.member->key, CanonicalValue(k.member->value, k.type, doc, model)});
  }
  return doc.MakeObject(members);
}

}  // namespace

std::string_view FormatName(Format f) { return f == Format::kJson ? "json" : "xml"; }

std::optional<Format> FormatFromName(std::string_view name) {
  if (std::size_t semi = name.find(';'); semi != std::string_view::npos)
    name = name.substr(0, semi);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  if (name == "json" || name == "application/fhir+json" || name == "application/json" ||
      name == "application/json+fhir") {
    return Format::kJson;
  }
  if (name == "xml" || name == "application/fhir+xml" || name == "application/xml" ||
      name == "text/xml" || name == "application/xml+fhir") {
    return Format::kXml;
  }
  return std::nullopt;
}

std::optional<Format> DetectFormat(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '{') return Format::kJson;
    if (c == '<') return Format::kXml;
    return std::nullopt;
  }
  return std::nullopt;
}

std::string UndetectedFormatReason(std::string_view text) {
  constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
  using namespace std::string_view_literals;
  if (text.starts_with("\xFF\xFE\x00\x00"sv) || text.starts_with("\x00\x00\xFE\xFF"sv)) {
    return "the text is UTF-32 (it starts with a UTF-32 byte order mark); FHIR requires UTF-8";
  }
  if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF")) {
    return "the text is UTF-16 (it starts with a UTF-16 byte order mark); FHIR requires UTF-8";
  }
  const bool bom = text.starts_with(kUtf8Bom);
  if (bom) text.remove_prefix(kUtf8Bom.size());
  std::size_t i = 0;
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
    ++i;
  constexpr std::string_view kNeither = "neither a JSON object ('{') nor an XML document ('<')";
  if (i == text.size()) {
    return std::string(bom ? "only a byte order mark" : "the text is empty") + ": " +
           std::string(kNeither);
  }
  if (text.substr(i).starts_with(kUtf8Bom)) {
    return "a UTF-8 byte order mark (BOM) after the start; at most one BOM, as the very first "
           "bytes";
  }
  return std::string(kNeither);
}

Result<json::Document> ParseResource(std::string_view text, Format format,
                                     const ParseLimits& limits, const TypeModel& model) {
  if (format == Format::kXml) return ParseXml(text, model, limits);
  return json::Parse(text, limits);
}

json::Value Canonicalize(const json::Value& resource, json::Document& doc, const TypeModel& model) {
  return CanonicalValue(resource, nullptr, doc, model);
}

Result<std::string> SerializeResource(const json::Value& resource, Format format,
                                      const SerializeOptions& options, const TypeModel& model) {
  if (format == Format::kXml) {
    XmlWriteOptions xml_options;
    xml_options.pretty = options.pretty;
    return WriteXml(resource, model, xml_options);
  }
  json::Document scratch;
  json::Value canonical = Canonicalize(resource, scratch, model);
  json::WriteOptions json_options;
  json_options.pretty = options.pretty;
  return json::Write(canonical, json_options);
}

}  // namespace fhirengine::fhir
