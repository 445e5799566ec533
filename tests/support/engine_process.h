// Runs the real fhir-engine binary (or another test helper) for integration
// tests: spawns it with posix_spawn, collects its stdout (the JSON log lines)
// on a thread, learns the port from the "listening" line, and stops it with a
// signal. Every wait has a deadline; nothing sleeps.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace fhirengine::testing {

class EngineProcess {
 public:
  // Starts `binary args...` and waits (up to `deadline`) for the line with
  // "msg":"listening". nullptr with `error` set when it exits or stays silent.
  static std::unique_ptr<EngineProcess> Start(
      const std::string& binary, const std::vector<std::string>& args, std::string& error,
      std::chrono::milliseconds deadline = std::chrono::seconds(30));
  // Starts `binary args...` without waiting for any line (for helpers that
  // are not servers; port() stays 0). nullptr with `error` set when
  // posix_spawn fails.
  static std::unique_ptr<EngineProcess> Spawn(const std::string& binary,
                                              const std::vector<std::string>& args,
                                              std::string& error);

  // Kills the process (SIGKILL) if it still runs.
  ~EngineProcess();
  EngineProcess(const EngineProcess&) = delete;
  EngineProcess& operator=(const EngineProcess&) = delete;

  std::uint16_t port() const { return port_; }
  const std::string& base_url() const { return base_url_; }
  pid_t pid() const { return pid_; }

  // The first stdout line containing every one of `needles`, waiting up to
  // `deadline` for it; nullopt when it does not come.
  std::optional<std::string> WaitForLine(
      const std::vector<std::string>& needles,
      std::chrono::milliseconds deadline = std::chrono::seconds(30));
  // Every stdout line so far.
  std::vector<std::string> Lines() const;

  void Signal(int signal_number) const;
  // Waits for the process to exit: its exit code, 128+N when killed by
  // signal N, or -1 when it is still running at the deadline.
  int WaitForExit(std::chrono::milliseconds deadline = std::chrono::seconds(30));
  // SIGTERM, then WaitForExit.
  int Stop(std::chrono::milliseconds deadline = std::chrono::seconds(30));

 private:
  EngineProcess() = default;
  void ReadOutput(int fd);

  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  std::uint16_t port_ = 0;
  std::string base_url_;
  std::thread reader_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  bool eof_ = false;
};

}  // namespace fhirengine::testing
