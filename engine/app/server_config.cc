// The serve configuration loader.
#include "engine/app/server_config.h"

#include <charconv>
#include <filesystem>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "engine/app/cli.h"
#include "engine/fhir/type_model.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"

namespace fhirengine::app {
namespace {

constexpr std::size_t kMaxConfigBytes = 1u << 20;

// Walks one JSON object, checking every member against the keys it knows.
class ConfigReader {
 public:
  explicit ConfigReader(std::string_view source) : source_(source) {}

  Status Error(const std::string& path, const std::string& message) const {
    return InvalidArgument(std::string(source_) + ": " + path + ": " + message);
  }

  using MemberFn = std::function<Status(const std::string& path, const json::Value& value)>;

  // Calls the handler of each member; unknown keys are errors.
  Status Object(const std::string& path, const json::Value& value,
                const std::vector<std::pair<std::string_view, MemberFn>>& handlers) const {
    if (!value.IsObject()) return Error(path, "expected an object");
    for (const json::Member& m : value.members()) {
      const std::string member_path = path + "." + std::string(m.key);
      const MemberFn* fn = nullptr;
      for (const auto& [key, handler] : handlers) {
        if (key == m.key) fn = &handler;
      }
      if (fn == nullptr) {
        std::string known;
        for (const auto& [key, handler] : handlers)
          known += (known.empty() ? "" : ", ") + std::string(key);
        return Error(member_path, "unknown key (known here: " + known + ")");
      }
      FE_RETURN_IF_ERROR((*fn)(member_path, m.value));
    }
    return Status::Ok();
  }

  Status String(const std::string& path, const json::Value& v, std::string& out) const {
    if (!v.IsString() || v.text().empty()) return Error(path, "expected a non-empty string");
    out = std::string(v.text());
    return Status::Ok();
  }

  Status Integer(const std::string& path, const json::Value& v, std::int64_t min, std::int64_t max,
                 std::int64_t& out) const {
    const std::string range =
        "expected an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (!v.IsNumber()) return Error(path, range + ", found " + json::Write(v));
    std::string_view text = v.text();
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n < min || n > max) {
      return Error(path, range + ", found " + std::string(text));
    }
    out = n;
    return Status::Ok();
  }

 private:
  std::string_view source_;
};

}  // namespace

int ServerConfig::EffectiveThreads() const {
  if (threads > 0) return threads;
  return std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
}

