// Hardened libxml2 parsing: a DOCTYPE is refused before and during the parse
// (so no entity is ever declared, let alone expanded), errors are captured
// instead of printed, and depth and attribute size are checked as the SAX
// events arrive; the events go either to libxml2's tree builder or, without
// any tree, to an XmlEventHandler.
#include "engine/fhir/xml_safety.h"

#include <libxml/SAX2.h>
#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include <algorithm>
#include <climits>
#include <mutex>
#include <string>
#include <vector>

namespace fhirengine::fhir {
namespace {

// libxml2's own nesting cap without XML_PARSE_HUGE (xmlParserMaxDepth). We
// keep it even when XML_PARSE_HUGE is on for long attribute values.
constexpr std::size_t kLibxmlMaxDepth = 256;

enum class StopReason { kNone, kDoctype, kTooDeep, kAttributeTooLong };

// Per-parse state, reached from the SAX callbacks through ctxt->_private
// (which libxml2 documents as never touched by itself).
struct SafeParseState {
  XmlEventHandler* handler = nullptr;  // null: libxml2 builds a tree
  Status handler_status;               // the handler's first error
  bool handler_failed = false;
  std::size_t depth = 0;
  std::size_t max_depth = 0;
  std::size_t max_attribute_bytes = 0;
  StopReason stop = StopReason::kNone;
  int stop_line = 0;
  bool have_error = false;
  int error_line = 0;
  std::string error_message;
  // Reused for every start tag (event mode).
  std::vector<XmlNamespace> namespaces;
  std::vector<XmlAttribute> attributes;
  std::string decoded;
};

SafeParseState& StateOf(void* ctx) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  return *static_cast<SafeParseState*>(ctxt->_private);
}

int CurrentLine(void* ctx) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  return ctxt->input != nullptr ? ctxt->input->line : 0;
}

void Stop(xmlParserCtxtPtr ctxt, StopReason reason) {
  SafeParseState& state = StateOf(ctxt);
  if (state.stop == StopReason::kNone) {
    state.stop = reason;
    state.stop_line = CurrentLine(ctxt);
  }
  xmlStopParser(ctxt);
}

// Keeps the handler's first error and silences it from then on; the parse
// goes on so that a later well-formedness error can take precedence.
void Check(void* ctx, Status status) {
  if (status.ok()) return;
  SafeParseState& state = StateOf(ctx);
  state.handler_failed = true;
  state.handler_status = std::move(status);
}

// The handler, or null once it has failed.
XmlEventHandler* HandlerOf(void* ctx) {
  SafeParseState& state = StateOf(ctx);
  return state.handler_failed ? nullptr : state.handler;
}

std::string_view View(const xmlChar* s) {
  return s == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(s));
}

void OnDoctype(void* ctx, const xmlChar* /*name*/, const xmlChar* /*external_id*/,
               const xmlChar* /*system_id*/) {
  // Called before the internal subset is read: stopping here means no entity
  // or attribute default is ever declared.
  Stop(static_cast<xmlParserCtxtPtr>(ctx), StopReason::kDoctype);
}

// Without entity substitution libxml2 hands SAX2 an attribute's '&' (from
// "&amp;", "&#38;" or "&#x26;") as the five characters "&#38;", for its own
// tree builder to decode; every other reference is already decoded.
std::string_view DecodeAmpersands(std::string_view raw, std::string& decoded) {
  const std::size_t start = decoded.size();
  std::size_t i = 0;
  while (i < raw.size()) {
    const std::size_t amp = raw.find('&', i);
    if (amp == std::string_view::npos) {
      decoded.append(raw.substr(i));
      break;
    }
    decoded.append(raw.substr(i, amp - i));
    decoded += '&';
    i = raw.substr(amp).starts_with("&#38;") ? amp + 5 : amp + 1;
  }
  return std::string_view(decoded).substr(start);
}

