// `fhir-engine check-config FILE`: every problem of a configuration file,
// one per line with its JSON path and a hint; exit 0 and "FILE: ok" when
// there are none.
#include <ostream>

#include "engine/app/cli.h"
#include "engine/app/engine_config.h"

namespace fhirengine::app {

int RunCheckConfig(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  if (args.size() != 1 || args[0] == "--help" || args[0] == "-h") {
    err << "usage: fhir-engine check-config FILE\n";
    return args.size() == 1 ? kExitOk : kExitUsage;
  }
  const std::string path(args[0]);
  adapters::AdapterRegistry registry;
  std::vector<std::string> problems;
  Result<EngineConfig> config = LoadEngineConfig(path, registry, problems);
  if (!config.ok()) {
    for (const std::string& p : problems) out << p << "\n";
    return kExitInvalid;
  }
  out << path << ": ok\n";
  return kExitOk;
}

}  // namespace fhirengine::app
