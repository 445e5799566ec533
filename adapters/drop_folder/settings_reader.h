// Typed reads of an adapter's "settings" object, each error naming the
// settings key, so a factory reports "settings.batch-size: must be an integer
// from 1 to 100000" whether or not check-config ran the JSON Schema first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/json/json_value.h"

namespace fhirengine::adapters::drop_folder {

// Reads from one settings object; never owns it. Not thread-safe (used once,
// by a factory).
class SettingsReader {
 public:
  // REQUIRES: `settings` outlives the reader.
  explicit SettingsReader(const json::Value& settings) : settings_(settings) {}

  // kInvalidArgument unless settings is an object whose keys are all in
  // `known` (the schema's additionalProperties: false).
  Status CheckKnownKeys(const std::vector<std::string_view>& known) const;

  // A string member; `fallback` when absent; kInvalidArgument when present
  // but not a string (or empty when `non_empty`).
  Result<std::string> String(std::string_view key, std::string_view fallback,
                             bool non_empty = true) const;
  // A required non-empty string.
  Result<std::string> RequiredString(std::string_view key) const;
  // nullopt when absent.
  Result<std::optional<std::string>> OptionalString(std::string_view key) const;
  // An integer in [min, max]; `fallback` when absent.
  Result<std::uint64_t> Integer(std::string_view key, std::uint64_t fallback, std::uint64_t min,
                                std::uint64_t max) const;
  // A non-negative number (seconds, fractions allowed) up to `max`.
  Result<double> Seconds(std::string_view key, double fallback, double max) const;
  // An array of non-empty strings; empty when absent.
  Result<std::vector<std::string>> StringArray(std::string_view key) const;
  // An object whose members are all strings, as (key, value) pairs; empty
  // when absent.
  Result<std::vector<std::pair<std::string, std::string>>> StringMap(std::string_view key) const;

 private:
  const json::Value& settings_;
};

// "settings.<key>: <message>" as kInvalidArgument.
Status SettingError(std::string_view key, std::string_view message);

}  // namespace fhirengine::adapters::drop_folder