void OnStartElement(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri,
                    int nb_namespaces, const xmlChar** namespaces, int nb_attributes,
                    int nb_defaulted, const xmlChar** attributes) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  SafeParseState& state = StateOf(ctx);
  if (++state.depth > state.max_depth) {
    Stop(ctxt, StopReason::kTooDeep);
    return;
  }
  // Five pointers per attribute: localname, prefix, URI, value, end.
  const auto attribute_count = static_cast<std::size_t>(nb_attributes);
  std::size_t raw_bytes = 0;
  for (std::size_t i = 0; i < attribute_count; ++i) {
    const auto length = static_cast<std::size_t>(attributes[i * 5 + 4] - attributes[i * 5 + 3]);
    if (length > state.max_attribute_bytes) {
      Stop(ctxt, StopReason::kAttributeTooLong);
      return;
    }
    raw_bytes += length;
  }
  if (state.handler == nullptr) {
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
                          nb_defaulted, attributes);
    return;
  }
  if (state.handler_failed) return;
  state.namespaces.clear();
  for (std::size_t i = 0; i < static_cast<std::size_t>(nb_namespaces); ++i) {
    state.namespaces.push_back({View(namespaces[i * 2]), View(namespaces[i * 2 + 1])});
  }
  state.attributes.clear();
  state.decoded.clear();
  state.decoded.reserve(raw_bytes);  // decoding only shrinks: views stay valid
  for (std::size_t i = 0; i < attribute_count; ++i) {
    const xmlChar* const* a = attributes + i * 5;
    std::string_view value(reinterpret_cast<const char*>(a[3]),
                           static_cast<std::size_t>(a[4] - a[3]));
    if (value.find('&') != std::string_view::npos) value = DecodeAmpersands(value, state.decoded);
    state.attributes.push_back({View(a[0]), View(a[1]), View(a[2]), value});
  }
  XmlStartTag tag;
  tag.name = View(localname);
  tag.prefix = View(prefix);
  tag.uri = View(uri);
  tag.namespaces = state.namespaces;
  tag.attributes = state.attributes;
  // The start tag has been read up to "/>" or ">" (the look-ahead libxml2's
  // own xmlTextReader uses for its empty-element flag).
  const xmlParserInputPtr input = ctxt->input;
  tag.self_closing = input != nullptr && input->cur != nullptr && input->end - input->cur >= 2 &&
                     input->cur[0] == '/' && input->cur[1] == '>';
  tag.line = CurrentLine(ctx);
  Check(ctx, state.handler->StartElement(tag));
}

void OnEndElement(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri) {
  SafeParseState& state = StateOf(ctx);
  if (state.depth > 0) --state.depth;
  if (state.handler == nullptr) {
    xmlSAX2EndElementNs(ctx, localname, prefix, uri);
    return;
  }
  if (XmlEventHandler* h = HandlerOf(ctx)) Check(ctx, h->EndElement(CurrentLine(ctx)));
}

void OnCharacters(void* ctx, const xmlChar* text, int length) {
  XmlEventHandler* h = HandlerOf(ctx);
  if (h == nullptr) return;
  Check(ctx, h->Text(std::string_view(reinterpret_cast<const char*>(text),
                                      static_cast<std::size_t>(length)),
                     CurrentLine(ctx)));
}

void OnComment(void* ctx, const xmlChar* text) {
  if (XmlEventHandler* h = HandlerOf(ctx)) Check(ctx, h->Comment(View(text)));
}

void OnProcessingInstruction(void* ctx, const xmlChar* target, const xmlChar* data) {
  if (XmlEventHandler* h = HandlerOf(ctx)) {
    Check(ctx, h->ProcessingInstruction(View(target), View(data), CurrentLine(ctx)));
  }
}

// Keeps the first error; later ones are usually consequences of it.
void OnError(void* ctx, xmlErrorPtr error) {
  if (ctx == nullptr || error == nullptr || error->level < XML_ERR_ERROR) return;
  SafeParseState& state = StateOf(ctx);
  if (state.have_error) return;
  state.have_error = true;
  state.error_line = error->line;
  std::string message = error->message != nullptr ? error->message : "malformed XML";
  std::replace(message.begin(), message.end(), '\n', ' ');
  while (!message.empty() && message.back() == ' ') message.pop_back();
  state.error_message = std::move(message);
}

