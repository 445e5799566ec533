// A FHIR server seen from a test: requests through engine/net's client
// (https with a test CA, a bearer token), transaction loading, counts, and
// every resource of a type with its version and its content without meta,
// so two engines' data can be compared resource by resource.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/net/http_client.h"

namespace fhirengine::testing {

class FhirPeer {
 public:
  // `base`: the FHIR base URL ("https://127.0.0.1:PORT/fhir").
  explicit FhirPeer(std::string base, std::string ca_file = "");
  void set_token(std::string token) { token_ = std::move(token); }

  // `path` is appended to the base ("/Location/1"); adds a gtest failure
  // when the request fails below HTTP (and returns status 0).
  net::HttpResponse Send(const std::string& method, const std::string& path,
                         const std::string& body = "");
  // A request to any URL, without the token; status 0 when it failed.
  net::HttpResponse SendRaw(const net::HttpRequest& request);
  // PUTs `resources` (JSON texts with resourceType and id) in transactions
  // of 500; a gtest failure for any answer but 200.
  void Load(const std::vector<std::string>& resources);
  // _summary=count of `type`; 0 when the answer has no total.
  std::size_t Total(const std::string& type);

  struct Copy {
    std::string version_id;
    std::string content;  // the resource as JSON text without meta
  };
  // Every current resource of `type`, by id (pages of 1000).
  std::map<std::string, Copy> All(const std::string& type);

 private:
  std::string base_;
  std::string token_;
  std::unique_ptr<net::HttpClient> client_;
};

// Synthetic resources (no personal data): a bed Location and an Encounter
// in that bed.
std::string BedLocationJson(int i, const std::string& name = "");
std::string InpatientEncounterJson(int i);

}  // namespace fhirengine::testing
