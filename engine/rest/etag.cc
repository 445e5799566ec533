// Entity tag parsing.
#include "engine/rest/etag.h"

#include <charconv>

namespace fhirengine::rest {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string FormatVersionETag(std::int64_t version) {
  return "W/\"" + std::to_string(version) + "\"";
}

std::optional<std::int64_t> ParseVersionETag(std::string_view value) {
  value = Trim(value);
  if (value.starts_with("W/")) value.remove_prefix(2);
  if (value.size() < 3 || value.front() != '"' || value.back() != '"') return std::nullopt;
  value = value.substr(1, value.size() - 2);
  if (value.empty() || value.front() < '0' || value.front() > '9') return std::nullopt;
  std::int64_t version = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), version);
  if (ec != std::errc() || end != value.data() + value.size() || version <= 0) {
    return std::nullopt;
  }
  return version;
}

bool IsETagWildcard(std::string_view header) { return Trim(header) == "*"; }

bool ETagListMatches(std::string_view header, std::int64_t version) {
  if (IsETagWildcard(header)) return true;
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::optional<std::int64_t> v = ParseVersionETag(header.substr(0, comma));
    if (v && *v == version) return true;
    if (comma == std::string_view::npos) break;
    header = header.substr(comma + 1);
  }
  return false;
}

}  // namespace fhirengine::rest
