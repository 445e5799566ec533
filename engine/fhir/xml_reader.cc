// FHIR XML -> JSON model, driven by the type model. libxml2 only tokenises
// (ParseXmlEvents, no tree); each event is checked against the model (names,
// namespaces, element order, cardinality) and the JSON members are built
// directly in definition order on shared scratch stacks, so nothing is
// allocated per element beyond the document's own arena.
#include "engine/fhir/xml_reader.h"

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "engine/fhir/primitive_types.h"
#include "engine/fhir/xhtml.h"
#include "engine/fhir/xml_safety.h"

namespace fhirengine::fhir {
namespace {

constexpr std::string_view kFhirNamespace = "http://hl7.org/fhir";
// xsi:schemaLocation and friends are common on FHIR XML documents and carry
// nothing the JSON form could hold: attributes in this namespace are ignored.
constexpr std::string_view kXsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";

bool IsXmlWhitespace(std::string_view text) {
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

Status ErrorAt(int line, const std::string& what) {
  return InvalidArgument("line " + std::to_string(line) + ": " + what);
}

std::string AttributeName(const XmlAttribute& attr) {
  return attr.prefix.empty() ? std::string(attr.name)
                             : std::string(attr.prefix) + ":" + std::string(attr.name);
}

class XmlToJson : public XmlEventHandler {
 public:
  XmlToJson(const TypeModel& model, const ParseLimits& limits, json::Document& doc)
      : model_(model), limits_(limits), doc_(doc), extension_type_(model.Find("Extension")) {}

  // The resource, once the root element has ended.
  const std::optional<json::Value>& result() const { return result_; }

  Status StartElement(const XmlStartTag& tag) override {
    if (div_) {
      div_->StartElement(tag);
      return Status::Ok();
    }
    if (frames_.empty()) return StartRoot(tag);
    Frame& parent = frames_.back();
    switch (parent.kind) {
      case FrameKind::kObject:
        return StartChildOfObject(tag);
      case FrameKind::kPrimitive:
        if (tag.name != "extension" || tag.uri != kFhirNamespace) {
          return ErrorAt(tag.line, "unknown element '" + std::string(tag.name) + "' in " +
                                       PathText() + " (a primitive holds only extension elements)");
        }
        return PushObject(tag, *extension_type_, /*is_resource=*/false, tag.name);
      case FrameKind::kResourceHolder: {
        if (parent.has_resource)
          return ErrorAt(tag.line, PathText() + " holds more than one resource");
        if (tag.uri != kFhirNamespace) {
          return ErrorAt(tag.line, "element '" + std::string(tag.name) + "' in " + PathText() +
                                       " is not in the FHIR namespace");
        }
        const TypeDef* type = model_.FindResource(tag.name);
        if (type == nullptr) {
          return ErrorAt(tag.line, NotAResourceType(tag.name) + " in " + PathText());
        }
        return PushObject(tag, *type, /*is_resource=*/true, std::string_view());
      }
    }
    return Status::Ok();
  }

  Status EndElement(int line) override {
    if (div_) {
      div_->EndElement();
      if (!div_->done()) return Status::Ok();
      div_.reset();
      if (div_text_.size() > limits_.max_string_bytes) {
        return Status(StatusCode::kResourceExhausted,
                      "line " + std::to_string(line) + ": the div in " +
                          PathText(frames_.back().run.name) + " is over " +
                          std::to_string(limits_.max_string_bytes) + " bytes");
      }
      members_.push_back({doc_.Intern(frames_.back().run.name), doc_.MakeString(div_text_)});
      return Status::Ok();
    }
    Frame& frame = frames_.back();
    json::Value value;
    json::Value extra;
    switch (frame.kind) {
      case FrameKind::kObject:
        if (frame.in_run) FlushRun(frame.run);
        FlushAttributesBefore(frame, frame.type->elements.size());
        value =
            doc_.MakeObject(std::span<const json::Member>(members_).subspan(frame.members_base));
        members_.resize(frame.members_base);
        break;
      case FrameKind::kPrimitive:
        FE_RETURN_IF_ERROR(EndPrimitive(frame, line, extra));
        value = frame.value;
        break;
      case FrameKind::kResourceHolder:
        if (!frame.has_resource) return ErrorAt(line, PathText() + " holds no resource");
        value = frame.resource;
        break;
    }
    frames_.pop_back();
    if (frames_.empty()) {
      result_ = value;
      return Status::Ok();
    }
    Deliver(frames_.back(), value, extra);
    return Status::Ok();
  }

  Status Text(std::string_view text, int line) override {
    if (div_) {
      div_->Text(text);
      return Status::Ok();
    }
    if (IsXmlWhitespace(text)) return Status::Ok();
    const std::string shown(text.substr(0, 40));
    return ErrorAt(line, "unexpected text \"" + shown + (text.size() > 40 ? "..." : "") + "\" in " +
                             PathText() + " (FHIR XML carries values in attributes)");
  }

  // Comments mean nothing to FHIR (the div keeps its own).
  Status Comment(std::string_view text) override {
    if (div_) div_->Comment(text);
    return Status::Ok();
  }
  // Processing instructions are instructions to some other application
  // (xml-stylesheet, ...) that the JSON form cannot carry: refused, rather
  // than silently dropped, except inside the div, which keeps them as text.
  Status ProcessingInstruction(std::string_view target, std::string_view data, int line) override {
    if (div_) {
      div_->ProcessingInstruction(target, data);
      return Status::Ok();
    }
    const std::string where =
        frames_.empty() ? std::string("outside the resource") : "in " + PathText();
    return ErrorAt(line, "processing instruction <?" + std::string(target) + "?> " + where +
                             " is not allowed in FHIR XML");
  }

 private:
  enum class FrameKind : std::uint8_t { kObject, kPrimitive, kResourceHolder };

  // The run of consecutive child elements that map to one ElementDef.
  struct Run {
    const Property* property = nullptr;
    std::size_t index = 0;        // element index in the owner's definition order
    std::string_view name;        // JSON/XML name (libxml2's dictionary: valid for the parse)
    std::size_t values_base = 0;  // repeating: first item on values_
    std::size_t extras_base = 0;  // repeating primitive: first "_name" item on extras_
    bool any_value = false;
    bool any_extra = false;
  };
  // An attribute that maps to an element (Element.id, Extension.url),
  // waiting for its place in definition order.
  struct PendingAttribute {
    std::size_t index = 0;
    std::string_view name;
    json::Value value;
  };
  // One open element. Objects collect members on members_ from
  // members_base; primitives keep their value and collect extensions on
  // values_ from values_base; resource holders (contained, entry.resource)
  // wait for their one resource.
  struct Frame {
    FrameKind kind = FrameKind::kObject;
    const TypeDef* type = nullptr;
    std::string_view name;  // for paths; "" for a nested resource's own element
    std::size_t members_base = 0;
    PendingAttribute pending[2];
    std::size_t pending_count = 0;
    std::size_t pending_done = 0;
    Run run;
    bool in_run = false;
    json::Value value;  // primitive: from the value attribute (null if none)
    json::Value id;     // primitive: from the id attribute (null if none)
    std::size_t values_base = 0;
    json::Value resource;
    bool has_resource = false;
  };

  Status StartRoot(const XmlStartTag& tag) {
    if (extension_type_ == nullptr) return InvalidArgument("the type model has no Extension");
    if (tag.uri != kFhirNamespace) {
      return ErrorAt(tag.line,
                     "the root element <" + std::string(tag.name) +
                         "> is not in the FHIR namespace (xmlns=\"http://hl7.org/fhir\")");
    }
    const TypeDef* type = model_.FindResource(tag.name);
    if (type == nullptr) return ErrorAt(tag.line, NotAResourceType(tag.name));
    return PushObject(tag, *type, /*is_resource=*/true, type->name);
  }

  std::string NotAResourceType(std::string_view name) const {
    const TypeDef* type = model_.Find(name);
    if (type != nullptr && type->IsResource()) {
      return "resource type '" + std::string(name) + "' is abstract and cannot be instantiated";
    }
    return "unknown resource type '" + std::string(name) + "'";
  }

  Status PushObject(const XmlStartTag& tag, const TypeDef& type, bool is_resource,
                    std::string_view name) {
    Frame& frame = frames_.emplace_back();
    frame.kind = FrameKind::kObject;
    frame.type = &type;
    frame.name = name;
    frame.members_base = members_.size();
    if (is_resource) members_.push_back({"resourceType", doc_.MakeString(type.name)});
    for (const XmlAttribute& attr : tag.attributes) {
      if (attr.uri == kXsiNamespace) continue;
      const Property* prop = attr.uri.empty() ? type.FindProperty(attr.name) : nullptr;
      if (prop == nullptr || !prop->element->xml_attr ||
          frame.pending_count == std::size(frame.pending)) {
        return ErrorAt(tag.line,
                       "unknown attribute '" + AttributeName(attr) + "' on " + PathText());
      }
      const auto index = static_cast<std::size_t>(prop->element - type.elements.data());
      // Kept sorted by definition order (XML attribute order is free).
      std::size_t at = frame.pending_count++;
      while (at > 0 && frame.pending[at - 1].index > index) {
        frame.pending[at] = frame.pending[at - 1];
        --at;
      }
      frame.pending[at] = {index, attr.name, doc_.MakeString(attr.value)};
    }
    return Status::Ok();
  }

  Status StartChildOfObject(const XmlStartTag& tag) {
    Frame& parent = frames_.back();
    const TypeDef& type = *parent.type;
    const Property* prop = type.FindProperty(tag.name);
    if (prop == nullptr) {
      return ErrorAt(tag.line, "unknown element '" + std::string(tag.name) + "' in " + PathText());
    }
    const ElementDef& element = *prop->element;
    if (element.xml_attr) {
      return ErrorAt(tag.line, "'" + std::string(tag.name) +
                                   "' must be an attribute, not an element, in " + PathText());
    }
    const TypeDef* child_type = prop->type->type;
    if (child_type == nullptr) return ErrorAt(tag.line, "no type for " + element.path);
    const bool is_div = child_type->primitive == Primitive::kXhtml;
    const std::string_view expected_ns = is_div ? kXhtmlNamespace : kFhirNamespace;
    if (tag.uri != expected_ns) {
      return ErrorAt(tag.line, "element '" + std::string(tag.name) + "' in " + PathText() +
                                   " is not in the namespace " + std::string(expected_ns));
    }
    const auto index = static_cast<std::size_t>(prop->element - type.elements.data());
    if (parent.in_run && index == parent.run.index) {
      if (!element.repeating() || prop != parent.run.property) {
        return ErrorAt(tag.line, "element '" + std::string(tag.name) + "' appears again in " +
                                     PathText() + "; " + element.path + " takes one value");
      }
    } else {
      if (parent.in_run && index < parent.run.index) {
        return ErrorAt(tag.line, "element '" + std::string(tag.name) + "' is out of order in " +
                                     PathText() + ": it must come before '" +
                                     std::string(parent.run.name) + "'");
      }
      if (parent.in_run) FlushRun(parent.run);
      FlushAttributesBefore(parent, index);
      parent.run = Run{prop, index, tag.name, values_.size(), extras_.size(), false, false};
      parent.in_run = true;
    }

    if (is_div) {
      div_text_.clear();
      div_.emplace(div_text_);
      div_->StartElement(tag);
      return Status::Ok();
    }
    if (child_type->IsPrimitive()) return PushPrimitive(tag, *child_type);
    if (child_type->IsResource()) {
      for (const XmlAttribute& attr : tag.attributes) {
        if (attr.uri == kXsiNamespace) continue;
        return ErrorAt(tag.line,
                       "unknown attribute '" + AttributeName(attr) + "' on " + PathText(tag.name));
      }
      Frame& frame = frames_.emplace_back();
      frame.kind = FrameKind::kResourceHolder;
      frame.name = tag.name;
      return Status::Ok();
    }
    return PushObject(tag, *child_type, /*is_resource=*/false, tag.name);
  }

  // A primitive element: the value attribute becomes a JSON string, number
  // or boolean by the type's JSON representation; the id attribute and the
  // extension children become the "_name" object at its end.
  Status PushPrimitive(const XmlStartTag& tag, const TypeDef& type) {
    json::Value value;
    json::Value id;
    for (const XmlAttribute& attr : tag.attributes) {
      if (attr.uri == kXsiNamespace) continue;
      if (attr.uri.empty() && attr.name == "value") {
        FE_RETURN_IF_ERROR(ConvertValue(tag, type, attr.value, value));
      } else if (attr.uri.empty() && attr.name == "id") {
        id = doc_.MakeString(attr.value);
      } else {
        return ErrorAt(tag.line,
                       "unknown attribute '" + AttributeName(attr) + "' on " + PathText(tag.name));
      }
    }
    Frame& frame = frames_.emplace_back();
    frame.kind = FrameKind::kPrimitive;
    frame.type = &type;
    frame.name = tag.name;
    frame.value = value;
    frame.id = id;
    frame.values_base = values_.size();
    return Status::Ok();
  }

  Status ConvertValue(const XmlStartTag& tag, const TypeDef& type, std::string_view text,
                      json::Value& value) {
    switch (type.json_repr) {
      case JsonRepr::kString:
        value = doc_.MakeString(text);
        break;
      case JsonRepr::kNumber:
        if (!IsJsonNumber(text)) {
          return ErrorAt(tag.line, "invalid " + type.name + " value \"" + std::string(text) +
                                       "\" in " + PathText(tag.name));
        }
        value = doc_.MakeNumber(text);
        break;
      case JsonRepr::kBoolean:
        if (text != "true" && text != "false") {
          return ErrorAt(tag.line, "invalid boolean value \"" + std::string(text) + "\" in " +
                                       PathText(tag.name) + " (must be true or false)");
        }
        value = json::Value::Bool(text == "true");
        break;
    }
    return Status::Ok();
  }

  Status EndPrimitive(Frame& frame, int line, json::Value& extra) {
    const bool has_extensions = values_.size() > frame.values_base;
    if (frame.value.IsNull() && frame.id.IsNull() && !has_extensions) {
      return ErrorAt(line, PathText() + " has no value attribute, id or extension");
    }
    if (frame.id.IsNull() && !has_extensions) return Status::Ok();
    const std::size_t members_base = members_.size();
    if (!frame.id.IsNull()) members_.push_back({"id", frame.id});
    if (has_extensions) {
      members_.push_back({"extension", doc_.MakeArray(std::span<const json::Value>(values_).subspan(
                                           frame.values_base))});
      values_.resize(frame.values_base);
    }
    extra = doc_.MakeObject(std::span<const json::Member>(members_).subspan(members_base));
    members_.resize(members_base);
    return Status::Ok();
  }

  // Hands a finished child to its parent: a member at once for a
  // non-repeating element, an item on the scratch stacks for a repeating one.
  void Deliver(Frame& parent, json::Value value, json::Value extra) {
    switch (parent.kind) {
      case FrameKind::kPrimitive:
        values_.push_back(value);  // one of its extensions
        return;
      case FrameKind::kResourceHolder:
        parent.resource = value;
        parent.has_resource = true;
        return;
      case FrameKind::kObject:
        break;
    }
    Run& run = parent.run;
    const bool primitive = run.property->type->type->IsPrimitive();
    if (run.property->element->repeating()) {
      values_.push_back(value);
      run.any_value = run.any_value || !value.IsNull();
      if (primitive) {
        extras_.push_back(extra);
        run.any_extra = run.any_extra || !extra.IsNull();
      }
      return;
    }
    if (!value.IsNull()) members_.push_back({doc_.Intern(run.name), value});
    if (!extra.IsNull()) members_.push_back({UnderscoreKey(run.name), extra});
  }

  // Ends a run of a repeating element: its items become the "name" array
  // and, for primitives, the "_name" array, null where an item has none
  // (https://hl7.org/fhir/R4/json.html#primitive).
  void FlushRun(const Run& run) {
    if (!run.property->element->repeating()) return;
    if (run.any_value) {
      members_.push_back(
          {doc_.Intern(run.name),
           doc_.MakeArray(std::span<const json::Value>(values_).subspan(run.values_base))});
    }
    if (run.any_extra) {
      members_.push_back(
          {UnderscoreKey(run.name),
           doc_.MakeArray(std::span<const json::Value>(extras_).subspan(run.extras_base))});
    }
    values_.resize(run.values_base);
    extras_.resize(run.extras_base);
  }

  void FlushAttributesBefore(Frame& frame, std::size_t index) {
    for (; frame.pending_done < frame.pending_count &&
           frame.pending[frame.pending_done].index < index;
         ++frame.pending_done) {
      const PendingAttribute& attr = frame.pending[frame.pending_done];
      members_.push_back({doc_.Intern(attr.name), attr.value});
    }
  }

  std::string_view UnderscoreKey(std::string_view name) {
    auto* p = static_cast<char*>(doc_.Allocate(name.size() + 1, 1));
    p[0] = '_';
    std::memcpy(p + 1, name.data(), name.size());
    return {p, name.size() + 1};
  }

  // "Patient.contact.name": where the reader is, for messages (plus `child`).
  std::string PathText(std::string_view child = {}) const {
    std::string path;
    auto add = [&path](std::string_view s) {
      if (s.empty()) return;
      if (!path.empty()) path += '.';
      path += s;
    };
    for (const Frame& f : frames_) add(f.name);
    add(child);
    return path;
  }

  const TypeModel& model_;
  const ParseLimits& limits_;
  json::Document& doc_;
  const TypeDef* extension_type_;
  std::vector<Frame> frames_;
  // Scratch stacks shared by all open elements: objects' members, repeating
  // elements' items and their "_name" counterparts, primitives' extensions.
  std::vector<json::Member> members_;
  std::vector<json::Value> values_;
  std::vector<json::Value> extras_;
  // The div being captured, if any.
  std::string div_text_;
  std::optional<XhtmlDivWriter> div_;
  std::optional<json::Value> result_;
};

}  // namespace

Result<json::Document> ParseXml(std::string_view xml, const TypeModel& model,
                                const ParseLimits& limits) {
  json::Document doc;
  XmlToJson reader(model, limits, doc);
  FE_RETURN_IF_ERROR(ParseXmlEvents(xml, limits, reader));
  if (!reader.result().has_value()) return InvalidArgument("line 1: no root element");
  doc.set_root(*reader.result());
  return doc;
}

}  // namespace fhirengine::fhir
