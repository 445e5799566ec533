// A record through the mapping and the validators (see mapped_record.h).
#include "engine/ingest/mapped_record.h"

#include <utility>

#include "engine/ingest/identity_mapping.h"
#include "engine/json/json_writer.h"
#include "engine/rest/fhir_interaction.h"

namespace fhirengine::ingest {

bool ValidationMemo::Find(const std::string& json, std::vector<validation::Issue>& findings) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(json);
  if (it == entries_.end()) return false;
  findings = it->second;
  ++hits_;
  return true;
}

void ValidationMemo::Insert(std::string json, std::vector<validation::Issue> findings) {
  if (json.size() > kMaxResourceBytes) return;
  std::lock_guard lock(mutex_);
  auto [it, inserted] = entries_.try_emplace(std::move(json), std::move(findings));
  if (!inserted) return;
  order_.push_back(&it->first);
  if (order_.size() > kMaxEntries) {
    entries_.erase(*order_.front());
    order_.pop_front();
  }
}

std::size_t ValidationMemo::hits() const {
  std::lock_guard lock(mutex_);
  return hits_;
}

Result<MappedOutputs> MapAndValidate(const mapping::Mapping& mapping,
                                     const ProfileConformance& conformance,
                                     std::string_view adapter, const adapters::SourceRecord& record,
                                     ValidationMemo* memo) {
  FE_CHECK(record.format != adapters::RecordFormat::kFhirDelete);
  std::vector<std::string> mapping_warnings;
  Result<std::vector<mapping::MappedResource>> mapped = mapping.Apply(record, &mapping_warnings);
  if (!mapped.ok()) return mapped.status();
  MappedOutputs out;
  out.resources = std::move(mapped).value();
  // The mapping's own warnings (a ConceptMap's "keep" of an unmapped code)
  // count with the validators'; "mapping" is their path in logs and metrics.
  for (std::string& warning : mapping_warnings) {
    out.findings.push_back(validation::Issue{validation::Severity::kWarning,
                                             validation::IssueType::kCodeInvalid, "mapping",
                                             std::move(warning)});
  }
  for (mapping::MappedResource& r : out.resources) {
    SetAdapterSource(r.resource, r.resource.root(), adapter);
    std::vector<validation::Issue> findings;
    std::string text;
    if (memo != nullptr) text = json::Write(r.resource.root());
    if (memo == nullptr || !memo->Find(text, findings)) {
      Result<std::vector<validation::Issue>> structural = rest::ValidateResource(r.resource.root());
      if (!structural.ok()) {
        return Internal("validation could not run: " + structural.status().message());
      }
      findings = std::move(structural).value();
      std::vector<validation::Issue> profile = conformance.Check(r.resource.root());
      findings.insert(findings.end(), std::make_move_iterator(profile.begin()),
                      std::make_move_iterator(profile.end()));
      if (memo != nullptr) memo->Insert(std::move(text), findings);
    }
    for (validation::Issue& issue : findings) {
      issue.message = r.type + "/" + r.id + ": " + issue.message;
      out.findings.push_back(std::move(issue));
    }
  }
  out.errors = CountErrors(out.findings);
  return out;
}

}  // namespace fhirengine::ingest
