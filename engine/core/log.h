// Structured logs: one JSON object per line on standard output, each line
// written whole under a lock so lines from many threads never interleave.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace fhirengine::log {

enum class Level { kInfo, kWarning, kError };

// One "key": value pair of a log line. Views are used only during Write().
class Field {
 public:
  Field(std::string_view key, std::string_view value) : key_(key), kind_(kText), text_(value) {}
  Field(std::string_view key, const char* value) : Field(key, std::string_view(value)) {}
  Field(std::string_view key, const std::string& value) : Field(key, std::string_view(value)) {}
  template <std::integral T>
  requires(!std::same_as<T, bool>) Field(std::string_view key, T value)
      : key_(key), kind_(kInteger), integer_(static_cast<std::int64_t>(value)) {}
  Field(std::string_view key, double value) : key_(key), kind_(kReal), real_(value) {}
  Field(std::string_view key, bool value) : key_(key), kind_(kBool), boolean_(value) {}

  // Appends `"key":value` to `out`.
  void AppendTo(std::string& out) const;

 private:
  enum Kind { kText, kInteger, kReal, kBool };
  std::string_view key_;
  Kind kind_;
  std::string_view text_;
  std::int64_t integer_ = 0;
  double real_ = 0;
  bool boolean_ = false;
};

// Writes {"level":...,"ts":...,"msg":...,fields...} and a newline to stdout and
// flushes it. Thread-safe.
void Write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

// As Write, but the line is flushed by a background thread within 100 ms
// instead of at once: for the per-request access lines, which would
// otherwise cost a write() each. A crash can lose the last 100 ms of them.
void WriteBuffered(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

// Appends `text` to `out` as a JSON string literal (quotes included).
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace fhirengine::log
