// Sub-command dispatch, usage text and shared file reading.
#include "engine/app/cli.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <ostream>

namespace fhirengine::app {
namespace {

constexpr std::string_view kUsage =
    "usage: fhir-engine COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  convert --to json|xml [--pretty] FILE   convert a FHIR R4 resource between JSON and XML\n"
    "  validate [--profile URL [--profiles DIR]...] FILE...\n"
    "                                         validate resources against the R4 base definitions\n"
    "                                         and, with --profile, that profile's snapshot; the\n"
    "                                         definitions are read from each --profiles DIR\n"
    "                                         (default: ./fhir-profiles/regional and the R4\n"
    "                                         package ./build/r4-examples/package, when present);\n"
    "                                         prints an OperationOutcome, exit 0 only when valid\n"
    "  fhirpath [--resource FILE] [--pretty] EXPRESSION\n"
    "                                         evaluate a FHIRPath expression; prints the result\n"
    "                                         as a JSON array of {\"type\", \"value\"}\n"
    "  serve [--config FILE] [--host H] [--port P] [--database PATH]\n"
    "                                         run the FHIR REST server (base /fhir) until\n"
    "                                         SIGTERM or SIGINT; --port 0 picks a free port\n"
    "  smart-keygen --alg ES384|RS384 --kid ID --out PREFIX\n"
    "                                         a SMART Backend Services key pair: PREFIX.key.pem\n"
    "                                         (private, mode 0600) and PREFIX.jwks.json (public)\n"
    "  map --mapping FILE --input SAMPLE [--format F] [--delimiter C] [--encoding E]\n"
    "                                         dry-run a mapping: prints the resources as a JSON\n"
    "                                         array, or errors with mapping line and record\n"
    "  check-config FILE                      check a configuration file: every problem with\n"
    "                                         its JSON path and a hint; exit 0 only when none\n"
    "  quarantine [--database PATH] [--adapter NAME] [--count N] [--offset M]\n"
    "                                         list records adapters delivered that were set\n"
    "                                         aside, with their reasons (JSON, newest first)\n"
    "  version                                print the engine and FHIR versions\n"
    "  help                                   print this text\n"
    "\n"
    "FILE may be JSON or XML (detected from the content); '-' reads standard input.\n";

}  // namespace

Result<std::string> ReadFile(const std::string& path, std::size_t max_bytes) {
  if (path == "-") {
    std::string data;
    char buffer[65536];
    while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0) {
      data.append(buffer, static_cast<std::size_t>(std::cin.gcount()));
      if (data.size() > max_bytes) {
        return ResourceExhausted("standard input exceeds the limit of " +
                                 std::to_string(max_bytes) + " bytes");
      }
    }
    return data;
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return IoError(path + ": " + ec.message());
  if (size > max_bytes) {
    return ResourceExhausted(path + ": " + std::to_string(size) + " bytes exceeds the limit of " +
                             std::to_string(max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open");
  std::string data(static_cast<std::size_t>(size), '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(size)))
    return IoError(path + ": read failed");
  return data;
}

int RunCli(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kUsage;
    return kExitUsage;
  }
  std::string_view command = args[0];
  std::span<const std::string_view> rest = args.subspan(1);
  if (command == "convert") return RunConvert(rest, out, err);
  if (command == "validate") return RunValidate(rest, out, err);
  if (command == "serve") return RunServe(rest, out, err);
  if (command == "check-config") return RunCheckConfig(rest, out, err);
  if (command == "quarantine") return RunQuarantine(rest, out, err);
  if (command == "fhirpath") return RunFhirpath(rest, out, err);
  if (command == "map") return RunMap(rest, out, err);
  if (command == "smart-keygen") return RunSmartKeygen(rest, out, err);
  if (command == "version" || command == "--version") {
    out << "fhir-engine " FHIR_ENGINE_VERSION " (FHIR R4 4.0.1)\n";
    return kExitOk;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    out << kUsage;
    return kExitOk;
  }
  err << "fhir-engine: unknown command '" << command << "'\n\n" << kUsage;
  return kExitUsage;
}

}  // namespace fhirengine::app
