// JSON lookups and failure descriptions for integration tests.
#include "tests/support/http_assertions.h"

#include <cstdlib>

#include "engine/json/json_parser.h"

namespace fhirengine::testing {

const json::Value* JsonFind(const json::Document& doc, const std::vector<std::string>& path) {
  const json::Value* v = &doc.root();
  for (const std::string& step : path) {
    if (v->IsArray()) {
      char* end = nullptr;
      const unsigned long i = std::strtoul(step.c_str(), &end, 10);
      if (step.empty() || *end != '\0' || i >= v->elements().size()) return nullptr;
      v = &v->elements()[i];
    } else if (v->IsObject()) {
      v = v->Find(step);
      if (v == nullptr) return nullptr;
    } else {
      return nullptr;
    }
  }
  return v;
}

std::string JsonString(const std::string& body, const std::vector<std::string>& path) {
  Result<json::Document> doc = json::Parse(body);
  if (!doc.ok()) return "";
  const json::Value* v = JsonFind(*doc, path);
  return v != nullptr && v->IsString() ? std::string(v->text()) : "";
}

bool JsonHas(const std::string& body, const std::vector<std::string>& path) {
  Result<json::Document> doc = json::Parse(body);
  return doc.ok() && JsonFind(*doc, path) != nullptr;
}

bool IsOperationOutcome(const HttpResponse& r) {
  return JsonString(r.body, {"resourceType"}) == "OperationOutcome";
}

std::string Describe(const HttpResponse& r) {
  return "status " + std::to_string(r.status) + (r.error.empty() ? "" : " (" + r.error + ")") +
         "\n" + r.body.substr(0, 3000);
}

}  // namespace fhirengine::testing
