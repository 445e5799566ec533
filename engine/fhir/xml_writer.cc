// JSON model -> FHIR XML, driven by the type model: members are put in
// definition order, primitives become value attributes (with their "_name"
// id and extensions), Element.id and Extension.url become attributes, and the
// div is inserted as the text it already is.
#include "engine/fhir/xml_writer.h"

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/fhir/xhtml.h"

namespace fhirengine::fhir {
namespace {

constexpr std::string_view kFhirNamespace = "http://hl7.org/fhir";

// Bytes an attribute value cannot take as they are: the five XML specials
// (with ' kept, as values are double-quoted), every control character and
// every non-ASCII byte (whose UTF-8 is checked).
constexpr std::array<bool, 256> MakeSpecialTable() {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = 0x7F; c < 0x100; ++c) table[static_cast<std::size_t>(c)] = true;
  table['&'] = table['<'] = table['>'] = table['"'] = true;
  return table;
}
constexpr std::array<bool, 256> kSpecial = MakeSpecialTable();

// Length of the valid UTF-8 sequence at s[i] (a byte >= 0x80), or 0 when it
// is invalid or a character XML 1.0 excludes (U+FFFE, U+FFFF).
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
  };
  const unsigned b0 = byte(0);
  auto cont = [&](std::size_t k) { return (byte(k) & 0xC0u) == 0x80u; };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const unsigned b1 = byte(1);
    const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = b0 == 0xED ? 0x9F : 0xBF;  // no surrogates
    if (b1 < lo || b1 > hi || !cont(2)) return 0;
    if (b0 == 0xEF && b1 == 0xBF && (byte(2) == 0xBE || byte(2) == 0xBF)) return 0;
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const unsigned b1 = byte(1);
    const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = b0 == 0xF4 ? 0x8F : 0xBF;
    if (b1 < lo || b1 > hi || !cont(2) || !cont(3)) return 0;
    return 4;
  }
  return 0;
}

// Appends `s` escaped for a double-quoted attribute. Tab, LF and CR become
// character references so that attribute-value normalisation on the way
// back keeps them. Returns "" or why `s` cannot be written as XML 1.0.
std::string AppendAttributeValue(std::string_view s, std::string& out) {
  std::size_t flushed = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!kSpecial[c]) {
      ++i;
      continue;
    }
    std::string_view with;
    switch (c) {
      case '&':
        with = "&amp;";
        break;
      case '<':
        with = "&lt;";
        break;
      case '>':
        with = "&gt;";
        break;
      case '"':
        with = "&quot;";
        break;
      case '\t':
        with = "&#x9;";
        break;
      case '\n':
        with = "&#xA;";
        break;
      case '\r':
        with = "&#xD;";
        break;
      case 0x7F:
        ++i;  // DEL is allowed in XML 1.0
        continue;
      default:
        if (c < 0x20) {
          static constexpr char kHex[] = "0123456789ABCDEF";
          return std::string("contains the control character U+00") + kHex[c >> 4] + kHex[c & 15] +
                 ", which XML 1.0 cannot carry";
        }
        if (const std::size_t len = Utf8SequenceLength(s, i); len != 0) {
          i += len;
          continue;
        }
        return "is not valid UTF-8 (or holds U+FFFE/U+FFFF) at byte " + std::to_string(i);
    }
    out.append(s.data() + flushed, i - flushed);
    out += with;
    ++i;
    flushed = i;
  }
  out.append(s.data() + flushed, s.size() - flushed);
  return "";
}

class JsonToXml {
 public:
  JsonToXml(const TypeModel& model, const XmlWriteOptions& options, std::string& out)
      : model_(model), options_(options), out_(out), extension_type_(model.Find("Extension")) {}

  Status WriteResource(const json::Value& resource, bool root) {
    if (!resource.IsObject()) return Error("a resource must be a JSON object");
    const json::Value* resource_type = resource.Find("resourceType");
    if (resource_type == nullptr || !resource_type->IsString()) {
      return Error("a resource needs a 'resourceType' string");
    }
    const TypeDef* type = model_.FindResource(resource_type->text());
    if (type == nullptr) {
      return Error("unknown resourceType '" + std::string(resource_type->text()) + "'");
    }
    if (root) path_.push_back({type->name, -1});
    return WriteObject(type->name, resource, *type, /*is_resource=*/true, root);
  }

