// FHIR operations ($name) that other parts of the engine plug into the FHIR
// API: a handler registered for (resource type, instance or type level,
// name) answers GET [type]/$name and GET [type]/[id]/$name with a resource,
// and the CapabilityStatement declares it.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/json/json_value.h"
#include "engine/rest/access_policy.h"
#include "engine/rest/route.h"

namespace fhirengine::rest {

struct OperationDeclaration {
  std::string type;        // resource type: "Measure"
  bool instance = false;   // [type]/[id]/$name (else [type]/$name)
  std::string name;        // without '$': "evaluate-measure"
  std::string definition;  // the OperationDefinition's canonical
};

// One invocation, as the handler sees it.
struct OperationCall {
  std::string type;
  std::string id;  // instance level only
  std::string name;
  std::vector<QueryParam> params;  // the URL's, without _format and _pretty
  // A HEAD request: answer as for GET, but change nothing.
  bool head = false;
  // Whether the caller's token allows `right` on `type` (always true with
  // auth off): an operation that writes besides answering checks it.
  std::function<bool(const std::string& type, AccessRight right)> allows;
};

// Answers an operation: calls `done` exactly once, from any thread, with the
// resource to return (200) or a Status (kInvalidArgument 400, kNotFound 404,
// others as HttpStatusFor), which the API turns into an OperationOutcome.
using OperationDone = std::function<void(Result<json::Document>)>;
using OperationHandler = std::function<void(const OperationCall& call, OperationDone done)>;

// Filled before the FhirApi is constructed; read-only (and thread-safe)
// afterwards. Handlers must be thread-safe.
class OperationRegistry {
 public:
  // A second registration of the same (type, instance, name) replaces the first.
  void Register(OperationDeclaration declaration, OperationHandler handler);

  // The handler for the decoded segments after /fhir ({"Measure", "x",
  // "$evaluate-measure"}), or nullptr when none is registered; `call` gets
  // type, id and name.
  const OperationHandler* Match(std::span<const std::string> segments, OperationCall& call) const;

  std::vector<OperationDeclaration> declarations() const;

 private:
  struct Entry {
    OperationDeclaration declaration;
    OperationHandler handler;
  };
  std::vector<Entry> entries_;
};

}  // namespace fhirengine::rest
