// The fhir-engine command line: one binary, one sub-command per job.
#pragma once

#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

#include "engine/core/limits.h"
#include "engine/core/status.h"

namespace fhirengine::app {

// Exit codes shared by all commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;  // the input is invalid (validate) or failed (convert)
inline constexpr int kExitUsage = 2;    // bad command line or unreadable file

// Runs `fhir-engine ARGS...` writing to `out`/`err`; returns the exit code.
int RunCli(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

// Reads a whole file, refusing files larger than `max_bytes`.
Result<std::string> ReadFile(const std::string& path, std::size_t max_bytes);

int RunConvert(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);
int RunValidate(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);
int RunServe(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);
int RunCheckConfig(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);
int RunQuarantine(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);
int RunFhirpath(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);
int RunMap(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);
int RunSmartKeygen(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace fhirengine::app
