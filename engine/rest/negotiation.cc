// Media type parsing for negotiation.
#include "engine/rest/negotiation.h"

#include <optional>
#include <vector>

namespace fhirengine::rest {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Splits `s` at `sep`, outside double quotes.
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') quoted = !quoted;
    if (s[i] == sep && !quoted) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

struct MediaRange {
  std::string type;  // lower-cased "application/fhir+json"
  double q = 1.0;
  std::string charset;  // lower-cased, without quotes; empty when absent
};

MediaRange ParseMediaRange(std::string_view text) {
  std::vector<std::string_view> parts = Split(text, ';');
  MediaRange m;
  m.type = Lower(Trim(parts[0]));
  for (std::size_t i = 1; i < parts.size(); ++i) {
    std::string_view p = Trim(parts[i]);
    const std::size_t eq = p.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string name = Lower(Trim(p.substr(0, eq)));
    std::string_view value = Trim(p.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (name == "q") {
      // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
      double q = 0;
      double scale = 1;
      bool ok = !value.empty() && (value[0] == '0' || value[0] == '1');
      bool after_point = false;
      for (char c : value) {
        if (c == '.' && !after_point) {
          after_point = true;
        } else if (c >= '0' && c <= '9') {
          if (after_point) {
            scale /= 10;
            q += (c - '0') * scale;
          } else {
            q = q * 10 + (c - '0');
          }
        } else {
          ok = false;
        }
      }
      m.q = ok && q <= 1.0 ? q : 0.0;
    } else if (name == "charset") {
      m.charset = Lower(value);
    }
  }
  return m;
}

// The format a media range selects, if any.
std::optional<fhir::Format> FormatOfRange(const std::string& type) {
  if (type == "*/*" || type == "application/*") return fhir::Format::kJson;
  if (type == "text/*") return fhir::Format::kXml;
  return fhir::FormatFromName(type);
}

}  // namespace

Result<fhir::Format> ResponseFormat(const std::string* format_param, std::string_view accept) {
  if (format_param != nullptr) {
    // An unencoded '+' in "_format=application/fhir+json" arrives as a space.
    std::string name = *format_param;
    for (char& c : name) {
      if (c == ' ') c = '+';
    }
    std::optional<fhir::Format> f = fhir::FormatFromName(Lower(name));
    if (!f) {
      return InvalidArgument("_format '" + *format_param +
                             "' is not supported; use json, xml, application/fhir+json or "
                             "application/fhir+xml");
    }
    return *f;
  }
  if (Trim(accept).empty()) return fhir::Format::kJson;
  std::optional<fhir::Format> best;
  double best_q = 0;
  for (std::string_view item : Split(accept, ',')) {
    if (Trim(item).empty()) continue;
    MediaRange range = ParseMediaRange(item);
    std::optional<fhir::Format> f = FormatOfRange(range.type);
    if (!f || range.q <= 0) continue;
    if (!best || range.q > best_q) {
      best = f;
      best_q = range.q;
    }
  }
  if (!best) {
    return InvalidArgument("none of the types in Accept '" + std::string(accept) +
                           "' can be produced; this server answers application/fhir+json and "
                           "application/fhir+xml");
  }
  return *best;
}

Result<fhir::Format> RequestBodyFormat(std::string_view content_type, std::string_view body) {
  if (Trim(content_type).empty()) {
    std::optional<fhir::Format> detected = fhir::DetectFormat(body);
    if (!detected) {
      return InvalidArgument(
          "the request has no Content-Type and its body is neither JSON nor XML; send "
          "Content-Type: application/fhir+json or application/fhir+xml");
    }
    return *detected;
  }
  MediaRange m = ParseMediaRange(content_type);
  std::optional<fhir::Format> f = fhir::FormatFromName(m.type);
  if (!f) {
    return InvalidArgument("Content-Type '" + std::string(content_type) +
                           "' is not supported; send application/fhir+json or "
                           "application/fhir+xml");
  }
  if (!m.charset.empty() && m.charset != "utf-8" && m.charset != "utf8") {
    return InvalidArgument("charset '" + m.charset + "' is not supported; FHIR requires UTF-8");
  }
  return *f;
}

Status CheckJsonPatchContentType(std::string_view content_type) {
  if (Trim(content_type).empty()) {
    return InvalidArgument(
        "the PATCH request has no Content-Type; send a JSON Patch (RFC 6902) as "
        "application/json-patch+json");
  }
  MediaRange m = ParseMediaRange(content_type);
  if (m.type != "application/json-patch+json") {
    std::string message = "Content-Type '" + std::string(content_type) +
                          "' is not supported for PATCH; send a JSON Patch (RFC 6902) as "
                          "application/json-patch+json";
    if (fhir::FormatFromName(m.type).has_value()) {
      message += " (FHIRPath Patch, a Parameters resource, is not supported)";
    }
    return InvalidArgument(std::move(message));
  }
  if (!m.charset.empty() && m.charset != "utf-8" && m.charset != "utf8") {
    return InvalidArgument("charset '" + m.charset + "' is not supported; JSON Patch is UTF-8");
  }
  return Status::Ok();
}

std::string_view ContentTypeFor(fhir::Format format) {
  return format == fhir::Format::kXml ? "application/fhir+xml; charset=utf-8"
                                      : "application/fhir+json; charset=utf-8";
}

PreferReturn ParsePreferReturn(std::string_view prefer) {
  PreferReturn out = PreferReturn::kUnspecified;
  for (std::string_view item : Split(prefer, ',')) {
    for (std::string_view token : Split(item, ';')) {
      token = Trim(token);
      const std::size_t eq = token.find('=');
      if (eq == std::string_view::npos) continue;
      if (Lower(Trim(token.substr(0, eq))) != "return") continue;
      std::string_view value = Trim(token.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      // The first return= preference counts (RFC 7240 2: later ones are ignored).
      if (out != PreferReturn::kUnspecified) continue;
      if (value == "minimal") out = PreferReturn::kMinimal;
      if (value == "representation") out = PreferReturn::kRepresentation;
      if (value == "OperationOutcome") out = PreferReturn::kOperationOutcome;
    }
  }
  return out;
}

bool PreferStrictHandling(std::string_view prefer) {
  for (std::string_view item : Split(prefer, ',')) {
    for (std::string_view token : Split(item, ';')) {
      token = Trim(token);
      const std::size_t eq = token.find('=');
      if (eq == std::string_view::npos || Lower(Trim(token.substr(0, eq))) != "handling") continue;
      std::string_view value = Trim(token.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value == "strict";  // the first handling= preference counts (RFC 7240 2)
    }
  }
  return false;
}

}  // namespace fhirengine::rest
