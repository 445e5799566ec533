// The dashboard's files (web/), compiled into the binary at build time by
// cmake/EmbedFiles.cmake so the engine serves them without a web/ folder.
#pragma once

#include <span>
#include <string_view>

namespace fhirengine::rest {

struct EmbeddedFile {
  std::string_view path;  // relative to web/: "index.html", "assets/app.js"
  std::string_view content;
};

// Every file of web/, sorted by path. Static storage; thread-safe.
std::span<const EmbeddedFile> EmbeddedWebAssets();

}  // namespace fhirengine::rest