// Routes libxml2's thread-local error handlers to OnError for the duration of
// one parse (errors raised outside the parser context, such as encoding
// conversion failures, would otherwise be printed to stderr), then restores
// whatever the thread had before.
class ThreadErrorHandlerScope {
 public:
  explicit ThreadErrorHandlerScope(xmlParserCtxtPtr ctxt)
      : structured_(xmlStructuredError),
        structured_context_(xmlStructuredErrorContext),
        generic_(xmlGenericError),
        generic_context_(xmlGenericErrorContext) {
    xmlSetStructuredErrorFunc(ctxt, OnError);
    xmlSetGenericErrorFunc(nullptr, IgnoreGenericError);
  }
  ~ThreadErrorHandlerScope() {
    xmlSetStructuredErrorFunc(structured_context_, structured_);
    xmlSetGenericErrorFunc(generic_context_, generic_);
  }
  ThreadErrorHandlerScope(const ThreadErrorHandlerScope&) = delete;
  ThreadErrorHandlerScope& operator=(const ThreadErrorHandlerScope&) = delete;

 private:
  static void IgnoreGenericError(void* /*ctx*/, const char* /*msg*/, ...) {}

  xmlStructuredErrorFunc structured_;
  void* structured_context_;
  xmlGenericErrorFunc generic_;
  void* generic_context_;
};

struct ParserCtxtDeleter {
  void operator()(xmlParserCtxt* ctxt) const {
    if (ctxt->myDoc != nullptr) xmlFreeDoc(ctxt->myDoc);
    ctxt->myDoc = nullptr;
    xmlFreeParserCtxt(ctxt);
  }
};

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Whether the prolog (what precedes the root element) holds a DOCTYPE. Only
// understands ASCII-compatible encodings; the internalSubset hook catches the
// rest during the parse.
bool PrologHasDoctype(std::string_view xml) {
  std::size_t i = xml.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  while (i < xml.size()) {
    while (i < xml.size() && IsXmlSpace(xml[i])) ++i;
    std::string_view rest = xml.substr(i);
    if (rest.starts_with("<?")) {
      std::size_t end = xml.find("?>", i + 2);
      if (end == std::string_view::npos) return false;
      i = end + 2;
    } else if (rest.starts_with("<!--")) {
      std::size_t end = xml.find("-->", i + 4);
      if (end == std::string_view::npos) return false;
      i = end + 3;
    } else {
      return rest.starts_with("<!DOCTYPE");
    }
  }
  return false;
}

std::string LinePrefix(int line) { return "line " + std::to_string(line) + ": "; }

// XML 1.0 allows no NUL character, but libxml2 takes a raw NUL byte for the
// end of its input and would accept "<a/>\0<b>". Only for byte-oriented
// encodings: UTF-16/32 text is full of zero bytes and libxml2 checks it.
std::string NulByteError(std::string_view xml) {
  if (xml.size() >= 2 && (xml[0] == '\0' || xml[1] == '\0' || xml.starts_with("\xFF\xFE") ||
                          xml.starts_with("\xFE\xFF"))) {
    return "";
  }
  const std::size_t nul = xml.find('\0');
  if (nul == std::string_view::npos) return "";
  const auto line =
      1 + std::count(xml.begin(), xml.begin() + static_cast<std::ptrdiff_t>(nul), '\n');
  return LinePrefix(static_cast<int>(line)) + "NUL character (not allowed in XML)";
}

