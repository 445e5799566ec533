// RegisterCapacityFhir: the Measures, the operation, the history.
#include "engine/capacity/capacity_fhir.h"

#include <utility>
#include <vector>

#include "engine/capacity/regional_measures.h"
#include "engine/core/time_format.h"
#include "engine/json/json_parser.h"
#include "engine/rest/fhir_interaction.h"

namespace fhirengine::capacity {
namespace {

NowFunction OrSystemClock(NowFunction now) {
  if (now) return now;
  return [] { return NowUnixMs(); };
}

}  // namespace

CapacityFhir::CapacityFhir(const CapacityView& view, store::ResourceStore& store,
                           CapacityFhirOptions options)
    : evaluator_(view, store, OrSystemClock(std::move(options.now))),
      history_(evaluator_, view, store, options.history),
      endpoint_(history_) {}

CapacityFhir::~CapacityFhir() { history_.Stop(); }

void CapacityFhir::AddRoutes(rest::PathRouter& router) {
  router.AddExact("/capacity/history", endpoint_);
}

Result<std::unique_ptr<CapacityFhir>> RegisterCapacityFhir(const CapacityView& view,
                                                           store::ResourceStore& store,
                                                           rest::OperationRegistry& operations,
                                                           CapacityFhirOptions options) {
  std::vector<store::WriteOp> batch;
  for (const EmbeddedMeasure& m : RegionalMeasures()) {
    Result<json::Document> doc = json::Parse(m.json);
    if (!doc.ok()) return Internal("embedded Measure " + std::string(m.id) + " does not parse");
    store::WriteOp op = rest::PreparePut(doc->root(), "Measure", std::string(m.id), std::nullopt);
    op.skip_if_unchanged = true;
    batch.push_back(std::move(op));
  }
  Result<std::vector<store::WriteResult>> written = store.Write(std::move(batch));
  if (!written.ok()) return written.status();

  const bool start = options.start_history;
  auto fhir = std::make_unique<CapacityFhir>(view, store, std::move(options));
  const MeasureEvaluator* evaluator = &fhir->evaluator();
  operations.Register({"Measure", true, "evaluate-measure",
                       "http://hl7.org/fhir/OperationDefinition/Measure-evaluate-measure"},
                      [evaluator](const rest::OperationCall& call, rest::OperationDone done) {
                        evaluator->HandleOperation(call, std::move(done));
                      });
  if (start) fhir->history().Start();
  return fhir;
}

}  // namespace fhirengine::capacity
