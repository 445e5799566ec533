// Typed settings reads with errors that name the key (see settings_reader.h).
#include "adapters/drop_folder/settings_reader.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace fhirengine::adapters::drop_folder {

Status SettingError(std::string_view key, std::string_view message) {
  return InvalidArgument("settings." + std::string(key) + ": " + std::string(message));
}

Status SettingsReader::CheckKnownKeys(const std::vector<std::string_view>& known) const {
  if (!settings_.IsObject()) return InvalidArgument("settings: must be an object");
  for (const json::Member& member : settings_.members()) {
    bool found = false;
    for (std::string_view k : known) found = found || k == member.key;
    if (!found) return SettingError(member.key, "unknown setting");
  }
  return Status::Ok();
}

Result<std::string> SettingsReader::String(std::string_view key, std::string_view fallback,
                                           bool non_empty) const {
  const json::Value* v = settings_.Find(key);
  if (v == nullptr) return std::string(fallback);
  if (!v->IsString()) return SettingError(key, "must be a string");
  if (non_empty && v->text().empty()) return SettingError(key, "must not be empty");
  return std::string(v->text());
}

Result<std::string> SettingsReader::RequiredString(std::string_view key) const {
  if (settings_.Find(key) == nullptr) return SettingError(key, "is required");
  return String(key, "");
}

Result<std::optional<std::string>> SettingsReader::OptionalString(std::string_view key) const {
  if (settings_.Find(key) == nullptr) return std::optional<std::string>();
  Result<std::string> s = String(key, "");
  if (!s.ok()) return s.status();
  return std::optional<std::string>(std::move(s).value());
}

Result<std::uint64_t> SettingsReader::Integer(std::string_view key, std::uint64_t fallback,
                                              std::uint64_t min, std::uint64_t max) const {
  const json::Value* v = settings_.Find(key);
  if (v == nullptr) return fallback;
  const std::string range =
      "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (!v->IsNumber()) return SettingError(key, range);
  std::string_view text = v->text();
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return SettingError(key, range);
  }
  return value;
}

Result<double> SettingsReader::Seconds(std::string_view key, double fallback, double max) const {
  const json::Value* v = settings_.Find(key);
  if (v == nullptr) return fallback;
  const std::string range = "must be a number of seconds from 0 to " + std::to_string(max);
  if (!v->IsNumber()) return SettingError(key, range);
  const std::string text(v->text());
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value) || value < 0 || value > max) {
    return SettingError(key, range);
  }
  return value;
}

Result<std::vector<std::string>> SettingsReader::StringArray(std::string_view key) const {
  std::vector<std::string> out;
  const json::Value* v = settings_.Find(key);
  if (v == nullptr) return out;
  if (!v->IsArray()) return SettingError(key, "must be an array of strings");
  for (const json::Value& e : v->elements()) {
    if (!e.IsString() || e.text().empty()) {
      return SettingError(key, "must be an array of non-empty strings");
    }
    out.emplace_back(e.text());
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> SettingsReader::StringMap(
    std::string_view key) const {
  std::vector<std::pair<std::string, std::string>> out;
  const json::Value* v = settings_.Find(key);
  if (v == nullptr) return out;
  if (!v->IsObject()) return SettingError(key, "must be an object of strings");
  for (const json::Member& m : v->members()) {
    if (!m.value.IsString()) {
      return SettingError(std::string(key) + "." + std::string(m.key), "must be a string");
    }
    out.emplace_back(std::string(m.key), std::string(m.value.text()));
  }
  return out;
}

}  // namespace fhirengine::adapters::drop_folder
