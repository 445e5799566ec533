// `fhir-engine quarantine [--database PATH] [--adapter NAME] [--count N]
// [--offset M]`: the quarantined records of a store as JSON (the same
// answer as GET /admin/quarantine), newest first.
#include <filesystem>
#include <ostream>
#include <string>

#include "engine/app/cli.h"
#include "engine/ingest/ops_endpoints.h"
#include "engine/store/resource_store.h"

namespace fhirengine::app {

int RunQuarantine(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  constexpr std::string_view kUsage =
      "usage: fhir-engine quarantine [--database PATH] [--adapter NAME] [--count N] "
      "[--offset M]\n";
  std::string database = "fhir-engine.db";
  std::string query;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      err << kUsage;
      return kExitOk;
    }
    if ((a != "--database" && a != "--adapter" && a != "--count" && a != "--offset") ||
        i + 1 >= args.size()) {
      err << "fhir-engine quarantine: bad argument '" << a << "'\n" << kUsage;
      return kExitUsage;
    }
    const std::string value(args[++i]);
    if (a == "--database") {
      database = value;
      continue;
    }
    const std::string key = a == "--adapter" ? "adapter" : a == "--count" ? "_count" : "_offset";
    query += (query.empty() ? "" : "&") + key + "=" + value;
  }
  if (!std::filesystem::exists(database)) {
    err << "fhir-engine quarantine: " << database << ": no such database\n";
    return kExitUsage;
  }
  store::StoreOptions options;
  options.path = database;
  options.read_connections = 1;
  Result<std::unique_ptr<store::ResourceStore>> store = store::ResourceStore::Open(options);
  if (!store.ok()) {
    err << "fhir-engine quarantine: " << store.status().message() << "\n";
    return kExitInvalid;
  }
  Result<std::string> page = ingest::QuarantineJson(**store, query);
  if (!page.ok()) {
    err << "fhir-engine quarantine: " << page.status().message() << "\n";
    return kExitUsage;
  }
  out << *page << "\n";
  return kExitOk;
}

}  // namespace fhirengine::app
