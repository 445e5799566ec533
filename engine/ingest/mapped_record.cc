// A record through the mapping and the validators (see mapped_record.h).
#include "engine/ingest/mapped_record.h"

#include <utility>

#include "engine/ingest/identity_mapping.h"
#include "engine/rest/fhir_interaction.h"

namespace fhirengine::ingest {

Result<MappedOutputs> MapAndValidate(const mapping::Mapping& mapping,
                                     const ProfileConformance& conformance,
                                     std::string_view adapter,
                                     const adapters::SourceRecord& record) {
  FE_CHECK(record.format != adapters::RecordFormat::kFhirDelete);
  Result<std::vector<mapping::MappedResource>> mapped = mapping.Apply(record);
  if (!mapped.ok()) return mapped.status();
  MappedOutputs out;
  out.resources = std::move(mapped).value();
  for (mapping::MappedResource& r : out.resources) {
    SetAdapterSource(r.resource, r.resource.root(), adapter);
    Result<std::vector<validation::Issue>> structural = rest::ValidateResource(r.resource.root());
    if (!structural.ok()) {
      return Internal("validation could not run: " + structural.status().message());
    }
    std::vector<validation::Issue> profile = conformance.Check(r.resource.root());
    for (std::vector<validation::Issue>* list : {&*structural, &profile}) {
      for (validation::Issue& issue : *list) {
        issue.message = r.type + "/" + r.id + ": " + issue.message;
        out.findings.push_back(std::move(issue));
      }
    }
  }
  out.errors = CountErrors(out.findings);
  return out;
}

}  // namespace fhirengine::ingest
