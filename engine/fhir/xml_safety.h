// The one way the engine parses XML with libxml2: no DTD (a DOCTYPE is
// rejected outright), no entity substitution, no network, no external
// entities, with size and depth capped; errors are returned, never printed.
// Two forms: a libxml2 tree (ParseXmlSafely) or a stream of events
// (ParseXmlEvents, which builds no tree and is several times faster).
#pragma once

#include <libxml/tree.h>

#include <memory>
#include <span>
#include <string_view>

#include "engine/core/limits.h"
#include "engine/core/status.h"

namespace fhirengine::fhir {

struct XmlDocDeleter {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocDeleter>;

// Parses `xml` safely. kInvalidArgument with "line N: reason" for malformed
// XML (namespace errors and NUL bytes included), undefined entities or any
// DOCTYPE;
// kResourceExhausted when the document is over limits.max_document_bytes,
// elements nest deeper than limits.max_depth (never deeper than libxml2's own
// cap of 256), or an attribute value is over limits.max_string_bytes.
// Whitespace text nodes are kept. Thread-safe: every call has its own parser.
Result<XmlDocPtr> ParseXmlSafely(std::string_view xml, const ParseLimits& limits);

// A namespace declaration on an element; prefix is "" for xmlns="...".
struct XmlNamespace {
  std::string_view prefix;
  std::string_view uri;
};

// value has entity and character references decoded and attribute-value
// normalisation applied (so a literal tab arrives as a space, "&#x9;" as a tab).
struct XmlAttribute {
  std::string_view name;
  std::string_view prefix;  // "" when unprefixed
  std::string_view uri;     // "" when in no namespace
  std::string_view value;
};

struct XmlStartTag {
  std::string_view name;                     // local name
  std::string_view prefix;                   // "" when unprefixed
  std::string_view uri;                      // namespace, "" when none
  std::span<const XmlNamespace> namespaces;  // declared on this element
  std::span<const XmlAttribute> attributes;
  bool self_closing = false;  // written "<name .../>" rather than "<name ...></name>"
  int line = 0;
};

// Receives what ParseXmlEvents reads, in document order. Names, prefixes and
// namespace URIs (of tags, attributes and declarations) are libxml2
// dictionary strings, valid until ParseXmlEvents returns; every other view
// (attribute values, text) only during the call. After the first non-OK Status the handler
// is not called again; libxml2 still reads to the end, so that a document
// that is not well-formed reports that (as a tree parse would) rather than a
// complaint about its content, and otherwise that Status is returned.
class XmlEventHandler {
 public:
  virtual ~XmlEventHandler() = default;
  virtual Status StartElement(const XmlStartTag& tag) = 0;
  virtual Status EndElement(int line) = 0;
  // Character data (CDATA sections included), possibly in several pieces.
  virtual Status Text(std::string_view text, int line) = 0;
  // Comments and processing instructions, also those outside the root.
  virtual Status Comment(std::string_view text) = 0;
  virtual Status ProcessingInstruction(std::string_view target, std::string_view data,
                                       int line) = 0;
};

// The same rules and errors as ParseXmlSafely, delivered as events; builds
// no tree. Thread-safe; `handler` is called on the calling thread only.
Status ParseXmlEvents(std::string_view xml, const ParseLimits& limits, XmlEventHandler& handler);

}  // namespace fhirengine::fhir
