// Wiring of the capacity picture's FHIR side into the server: the regional
// Measures into the store, $evaluate-measure into the FHIR API's operations,
// the history snapshots and GET /capacity/history. One call from serve.
#pragma once

#include <memory>

#include "engine/capacity/capacity_history.h"
#include "engine/capacity/capacity_model.h"
#include "engine/capacity/measure_evaluation.h"
#include "engine/core/status.h"
#include "engine/rest/operation_registry.h"
#include "engine/rest/path_router.h"
#include "engine/store/resource_store.h"

namespace fhirengine::capacity {

struct CapacityFhirOptions {
  HistoryOptions history;
  NowFunction now;            // empty: the system clock
  bool start_history = true;  // run the snapshot thread
};

// Owns the evaluator, the history and its endpoint; must outlive the server.
class CapacityFhir {
 public:
  CapacityFhir(const CapacityView& view, store::ResourceStore& store, CapacityFhirOptions options);
  ~CapacityFhir();

  // Adds GET /capacity/history.
  void AddRoutes(rest::PathRouter& router);

  const MeasureEvaluator& evaluator() const { return evaluator_; }
  CapacityHistory& history() { return history_; }

 private:
  MeasureEvaluator evaluator_;
  CapacityHistory history_;
  CapacityHistoryEndpoint endpoint_;
};

// Stores the regional Measures (GET /fhir/Measure/{id}; unchanged ones keep
// their version), registers $evaluate-measure (instance level on Measure) in
// `operations` and starts the history. Call before the FhirApi is built
// with FhirApiOptions::operations = &operations, then AddRoutes on the
// router. kIoError etc. when the Measures cannot be stored.
//
//   rest::OperationRegistry operations;
//   auto capacity_fhir = capacity::RegisterCapacityFhir(rollup, *store, operations, {});
//   api_options.operations = &operations;  ... router->...; (*capacity_fhir)->AddRoutes(*router);
Result<std::unique_ptr<CapacityFhir>> RegisterCapacityFhir(const CapacityView& view,
                                                           store::ResourceStore& store,
                                                           rest::OperationRegistry& operations,
                                                           CapacityFhirOptions options);

}  // namespace fhirengine::capacity
