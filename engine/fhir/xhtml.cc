// The Narrative div between its JSON form (a string) and XML (an element):
// the check both directions rely on, the few escapes that let the string
// survive an XML parser, and the serialiser that reproduces the official
// examples' strings from parse events.
#include "engine/fhir/xhtml.h"

#include "engine/core/limits.h"

namespace fhirengine::fhir {
namespace {

// The Java composer escapes the same four characters in text and in attribute
// values (attributes are always double-quoted); ' stays as it is.
void AppendEscaped(std::string_view text, std::string& out) {
  std::size_t flushed = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string_view with;
    switch (text[i]) {
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
      default:
        continue;
    }
    out.append(text.data() + flushed, i - flushed);
    out += with;
    flushed = i + 1;
  }
  out.append(text.data() + flushed, text.size() - flushed);
}

// Accepts exactly one unprefixed XHTML <div> and nothing around it.
class DivChecker : public XmlEventHandler {
 public:
  Status StartElement(const XmlStartTag& tag) override {
    if (depth_++ > 0) return Status::Ok();
    if (tag.name != "div") {
      return InvalidArgument("the root element is <" + std::string(tag.name) + ">, not <div>");
    }
    if (tag.uri != kXhtmlNamespace) {
      return InvalidArgument(
          "the div is not in the XHTML namespace (xmlns=\"http://www.w3.org/1999/xhtml\")");
    }
    if (!tag.prefix.empty()) {
      return InvalidArgument("the div must declare the XHTML namespace as its default namespace");
    }
    return Status::Ok();
  }
  Status EndElement(int /*line*/) override {
    --depth_;
    return Status::Ok();
  }
  Status Text(std::string_view /*text*/, int /*line*/) override { return Status::Ok(); }
  Status Comment(std::string_view /*text*/) override { return OutsideDiv(); }
  Status ProcessingInstruction(std::string_view /*target*/, std::string_view /*data*/,
                               int /*line*/) override {
    return OutsideDiv();
  }

 private:
  Status OutsideDiv() const {
    return depth_ == 0 ? InvalidArgument("content outside the div element") : Status::Ok();
  }
  int depth_ = 0;
};

}  // namespace

void XhtmlDivWriter::StartElement(const XmlStartTag& tag) {
  const bool root = !started_;
  started_ = true;
  // XHTML elements are written unprefixed: the div declares XHTML as the
  // default namespace, as the JSON format requires.
  const std::string_view prefix = tag.uri == kXhtmlNamespace ? std::string_view() : tag.prefix;
  const std::size_t declared_before = declared_.size();
  out_ += '<';
  AppendName(prefix, tag.name);
  if (root) AppendNamespace("", kXhtmlNamespace);
  for (const XmlNamespace& ns : tag.namespaces) {
    if (root && ns.prefix.empty()) continue;  // written just above
    AppendNamespace(ns.prefix, ns.uri);
    if (!ns.prefix.empty()) declared_.push_back(ns.prefix);
  }
  // Prefixes the div uses but an ancestor outside it declares must be
  // declared inside, or the string would not stand alone.
  if (!prefix.empty() && !DeclaredInside(prefix)) {
    AppendNamespace(prefix, tag.uri);
    declared_.push_back(prefix);
  }
  for (const XmlAttribute& attr : tag.attributes) {
    if (!attr.prefix.empty() && attr.prefix != "xml" && !DeclaredInside(attr.prefix)) {
      AppendNamespace(attr.prefix, attr.uri);
      declared_.push_back(attr.prefix);
    }
  }
  for (const XmlAttribute& attr : tag.attributes) {
    out_ += ' ';
    AppendName(attr.prefix, attr.name);
    out_ += "=\"";
    AppendEscaped(attr.value, out_);
    out_ += '"';
  }
  out_ += tag.self_closing ? "/>" : ">";
  open_.push_back({prefix, tag.name, tag.self_closing, declared_before});
}

void XhtmlDivWriter::EndElement() {
  const OpenElement element = open_.back();
  open_.pop_back();
  declared_.resize(element.declared_end);
  if (element.self_closing) return;
  out_ += "</";
  AppendName(element.prefix, element.name);
  out_ += '>';
}

void XhtmlDivWriter::Text(std::string_view text) { AppendEscaped(text, out_); }

void XhtmlDivWriter::Comment(std::string_view text) {
  out_ += "<!--";
  out_ += text;
  out_ += "-->";
}

void XhtmlDivWriter::ProcessingInstruction(std::string_view target, std::string_view data) {
  out_ += "<?";
  out_ += target;
  if (!data.empty()) {
    out_ += ' ';
    out_ += data;
  }
  out_ += "?>";
}

void XhtmlDivWriter::AppendName(std::string_view prefix, std::string_view name) {
  if (!prefix.empty()) {
    out_ += prefix;
    out_ += ':';
  }
  out_ += name;
}

void XhtmlDivWriter::AppendNamespace(std::string_view prefix, std::string_view uri) {
  out_ += " xmlns";
  if (!prefix.empty()) {
    out_ += ':';
    out_ += prefix;
  }
  out_ += "=\"";
  AppendEscaped(uri, out_);
  out_ += '"';
}

bool XhtmlDivWriter::DeclaredInside(std::string_view prefix) const {
  for (std::string_view p : declared_) {
    if (p == prefix) return true;
  }
  return false;
}

std::string CheckXhtmlDiv(std::string_view div) {
  // Anything before the element (an XML declaration, a comment, whitespace)
  // could not be embedded in a FHIR XML document.
  if (!div.starts_with('<') || div.starts_with("<?") || div.starts_with("<!")) {
    return "must start with the <div> element";
  }
  DivChecker checker;
  Status status = ParseXmlEvents(div, ParseLimits{}, checker);
  return status.ok() ? std::string() : status.message();
}

void AppendXhtmlDivToXml(std::string_view div, std::string& out) {
  // A small scanner is enough: CheckXhtmlDiv has proved the text well-formed,
  // so '<' in text always opens markup and attribute values are quoted.
  std::size_t flushed = 0;
  std::size_t i = 0;
  bool in_tag = false;
  char quote = 0;
  auto replace = [&](std::string_view with) {
    out.append(div.data() + flushed, i - flushed);
    out += with;
    flushed = i + 1;
  };
  auto skip_to = [&](std::string_view terminator) {
    const std::size_t end = div.find(terminator, i);
    i = end == std::string_view::npos ? div.size() : end + terminator.size();
  };
  while (i < div.size()) {
    const char c = div[i];
    if (!in_tag) {
      if (c == '<') {
        // Comments, CDATA and PIs cannot carry character references: verbatim.
        const std::string_view rest = div.substr(i);
        if (rest.starts_with("<!--")) {
          skip_to("-->");
          continue;
        }
        if (rest.starts_with("<![CDATA[")) {
          skip_to("]]>");
          continue;
        }
        if (rest.starts_with("<?")) {
          skip_to("?>");
          continue;
        }
        in_tag = true;
      } else if (c == '\r') {
        replace("&#xD;");
      }
    } else if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\r') {
        replace("&#xD;");
      } else if (c == '\n') {
        replace("&#xA;");
      } else if (c == '\t') {
        replace("&#x9;");
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      in_tag = false;
    }
    ++i;
  }
  out.append(div.data() + flushed, div.size() - flushed);
}

}  // namespace fhirengine::fhir
