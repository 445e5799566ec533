// Parsing and origin checks for source URLs (see source_url.h).
#include "adapters/http_source/source_url.h"

#include <charconv>

namespace fhirengine::adapters::http_source {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

}  // namespace

std::string SourceUrl::Origin() const { return scheme + "://" + host + ":" + std::to_string(port); }

std::string SourceUrl::ToString() const {
  const bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  std::string out = scheme + "://" + host;
  if (!default_port) out += ":" + std::to_string(port);
  out += target;
  return out;
}

Result<SourceUrl> ParseSourceUrl(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return InvalidArgument("URL contains a space or control character");
    }
  }
  const std::size_t colon = text.find("://");
  if (colon == std::string_view::npos) {
    return InvalidArgument("'" + std::string(text.substr(0, 64)) +
                           "' is not an absolute http:// or https:// URL");
  }
  SourceUrl url;
  url.scheme = LowerCopy(text.substr(0, colon));
  if (url.scheme != "http" && url.scheme != "https") {
    return InvalidArgument("URL scheme '" + url.scheme + "' is not http or https");
  }
  std::string_view rest = text.substr(colon + 3);
  if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) {
    rest = rest.substr(0, hash);
  }
  const std::size_t target_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, target_start);
  std::string_view target =
      target_start == std::string_view::npos ? std::string_view() : rest.substr(target_start);
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument("URL carries user info; put credentials in \"auth\" instead");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("URL has an unclosed '[' in host");
    url.host = LowerCopy(authority.substr(0, close + 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidArgument("URL has junk after the IPv6 host");
      port_text = after.substr(1);
    }
  } else {
    const std::size_t c = authority.rfind(':');
    url.host = LowerCopy(authority.substr(0, c));
    if (c != std::string_view::npos) port_text = authority.substr(c + 1);
    for (char ch : url.host) {
      if (!IsHostChar(ch)) return InvalidArgument("URL host '" + url.host + "' is malformed");
    }
  }
  if (url.host.empty()) return InvalidArgument("URL has no host");
  if (port_text.empty()) {
    url.port = url.scheme == "https" ? 443 : 80;
  } else {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return InvalidArgument("URL port '" + std::string(port_text) + "' is not 1..65535");
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  if (target.empty()) {
    url.target = "/";
  } else if (target.front() == '?') {
    url.target = "/" + std::string(target);
  } else {
    url.target = std::string(target);
  }
  return url;
}

Result<SourceUrl> ResolveSameOriginLink(const SourceUrl& origin_of, std::string_view link) {
  if (!link.empty() && link.front() == '/' && (link.size() < 2 || link[1] != '/')) {
    SourceUrl url = origin_of;
    std::string_view target = link;
    if (const std::size_t hash = target.find('#'); hash != std::string_view::npos) {
      target = target.substr(0, hash);
    }
    for (char c : target) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
        return InvalidArgument("paging link contains a space or control character");
      }
    }
    url.target = std::string(target);
    return url;
  }
  Result<SourceUrl> url = ParseSourceUrl(link);
  if (!url.ok()) return InvalidArgument("paging link: " + url.status().message());
  if (url->Origin() != origin_of.Origin()) {
    return InvalidArgument("paging link points to " + url->Origin() +
                           ", not the configured source " + origin_of.Origin() +
                           "; refusing to follow it");
  }
  return url;
}

std::string EncodeQueryComponent(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
  return out;
}

void AppendQueryParam(std::string& url, std::string_view name, std::string_view value) {
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += EncodeQueryComponent(name);
  url += '=';
  url += EncodeQueryComponent(value);
}

}  // namespace fhirengine::adapters::http_source