// The parse both entry points share. With a handler, libxml2 only tokenises
// and the events go to it; without, libxml2 builds its tree into *doc.
Status RunSafeParse(std::string_view xml, const ParseLimits& limits, XmlEventHandler* handler,
                    XmlDocPtr* doc) {
  static std::once_flag init_once;
  std::call_once(init_once, [] { xmlInitParser(); });

  if (xml.size() > limits.max_document_bytes) {
    return ResourceExhausted("XML document of " + std::to_string(xml.size()) +
                             " bytes is over the limit of " +
                             std::to_string(limits.max_document_bytes) + " bytes");
  }
  if (xml.size() > static_cast<std::size_t>(INT_MAX)) {
    return ResourceExhausted("XML document over 2 GiB");
  }
  if (xml.empty()) return InvalidArgument("line 1: the XML document is empty");
  if (PrologHasDoctype(xml)) {
    return InvalidArgument("line 1: DOCTYPE is not allowed (no DTDs or entity declarations)");
  }
  if (std::string nul = NulByteError(xml); !nul.empty()) return InvalidArgument(std::move(nul));

  std::unique_ptr<xmlParserCtxt, ParserCtxtDeleter> ctxt(
      xmlCreateMemoryParserCtxt(xml.data(), static_cast<int>(xml.size())));
  if (ctxt == nullptr) return Internal("libxml2 could not create a parser context");

  // Never XML_PARSE_NOENT, DTDLOAD, DTDATTR or DTDVALID: no DTD is read.
  int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA |
                XML_PARSE_COMPACT | XML_PARSE_BIG_LINES;
  // Without XML_PARSE_HUGE libxml2 refuses text and attribute values over
  // 10 MB, which a large Attachment.data can exceed; depth stays capped by us.
  if (limits.max_string_bytes > XML_MAX_TEXT_LENGTH) options |= XML_PARSE_HUGE;
  xmlCtxtUseOptions(ctxt.get(), options);

  SafeParseState state;
  state.handler = handler;
  state.max_depth = std::min(limits.max_depth, kLibxmlMaxDepth);
  state.max_attribute_bytes = limits.max_string_bytes;
  ctxt->_private = &state;
  xmlSAXHandlerPtr sax = ctxt->sax;
  sax->internalSubset = OnDoctype;
  sax->externalSubset = OnDoctype;
  sax->startElementNs = OnStartElement;
  sax->endElementNs = OnEndElement;
  sax->serror = OnError;
  // Belt and braces: nothing may resolve or declare entities.
  sax->resolveEntity = nullptr;
  sax->entityDecl = nullptr;
  sax->unparsedEntityDecl = nullptr;
  sax->elementDecl = nullptr;
  sax->attributeDecl = nullptr;
  sax->notationDecl = nullptr;
  if (handler != nullptr) {
    sax->startDocument = nullptr;  // no tree at all
    sax->endDocument = nullptr;
    sax->reference = nullptr;
    sax->characters = OnCharacters;
    sax->ignorableWhitespace = OnCharacters;
    sax->cdataBlock = OnCharacters;
    sax->comment = OnComment;
    sax->processingInstruction = OnProcessingInstruction;
  }

  {
    ThreadErrorHandlerScope error_scope(ctxt.get());
    xmlParseDocument(ctxt.get());
  }

  switch (state.stop) {
    case StopReason::kDoctype:
      return InvalidArgument(LinePrefix(state.stop_line) +
                             "DOCTYPE is not allowed (no DTDs or entity declarations)");
    case StopReason::kTooDeep:
      return ResourceExhausted(LinePrefix(state.stop_line) + "elements nest deeper than " +
                               std::to_string(state.max_depth) + " levels");
    case StopReason::kAttributeTooLong:
      return ResourceExhausted(LinePrefix(state.stop_line) + "an attribute value is over " +
                               std::to_string(limits.max_string_bytes) + " bytes");
    case StopReason::kNone:
      break;
  }
  if (!ctxt->wellFormed || !ctxt->nsWellFormed || state.have_error ||
      (handler == nullptr && ctxt->myDoc == nullptr)) {
    if (state.have_error)
      return InvalidArgument(LinePrefix(state.error_line) + state.error_message);
    return InvalidArgument(LinePrefix(CurrentLine(ctxt.get())) + "malformed XML");
  }
  if (state.handler_failed) return state.handler_status;
  if (doc != nullptr) {
    doc->reset(ctxt->myDoc);
    ctxt->myDoc = nullptr;
  }
  return Status::Ok();
}

}  // namespace

Result<XmlDocPtr> ParseXmlSafely(std::string_view xml, const ParseLimits& limits) {
  XmlDocPtr doc;
  FE_RETURN_IF_ERROR(RunSafeParse(xml, limits, nullptr, &doc));
  return doc;
}

Status ParseXmlEvents(std::string_view xml, const ParseLimits& limits, XmlEventHandler& handler) {
  return RunSafeParse(xml, limits, &handler, nullptr);
}

}  // namespace fhirengine::fhir
