// `fhir-engine serve`: the store, the FHIR API and the HTTP server wired
// together, until SIGTERM or SIGINT.
#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <chrono>
#include <map>
#include <optional>
#include <ostream>
#include <string>

#include "engine/app/cli.h"
#include "engine/app/engine_config.h"
#include "engine/app/server_config.h"
#include "engine/app/server_profiles.h"
#include "engine/auth/access_guard.h"
#include "engine/auth/token_endpoint.h"
#include "engine/auth/token_service.h"
#include "engine/capacity/capacity_fhir.h"
#include "engine/capacity/capacity_rollup.h"
#include "engine/capacity/capacity_summary_endpoint.h"
#include "engine/capacity/capacity_summary_json.h"
#include "engine/core/log.h"
#include "engine/ingest/ingest_service.h"
#include "engine/ingest/ops_endpoints.h"
#include "engine/json/json_parser.h"
#include "engine/rest/fhir_api.h"
#include "engine/rest/http_server.h"
#include "engine/rest/live_feed.h"
#include "engine/rest/operation_registry.h"
#include "engine/rest/path_router.h"
#include "engine/rest/profile_conformance.h"
#include "engine/rest/route.h"
#include "engine/rest/static_site.h"
#include "engine/search/search_request.h"
#include "engine/store/resource_store.h"

