// A FHIR server seen from a test (see fhir_peer.h).
#include "tests/support/fhir_peer.h"

#include <gtest/gtest.h>

#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"

namespace fhirengine::testing {

FhirPeer::FhirPeer(std::string base, std::string ca_file) : base_(std::move(base)) {
  net::HttpClientOptions options;
  options.tls.ca_file = std::move(ca_file);
  options.read_timeout = std::chrono::seconds(120);  // sanitizer builds answer slowly
  Result<std::unique_ptr<net::HttpClient>> client = net::HttpClient::Create(options);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  if (client.ok()) client_ = std::move(client).value();
}

net::HttpResponse FhirPeer::Send(const std::string& method, const std::string& path,
                                 const std::string& body) {
  net::HttpRequest r;
  r.method = method;
  r.url = base_ + path;
  r.headers = {{"Accept", "application/fhir+json"}, {"Content-Type", "application/fhir+json"}};
  if (!token_.empty()) r.headers.emplace_back("Authorization", "Bearer " + token_);
  r.body = body;
  Result<net::HttpResponse> response = client_->Send(r);
  EXPECT_TRUE(response.ok()) << response.status().ToString();
  return response.ok() ? std::move(response).value() : net::HttpResponse{};
}

net::HttpResponse FhirPeer::SendRaw(const net::HttpRequest& request) {
  Result<net::HttpResponse> response = client_->Send(request);
  return response.ok() ? std::move(response).value() : net::HttpResponse{};
}

void FhirPeer::Load(const std::vector<std::string>& resources) {
  for (std::size_t start = 0; start < resources.size(); start += 500) {
    std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
    for (std::size_t i = start; i < resources.size() && i < start + 500; ++i) {
      Result<json::Document> doc = json::Parse(resources[i]);
      ASSERT_TRUE(doc.ok()) << doc.status().ToString();
      const std::string type(doc->root().Find("resourceType")->text());
      const std::string id(doc->root().Find("id")->text());
      if (i > start) bundle += ',';
      bundle += R"({"resource":)" + resources[i] + R"(,"request":{"method":"PUT","url":")" + type +
                "/" + id + R"("}})";
    }
    bundle += "]}";
    net::HttpResponse r = Send("POST", "", bundle);
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 500);
  }
}

std::size_t FhirPeer::Total(const std::string& type) {
  net::HttpResponse r = Send("GET", "/" + type + "?_summary=count");
  Result<json::Document> doc = json::Parse(r.body);
  if (!doc.ok()) return 0;
  const json::Value* total = doc->root().Find("total");
  return total != nullptr && total->IsNumber() ? std::stoul(std::string(total->text())) : 0;
}

std::map<std::string, FhirPeer::Copy> FhirPeer::All(const std::string& type) {
  std::map<std::string, Copy> out;
  for (int offset = 0;; offset += 1000) {
    net::HttpResponse r =
        Send("GET", "/" + type + "?_count=1000&_offset=" + std::to_string(offset));
    EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
    Result<json::Document> doc = json::Parse(r.body);
    if (!doc.ok()) break;
    json::Value* entries = doc->root().Find("entry");
    if (entries == nullptr || entries->size() == 0) break;
    for (json::Value& e : entries->elements()) {
      json::Value* resource = e.Find("resource");
      Copy copy;
      if (const json::Value* meta = resource->Find("meta")) {
        if (const json::Value* version = meta->Find("versionId")) {
          copy.version_id = std::string(version->text());
        }
      }
      doc->RemoveMember(*resource, "meta");
      copy.content = json::Write(*resource);
      out[std::string(resource->Find("id")->text())] = std::move(copy);
    }
  }
  return out;
}

std::string BedLocationJson(int i, const std::string& name) {
  return R"({"resourceType":"Location","id":"loc-)" + std::to_string(i) +
         R"(","status":"active","name":")" + (name.empty() ? "Bed " + std::to_string(i) : name) +
         R"(","physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"bd"}]}})";
}

std::string InpatientEncounterJson(int i) {
  return R"({"resourceType":"Encounter","id":"enc-)" + std::to_string(i) +
         R"(","status":"in-progress","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},)"
         R"("location":[{"location":{"reference":"Location/loc-)" +
         std::to_string(i) + R"("}}]})";
}

}  // namespace fhirengine::testing
