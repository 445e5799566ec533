// The identity mapping: the mapping stage until declarative mappings exist.
// FHIR records pass through (their meta.source names the adapter), deletes
// stay deletes, and CSV rows, XML elements and JSON objects become a FHIR
// Basic resource that carries the record losslessly, with an id derived
// from the adapter's name and the record's key (a record delivered twice
// lands on the same resource).
#pragma once

#include <string>
#include <string_view>

#include "adapters/api/adapter.h"
#include "engine/core/status.h"
#include "engine/json/json_value.h"

namespace fhirengine::ingest {

inline constexpr std::string_view kSourceRecordKindSystem =
    "https://fhir-engine.example.org/fhir/CodeSystem/source-record-kind";
inline constexpr std::string_view kSourceFieldExtension =
    "https://fhir-engine.example.org/fhir/StructureDefinition/source-field";
inline constexpr std::string_view kSourcePayloadExtension =
    "https://fhir-engine.example.org/fhir/StructureDefinition/source-payload";

// "urn:fhir-engine:adapter:<name>": meta.source of everything the adapter
// delivered, and the system of a Basic resource's identifier.
std::string AdapterUri(std::string_view adapter);

// Sets resource.meta.source to AdapterUri(adapter), creating meta when
// absent; the rest of meta (tags, profiles) is kept.
void SetAdapterSource(json::Document& doc, json::Value& resource, std::string_view adapter);

// A resource id for (adapter, key) matching FHIR's [A-Za-z0-9\-\.]{1,64}:
// "<adapter>.<key>" when that is a valid id, otherwise "<adapter>..<32 hex
// digits>" (a 128-bit hash of the key). REQUIRES: `adapter` is a valid
// adapter name (lower-case letters, digits and '-', at most 30 characters).
std::string DerivedResourceId(std::string_view adapter, std::string_view key);

struct MappedRecord {
  enum class Action { kPut, kDelete };
  Action action = Action::kPut;
  std::string type;
  std::string id;
  json::Document resource;  // kPut: the resource, id and meta.source set
};

// Maps one record; kInvalidArgument with a reason for people when the
// record cannot be mapped (no key, bad JSON, mismatched ids).
Result<MappedRecord> MapIdentity(const adapters::SourceRecord& record, std::string_view adapter);

// The record as text, for the quarantine: the payload, or for a CSV row a
// JSON object {"columns": [...], "fields": [...]}.
std::string RecordText(const adapters::SourceRecord& record);

}  // namespace fhirengine::ingest