 private:
  // One JSON member of the object being written, with its place in the
  // definition order: element index * 2, plus 1 for the "_name" member.
  struct Entry {
    std::uint32_t order;
    const json::Member* member;
    const Property* property;
  };
  struct PathSegment {
    std::string_view name;
    std::ptrdiff_t index;  // -1 when not in an array
  };

  Status WriteObject(std::string_view name, const json::Value& object, const TypeDef& type,
                     bool is_resource, bool declare_namespace) {
    const std::size_t base = entries_.size();
    for (const json::Member& m : object.members()) {
      if (is_resource && m.key == "resourceType") continue;
      const bool underscore = m.key.starts_with('_');
      const Property* prop = type.FindProperty(underscore ? m.key.substr(1) : m.key);
      if (prop == nullptr) {
        entries_.resize(base);
        return Error("unknown element '" + std::string(m.key) + "' in " + type.name);
      }
      const auto index = static_cast<std::uint32_t>(prop->element - type.elements.data());
      entries_.push_back({index * 2 + (underscore ? 1u : 0u), &m, prop});
    }
    // Insertion sort: JSON usually arrives in definition order already.
    for (std::size_t i = base + 1; i < entries_.size(); ++i) {
      const Entry e = entries_[i];
      std::size_t j = i;
      while (j > base && entries_[j - 1].order > e.order) {
        entries_[j] = entries_[j - 1];
        --j;
      }
      entries_[j] = e;
    }
    const std::size_t end = entries_.size();
    Status status = WriteSortedObject(name, type, base, end, declare_namespace);
    entries_.resize(base);
    return status;
  }

  Status WriteSortedObject(std::string_view name, const TypeDef& type, std::size_t base,
                           std::size_t end, bool declare_namespace) {
    for (std::size_t i = base + 1; i < end; ++i) {
      if (entries_[i].order == entries_[i - 1].order) {
        return Error("'" + std::string(entries_[i - 1].member->key) + "' and '" +
                     std::string(entries_[i].member->key) + "' both set " +
                     entries_[i].property->element->path + ", which takes one value");
      }
    }
    Indent();
    out_ += '<';
    out_ += name;
    if (declare_namespace) {
      out_ += " xmlns=\"";
      out_ += kFhirNamespace;
      out_ += '"';
    }
    bool has_children = false;
    for (std::size_t i = base; i < end; ++i) {
      const Entry& e = entries_[i];
      if (!e.property->element->xml_attr) {
        has_children = true;
        continue;
      }
      if ((e.order & 1u) != 0) {
        return Error("'" + std::string(e.member->key) + "' cannot be written in XML: " +
                     e.property->element->path + " is an XML attribute");
      }
      if (!e.member->value.IsString()) {
        return Error("'" + std::string(e.member->key) + "' must be a string in " + type.name +
                     ", found " + std::string(json::KindName(e.member->value.kind())));
      }
      FE_RETURN_IF_ERROR(WriteAttribute(e.member->key, e.member->value.text()));
    }
    if (!has_children) {
      out_ += "/>";
      NewLine();
      return Status::Ok();
    }
    out_ += '>';
    NewLine();
    ++depth_;
    for (std::size_t i = base; i < end;) {
      // Copies: recursion below may grow entries_ and move its storage.
      const Entry first = entries_[i];
      if (first.property->element->xml_attr) {
        ++i;
        continue;
      }
      const json::Member* value = nullptr;
      const json::Member* extra = nullptr;
      const Property* prop = first.property;
      if ((first.order & 1u) == 0) {
        value = first.member;
        if (i + 1 < end && entries_[i + 1].order == first.order + 1) {
          extra = entries_[i + 1].member;
          ++i;
        }
      } else {
        extra = first.member;
      }
      ++i;
      FE_RETURN_IF_ERROR(WriteProperty(value, extra, *prop));
    }
    --depth_;
    Indent();
    out_ += "</";
    out_ += name;
    out_ += '>';
    NewLine();
    return Status::Ok();
  }

