// The xml-file adapter: settings, compiled XPaths, and the XML file reader
// behind the shared drop-folder poller (see xml_file_adapter.h).
#include "adapters/xml_file/xml_file_adapter.h"

#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <charconv>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/drop_folder/drop_folder_poller.h"
#include "adapters/drop_folder/settings_reader.h"
#include "adapters/drop_folder/source_time.h"
#include "engine/fhir/xml_safety.h"

namespace fhirengine::adapters {
namespace {

using drop_folder::SettingError;
using drop_folder::SettingsReader;

struct CompExprDeleter {
  void operator()(xmlXPathCompExpr* e) const { xmlXPathFreeCompExpr(e); }
};
using CompiledXPath = std::unique_ptr<xmlXPathCompExpr, CompExprDeleter>;
struct XPathContextDeleter {
  void operator()(xmlXPathContext* c) const { xmlXPathFreeContext(c); }
};
struct XPathObjectDeleter {
  void operator()(xmlXPathObject* o) const { xmlXPathFreeObject(o); }
};
using XPathObjectPtr = std::unique_ptr<xmlXPathObject, XPathObjectDeleter>;
struct XmlCharDeleter {
  void operator()(xmlChar* s) const { xmlFree(s); }
};
using XmlCharPtr = std::unique_ptr<xmlChar, XmlCharDeleter>;
struct XmlBufferDeleter {
  void operator()(xmlBuffer* b) const { xmlBufferFree(b); }
};

const xmlChar* X(const std::string& s) { return reinterpret_cast<const xmlChar*>(s.c_str()); }
std::string S(const xmlChar* s) {
  return s == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(s));
}

// Captures libxml2's first error on this thread (XPath compile and
// evaluation errors would otherwise go to stderr), restoring the previous
// handlers afterwards.
class XmlErrorCapture {
 public:
  XmlErrorCapture()
      : structured_(xmlStructuredError),
        structured_context_(xmlStructuredErrorContext),
        generic_(xmlGenericError),
        generic_context_(xmlGenericErrorContext) {
    xmlSetStructuredErrorFunc(this, OnError);
    xmlSetGenericErrorFunc(nullptr, IgnoreGeneric);
  }
  ~XmlErrorCapture() {
    xmlSetStructuredErrorFunc(structured_context_, structured_);
    xmlSetGenericErrorFunc(generic_context_, generic_);
  }
  XmlErrorCapture(const XmlErrorCapture&) = delete;
  XmlErrorCapture& operator=(const XmlErrorCapture&) = delete;

  const std::string& message() const { return message_; }

 private:
  static void OnError(void* self, xmlErrorPtr error) {
    auto* capture = static_cast<XmlErrorCapture*>(self);
    if (!capture->message_.empty() || error == nullptr || error->message == nullptr) return;
    capture->message_ = error->message;
    while (!capture->message_.empty() &&
           (capture->message_.back() == '\n' || capture->message_.back() == ' ')) {
      capture->message_.pop_back();
    }
  }
  static void IgnoreGeneric(void* /*ctx*/, const char* /*msg*/, ...) {}

  xmlStructuredErrorFunc structured_;
  void* structured_context_;
  xmlGenericErrorFunc generic_;
  void* generic_context_;
  std::string message_;
};

struct XmlSettings {
  std::string record_xpath;
  std::string key_xpath;
  std::optional<std::string> timestamp_xpath;
  std::optional<drop_folder::SourceTimeFormat> timestamp_format;
  std::vector<std::pair<std::string, std::string>> namespaces;
  ParseLimits limits;
};

// The compiled XPaths plus the namespaces they use; immutable after Make.
class XmlSelectors {
 public:
  static Result<XmlSelectors> Make(const XmlSettings& settings) {
    XmlSelectors out;
    out.namespaces_ = settings.namespaces;
    Result<CompiledXPath> record = out.Compile("record-xpath", settings.record_xpath);
    if (!record.ok()) return record.status();
    out.record_ = std::move(record).value();
    Result<CompiledXPath> key = out.Compile("key-xpath", settings.key_xpath);
    if (!key.ok()) return key.status();
    out.key_ = std::move(key).value();
    if (settings.timestamp_xpath) {
      Result<CompiledXPath> time = out.Compile("timestamp-xpath", *settings.timestamp_xpath);
      if (!time.ok()) return time.status();
      out.timestamp_ = std::move(time).value();
    }
    return out;
  }

