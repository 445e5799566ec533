// Reading and writing resources in either FHIR format: format detection,
// parse dispatch, and the canonical JSON form (resourceType first, then
// elements in definition order, each "_name" right after its value).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/core/limits.h"
#include "engine/core/status.h"
#include "engine/fhir/type_model.h"
#include "engine/json/json_value.h"

namespace fhirengine::fhir {

enum class Format { kJson, kXml };

std::string_view FormatName(Format f);
// "json"/"xml" and the MIME types application/fhir+json, application/json,
// application/fhir+xml, application/xml, text/xml (parameters ignored).
std::optional<Format> FormatFromName(std::string_view name);
// Sniffs the first non-blank character: '{' is JSON, '<' is XML.
std::optional<Format> DetectFormat(std::string_view text);
// For text DetectFormat refuses: why, for a message (UTF-16/UTF-32 byte order
// marks, a repeated or misplaced UTF-8 BOM, empty text, anything else).
std::string UndetectedFormatReason(std::string_view text);

// Parses a resource in `format` into the JSON model (syntax only: run
// validation::ValidateStructure for the rules of the type model).
Result<json::Document> ParseResource(std::string_view text, Format format,
                                     const ParseLimits& limits = {},
                                     const TypeModel& model = TypeModel::R4());

struct SerializeOptions {
  bool pretty = false;
};

// Writes a resource in `format`. JSON output is canonical: the same resource
// always gives the same bytes, whatever member order it was read with.
Result<std::string> SerializeResource(const json::Value& resource, Format format,
                                      const SerializeOptions& options = {},
                                      const TypeModel& model = TypeModel::R4());

// The canonical JSON member order applied to `resource` (a copy in `doc`).
// Members the model does not know keep their relative order at the end.
json::Value Canonicalize(const json::Value& resource, json::Document& doc,
                         const TypeModel& model = TypeModel::R4());

}  // namespace fhirengine::fhir
