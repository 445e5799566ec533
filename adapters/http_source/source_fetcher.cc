// Authorised GETs against a pulled source (see source_fetcher.h).
#include "adapters/http_source/source_fetcher.h"

#include <utility>

#include "adapters/http_source/response_outcome.h"
#include "engine/core/check.h"
#include "engine/core/time_format.h"

namespace fhirengine::adapters::http_source {
namespace {

class StaticAuthorizer : public RequestAuthorizer {
 public:
  explicit StaticAuthorizer(std::string header) : header_(std::move(header)) {}
  Result<std::string> Authorization() override { return header_; }

 private:
  const std::string header_;
};

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto byte = [&bytes](std::size_t k) {
      return static_cast<unsigned>(static_cast<unsigned char>(bytes[k]));
    };
    const unsigned n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    unsigned n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size())
      n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::unique_ptr<RequestAuthorizer> MakeStaticAuthorizer(const AuthSettings& auth) {
  FE_CHECK(auth.type != AuthType::kSmartBackend);
  switch (auth.type) {
    case AuthType::kBasic:
      return std::make_unique<StaticAuthorizer>("Basic " +
                                                Base64Encode(auth.username + ":" + auth.password));
    case AuthType::kBearer:
      return std::make_unique<StaticAuthorizer>("Bearer " + auth.token);
    default:
      return std::make_unique<StaticAuthorizer>(std::string());
  }
}

SourceFetcher::SourceFetcher(std::shared_ptr<net::HttpClient> client,
                             std::shared_ptr<RequestAuthorizer> authorizer)
    : client_(std::move(client)), authorizer_(std::move(authorizer)) {
  FE_CHECK(client_ != nullptr);
  FE_CHECK(authorizer_ != nullptr);
}

FetchResult SourceFetcher::Get(const SourceUrl& url, std::string_view accept) const {
  const std::string what = "GET " + url.ToString();
  FetchResult out;
  for (int attempt = 0; attempt < 2; ++attempt) {
    net::HttpRequest request;
    request.method = "GET";
    request.url = url.ToString();
    request.headers.emplace_back("Accept", std::string(accept));
    Result<std::string> authorization = authorizer_->Authorization();
    if (!authorization.ok()) {
      out.status =
          Status(authorization.status().code(),
                 "obtaining credentials for " + what + ": " + authorization.status().message());
      return out;
    }
    if (!authorization->empty()) request.headers.emplace_back("Authorization", *authorization);
    Result<net::HttpResponse> response = client_->Send(request);
    if (!response.ok()) {
      // The client's message may already start with the URL it failed on.
      std::string_view detail = response.status().message();
      const std::string path_url = url.ToString().substr(0, url.ToString().find('?'));
      if (detail.starts_with(path_url + ": ")) detail.remove_prefix(path_url.size() + 2);
      out.status = Status(response.status().code(), what + ": " + std::string(detail));
      return out;
    }
    out.response = std::move(response).value();
    if (out.response.status == 401 && attempt == 0 && authorizer_->InvalidateAfterUnauthorized()) {
      continue;
    }
    break;
  }
  ResponseOutcome outcome = ClassifyResponse(out.response, what, NowUnixMs());
  out.status = std::move(outcome.status);
  out.retry_after = outcome.retry_after;
  return out;
}

void SourceFetcher::Cancel() const { client_->Cancel(); }

}  // namespace fhirengine::adapters::http_source