  // A context over `doc` with the configured namespaces registered.
  std::unique_ptr<xmlXPathContext, XPathContextDeleter> NewContext(xmlDoc* doc) const {
    std::unique_ptr<xmlXPathContext, XPathContextDeleter> ctx(xmlXPathNewContext(doc));
    FE_CHECK(ctx != nullptr);
    for (const auto& [prefix, uri] : namespaces_) {
      xmlXPathRegisterNs(ctx.get(), X(prefix), X(uri));
    }
    return ctx;
  }

  xmlXPathCompExpr* record() const { return record_.get(); }
  xmlXPathCompExpr* key() const { return key_.get(); }
  xmlXPathCompExpr* timestamp() const { return timestamp_.get(); }

 private:
  // Compiles `xpath` and evaluates it once on a one-element document, which
  // catches namespace prefixes missing from settings.namespaces.
  Result<CompiledXPath> Compile(std::string_view key, const std::string& xpath) const {
    XmlErrorCapture errors;
    CompiledXPath comp(xmlXPathCompile(X(xpath)));
    if (comp == nullptr) {
      return SettingError(key, "'" + xpath + "' is not a valid XPath 1.0 expression" +
                                   (errors.message().empty() ? "" : ": " + errors.message()));
    }
    fhir::XmlDocPtr probe(xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0")));
    xmlDocSetRootElement(
        probe.get(),
        xmlNewDocNode(probe.get(), nullptr, reinterpret_cast<const xmlChar*>("probe"), nullptr));
    auto ctx = NewContext(probe.get());
    ctx->node = xmlDocGetRootElement(probe.get());
    XPathObjectPtr result(xmlXPathCompiledEval(comp.get(), ctx.get()));
    if (result == nullptr) {
      return SettingError(key, "'" + xpath + "' cannot be evaluated" +
                                   (errors.message().empty() ? "" : ": " + errors.message()) +
                                   " (are its namespace prefixes in settings.namespaces?)");
    }
    return comp;
  }

  std::vector<std::pair<std::string, std::string>> namespaces_;
  CompiledXPath record_;
  CompiledXPath key_;
  CompiledXPath timestamp_;
};

std::string_view TrimXmlSpace(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// The string value of `comp` evaluated with `node` as the context node.
std::optional<std::string> EvalString(xmlXPathContext* ctx, xmlNode* node, xmlXPathCompExpr* comp) {
  ctx->node = node;
  XPathObjectPtr result;
  {
    XmlErrorCapture errors;
    result.reset(xmlXPathCompiledEval(comp, ctx));
  }
  if (result == nullptr) return std::nullopt;
  XmlCharPtr text(xmlXPathCastToString(result.get()));
  return std::string(TrimXmlSpace(S(text.get())));
}

// The element as a standalone UTF-8 XML fragment, with the namespace
// declarations it inherits from its ancestors.
std::string Serialize(xmlNode* node) {
  fhir::XmlDocPtr doc(xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0")));
  xmlNode* copy = xmlDocCopyNode(node, doc.get(), 1);
  FE_CHECK(copy != nullptr);
  xmlDocSetRootElement(doc.get(), copy);
  xmlReconciliateNs(doc.get(), copy);
  std::unique_ptr<xmlBuffer, XmlBufferDeleter> buffer(xmlBufferCreate());
  xmlNodeDump(buffer.get(), doc.get(), copy, 0, 0);
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buffer.get())),
                     static_cast<std::size_t>(xmlBufferLength(buffer.get())));
}

// "line N: reason" (from ParseXmlSafely) -> N, or 1.
long LineOf(const std::string& message) {
  long line = 1;
  if (message.starts_with("line ")) {
    std::from_chars(message.data() + 5, message.data() + message.size(), line);
  }
  return line;
}

class XmlFileReader : public drop_folder::FileRecordReader {
 public:
  XmlFileReader(XmlSettings settings, XmlSelectors selectors)
      : settings_(std::move(settings)), selectors_(std::move(selectors)) {}