  // Writes one element's values: `value` is the "name" member, `extra` the
  // "_name" member; either may be null.
  Status WriteProperty(const json::Member* value, const json::Member* extra, const Property& prop) {
    const std::string_view name = value != nullptr ? value->key : extra->key.substr(1);
    if (value != nullptr && extra != nullptr && extra->key.substr(1) != name) {
      return Error("'" + std::string(value->key) + "' and '" + std::string(extra->key) +
                   "' both set " + prop.element->path + ", which takes one value");
    }
    const ElementDef& element = *prop.element;
    const TypeDef* type = prop.type->type;
    if (type == nullptr) return Error("no type for " + element.path);  // model without types
    path_.push_back({name, -1});
    Status status = WritePropertyValues(name, value != nullptr ? &value->value : nullptr,
                                        extra != nullptr ? &extra->value : nullptr, element, *type);
    path_.pop_back();
    return status;
  }

  Status WritePropertyValues(std::string_view name, const json::Value* value,
                             const json::Value* extra, const ElementDef& element,
                             const TypeDef& type) {
    const bool primitive = type.IsPrimitive() && type.primitive != Primitive::kXhtml;
    if (extra != nullptr && !primitive) {
      return Error("'_" + std::string(name) + "' is only allowed on primitive elements");
    }
    if (element.repeating()) {
      if (value != nullptr && !value->IsArray()) {
        return Error("must be an array (" + element.path + " repeats), found " +
                     std::string(json::KindName(value->kind())));
      }
      if (extra != nullptr && !extra->IsArray()) {
        return Error("'_" + std::string(name) + "' must be an array (" + element.path +
                     " repeats), found " + std::string(json::KindName(extra->kind())));
      }
      const std::size_t count = value != nullptr ? value->size() : extra->size();
      if (value != nullptr && extra != nullptr && value->size() != extra->size()) {
        return Error("'" + std::string(name) + "' has " + std::to_string(value->size()) +
                     " values but '_" + std::string(name) + "' has " +
                     std::to_string(extra->size()) + "; the arrays must align");
      }
      if (count == 0) return Error("empty array (XML cannot represent it; omit the element)");
      for (std::size_t i = 0; i < count; ++i) {
        path_.back().index = static_cast<std::ptrdiff_t>(i);
        const json::Value* item = value != nullptr ? &value->elements()[i] : nullptr;
        const json::Value* item_extra = extra != nullptr ? &extra->elements()[i] : nullptr;
        FE_RETURN_IF_ERROR(WriteOne(name, item, item_extra, type));
      }
      path_.back().index = -1;
      return Status::Ok();
    }
    if (value != nullptr && value->IsArray()) {
      return Error("must not be an array (" + element.path + " takes one value)");
    }
    return WriteOne(name, value, extra, type);
  }

  Status WriteOne(std::string_view name, const json::Value* value, const json::Value* extra,
                  const TypeDef& type) {
    if (type.IsPrimitive()) {
      if (type.primitive == Primitive::kXhtml) return WriteDiv(value);
      return WritePrimitive(name, value, extra, type);
    }
    if (value == nullptr || !value->IsObject()) {
      return Error(
          "must be an object, found " +
          std::string(json::KindName(value == nullptr ? json::Kind::kNull : value->kind())));
    }
    if (type.IsResource()) {
      Indent();
      out_ += '<';
      out_ += name;
      out_ += '>';
      NewLine();
      ++depth_;
      FE_RETURN_IF_ERROR(WriteResource(*value, /*root=*/false));
      --depth_;
      Indent();
      out_ += "</";
      out_ += name;
      out_ += '>';
      NewLine();
      return Status::Ok();
    }
    return WriteObject(name, *value, type, /*is_resource=*/false, /*declare_namespace=*/false);
  }

