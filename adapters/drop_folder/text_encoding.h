// Byte-level text checks and conversions for files from other systems:
// UTF-8 validation and ISO-8859-1 (Latin-1) to UTF-8. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fhirengine::adapters::drop_folder {

// The byte offset of the first invalid UTF-8 sequence (overlong forms,
// surrogates and code points past U+10FFFF included), or npos when `text`
// is valid UTF-8.
std::size_t FindInvalidUtf8(std::string_view text);

inline bool IsValidUtf8(std::string_view text) {
  return FindInvalidUtf8(text) == std::string_view::npos;
}

// Every byte is one Latin-1 character (U+0000..U+00FF): always succeeds.
std::string Latin1ToUtf8(std::string_view text);

}  // namespace fhirengine::adapters::drop_folder