  Status Read(std::string_view file_name, std::string_view content,
              drop_folder::RecordSink& sink) override {
    const std::string name(file_name);
    Result<fhir::XmlDocPtr> doc = fhir::ParseXmlSafely(content, settings_.limits);
    if (!doc.ok()) {
      const std::string& message = doc.status().message();
      return sink.Reject({name + ":" + std::to_string(LineOf(message)),
                          "file not read: " + message + "; no record of this file was read", ""});
    }
    auto ctx = selectors_.NewContext(doc->get());
    XPathObjectPtr selected;
    std::string error;
    {
      // Scoped to libxml2's own work: Deliver (inside sink) may parse XML too.
      XmlErrorCapture errors;
      selected.reset(xmlXPathCompiledEval(selectors_.record(), ctx.get()));
      error = errors.message();
    }
    if (selected == nullptr || selected->type != XPATH_NODESET) {
      return sink.Reject({name + ":1",
                          "record-xpath '" + settings_.record_xpath +
                              "' does not select nodes in this file" +
                              (error.empty() ? "" : ": " + error),
                          ""});
    }
    const xmlNodeSet* nodes = selected->nodesetval;
    const int count = nodes == nullptr ? 0 : nodes->nodeNr;
    for (int i = 0; i < count; ++i) {
      xmlNode* node = nodes->nodeTab[i];
      XmlCharPtr path(xmlGetNodePath(node));
      const std::string locator =
          name + ":" + std::to_string(xmlGetLineNo(node)) + " (" + S(path.get()) + ")";
      if (node->type != XML_ELEMENT_NODE) {
        FE_RETURN_IF_ERROR(
            sink.Reject({locator, "record-xpath selected something other than an element", ""}));
        continue;
      }
      SourceRecord record;
      record.format = RecordFormat::kXmlElement;
      record.locator = locator;
      record.payload = Serialize(node);
      std::optional<std::string> key = EvalString(ctx.get(), node, selectors_.key());
      std::string problem;
      if (!key || key->empty()) {
        problem = "key-xpath '" + settings_.key_xpath + "' gives no value for this record";
      } else {
        record.key = std::move(*key);
      }
      if (problem.empty() && selectors_.timestamp() != nullptr) {
        std::optional<std::string> time = EvalString(ctx.get(), node, selectors_.timestamp());
        if (time && !time->empty()) {
          Result<std::int64_t> ms = settings_.timestamp_format->Parse(*time);
          if (ms.ok()) {
            record.source_time_ms = *ms;
          } else {
            problem =
                "timestamp-xpath '" + *settings_.timestamp_xpath + "': " + ms.status().message();
          }
        }
      }
      if (!problem.empty()) {
        if (record.payload.size() > kMaxRawBytes) record.payload.resize(kMaxRawBytes);
        FE_RETURN_IF_ERROR(sink.Reject({locator, std::move(problem), std::move(record.payload)}));
        continue;
      }
      FE_RETURN_IF_ERROR(sink.Add(std::move(record)));
    }
    return Status::Ok();
  }

