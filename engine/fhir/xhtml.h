// The Narrative div (FHIR type xhtml): checking it and moving it between its
// JSON form (a string) and its XML form (an inline element).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/fhir/xml_safety.h"

namespace fhirengine::fhir {

inline constexpr std::string_view kXhtmlNamespace = "http://www.w3.org/1999/xhtml";

// Returns "" when `div` is well-formed XML whose root is an unprefixed <div>
// in the XHTML namespace (http://www.w3.org/1999/xhtml), starting at its first
// byte, without DOCTYPE, entity declarations or undefined entities, and with
// nothing but whitespace after it; otherwise a short reason. Thread-safe.
std::string CheckXhtmlDiv(std::string_view div);

// Appends `div` (which passed CheckXhtmlDiv) to XML output. The text is kept
// verbatim except for the characters XML parsers would otherwise normalise:
// CR anywhere in text becomes "&#xD;", and CR, LF and tab inside attribute
// values become character references, so that reading the XML back gives the
// same string.
void AppendXhtmlDivToXml(std::string_view div, std::string& out);

// Builds the JSON form of a div from the parse events of its subtree (see
// ParseXmlEvents), in the style of the official R4 JSON examples (the HL7 Java
// XhtmlComposer): xmlns="http://www.w3.org/1999/xhtml" first on the div,
// XHTML elements unprefixed, attributes in source order in double quotes,
// & < > " escaped in text and attribute values alike (' kept), elements
// self-closed exactly when the source wrote "<x/>", comments kept, CDATA
// written as escaped text, non-ASCII kept raw.
// Not thread-safe; one writer per div.
class XhtmlDivWriter {
 public:
  // Appends to `out`, which must outlive the writer.
  explicit XhtmlDivWriter(std::string& out) : out_(out) {}

  // The first call is the div itself. REQUIRES: !done().
  void StartElement(const XmlStartTag& tag);
  void EndElement();
  void Text(std::string_view text);
  void Comment(std::string_view text);
  void ProcessingInstruction(std::string_view target, std::string_view data);
  // Whether the div's own end tag has been seen.
  bool done() const { return started_ && open_.empty(); }

 private:
  struct OpenElement {
    std::string_view prefix;  // as written ("" for XHTML elements)
    std::string_view name;
    bool self_closing;
    std::size_t declared_end;  // declared_ size to return to on close
  };
  void AppendName(std::string_view prefix, std::string_view name);
  void AppendNamespace(std::string_view prefix, std::string_view uri);
  bool DeclaredInside(std::string_view prefix) const;

  std::string& out_;
  bool started_ = false;
  std::vector<OpenElement> open_;
  std::vector<std::string_view> declared_;  // prefixes declared inside the div
};

}  // namespace fhirengine::fhir
