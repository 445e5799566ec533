// Parsing of the shared HTTP source settings (see http_source_settings.h).
#include "adapters/http_source/http_source_settings.h"

#include <charconv>
#include <filesystem>
#include <fstream>

namespace fhirengine::adapters::http_source {
namespace {

std::string Resolve(const std::string& path, const std::string& config_dir) {
  if (path.empty() || config_dir.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(config_dir) / path).string();
}

// Checks a configured file can be opened for reading.
Status CheckReadable(const std::string& key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(key + ": cannot read '" + path + "'");
  return Status::Ok();
}

}  // namespace

Result<std::string> RequiredString(const json::Value& settings, const char* key) {
  const json::Value* v = settings.Find(key);
  if (v == nullptr || !v->IsString() || v->text().empty()) {
    return InvalidArgument(std::string(key) + ": required (a non-empty string)");
  }
  return std::string(v->text());
}

std::string OptionalString(const json::Value& settings, const char* key, std::string fallback) {
  const json::Value* v = settings.Find(key);
  if (v == nullptr || !v->IsString()) return fallback;
  return std::string(v->text());
}

Result<long long> OptionalInteger(const json::Value& settings, const char* key, long long fallback,
                                  long long min, long long max) {
  const json::Value* v = settings.Find(key);
  if (v == nullptr) return fallback;
  long long value = 0;
  if (!v->IsNumber()) return InvalidArgument(std::string(key) + ": must be an integer");
  const std::string_view text = v->text();
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return InvalidArgument(std::string(key) + ": must be an integer");
  }
  if (value < min || value > max) {
    return InvalidArgument(std::string(key) + ": must be between " + std::to_string(min) + " and " +
                           std::to_string(max));
  }
  return value;
}

Result<bool> OptionalBool(const json::Value& settings, const char* key, bool fallback) {
  const json::Value* v = settings.Find(key);
  if (v == nullptr) return fallback;
  if (!v->IsBool()) return InvalidArgument(std::string(key) + ": must be true or false");
  return v->GetBool();
}

std::string HttpSourceSchemaProperties(bool allow_smart_backend) {
  std::string auth_types = R"("none", "basic", "bearer")";
  if (allow_smart_backend) auth_types += R"(, "smart-backend")";
  return R"(
    "auth": {
      "type": "object",
      "additionalProperties": false,
      "required": ["type"],
      "properties": {
        "type": {"enum": [)" +
         auth_types + R"(]},
        "username": {"type": "string", "minLength": 1},
        "password": {"type": "string"},
        "token": {"type": "string", "minLength": 1},
        "client-id": {"type": "string", "minLength": 1},
        "token-url": {"type": "string", "minLength": 1},
        "private-key-file": {"type": "string", "minLength": 1},
        "key-id": {"type": "string", "minLength": 1},
        "algorithm": {"enum": ["RS384", "ES384"]},
        "scope": {"type": "string", "minLength": 1}
      }
    },
    "tls": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "ca-file": {"type": "string", "minLength": 1},
        "client-cert-file": {"type": "string", "minLength": 1},
        "client-key-file": {"type": "string", "minLength": 1}
      }
    },
    "timeouts": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "connect-ms": {"type": "integer", "minimum": 100, "maximum": 600000},
        "read-ms": {"type": "integer", "minimum": 100, "maximum": 3600000}
      }
    },
    "max-concurrent-requests": {"type": "integer", "minimum": 1, "maximum": 64})";
}

