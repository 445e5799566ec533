// Wall-clock times as text: FHIR instants (UTC with milliseconds) and HTTP
// dates (IMF-fixdate, RFC 9110 5.6.7). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace fhirengine {

// Milliseconds since the Unix epoch, from the system clock.
std::int64_t NowUnixMs();

// "2024-05-06T07:08:09.123Z": always UTC, always three fraction digits.
std::string FormatInstant(std::int64_t unix_ms);

// Parses an R4 instant: "YYYY-MM-DDThh:mm:ss[.f+](Z|+hh:mm|-hh:mm)"; digits
// beyond milliseconds are truncated. kInvalidArgument (naming the problem)
// for anything else, including dates without a time or a zone.
Result<std::int64_t> ParseInstant(std::string_view text);

// "Mon, 06 May 2024 07:08:09 GMT" (whole seconds; milliseconds dropped).
std::string FormatHttpDate(std::int64_t unix_ms);

// Parses an IMF-fixdate into Unix milliseconds; nullopt for anything else
// (RFC 9110 13.1.3: a recipient ignores a conditional date it cannot parse).
std::optional<std::int64_t> ParseHttpDate(std::string_view text);

}  // namespace fhirengine