namespace fhirengine::app {
namespace {

constexpr std::string_view kServeUsage =
    "usage: fhir-engine serve [--config FILE] [--host HOST] [--port PORT] [--database PATH]\n";

std::string UrlHost(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

int RunServe(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  (void)out;  // logs go to stdout through log::Write, one JSON object per line
  std::string config_path;
  std::optional<std::string> host, database;
  std::optional<std::uint16_t> port;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      err << kServeUsage;
      return kExitOk;
    }
    if (a != "--config" && a != "--host" && a != "--port" && a != "--database") {
      err << "fhir-engine serve: unknown argument '" << a << "'\n" << kServeUsage;
      return kExitUsage;
    }
    if (i + 1 >= args.size()) {
      err << "fhir-engine serve: " << a << " needs a value\n" << kServeUsage;
      return kExitUsage;
    }
    const std::string_view value = args[++i];
    if (a == "--config") config_path = std::string(value);
    if (a == "--host") host = std::string(value);
    if (a == "--database") database = std::string(value);
    if (a == "--port") {
      unsigned p = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), p);
      if (ec != std::errc() || end != value.data() + value.size() || p > 65535) {
        err << "fhir-engine serve: --port '" << value << "' is not a port number (0-65535)\n";
        return kExitUsage;
      }
      port = static_cast<std::uint16_t>(p);
    }
  }
  ServerConfig config;
  ingest::IngestConfig ingest_config;
  adapters::AdapterRegistry registry;
  if (!config_path.empty()) {
    // The same checks as check-config: any problem and the engine refuses
    // to start, naming every one.
    std::vector<std::string> problems;
    Result<EngineConfig> loaded = LoadEngineConfig(config_path, registry, problems);
    if (!loaded.ok()) {
      for (const std::string& p : problems) err << "fhir-engine serve: " << p << "\n";
      return kExitUsage;
    }
    config = std::move(loaded->server);
    ingest_config = std::move(loaded->ingest);
  }
  if (host) config.host = *host;
  if (port) config.port = *port;
  if (database) config.database = *database;
  if (Status s = CheckExposure(config); !s.ok()) {
    err << "fhir-engine serve: " << s.message() << "\n";
    return kExitUsage;
  }

  // The profiles $validate and the required-profile checks use: the ones
  // the configuration loaded for mapping adapters, else loaded here, before
  // anything listens, so a bad profile folder stops the start.
  Result<std::shared_ptr<const profiles::ProfileRegistry>> profile_registry =
      ingest_config.profiles != nullptr ? ingest_config.profiles : LoadServerProfiles(config);
  if (!profile_registry.ok()) {
    err << "fhir-engine serve: " << profile_registry.status().message() << "\n";
    return kExitUsage;
  }
  const std::size_t profile_count = (*profile_registry)->profile_count();
  Result<std::shared_ptr<const rest::ProfileConformance>> conformance =
      rest::ProfileConformance::Create(
          std::move(profile_registry).value(),
          rest::RequiredProfiles(config.required_profiles.begin(), config.required_profiles.end()));
  if (!conformance.ok()) {
    err << "fhir-engine serve: profiles.required: " << conformance.status().message() << "\n";
    return kExitUsage;
  }

  // From here on SIGINT and SIGTERM are blocked in every thread (the store's
  // writer and the io threads inherit the mask); this thread takes them with
  // sigwait. A closed client socket must not kill the process: ignore SIGPIPE.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigset_t previous_mask;
  pthread_sigmask(SIG_BLOCK, &stop_signals, &previous_mask);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous_pipe {};
  sigaction(SIGPIPE, &ignore, &previous_pipe);
  auto restore_signals = [&] {
    sigaction(SIGPIPE, &previous_pipe, nullptr);
    pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
  };

  store::StoreOptions store_options;
  store_options.path = config.database;
  store_options.durability = config.durability;
  // A database from an engine without the search index gets one on open.
  store_options.indexer = [](const std::string&,
                             const std::string& json) -> Result<std::vector<store::IndexRow>> {
    Result<json::Document> doc = json::Parse(json);
    if (!doc.ok()) return doc.status();
    return search::IndexRowsFor(doc->root());
  };
  Result<std::unique_ptr<store::ResourceStore>> opened = store::ResourceStore::Open(store_options);
  if (!opened.ok()) {
    log::Write(log::Level::kError, "cannot open the store", {{"error", opened.status().message()}});
    err << "fhir-engine serve: " << opened.status().message() << "\n";
    restore_signals();
    return kExitInvalid;
  }
  std::unique_ptr<store::ResourceStore> store = std::move(opened).value();

  rest::HttpServerOptions http;
  http.host = config.host;
  http.port = config.port;
  http.threads = config.EffectiveThreads();
  http.max_body_bytes = config.max_body_bytes;
  http.max_header_bytes = config.max_header_bytes;
  http.request_timeout = config.request_timeout;
  http.idle_timeout = config.idle_timeout;
  http.max_connections = config.max_connections;
  http.max_requests_per_second_per_client =
      static_cast<double>(config.max_requests_per_second_per_client);
  http.server_name = "fhir-engine/" FHIR_ENGINE_VERSION;
  http.tls.cert_file = config.tls_cert_file;
  http.tls.key_file = config.tls_key_file;
  http.tls.client_ca_file = config.tls_client_ca_file;
  Result<std::unique_ptr<rest::HttpServer>> listening = rest::HttpServer::Listen(http);
  if (!listening.ok()) {
    log::Write(log::Level::kError, "cannot listen", {{"error", listening.status().message()}});
    err << "fhir-engine serve: " << listening.status().message() << "\n";
    store.reset();
    restore_signals();
    return kExitInvalid;
  }
  std::unique_ptr<rest::HttpServer> server = std::move(listening).value();

  rest::FhirApiOptions api_options;
  const std::string scheme = http.tls.enabled() ? "https://" : "http://";
  api_options.base_url = !config.base_url.empty() ? config.base_url
                                                  : scheme + UrlHost(config.host) + ":" +
                                                        std::to_string(server->port()) + "/fhir";
  api_options.software_version = FHIR_ENGINE_VERSION;
  api_options.parse_limits.max_document_bytes = config.max_body_bytes;
  // SMART Backend Services: the token endpoint, discovery, and the guard.
  std::unique_ptr<auth::TokenService> tokens;
  std::unique_ptr<auth::TokenEndpoint> token_endpoint;
  std::unique_ptr<auth::SmartConfigurationEndpoint> smart_configuration;
  std::unique_ptr<auth::SmartAccessGuard> guard;
  if (config.auth.mode == auth::AuthMode::kSmart) {
    auth::TokenServiceOptions token_options;
    token_options.token_url = auth::TokenUrlForBase(api_options.base_url);
    token_options.token_lifetime = config.auth.token_lifetime;
    tokens = std::make_unique<auth::TokenService>(token_options, config.auth.clients);
    token_endpoint = std::make_unique<auth::TokenEndpoint>(*tokens);
    smart_configuration = std::make_unique<auth::SmartConfigurationEndpoint>(*tokens);
    guard = std::make_unique<auth::SmartAccessGuard>(*tokens);
    api_options.access_policy = guard.get();
    api_options.smart_token_url = token_options.token_url;
    log::Write(
        log::Level::kInfo, "auth: SMART Backend Services",
        {{"token_endpoint", token_options.token_url}, {"clients", config.auth.clients.size()}});
  } else {
    log::Write(log::Level::kWarning,
               "auth is off: every client on this host may read and write everything "
               "(for the local demo only; see docs/security.md)",
               {{"host", config.host}});
  }
  api_options.profiles = std::move(conformance).value();
  log::Write(
      log::Level::kInfo, "profiles loaded",
      {{"profiles", profile_count}, {"required_types", api_options.profiles->required().size()}});
  // The adapters, each on a thread of its own, delivering into the store.
  ingest::SystemClock clock;
  auto ingest = std::make_unique<ingest::IngestService>(ingest_config, registry, *store, clock);
  ingest::HealthEndpoint health_endpoint(*ingest);
  ingest::MetricsEndpoint metrics_endpoint(*ingest);
  ingest::QuarantineEndpoint quarantine_endpoint(*store, guard.get());
  // The capacity picture, kept current from the store's change feed; its
  // sources' freshness from the adapters' health and their stale-after-s.
  std::unique_ptr<capacity::CapacityRollup> rollup;
  std::unique_ptr<capacity::CapacitySummaryEndpoint> capacity_summary;
  rest::OperationRegistry operations;
  std::unique_ptr<capacity::CapacityFhir> capacity_fhir;
  if (config.capacity_enabled) {
    std::map<std::string, std::int64_t> stale_after_ms;
    for (const ingest::AdapterEntry& a : ingest_config.adapters) {
      stale_after_ms[a.name] = std::chrono::milliseconds(a.stale_after).count();
    }
    capacity::RollupOptions capacity_options;
    const ingest::IngestService* adapters = ingest.get();
    capacity_options.sources = [adapters, stale_after_ms] {
      std::vector<capacity::SourceStatus> sources;
      for (const ingest::HealthSnapshot& h : adapters->Health()) {
        capacity::SourceStatus s;
        s.name = h.name;
        s.state = std::string(ingest::StateName(h.state));
        // Freshness: the last poll that heard from the source (a drop
        // folder's last file), not one that found nothing.
        s.last_success_ms = h.last_received_ms;
        if (auto it = stale_after_ms.find(h.name); it != stale_after_ms.end()) {
          s.stale_after_ms = it->second;
        }
        sources.push_back(std::move(s));
      }
      return sources;
    };
    rollup = capacity::CapacityRollup::Start(*store, std::move(capacity_options));
    capacity_summary = std::make_unique<capacity::CapacitySummaryEndpoint>(*rollup);
    // The regional Measures, $evaluate-measure and the history snapshots:
    // registered before the FHIR API is built (its CapabilityStatement
    // declares the operation).
    capacity::CapacityFhirOptions fhir_options;
    fhir_options.history.interval_ms = config.capacity_snapshot_interval_ms;
    fhir_options.history.retention_ms = config.capacity_history_retention_ms;
    Result<std::unique_ptr<capacity::CapacityFhir>> registered =
        capacity::RegisterCapacityFhir(*rollup, *store, operations, std::move(fhir_options));
    if (!registered.ok()) {
      log::Write(log::Level::kError, "cannot set up the capacity measures",
                 {{"error", registered.status().message()}});
      err << "fhir-engine serve: " << registered.status().message() << "\n";
      rollup.reset();
      store.reset();
      restore_signals();
      return kExitInvalid;
    }
    capacity_fhir = std::move(registered).value();
    api_options.operations = &operations;
  }
  auto api = std::make_unique<rest::FhirApi>(*store, api_options);
  // Endpoints besides the FHIR API register here; everything else is FHIR's.
  auto router = std::make_unique<rest::PathRouter>(*api);
  if (tokens) {
    router->AddExact("/auth/token", *token_endpoint);
    router->AddExact("/.well-known/smart-configuration", *smart_configuration);
    router->AddExact(std::string(rest::kFhirBasePath) + "/.well-known/smart-configuration",
                     *smart_configuration);
  }
  // No patient data in health and metrics: open, for probes and scrapers.
  router->AddExact("/health", health_endpoint);
  router->AddExact("/metrics", metrics_endpoint);
  // Aggregate counts only (docs/capacity.md, "Authorisation"): open.
  if (capacity_summary) router->AddExact("/capacity/summary", *capacity_summary);
  // /admin/ shows quarantined source records (patient data): guarded.
  router->AddPrefix("/admin/", quarantine_endpoint);
  // The dashboard (web/, embedded) and its live feed: aggregate counts
  // only, open like /health (docs/capacity.md, "Authorisation").
  rest::StaticSite dashboard(rest::EmbeddedWebAssets());
  router->AddExact("/", dashboard);
  router->AddExact("/index.html", dashboard);
  router->AddPrefix("/assets/", dashboard);
  if (capacity_fhir) capacity_fhir->AddRoutes(*router);
  // The live feed: the summary after every change of the picture, built on
  // the feed's thread at most every 250 ms (docs/capacity.md).
  capacity::CapacityRollup* picture = rollup.get();
  rest::LiveFeed live_feed(
      {}, picture == nullptr ? std::function<std::string()>() : [picture] {
        return capacity::CapacitySummaryJson(picture->Snapshot());
      });
  int live_listener = -1;
  if (picture != nullptr) {
    live_listener = picture->AddListener([&live_feed](std::uint64_t) { live_feed.Notify(); });
    live_feed.Notify();
  }
  // Only with a picture to send: without the rollup the path is unknown
  // (404), not a feed that never says anything.
  if (picture != nullptr) server->AddLiveFeed("/capacity/live", live_feed);
  server->Serve(*router);
  ingest->Start();
  log::Write(log::Level::kInfo, "listening",
             {{"host", config.host},
              {"port", server->port()},
              {"base", api_options.base_url},
              {"database", config.database},
              {"tls", http.tls.enabled()},
              {"client_certificates", !http.tls.client_ca_file.empty()},
              {"threads", http.threads}});

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  log::Write(log::Level::kInfo, "shutting down",
             {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
  // Adapters first: a Deliver in progress commits (or fails) before the
  // store drains.
  ingest->Stop();
  if (picture != nullptr) picture->RemoveListener(live_listener);
  live_feed.Stop();
  // In flight: a request may need its whole read and write deadlines.
  server->Shutdown(2 * config.request_timeout);
  // Off the change feed before the store goes.
  capacity_fhir.reset();
  capacity_summary.reset();
  rollup.reset();
  // Drains the writer; late callbacks post into the stopped io_context,
  // which the server still owns.
  store.reset();
  server.reset();
  router.reset();
  ingest.reset();
  api.reset();
  guard.reset();
  smart_configuration.reset();
  token_endpoint.reset();
  tokens.reset();
  log::Write(log::Level::kInfo, "stopped");
  restore_signals();
  return kExitOk;
}

}  // namespace fhirengine::app