 private:
  static constexpr std::size_t kMaxRawBytes = 4096;
  XmlSettings settings_;
  XmlSelectors selectors_;
};

std::string XmlSettingsSchema() {
  std::string schema =
      R"({"$schema": "http://json-schema.org/draft-04/schema#",
  "title": "xml-file adapter settings",
  "type": "object",
  "additionalProperties": false,
  "required": ["directory", "record-xpath", "key-xpath"],
  "properties": {
    )";
  schema += drop_folder::DropFolderSchemaProperties();
  schema += R"(,
    "record-xpath": {"type": "string", "minLength": 1,
      "description": "XPath 1.0 selecting the record elements, e.g. /export/unit/bed."},
    "key-xpath": {"type": "string", "minLength": 1,
      "description": "XPath relative to a record giving its key, e.g. @id or id/text()."},
    "timestamp-xpath": {"type": "string", "minLength": 1},
    "timestamp-format": {"type": "string", "minLength": 1,
      "description": "instant, epoch-seconds, epoch-millis or a pattern like %Y-%m-%d %H:%M."},
    "timestamp-utc-offset": {"type": "string", "pattern": "^(Z|[+-][0-9]{2}:[0-9]{2})$"},
    "namespaces": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1},
      "description": "Prefix to namespace URI, for the XPaths."},
    "max-depth": {"type": "integer", "minimum": 2, "maximum": 256}
  }})";
  return schema;
}

Result<XmlSettings> ParseXmlSettings(const SettingsReader& reader, std::uint64_t max_file_bytes) {
  XmlSettings out;
  Result<std::string> record = reader.RequiredString("record-xpath");
  if (!record.ok()) return record.status();
  out.record_xpath = std::move(record).value();
  Result<std::string> key = reader.RequiredString("key-xpath");
  if (!key.ok()) return key.status();
  out.key_xpath = std::move(key).value();
  Result<std::optional<std::string>> time = reader.OptionalString("timestamp-xpath");
  if (!time.ok()) return time.status();
  out.timestamp_xpath = std::move(time).value();
  Result<drop_folder::SourceTimeFormat> time_format = drop_folder::ReadSourceTimeFormat(reader);
  if (!time_format.ok()) return time_format.status();
  out.timestamp_format = std::move(time_format).value();
  Result<std::vector<std::pair<std::string, std::string>>> namespaces =
      reader.StringMap("namespaces");
  if (!namespaces.ok()) return namespaces.status();
  out.namespaces = std::move(namespaces).value();
  for (const auto& [prefix, uri] : out.namespaces) {
    if (prefix.empty() || uri.empty() || prefix.find(':') != std::string::npos) {
      return SettingError("namespaces", "each prefix and URI must be non-empty (no ':')");
    }
  }
  Result<std::uint64_t> depth = reader.Integer("max-depth", 100, 2, 256);
  if (!depth.ok()) return depth.status();
  out.limits.max_depth = static_cast<std::size_t>(*depth);
  out.limits.max_document_bytes = static_cast<std::size_t>(max_file_bytes);
  out.limits.max_string_bytes = 1u << 20;
  return out;
}

}  // namespace

Result<std::unique_ptr<Adapter>> CreateXmlFileAdapter(const AdapterConfig& config) {
  FE_CHECK(config.settings != nullptr);
  SettingsReader reader(*config.settings);
  std::vector<std::string_view> known = drop_folder::DropFolderSettingKeys();
  known.insert(known.end(), {"record-xpath", "key-xpath", "timestamp-xpath", "timestamp-format",
                             "timestamp-utc-offset", "namespaces", "max-depth"});
  FE_RETURN_IF_ERROR(reader.CheckKnownKeys(known));
  Result<drop_folder::DropFolderSettings> folder =
      drop_folder::ParseDropFolderSettings(reader, config.config_dir, 64ull << 20);
  if (!folder.ok()) return folder.status();
  Result<XmlSettings> xml = ParseXmlSettings(reader, folder->max_file_bytes);
  if (!xml.ok()) return xml.status();
  Result<XmlSelectors> selectors = XmlSelectors::Make(*xml);
  if (!selectors.ok()) return selectors.status();
  auto file_reader =
      std::make_unique<XmlFileReader>(std::move(xml).value(), std::move(selectors).value());
  return std::unique_ptr<Adapter>(std::make_unique<drop_folder::DropFolderPoller>(
      std::move(folder).value(), std::move(file_reader)));
}

AdapterType XmlFileAdapterType() {
  return AdapterType{"xml-file", XmlSettingsSchema(), CreateXmlFileAdapter};
}

}  // namespace fhirengine::adapters
