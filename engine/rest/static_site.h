// Serves the dashboard's embedded files (embedded_web_assets.h): GET and
// HEAD of "/" (index.html) and "/assets/<file>", with the Content-Type of
// the file's extension, a strong ETag (If-None-Match: 304), Cache-Control
// no-cache (always revalidated), a strict Content-Security-Policy and
// X-Content-Type-Options: nosniff. Files are looked up in the embedded
// table only, never on disk, so no path can reach outside it.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/rest/embedded_web_assets.h"
#include "engine/rest/rest_types.h"

namespace fhirengine::rest {

// The Content-Security-Policy of every page and asset: same-origin scripts,
// styles, images and connections, nothing inline, no framing. connect-src
// 'self' covers the live feed: CSP Level 3 matches 'self' against ws:/wss:
// on this host and port (checked in Chromium by tests/browser), while a
// bare ws: or wss: would allow WebSockets to any host.
inline constexpr std::string_view kDashboardCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

class StaticSite final : public RequestHandler {
 public:
  // `files`: paths relative to the site root ("index.html",
  // "assets/app.js"); must outlive the site. Thread-safe after construction.
  explicit StaticSite(std::span<const EmbeddedFile> files);

  // 200 with the file, 304 when If-None-Match matches, 404 (text/plain) for
  // a path that is no file, 405 with Allow for methods other than GET/HEAD.
  void Handle(RestRequest request, Responder responder) override;
  RestResponse ProtocolError(int status, std::string_view message) const override;

  // The answer for `request`, synchronously (what Handle replies).
  RestResponse Respond(const RestRequest& request) const;

  // "text/javascript; charset=utf-8" for "app.js"; application/octet-stream
  // for an unknown extension.
  static std::string_view ContentTypeFor(std::string_view path);

 private:
  struct Entry {
    std::string_view content;
    std::string etag;  // quoted, from a 64-bit FNV-1a of the content
  };
  std::unordered_map<std::string, Entry> files_;  // by URL path: "/", "/assets/app.js"
};

}  // namespace fhirengine::rest