Result<ServerConfig> ParseServerConfig(std::string_view text, std::string_view source) {
  Result<json::Document> doc = json::Parse(text);
  if (!doc.ok()) return InvalidArgument(std::string(source) + ": " + doc.status().message());
  ConfigReader r(source);
  ServerConfig c;
  using Fn = ConfigReader::MemberFn;
  auto integer = [&r](std::int64_t min, std::int64_t max, auto assign) -> Fn {
    return [&r, min, max, assign](const std::string& path, const json::Value& v) {
      std::int64_t n = 0;
      FE_RETURN_IF_ERROR(r.Integer(path, v, min, max, n));
      assign(n);
      return Status::Ok();
    };
  };
  const Fn limits = [&](const std::string& path, const json::Value& v) {
    return r.Object(
        path, v,
        {
            {"max-body-bytes",
             integer(1, std::int64_t{1} << 30,
                     [&](std::int64_t n) { c.max_body_bytes = static_cast<std::size_t>(n); })},
            {"max-header-bytes",
             integer(1024, 1 << 20,
                     [&](std::int64_t n) { c.max_header_bytes = static_cast<std::size_t>(n); })},
            {"request-timeout-ms",
             integer(1, 3'600'000,
                     [&](std::int64_t n) { c.request_timeout = std::chrono::milliseconds(n); })},
            {"idle-timeout-ms",
             integer(1, 3'600'000,
                     [&](std::int64_t n) { c.idle_timeout = std::chrono::milliseconds(n); })},
            {"max-connections",
             integer(1, 1'000'000,
                     [&](std::int64_t n) { c.max_connections = static_cast<std::size_t>(n); })},
            {"max-requests-per-second-per-client", integer(0, 1'000'000,
                                                           [&](std::int64_t n) {
                                                             c.max_requests_per_second_per_client =
                                                                 static_cast<std::size_t>(n);
                                                           })},
        });
  };
  const Fn tls = [&](const std::string& path, const json::Value& v) {
    auto file = [&](std::string& out) -> Fn {
      return [&](const std::string& p, const json::Value& x) { return r.String(p, x, out); };
    };
    FE_RETURN_IF_ERROR(r.Object(path, v,
                                {
                                    {"cert-file", file(c.tls_cert_file)},
                                    {"key-file", file(c.tls_key_file)},
                                    {"client-ca-file", file(c.tls_client_ca_file)},
                                }));
    if (c.tls_cert_file.empty()) return r.Error(path + ".cert-file", "required with tls");
    if (c.tls_key_file.empty()) return r.Error(path + ".key-file", "required with tls");
    return Status::Ok();
  };
  const Fn server = [&](const std::string& path, const json::Value& v) {
    return r.Object(
        path, v,
        {
            {"host",
             [&](const std::string& p, const json::Value& x) { return r.String(p, x, c.host); }},
            {"port",
             integer(0, 65535, [&](std::int64_t n) { c.port = static_cast<std::uint16_t>(n); })},
            {"threads", integer(1, 256, [&](std::int64_t n) { c.threads = static_cast<int>(n); })},
            {"base-url",
             [&](const std::string& p, const json::Value& x) {
               FE_RETURN_IF_ERROR(r.String(p, x, c.base_url));
               if (!c.base_url.starts_with("http://") && !c.base_url.starts_with("https://")) {
                 return r.Error(p, "expected an absolute http:// or https:// URL");
               }
               while (c.base_url.ends_with('/')) c.base_url.pop_back();
               return Status::Ok();
             }},
            {"limits", limits},
            {"tls", tls},
            {"allow-plain-http",
             [&](const std::string& p, const json::Value& x) {
               if (!x.IsBool()) return r.Error(p, "expected true or false");
               c.allow_plain_http = x.GetBool();
               return Status::Ok();
             }},
        });
  };
  const Fn store = [&](const std::string& path, const json::Value& v) {
    return r.Object(
        path, v,
        {
            {"database", [&](const std::string& p,
                             const json::Value& x) { return r.String(p, x, c.database); }},
            {"durability",
             [&](const std::string& p, const json::Value& x) {
               std::string value;
               FE_RETURN_IF_ERROR(r.String(p, x, value));
               if (value == "full") {
                 c.durability = store::Durability::kFull;
               } else if (value == "normal") {
                 c.durability = store::Durability::kNormal;
               } else {
                 return r.Error(p, "expected \"full\" or \"normal\", found \"" + value + "\"");
               }
               return Status::Ok();
             }},
        });
  };
  const Fn auth = [&](const std::string& path, const json::Value& v) {
    Result<auth::AuthConfig> parsed = auth::ParseAuthConfig(v, std::string(source) + ": " + path);
    if (!parsed.ok()) return parsed.status();
    c.auth = std::move(parsed).value();
    return Status::Ok();
  };
  const Fn profiles = [&](const std::string& path, const json::Value& v) {
    return r.Object(
        path, v,
        {
            {"directories",
             [&](const std::string& p, const json::Value& x) {
               if (!x.IsArray() || x.elements().empty()) {
                 return r.Error(p, "expected a non-empty array of folder paths");
               }
               for (std::size_t i = 0; i < x.elements().size(); ++i) {
                 FE_RETURN_IF_ERROR(r.String(p + "[" + std::to_string(i) + "]", x.elements()[i],
                                             c.profile_directories.emplace_back()));
               }
               return Status::Ok();
             }},
            {"required",
             [&](const std::string& p, const json::Value& x) {
               if (!x.IsObject()) {
                 return r.Error(p, "expected an object of resource type -> profile URLs");
               }
               for (const json::Member& m : x.members()) {
                 const std::string type_path = p + "." + std::string(m.key);
                 if (fhir::TypeModel::R4().FindResource(m.key) == nullptr) {
                   return r.Error(type_path, "not an R4 resource type");
                 }
                 if (!m.value.IsArray() || m.value.elements().empty()) {
                   return r.Error(type_path, "expected a non-empty array of profile URLs");
                 }
                 std::vector<std::string>& urls = c.required_profiles[std::string(m.key)];
                 for (std::size_t i = 0; i < m.value.elements().size(); ++i) {
                   FE_RETURN_IF_ERROR(r.String(type_path + "[" + std::to_string(i) + "]",
                                               m.value.elements()[i], urls.emplace_back()));
                 }
               }
               return Status::Ok();
             }},
        });
  };
  const Fn capacity = [&](const std::string& path, const json::Value& v) {
    return r.Object(path, v,
                    {
                        {"enabled",
                         [&](const std::string& p, const json::Value& x) {
                           if (!x.IsBool()) return r.Error(p, "expected true or false");
                           c.capacity_enabled = x.GetBool();
                           return Status::Ok();
                         }},
                        {"snapshot-interval-s",
                         [&](const std::string& p, const json::Value& x) {
                           std::int64_t n = 0;
                           FE_RETURN_IF_ERROR(r.Integer(p, x, 10, 86'400, n));
                           c.capacity_snapshot_interval_ms = n * 1000;
                           return Status::Ok();
                         }},
                        {"history-days",
                         [&](const std::string& p, const json::Value& x) {
                           std::int64_t n = 0;
                           FE_RETURN_IF_ERROR(r.Integer(p, x, 1, 3650, n));
                           c.capacity_history_retention_ms = n * 86'400'000;
                           return Status::Ok();
                         }},
                    });
  };
  // "adapters", "plugins" and "pseudonym-key" are read and checked by
  // engine/ingest (config_check.h) from the same file.
  const Fn ingest_section = [](const std::string&, const json::Value&) { return Status::Ok(); };
  FE_RETURN_IF_ERROR(r.Object("$", doc->root(),
                              {{"server", server},
                               {"store", store},
                               {"auth", auth},
                               {"profiles", profiles},
                               {"adapters", ingest_section},
                               {"plugins", ingest_section},
                               {"pseudonym-key", ingest_section},
                               {"capacity", capacity}}));
  if (Status s = CheckExposure(c); !s.ok()) {
    return InvalidArgument(std::string(source) + ": " + s.message());
  }
  return c;
}

Status CheckExposure(const ServerConfig& config) {
  FE_RETURN_IF_ERROR(auth::CheckAuthModeForHost(config.auth, config.host));
  if (config.tls_cert_file.empty() && !config.allow_plain_http &&
      !auth::IsLoopbackHost(config.host)) {
    return InvalidArgument(
        "plain HTTP beyond loopback would carry tokens and patient data in clear: the server "
        "listens on " +
        config.host +
        "; configure \"server\": {\"tls\": {...}} (see docs/operations.md), or set "
        "\"server\": {\"allow-plain-http\": true} behind a TLS-terminating proxy");
  }
  return Status::Ok();
}

Result<ServerConfig> LoadServerConfig(const std::string& path) {
  Result<std::string> text = ReadFile(path, kMaxConfigBytes);
  if (!text.ok()) return text.status();
  Result<ServerConfig> config = ParseServerConfig(*text, path);
  if (!config.ok()) return config;
  ResolveServerConfigPaths(*config, path);
  return config;
}

void ResolveServerConfigPaths(ServerConfig& config, const std::string& path) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  for (std::string* file :
       {&config.tls_cert_file, &config.tls_key_file, &config.tls_client_ca_file}) {
    if (!file->empty() && std::filesystem::path(*file).is_relative()) {
      *file = (dir / *file).lexically_normal().string();
    }
  }
  for (std::string& folder : config.profile_directories) {
    if (std::filesystem::path(folder).is_relative()) {
      folder = (dir / folder).lexically_normal().string();
    }
  }
}

}  // namespace fhirengine::app