Result<HttpSourceSettings> ParseHttpSourceSettings(const json::Value& settings,
                                                   const std::string& config_dir,
                                                   bool allow_smart_backend) {
  HttpSourceSettings out;
  out.client.user_agent = "fhir-engine";
  if (const json::Value* tls = settings.Find("tls")) {
    if (!tls->IsObject()) return InvalidArgument("tls: must be an object");
    out.client.tls.ca_file = Resolve(OptionalString(*tls, "ca-file"), config_dir);
    out.client.tls.client_cert_file = Resolve(OptionalString(*tls, "client-cert-file"), config_dir);
    out.client.tls.client_key_file = Resolve(OptionalString(*tls, "client-key-file"), config_dir);
    if (!out.client.tls.ca_file.empty()) {
      FE_RETURN_IF_ERROR(CheckReadable("tls.ca-file", out.client.tls.ca_file));
    }
    if (out.client.tls.client_cert_file.empty() != out.client.tls.client_key_file.empty()) {
      return InvalidArgument("tls: client-cert-file and client-key-file go together");
    }
    if (!out.client.tls.client_cert_file.empty()) {
      FE_RETURN_IF_ERROR(CheckReadable("tls.client-cert-file", out.client.tls.client_cert_file));
      FE_RETURN_IF_ERROR(CheckReadable("tls.client-key-file", out.client.tls.client_key_file));
    }
  }
  if (const json::Value* timeouts = settings.Find("timeouts")) {
    if (!timeouts->IsObject()) return InvalidArgument("timeouts: must be an object");
    Result<long long> connect = OptionalInteger(*timeouts, "connect-ms", 10'000, 100, 600'000);
    if (!connect.ok()) return InvalidArgument("timeouts." + connect.status().message());
    Result<long long> read = OptionalInteger(*timeouts, "read-ms", 30'000, 100, 3'600'000);
    if (!read.ok()) return InvalidArgument("timeouts." + read.status().message());
    out.client.connect_timeout = std::chrono::milliseconds(*connect);
    out.client.read_timeout = std::chrono::milliseconds(*read);
  }
  Result<long long> concurrent = OptionalInteger(settings, "max-concurrent-requests", 4, 1, 64);
  if (!concurrent.ok()) return concurrent.status();
  out.client.max_connections_per_origin = static_cast<std::size_t>(*concurrent);

  if (const json::Value* auth = settings.Find("auth")) {
    if (!auth->IsObject()) return InvalidArgument("auth: must be an object");
    const std::string type = OptionalString(*auth, "type");
    AuthSettings& a = out.auth;
    if (type == "none") {
      a.type = AuthType::kNone;
    } else if (type == "basic") {
      a.type = AuthType::kBasic;
      Result<std::string> user = RequiredString(*auth, "username");
      if (!user.ok()) return InvalidArgument("auth." + user.status().message());
      a.username = *user;
      if (a.username.find(':') != std::string::npos) {
        return InvalidArgument("auth.username: must not contain ':' (HTTP Basic)");
      }
      a.password = OptionalString(*auth, "password");
    } else if (type == "bearer") {
      a.type = AuthType::kBearer;
      Result<std::string> token = RequiredString(*auth, "token");
      if (!token.ok()) return InvalidArgument("auth." + token.status().message());
      a.token = *token;
      for (char c : a.token) {
        if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) {
          return InvalidArgument("auth.token: contains a space or control character");
        }
      }
    } else if (type == "smart-backend" && allow_smart_backend) {
      a.type = AuthType::kSmartBackend;
      for (const char* key : {"client-id", "private-key-file"}) {
        Result<std::string> v = RequiredString(*auth, key);
        if (!v.ok()) return InvalidArgument("auth." + v.status().message());
      }
      a.client_id = OptionalString(*auth, "client-id");
      a.private_key_file = Resolve(OptionalString(*auth, "private-key-file"), config_dir);
      FE_RETURN_IF_ERROR(CheckReadable("auth.private-key-file", a.private_key_file));
      a.token_url = OptionalString(*auth, "token-url");
      a.key_id = OptionalString(*auth, "key-id");
      a.algorithm = OptionalString(*auth, "algorithm", "RS384");
      if (a.algorithm != "RS384" && a.algorithm != "ES384") {
        return InvalidArgument("auth.algorithm: must be RS384 or ES384");
      }
      a.scope = OptionalString(*auth, "scope");
    } else {
      return InvalidArgument("auth.type: '" + type + "' is not one of none, basic, bearer" +
                             (allow_smart_backend ? ", smart-backend" : ""));
    }
  }
  return out;
}

}  // namespace fhirengine::adapters::http_source
