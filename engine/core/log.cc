// The structured log writer.
#include "engine/core/log.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "engine/core/time_format.h"

namespace fhirengine::log {
namespace {

std::mutex& OutputMutex() {
  static std::mutex m;
  return m;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += "\\u00";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void Field::AppendTo(std::string& out) const {
  AppendJsonString(out, key_);
  out.push_back(':');
  switch (kind_) {
    case kText:
      AppendJsonString(out, text_);
      break;
    case kInteger:
      out += std::to_string(integer_);
      break;
    case kReal: {
      char buffer[32];
      const int n = std::snprintf(buffer, sizeof buffer, "%.3f", real_);
      out.append(buffer, static_cast<std::size_t>(n > 0 ? n : 0));
      break;
    }
    case kBool:
      out += boolean_ ? "true" : "false";
      break;
  }
}

namespace {

std::string FormatLine(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(160);
  line += "{\"level\":";
  AppendJsonString(line, LevelName(level));
  line += ",\"ts\":";
  AppendJsonString(line, FormatInstant(NowUnixMs()));
  line += ",\"msg\":";
  AppendJsonString(line, msg);
  for (const Field& f : fields) {
    line.push_back(',');
    f.AppendTo(line);
  }
  line += "}\n";
  return line;
}

// Flushes buffered lines within kFlushInterval of their writing, on its own
// thread, so a busy server makes one write() per interval instead of one
// per request, and an idle one still shows its last lines promptly.
class Flusher {
 public:
  static constexpr std::chrono::milliseconds kFlushInterval{100};

  Flusher() : thread_([this] { Run(); }) {}
  ~Flusher() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  void MarkDirty() { dirty_.store(true, std::memory_order_relaxed); }

 private:
  void Run() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      wake_.wait_for(lock, kFlushInterval, [this] { return stop_; });
      if (dirty_.exchange(false, std::memory_order_relaxed)) {
        std::lock_guard out(OutputMutex());
        std::fflush(stdout);
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::atomic<bool> dirty_{false};
  std::thread thread_;
};

Flusher& TheFlusher() {
  // OutputMutex first, so it is destroyed after the flusher's thread ended.
  OutputMutex();
  static Flusher flusher;
  return flusher;
}

}  // namespace

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  const std::string line = FormatLine(level, msg, fields);
  std::lock_guard lock(OutputMutex());
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

void WriteBuffered(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  const std::string line = FormatLine(level, msg, fields);
  Flusher& flusher = TheFlusher();
  {
    std::lock_guard lock(OutputMutex());
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  flusher.MarkDirty();
}

}  // namespace fhirengine::log
