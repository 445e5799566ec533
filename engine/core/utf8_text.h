// Text from outside (a source's bytes, a peer's error message) made safe to
// put into JSON and logs: valid UTF-8, capped in size without cutting a
// character.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fhirengine {

// The length of the valid UTF-8 sequence at the start of `s`, or 0 when it
// does not start with one (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF). REQUIRES: !s.empty().
std::size_t Utf8SequenceLength(std::string_view s);

// `in` with every byte that starts no valid sequence replaced by U+FFFD,
// cut to at most `max_bytes` at a character boundary.
std::string ToValidUtf8(std::string_view in, std::size_t max_bytes);

}  // namespace fhirengine
