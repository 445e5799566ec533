// posix_spawn with stdout on a pipe, a reader thread, signals and waitpid.
#include "tests/support/engine_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace fhirengine::testing {
namespace {

// The integer after "key": in a JSON log line, or nullopt.
std::optional<long> IntField(const std::string& line, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  const std::size_t at = line.find(needle);
  if (at == std::string::npos) return std::nullopt;
  return std::strtol(line.c_str() + at + needle.size(), nullptr, 10);
}

std::optional<std::string> StringField(const std::string& line, const std::string& key) {
  const std::string needle = "\"" + key + "\":\"";
  const std::size_t at = line.find(needle);
  if (at == std::string::npos) return std::nullopt;
  const std::size_t start = at + needle.size();
  const std::size_t end = line.find('"', start);
  if (end == std::string::npos) return std::nullopt;
  return line.substr(start, end - start);
}

}  // namespace

std::unique_ptr<EngineProcess> EngineProcess::Spawn(const std::string& binary,
                                                    const std::vector<std::string>& args,
                                                    std::string& error) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    error = std::string("pipe2: ") + std::strerror(errno);
    return nullptr;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  // A clean signal state: nothing blocked, default SIGTERM/SIGINT/SIGPIPE.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> argv_storage{binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  auto process = std::unique_ptr<EngineProcess>(new EngineProcess());
  const int rc =
      ::posix_spawn(&process->pid_, binary.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    error = "posix_spawn " + binary + ": " + std::strerror(rc);
    process->pid_ = -1;
    return nullptr;
  }
  const int read_fd = fds[0];
  EngineProcess* raw = process.get();
  process->reader_ = std::thread([raw, read_fd] { raw->ReadOutput(read_fd); });
  return process;
}

std::unique_ptr<EngineProcess> EngineProcess::Start(const std::string& binary,
                                                    const std::vector<std::string>& args,
                                                    std::string& error,
                                                    std::chrono::milliseconds deadline) {
  std::unique_ptr<EngineProcess> process = Spawn(binary, args, error);
  if (process == nullptr) return nullptr;
  std::optional<std::string> line = process->WaitForLine({"\"msg\":\"listening\""}, deadline);
  if (!line) {
    std::string output;
    for (const std::string& l : process->Lines()) output += l + "\n";
    error = "no \"listening\" line from " + binary + " within the deadline; stdout:\n" + output;
    return nullptr;  // the destructor kills it
  }
  const std::optional<long> port = IntField(*line, "port");
  const std::optional<std::string> base = StringField(*line, "base");
  if (!port || *port <= 0 || *port > 65535 || !base) {
    error = "cannot read the port from: " + *line;
    return nullptr;
  }
  process->port_ = static_cast<std::uint16_t>(*port);
  process->base_url_ = *base;
  return process;
}

void EngineProcess::ReadOutput(int fd) {
  std::string pending;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t newline;
    std::vector<std::string> complete;
    while ((newline = pending.find('\n')) != std::string::npos) {
      complete.push_back(pending.substr(0, newline));
      pending.erase(0, newline + 1);
    }
    if (!complete.empty()) {
      std::lock_guard lock(mutex_);
      for (std::string& l : complete) lines_.push_back(std::move(l));
      changed_.notify_all();
    }
  }
  ::close(fd);
  std::lock_guard lock(mutex_);
  if (!pending.empty()) lines_.push_back(pending);
  eof_ = true;
  changed_.notify_all();
}

std::optional<std::string> EngineProcess::WaitForLine(const std::vector<std::string>& needles,
                                                      std::chrono::milliseconds deadline) {
  std::unique_lock lock(mutex_);
  std::optional<std::string> found;
  std::size_t checked = 0;
  auto scan = [&] {
    for (; checked < lines_.size(); ++checked) {
      bool all = true;
      for (const std::string& n : needles)
        all = all && lines_[checked].find(n) != std::string::npos;
      if (all) {
        found = lines_[checked];
        return true;
      }
    }
    return eof_;
  };
  changed_.wait_for(lock, deadline, scan);
  return found;
}

std::vector<std::string> EngineProcess::Lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

void EngineProcess::Signal(int signal_number) const {
  if (pid_ > 0 && !reaped_) ::kill(pid_, signal_number);
}

int EngineProcess::WaitForExit(std::chrono::milliseconds deadline) {
  if (reaped_) return exit_code_;
  if (pid_ <= 0) return -1;
  {
    // The child's stdout closes when it exits (it starts no children).
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, deadline, [&] { return eof_; })) return -1;
  }
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  reaped_ = true;
  if (reader_.joinable()) reader_.join();
  if (r != pid_) return exit_code_ = -1;
  if (WIFEXITED(status)) return exit_code_ = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return exit_code_ = 128 + WTERMSIG(status);
  return exit_code_ = -1;
}

int EngineProcess::Stop(std::chrono::milliseconds deadline) {
  Signal(SIGTERM);
  return WaitForExit(deadline);
}

EngineProcess::~EngineProcess() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (reader_.joinable()) reader_.join();
}

}  // namespace fhirengine::testing
