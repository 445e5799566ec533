// How resource JSON is kept on disk: raw DEFLATE with a preset dictionary
// of the strings FHIR resources repeat (element names, code systems), so
// a typical 600-byte Location takes about a third of that. Stored values
// start with a format byte (0: plain, 1: DEFLATE with dictionary 1); plain
// JSON objects (starting with '{', as databases written before compression
// hold, or values compression would not shrink) are kept as they are.
#pragma once

#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace fhirengine::store {

// The stored form of `json`.
std::string CompressJson(std::string_view json);

// The JSON a stored value holds; kIoError when it is corrupt or of an
// unknown format (never a crash, whatever the bytes).
Result<std::string> DecompressJson(std::string_view stored);

}  // namespace fhirengine::store
