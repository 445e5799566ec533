// Form parsing and JSON answers of the token and discovery endpoints.
#include "engine/auth/token_endpoint.h"

#include <cctype>
#include <set>
#include <vector>

#include "engine/core/log.h"

namespace fhirengine::auth {
namespace {

constexpr std::size_t kMaxFormBytes = 64 * 1024;

rest::RestResponse Json(int status, std::string body) {
  rest::RestResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  r.AddHeader("Cache-Control", "no-store");
  r.AddHeader("Pragma", "no-cache");
  return r;
}

rest::RestResponse ErrorJson(int status, std::string_view error, std::string_view description) {
  std::string body = "{\"error\":";
  log::AppendJsonString(body, error);
  body += ",\"error_description\":";
  log::AppendJsonString(body, description);
  body += '}';
  return Json(status, std::move(body));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded: '+' is a space, %XX a byte.
Result<std::string> FormDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%') {
      const int hi = i + 1 < in.size() ? HexValue(in[i + 1]) : -1;
      const int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) return InvalidArgument("bad %-escape in the form body");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

bool IsFormContentType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  std::string lower(media);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "application/x-www-form-urlencoded";
}

}  // namespace

std::string TokenUrlForBase(std::string_view base) {
  while (base.ends_with('/')) base.remove_suffix(1);
  if (base.ends_with("/fhir")) {
    return std::string(base.substr(0, base.size() - 5)) + "/auth/token";
  }
  const std::size_t scheme = base.find("://");
  const std::size_t path =
      scheme == std::string_view::npos ? std::string_view::npos : base.find('/', scheme + 3);
  return std::string(base.substr(0, path)) + "/auth/token";
}

rest::RestResponse TokenEndpoint::Answer(const rest::RestRequest& request) {
  if (request.method != "POST") {
    rest::RestResponse r = ErrorJson(405, "invalid_request", "the token endpoint takes POST");
    r.AddHeader("Allow", "POST");
    return r;
  }
  if (!IsFormContentType(request.content_type)) {
    return ErrorJson(400, "invalid_request",
                     "send the token request as application/x-www-form-urlencoded");
  }
  if (request.body.size() > kMaxFormBytes) {
    return ErrorJson(400, "invalid_request", "the token request is too large");
  }
  TokenRequest req;
  std::set<std::string, std::less<>> seen;
  std::string_view body = request.body;
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    Result<std::string> name = FormDecode(pair.substr(0, eq));
    Result<std::string> value =
        FormDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name.ok() || !value.ok()) {
      return ErrorJson(400, "invalid_request", "the form body has a bad %-escape");
    }
    // RFC 6749 3.2: parameters must not be repeated.
    if (!seen.insert(*name).second) {
      return ErrorJson(400, "invalid_request", "parameter " + name->substr(0, 64) + " is repeated");
    }
    if (*name == "grant_type") req.grant_type = std::move(value).value();
    if (*name == "client_assertion_type") req.client_assertion_type = std::move(value).value();
    if (*name == "client_assertion") req.client_assertion = std::move(value).value();
    if (*name == "scope") req.scope = std::move(value).value();
    if (*name == "client_id") req.client_id = std::move(value).value();
  }
  auto outcome = service_.Exchange(req);
  if (const TokenError* e = std::get_if<TokenError>(&outcome)) {
    log::Write(log::Level::kWarning, "token request refused",
               {{"client_id", e->client_id},
                {"error", e->error},
                {"description", e->description},
                {"remote", request.remote_address}});
    return ErrorJson(e->http_status, e->error, e->description);
  }
  const IssuedToken& t = std::get<IssuedToken>(outcome);
  log::Write(log::Level::kInfo, "token issued",
             {{"client_id", t.client_id},
              {"scope", t.scope},
              {"expires_in", t.expires_in},
              {"remote", request.remote_address}});
  std::string json = "{\"access_token\":";
  log::AppendJsonString(json, t.access_token);
  json +=
      ",\"token_type\":\"bearer\",\"expires_in\":" + std::to_string(t.expires_in) + ",\"scope\":";
  log::AppendJsonString(json, t.scope);
  json += '}';
  return Json(200, std::move(json));
}

void TokenEndpoint::Handle(rest::RestRequest request, rest::Responder responder) {
  responder.reply(Answer(request));
}

rest::RestResponse TokenEndpoint::ProtocolError(int status, std::string_view message) const {
  return ErrorJson(status, "invalid_request", message);
}

SmartConfigurationEndpoint::SmartConfigurationEndpoint(const TokenService& service) {
  std::set<std::string> scopes;
  for (const RegisteredClient& c : service.clients()) {
    const std::string text = c.scope.ToString();
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t end = text.find(' ', pos);
      if (end == std::string::npos) end = text.size();
      scopes.insert(text.substr(pos, end - pos));
      pos = end + 1;
    }
  }
  std::string& d = document_;
  d = "{\"token_endpoint\":";
  log::AppendJsonString(d, service.options().token_url);
  d += ",\"token_endpoint_auth_methods_supported\":[\"private_key_jwt\"]"
       ",\"token_endpoint_auth_signing_alg_values_supported\":[\"RS384\",\"ES384\"]"
       ",\"grant_types_supported\":[\"client_credentials\"],\"scopes_supported\":[";
  bool first = true;
  for (const std::string& s : scopes) {
    if (!first) d += ',';
    first = false;
    log::AppendJsonString(d, s);
  }
  d += "],\"capabilities\":[\"client-confidential-asymmetric\"]}";
}

void SmartConfigurationEndpoint::Handle(rest::RestRequest request, rest::Responder responder) {
  if (request.method != "GET" && request.method != "HEAD") {
    rest::RestResponse r = ErrorJson(405, "invalid_request", "use GET");
    r.AddHeader("Allow", "GET, HEAD");
    return responder.reply(std::move(r));
  }
  rest::RestResponse r;
  r.content_type = "application/json";
  r.body = document_;
  return responder.reply(std::move(r));
}

rest::RestResponse SmartConfigurationEndpoint::ProtocolError(int status,
                                                             std::string_view message) const {
  return ErrorJson(status, "invalid_request", message);
}

}  // namespace fhirengine::auth
