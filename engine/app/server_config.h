// The `serve` configuration file: where to listen, which database, and the
// server's hard limits. Every key is checked; an unknown key is an error
// naming its JSON path, so a typo never silently falls back to a default.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/auth/auth_config.h"
#include "engine/core/status.h"
#include "engine/store/resource_store.h"

namespace fhirengine::app {

// {
//   "server": {
//     "host": "127.0.0.1", "port": 8080, "threads": 2,
//     "base-url": "https://fhir.example.org/fhir",
//     "limits": { "max-body-bytes": 16777216, "max-header-bytes": 16384,
//                 "request-timeout-ms": 30000, "idle-timeout-ms": 60000,
//                 "max-connections": 1024,
//                 "max-requests-per-second-per-client": 0 },
//     "tls": { "cert-file": "server.pem", "key-file": "server.key",
//              "client-ca-file": "clients-ca.pem" },
//     "allow-plain-http": false
//   },
//   "store": { "database": "fhir-engine.db", "durability": "full" },
//   "auth": { "mode": "smart", ... }   (engine/auth/auth_config.h, docs/security.md)
//   "profiles": { "directories": ["fhir-profiles/regional/snapshots", ...],
//                 "required": { "Location": ["https://.../RegionalBed"] } }
// }
// ("adapters", "plugins" and "pseudonym-key" are engine/ingest's.)
// Every key is optional; the defaults are below. With "tls" (cert-file and
// key-file required, client-ca-file optional: clients must then present a
// certificate that CA signed) the server speaks HTTPS only. Relative TLS
// paths are relative to the configuration file's directory (LoadServerConfig;
// ParseServerConfig leaves them as written). Without "tls" a host beyond
// loopback needs "allow-plain-http": true (TLS ended by a proxy in front).
struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  int threads = 0;       // 0: the hardware threads, at least 2
  std::string base_url;  // empty: http://host:port/fhir (https:// with TLS)
  std::size_t max_body_bytes = 16u << 20;
  std::size_t max_header_bytes = 16u << 10;
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::size_t max_connections = 1024;
  std::size_t max_requests_per_second_per_client = 0;  // 0: no limit
  std::string database = "fhir-engine.db";             // relative to the working directory
  store::Durability durability = store::Durability::kFull;
  std::string tls_cert_file;       // empty: plain HTTP
  std::string tls_key_file;        // set exactly when tls_cert_file is
  std::string tls_client_ca_file;  // optional
  bool allow_plain_http = false;   // plain HTTP on a non-loopback host
  // Absent: off, which only a loopback host may have.
  auth::AuthConfig auth;
  // Folders of conformance resources (StructureDefinitions with snapshots,
  // ValueSets, CodeSystems) loaded at start-up, relative ones against the
  // configuration file's folder; empty: the shipped regional profiles
  // (LoadServerProfiles).
  std::vector<std::string> profile_directories;
  // Resource type -> profile URLs every create and update of it must
  // conform to (422 otherwise).
  std::map<std::string, std::vector<std::string>, std::less<>> required_profiles;
  // "capacity": {"enabled": ...}: the capacity rollup and /capacity/summary.
  bool capacity_enabled = true;
  // "capacity": {"snapshot-interval-s", "history-days"}: the capacity
  // history's snapshot interval and how long snapshots are kept.
  std::int64_t capacity_snapshot_interval_ms = 300'000;
  std::int64_t capacity_history_retention_ms = 14LL * 86'400'000;

  // `threads`, or the default when 0.
  int EffectiveThreads() const;
};

// Parses the configuration text; `source` names it in messages
// ("config/demo.json: $.server.port: expected an integer from 0 to 65535").
// kInvalidArgument for syntax errors, wrong types, values out of range and
// unknown keys.
Result<ServerConfig> ParseServerConfig(std::string_view text, std::string_view source);

// What the server may expose where: kInvalidArgument when auth is off on a
// non-loopback host, or plain HTTP is served there without allow-plain-http.
// ParseServerConfig checks it; `serve` again after --host.
Status CheckExposure(const ServerConfig& config);

// Reads and parses a configuration file (kIoError when unreadable).
Result<ServerConfig> LoadServerConfig(const std::string& path);
// Makes the relative TLS file and profile directory paths of `config` relative to the folder of
// the configuration file at `path` (LoadServerConfig does this).
void ResolveServerConfigPaths(ServerConfig& config, const std::string& path);

}  // namespace fhirengine::app
