// Declarative mappings (docs/mappings.md): a JSON file that turns each source
// record (CSV row, XML element, JSON object, FHIR resource) into zero or more
// FHIR R4 resources in the regional namespace, with templated ids, ConceptMap
// translation, local-time parsing, pseudonyms and provenance. Loaded and
// compiled once; Apply is const and thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/api/adapter.h"
#include "engine/core/status.h"
#include "engine/json/json_value.h"

namespace fhirengine::mapping {

inline constexpr std::string_view kSourceSystemTagSystem =
    "https://fhir-engine.example.org/fhir/CodeSystem/source-system";
inline constexpr std::string_view kSourceTimestampExtension =
    "https://fhir-engine.example.org/fhir/StructureDefinition/source-timestamp";

struct MappingOptions {
  // The HMAC key for "pseudonym" values; a mapping that uses them fails to
  // load without one.
  std::string pseudonym_key;
  // Overrides the mapping's "source" (the {source} placeholder and tag).
  std::string source;
};

struct MappedResource {
  std::string type;
  std::string id;
  json::Document resource;
};

namespace internal {
struct Compiled;
}  // namespace internal

class Mapping {
 public:
  // Reads and compiles a mapping file; ConceptMaps it names resolve against
  // the file's folder. Errors name the file, line and field.
  static Result<Mapping> Load(const std::string& path, const MappingOptions& options);
  // The same from text; `file_name` is used in messages, `base_dir` for ConceptMaps.
  static Result<Mapping> FromText(std::string_view text, const std::string& file_name,
                                  const std::string& base_dir, const MappingOptions& options);

  // The resources `record` maps to (possibly none, when no output's "when"
  // holds). kInvalidArgument with "FILE line N, field 'F': reason (record
  // LOCATOR)" when the record cannot be mapped.
  Result<std::vector<MappedResource>> Apply(const adapters::SourceRecord& record) const;
  // The same, and appends to `warnings` (when not null, and only when the
  // record maps) one message per questionable value that was still mapped,
  // such as a code kept under "unmapped": "keep"; each names the mapping
  // file's line, the field and the record, as errors do.
  Result<std::vector<MappedResource>> Apply(const adapters::SourceRecord& record,
                                            std::vector<std::string>* warnings) const;

  // The regional resources a source's delete of `record` (kFhirDelete, its
  // resource_type and resource_id) removes: the id of every output of that
  // resourceType (without for-each), evaluated on the stub
  // {"resourceType", "id"}. An output's "when" is not evaluated (it tests
  // content a deleted resource no longer has), so a Location output for beds
  // and one for wards both name their id; ids are unique in the result.
  // kInvalidArgument when an id cannot be computed from the stub.
  Result<std::vector<MappedResource>> DeleteTargets(const adapters::SourceRecord& record) const;

  const std::string& name() const;
  // "csv", "xml", "json" or "fhir".
  const std::string& source_format() const;

  Mapping(Mapping&&) noexcept;
  Mapping& operator=(Mapping&&) noexcept;
  ~Mapping();

 private:
  explicit Mapping(std::shared_ptr<const internal::Compiled> compiled);
  std::shared_ptr<const internal::Compiled> compiled_;
};

}  // namespace fhirengine::mapping