  Status WritePrimitive(std::string_view name, const json::Value* value, const json::Value* extra,
                        const TypeDef& type) {
    if (value != nullptr && value->IsNull()) value = nullptr;
    if (extra != nullptr && extra->IsNull()) extra = nullptr;
    if (value != nullptr) {
      bool ok = false;
      std::string_view expected;
      switch (type.json_repr) {
        case JsonRepr::kString:
          ok = value->IsString();
          expected = "a string";
          break;
        case JsonRepr::kNumber:
          ok = value->IsNumber();
          expected = "a number";
          break;
        case JsonRepr::kBoolean:
          ok = value->IsBool();
          expected = "a boolean";
          break;
      }
      if (!ok) {
        return Error("a " + type.name + " value must be " + std::string(expected) + ", found " +
                     std::string(json::KindName(value->kind())));
      }
    }
    const json::Value* id = nullptr;
    const json::Value* extensions = nullptr;
    if (extra != nullptr) {
      if (!extra->IsObject()) {
        return Error("'_" + std::string(name) + "' must be an object, found " +
                     std::string(json::KindName(extra->kind())));
      }
      for (const json::Member& m : extra->members()) {
        if (m.key == "id" && m.value.IsString()) {
          id = &m.value;
        } else if (m.key == "extension" && m.value.IsArray()) {
          extensions = &m.value;
        } else {
          return Error("'_" + std::string(name) + "' may hold only 'id' (a string) and " +
                       "'extension' (an array), not '" + std::string(m.key) + "'");
        }
      }
    }
    if (value == nullptr && id == nullptr && (extensions == nullptr || extensions->size() == 0)) {
      return Error("has neither a value nor an id or extension");
    }
    Indent();
    out_ += '<';
    out_ += name;
    if (id != nullptr) FE_RETURN_IF_ERROR(WriteAttribute("id", id->text()));
    if (value != nullptr) {
      if (value->IsBool()) {
        out_ += value->GetBool() ? " value=\"true\"" : " value=\"false\"";
      } else {
        FE_RETURN_IF_ERROR(WriteAttribute("value", value->text()));
      }
    }
    if (extensions == nullptr || extensions->size() == 0) {
      out_ += "/>";
      NewLine();
      return Status::Ok();
    }
    out_ += '>';
    NewLine();
    ++depth_;
    path_.push_back({"extension", -1});
    for (std::size_t i = 0; i < extensions->size(); ++i) {
      path_.back().index = static_cast<std::ptrdiff_t>(i);
      const json::Value& ext = extensions->elements()[i];
      if (!ext.IsObject()) {
        return Error("an extension must be an object, found " +
                     std::string(json::KindName(ext.kind())));
      }
      FE_RETURN_IF_ERROR(WriteObject("extension", ext, *extension_type_, false, false));
    }
    path_.pop_back();
    --depth_;
    Indent();
    out_ += "</";
    out_ += name;
    out_ += '>';
    NewLine();
    return Status::Ok();
  }

  Status WriteDiv(const json::Value* value) {
    if (value == nullptr || !value->IsString()) {
      return Error(
          "the div must be a string, found " +
          std::string(json::KindName(value == nullptr ? json::Kind::kNull : value->kind())));
    }
    if (std::string reason = CheckXhtmlDiv(value->text()); !reason.empty()) {
      return Error("invalid xhtml: " + reason);
    }
    Indent();
    AppendXhtmlDivToXml(value->text(), out_);
    NewLine();
    return Status::Ok();
  }

  Status WriteAttribute(std::string_view name, std::string_view text) {
    out_ += ' ';
    out_ += name;
    out_ += "=\"";
    if (std::string reason = AppendAttributeValue(text, out_); !reason.empty()) {
      return Error("'" + std::string(name) + "' " + reason);
    }
    out_ += '"';
    return Status::Ok();
  }

  void Indent() {
    if (options_.pretty) out_.append(static_cast<std::size_t>(depth_) * 2, ' ');
  }
  void NewLine() {
    if (options_.pretty) out_ += '\n';
  }

  // Error messages name the JSON path: "Patient.name[0].given[1]: ...".
  Status Error(const std::string& what) const {
    std::string path;
    for (const PathSegment& s : path_) {
      if (!path.empty()) path += '.';
      path += s.name;
      if (s.index >= 0) path += "[" + std::to_string(s.index) + "]";
    }
    return InvalidArgument(path.empty() ? what : path + ": " + what);
  }

  const TypeModel& model_;
  const XmlWriteOptions& options_;
  std::string& out_;
  const TypeDef* extension_type_;
  // Shared by all levels of the recursion (no allocation per object).
  std::vector<Entry> entries_;
  std::vector<PathSegment> path_;
  int depth_ = 0;
};

}  // namespace

Result<std::string> WriteXml(const json::Value& resource, const TypeModel& model,
                             const XmlWriteOptions& options) {
  if (model.Find("Extension") == nullptr) return InvalidArgument("the type model has no Extension");
  std::string out;
  if (options.declaration) out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  JsonToXml writer(model, options, out);
  FE_RETURN_IF_ERROR(writer.WriteResource(resource, /*root=*/true));
  return out;
}

}  // namespace fhirengine::fhir
