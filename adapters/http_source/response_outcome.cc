// HTTP status and Retry-After handling for pulled sources (see response_outcome.h).
#include "adapters/http_source/response_outcome.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "engine/core/time_format.h"
#include "engine/json/json_parser.h"

namespace fhirengine::adapters::http_source {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr std::size_t kMaxExcerpt = 200;

// A short, printable excerpt of an error body: the first OperationOutcome
// diagnostics (or details.text) when the body is one, else the body's start.
std::string BodyExcerpt(const std::string& body) {
  std::string text;
  if (!body.empty() && body.front() == '{' && body.size() < (1u << 20)) {
    Result<json::Document> doc = json::Parse(body);
    if (doc.ok()) {
      const json::Value* issues = doc->root().Find("issue");
      if (issues != nullptr && !issues->elements().empty()) {
        const json::Value& first = issues->elements()[0];
        if (const json::Value* d = first.Find("diagnostics"); d != nullptr && d->IsString()) {
          text = std::string(d->text());
        } else if (const json::Value* details = first.Find("details")) {
          if (const json::Value* t = details->Find("text"); t != nullptr && t->IsString()) {
            text = std::string(t->text());
          }
        }
      }
    }
  }
  if (text.empty()) text = body.substr(0, kMaxExcerpt);
  if (text.size() > kMaxExcerpt) text = text.substr(0, kMaxExcerpt) + "...";
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return text;
}

}  // namespace

std::string_view ResponseHeader(const net::HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          auto lower = [](char c) {
            return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
          };
          return lower(a) == lower(b);
        })) {
      return value;
    }
  }
  return {};
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::int64_t now_ms) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::uint64_t seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range) return kMaxRetryAfter;
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    if (seconds >= static_cast<std::uint64_t>(kMaxRetryAfter.count() / 1000)) {
      return kMaxRetryAfter;
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds) * 1000);
  }
  std::optional<std::int64_t> date = ParseHttpDate(value);
  if (!date) return std::nullopt;
  const std::int64_t delta = std::max<std::int64_t>(0, *date - now_ms);
  return std::min(std::chrono::milliseconds(delta), kMaxRetryAfter);
}

ResponseOutcome ClassifyResponse(const net::HttpResponse& response, std::string_view what,
                                 std::int64_t now_ms) {
  ResponseOutcome out;
  const int code = response.status;
  if (code >= 200 && code < 300) return out;
  const std::string prefix = std::string(what) + ": HTTP " + std::to_string(code);
  if (code == 429 || code == 503) {
    out.throttled = true;
    out.retry_after = ParseRetryAfter(ResponseHeader(response, "Retry-After"), now_ms);
    out.status = Status(
        StatusCode::kUnavailable,
        prefix + (code == 429 ? " Too Many Requests" : " Service Unavailable") +
            (out.retry_after ? "; retrying after " +
                                   std::to_string(out.retry_after->count() / 1000) + " s as asked"
                             : ""));
    return out;
  }
  const std::string excerpt = BodyExcerpt(response.body);
  const std::string detail = excerpt.empty() ? "" : " (" + excerpt + ")";
  if (code == 401 || code == 403) {
    out.status = Status(StatusCode::kFailedPrecondition,
                        prefix + (code == 401 ? " Unauthorized" : " Forbidden") + detail +
                            "; check the adapter's \"auth\" settings and the source's grants");
  } else if (code == 404) {
    out.status = NotFound(prefix + " Not Found" + detail + "; check the URL");
  } else if (code >= 400 && code < 500) {
    out.status = InvalidArgument(prefix + detail);
  } else {
    out.status = Status(StatusCode::kUnavailable, prefix + detail);
  }
  return out;
}

}  // namespace fhirengine::adapters::http_source
