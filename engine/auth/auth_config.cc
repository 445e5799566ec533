// Parsing and checking of the "auth" configuration section.
#include "engine/auth/auth_config.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "engine/json/json_writer.h"

namespace fhirengine::auth {
namespace {

constexpr std::size_t kMaxJwksFileBytes = 1u << 20;
constexpr std::size_t kMaxClients = 1000;

Status Error(std::string_view path, const std::string& message) {
  return InvalidArgument(std::string(path) + ": " + message);
}

Status CheckKeys(std::string_view path, const json::Value& v,
                 std::initializer_list<std::string_view> known) {
  if (!v.IsObject()) return Error(path, "expected an object");
  for (const json::Member& m : v.members()) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == m.key;
    if (!ok) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return Error(std::string(path) + "." + std::string(m.key),
                   "unknown key (known here: " + list + ")");
    }
  }
  return Status::Ok();
}

Result<std::string> NonEmptyString(const std::string& path, const json::Value& v) {
  if (!v.IsString() || v.text().empty()) return Error(path, "expected a non-empty string");
  return std::string(v.text());
}

Result<std::string> ReadSmallFile(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return IoError("cannot read " + file);
  std::string text;
  char buffer[8192];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxJwksFileBytes) return InvalidArgument(file + " is larger than 1 MiB");
  }
  return text;
}

Result<RegisteredClient> ParseClient(const std::string& path, const json::Value& v) {
  FE_RETURN_IF_ERROR(CheckKeys(path, v, {"client-id", "jwks", "jwks-file", "scope"}));
  RegisteredClient client;
  const json::Value* id = v.Find("client-id");
  if (id == nullptr) return Error(path, "\"client-id\" is required");
  Result<std::string> id_text = NonEmptyString(path + ".client-id", *id);
  if (!id_text.ok()) return id_text.status();
  client.client_id = std::move(id_text).value();
  const json::Value* jwks = v.Find("jwks");
  const json::Value* jwks_file = v.Find("jwks-file");
  if ((jwks == nullptr) == (jwks_file == nullptr)) {
    return Error(path, "give the client's public keys as exactly one of \"jwks\" or \"jwks-file\"");
  }
  if (jwks != nullptr) {
    Result<JwkSet> keys = ParseJwks(*jwks);
    if (!keys.ok()) return Error(path + ".jwks", keys.status().message());
    client.keys = std::move(keys).value();
  } else {
    Result<std::string> file = NonEmptyString(path + ".jwks-file", *jwks_file);
    if (!file.ok()) return file.status();
    Result<std::string> text = ReadSmallFile(*file);
    if (!text.ok()) {
      return Status(text.status().code(), path + ".jwks-file: " + text.status().message());
    }
    Result<JwkSet> keys = ParseJwksText(*text);
    if (!keys.ok()) return Error(path + ".jwks-file", *file + ": " + keys.status().message());
    client.keys = std::move(keys).value();
  }
  const json::Value* scope = v.Find("scope");
  if (scope == nullptr)
    return Error(path, "\"scope\" (what the client may be granted) is required");
  Result<std::string> scope_text = NonEmptyString(path + ".scope", *scope);
  if (!scope_text.ok()) return scope_text.status();
  Result<ScopeSet> scopes = ScopeSet::Parse(*scope_text);
  if (!scopes.ok()) return Error(path + ".scope", scopes.status().message());
  if (scopes->empty()) return Error(path + ".scope", "grants nothing");
  client.scope = std::move(scopes).value();
  return client;
}

}  // namespace

Result<AuthConfig> ParseAuthConfig(const json::Value& value, std::string_view where) {
  const std::string base(where);
  FE_RETURN_IF_ERROR(CheckKeys(base, value, {"mode", "token-lifetime-s", "clients"}));
  AuthConfig config;
  if (const json::Value* mode = value.Find("mode")) {
    Result<std::string> text = NonEmptyString(base + ".mode", *mode);
    if (!text.ok()) return text.status();
    if (*text == "smart") {
      config.mode = AuthMode::kSmart;
    } else if (*text == "off") {
      config.mode = AuthMode::kOff;
    } else {
      return Error(base + ".mode", "expected \"smart\" or \"off\", found \"" + *text + "\"");
    }
  } else {
    return Error(base, "\"mode\" is required (\"smart\" or \"off\")");
  }
  if (const json::Value* lifetime = value.Find("token-lifetime-s")) {
    std::int64_t n = 0;
    const std::string_view text = lifetime->IsNumber() ? lifetime->text() : std::string_view();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < 1 ||
        n > 3600) {
      return Error(base + ".token-lifetime-s",
                   "expected an integer from 1 to 3600, found " + json::Write(*lifetime));
    }
    config.token_lifetime = std::chrono::seconds(n);
  }
  if (const json::Value* clients = value.Find("clients")) {
    if (!clients->IsArray()) return Error(base + ".clients", "expected an array");
    if (clients->size() > kMaxClients) return Error(base + ".clients", "at most 1000 clients");
    std::size_t i = 0;
    for (const json::Value& c : clients->elements()) {
      const std::string path = base + ".clients[" + std::to_string(i++) + "]";
      Result<RegisteredClient> client = ParseClient(path, c);
      if (!client.ok()) return client.status();
      for (const RegisteredClient& seen : config.clients) {
        if (seen.client_id == client->client_id) {
          return Error(path + ".client-id", "\"" + seen.client_id + "\" is registered twice");
        }
      }
      config.clients.push_back(std::move(client).value());
    }
  }
  if (config.mode == AuthMode::kSmart && config.clients.empty()) {
    return Error(base + ".clients", "mode \"smart\" needs at least one registered client");
  }
  return config;
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  if (!host.starts_with("127.")) return false;
  int parts = 0;
  std::size_t pos = 0;
  while (pos <= host.size()) {
    std::size_t end = host.find('.', pos);
    if (end == std::string_view::npos) end = host.size();
    unsigned n = 0;
    auto [p, ec] = std::from_chars(host.data() + pos, host.data() + end, n);
    if (ec != std::errc() || p != host.data() + end || n > 255) return false;
    ++parts;
    pos = end + 1;
  }
  return parts == 4;
}

Status CheckAuthModeForHost(const AuthConfig& config, std::string_view host) {
  if (config.mode == AuthMode::kOff && !IsLoopbackHost(host)) {
    return InvalidArgument("auth.mode off is for the local demo only: the server listens on " +
                           std::string(host) +
                           "; set \"auth\": {\"mode\": \"smart\", ...} (see docs/security.md) "
                           "or listen on 127.0.0.1");
  }
  return Status::Ok();
}

}  // namespace fhirengine::auth
