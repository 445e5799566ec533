// SMART Backend Services authorizer for pulled sources (see smart_backend_authorizer.h).
#include "adapters/http_source/smart_backend_authorizer.h"

#include <mutex>
#include <utility>

#include "adapters/http_source/response_outcome.h"
#include "engine/auth/smart_backend_client.h"
#include "engine/core/check.h"
#include "engine/core/time_format.h"
#include "engine/json/json_parser.h"

namespace fhirengine::adapters::http_source {
namespace {

Result<auth::SmartBackendClientOptions> ClientOptions(const AuthSettings& a) {
  auth::SmartBackendClientOptions o;
  o.token_url = a.token_url;
  o.client_id = a.client_id;
  o.private_key_file = a.private_key_file;
  o.key_id = a.key_id;
  Result<auth::JwsAlgorithm> alg = auth::ParseJwsAlgorithm(a.algorithm);
  if (!alg.ok()) return InvalidArgument("auth.algorithm: " + alg.status().message());
  o.algorithm = *alg;
  o.scope = a.scope;
  return o;
}

class SmartBackendAuthorizer : public RequestAuthorizer {
 public:
  SmartBackendAuthorizer(AuthSettings auth, SourceUrl fhir_base,
                         std::shared_ptr<net::HttpClient> client)
      : auth_(std::move(auth)), base_(std::move(fhir_base)), client_(std::move(client)) {}

  Status Init() {
    std::lock_guard<std::mutex> lock(mutex_);
    return CreateLocked();
  }

  Result<std::string> Authorization() override {
    auth::SmartBackendClient* token_client = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (token_client_ == nullptr) {
        if (auth_.token_url.empty()) {
          Result<std::string> discovered = Discover();
          if (!discovered.ok()) return discovered.status();
          auth_.token_url = *discovered;
        }
        FE_RETURN_IF_ERROR(CreateLocked());
      }
      token_client = token_client_.get();
    }
    return token_client->AuthorizationHeader();
  }

  bool InvalidateAfterUnauthorized() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (token_client_ == nullptr) return false;
    token_client_->Invalidate();
    return true;
  }

 private:
  Status CreateLocked() {
    Result<auth::SmartBackendClientOptions> options = ClientOptions(auth_);
    if (!options.ok()) return options.status();
    std::shared_ptr<net::HttpClient> client = client_;
    Result<std::unique_ptr<auth::SmartBackendClient>> created = auth::SmartBackendClient::Create(
        std::move(options).value(),
        [client](const net::HttpRequest& request) { return client->Send(request); });
    if (!created.ok()) {
      return Status(created.status().code(), "auth (smart-backend): " + created.status().message());
    }
    token_client_ = std::move(created).value();
    return Status::Ok();
  }

  // GET {base}/.well-known/smart-configuration, then the origin's root.
  Result<std::string> Discover() {
    std::string last_error;
    for (const std::string& target : {base_.target + "/.well-known/smart-configuration",
                                      std::string("/.well-known/smart-configuration")}) {
      SourceUrl url = base_;
      url.target = target;
      net::HttpRequest request;
      request.url = url.ToString();
      request.headers.emplace_back("Accept", "application/json");
      Result<net::HttpResponse> response = client_->Send(request);
      if (!response.ok()) {
        return Status(response.status().code(),
                      "SMART discovery: GET " + request.url + ": " + response.status().message());
      }
      if (response->status == 404) {
        last_error = "GET " + request.url + ": HTTP 404";
        continue;
      }
      ResponseOutcome outcome =
          ClassifyResponse(*response, "SMART discovery: GET " + request.url, NowUnixMs());
      if (!outcome.status.ok()) return outcome.status;
      return TokenEndpointFromSmartConfiguration(response->body, base_);
    }
    return Status(
        StatusCode::kFailedPrecondition,
        "SMART discovery found no smart-configuration (" + last_error + "); set auth.token-url");
  }

  std::mutex mutex_;
  AuthSettings auth_;
  const SourceUrl base_;
  const std::shared_ptr<net::HttpClient> client_;
  std::unique_ptr<auth::SmartBackendClient> token_client_;
};

}  // namespace

Result<std::string> TokenEndpointFromSmartConfiguration(std::string_view body,
                                                        const SourceUrl& fhir_base) {
  Result<json::Document> doc = json::Parse(body);
  if (!doc.ok()) {
    return InvalidArgument("SMART discovery: smart-configuration is not JSON: " +
                           doc.status().message());
  }
  const json::Value* endpoint = doc->root().Find("token_endpoint");
  if (endpoint == nullptr || !endpoint->IsString()) {
    return InvalidArgument("SMART discovery: smart-configuration has no token_endpoint");
  }
  Result<SourceUrl> url = ParseSourceUrl(endpoint->text());
  if (!url.ok()) {
    return InvalidArgument("SMART discovery: token_endpoint: " + url.status().message());
  }
  if (url->scheme != "https" && url->Origin() != fhir_base.Origin()) {
    return InvalidArgument("SMART discovery: token_endpoint " + url->Origin() +
                           " is neither https nor on the FHIR server's origin; refusing to send "
                           "a client assertion there");
  }
  return url->ToString();
}

Result<std::shared_ptr<RequestAuthorizer>> MakeSmartBackendAuthorizer(
    const AuthSettings& auth, const SourceUrl& fhir_base, std::shared_ptr<net::HttpClient> client) {
  FE_CHECK(auth.type == AuthType::kSmartBackend);
  if (!auth.token_url.empty()) {
    Result<SourceUrl> url = ParseSourceUrl(auth.token_url);
    if (!url.ok()) return InvalidArgument("auth.token-url: " + url.status().message());
  }
  auto authorizer = std::make_shared<SmartBackendAuthorizer>(auth, fhir_base, std::move(client));
  if (!auth.token_url.empty()) FE_RETURN_IF_ERROR(authorizer->Init());
  return std::shared_ptr<RequestAuthorizer>(std::move(authorizer));
}

Result<std::shared_ptr<RequestAuthorizer>> MakeAuthorizer(const AuthSettings& auth,
                                                          const SourceUrl& fhir_base,
                                                          std::shared_ptr<net::HttpClient> client) {
  if (auth.type == AuthType::kSmartBackend) {
    return MakeSmartBackendAuthorizer(auth, fhir_base, std::move(client));
  }
  return std::shared_ptr<RequestAuthorizer>(MakeStaticAuthorizer(auth));
}

}  // namespace fhirengine::adapters::http_source
