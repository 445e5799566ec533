// The embedded dashboard's HTTP answers.
#include "engine/rest/static_site.h"

#include <cstdint>
#include <cstdio>
#include <utility>

namespace fhirengine::rest {
namespace {

std::string EtagOf(std::string_view content) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : content) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "\"%016llx\"", static_cast<unsigned long long>(hash));
  return buffer;
}

// True when `header` (an If-None-Match value) lists `etag` or is "*".
bool EtagListed(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);  // weak comparison (RFC 9110 13.1.2)
    if (item == "*" || item == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

void AddSecurityHeaders(RestResponse& r) {
  r.AddHeader("Content-Security-Policy", std::string(kDashboardCsp));
  r.AddHeader("X-Content-Type-Options", "nosniff");
  r.AddHeader("Referrer-Policy", "no-referrer");
  r.AddHeader("X-Frame-Options", "DENY");
}

RestResponse PlainText(int status, std::string body) {
  RestResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  AddSecurityHeaders(r);
  return r;
}

}  // namespace

StaticSite::StaticSite(std::span<const EmbeddedFile> files) {
  for (const EmbeddedFile& f : files) {
    Entry entry{f.content, EtagOf(f.content)};
    if (f.path == "index.html") files_.emplace("/", entry);
    files_.emplace("/" + std::string(f.path), std::move(entry));
  }
}

std::string_view StaticSite::ContentTypeFor(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const std::size_t dot = name.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "json") return "application/json";
  if (ext == "png") return "image/png";
  if (ext == "txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

RestResponse StaticSite::Respond(const RestRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    RestResponse r =
        PlainText(405, "method not allowed: the dashboard's files take GET and HEAD\n");
    r.AddHeader("Allow", "GET, HEAD");
    return r;
  }
  const std::string_view target(request.target);
  const std::string path(target.substr(0, target.find_first_of("?#")));
  const auto it = files_.find(path);
  if (it == files_.end()) return PlainText(404, "not found: no dashboard file at this path\n");
  const Entry& entry = it->second;
  RestResponse r;
  r.AddHeader("ETag", entry.etag);
  r.AddHeader("Cache-Control", "no-cache");
  AddSecurityHeaders(r);
  if (!request.if_none_match.empty() && EtagListed(request.if_none_match, entry.etag)) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.content_type = std::string(ContentTypeFor(path == "/" ? "index.html" : path));
  r.body = std::string(entry.content);
  return r;
}

void StaticSite::Handle(RestRequest request, Responder responder) {
  responder.reply(Respond(request));
}

RestResponse StaticSite::ProtocolError(int status, std::string_view message) const {
  return PlainText(status, std::string(message) + "\n");
}

}  // namespace fhirengine::rest
