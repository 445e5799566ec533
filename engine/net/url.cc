// Absolute-URL parsing for the HTTP client, on Boost.URL (compiled here, once:
// Boost 1.81's Boost.URL is header-only when one file includes src.hpp).
#include "engine/net/url.h"

#include <boost/url/parse.hpp>
#include <boost/url/src.hpp>
#include <charconv>

namespace fhirengine::net {
namespace {

constexpr std::size_t kMaxUrlBytes = 8192;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string HttpUrl::Origin() const {
  return std::string(https ? "https://" : "http://") +
         (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

std::string HttpUrl::ForMessages() const { return Origin() + target.substr(0, target.find('?')); }

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  if (url.size() > kMaxUrlBytes) {
    return InvalidArgument("URL longer than " + std::to_string(kMaxUrlBytes) + " bytes");
  }
  // The URL itself may carry secrets in its query: messages quote only its scheme.
  auto parsed = boost::urls::parse_uri(boost::core::string_view(url.data(), url.size()));
  if (!parsed) return InvalidArgument("not an absolute URL: " + parsed.error().message());
  const boost::urls::url_view& u = *parsed;
  HttpUrl out;
  const std::string scheme = Lower(std::string_view(u.scheme().data(), u.scheme().size()));
  if (scheme == "https") {
    out.https = true;
  } else if (scheme != "http") {
    return InvalidArgument("unsupported URL scheme '" + scheme + "' (expected http or https)");
  }
  if (u.has_userinfo()) {
    return InvalidArgument("URLs with user information (user:password@) are not accepted");
  }
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
      out.host = std::string(u.host_address());
      out.host_is_ip = true;
      break;
    case boost::urls::host_type::ipv6:
      out.host = u.host_ipv6_address().to_string();
      out.host_is_ip = true;
      break;
    case boost::urls::host_type::name:
      out.host = Lower(std::string(u.host_name()));
      break;
    default:
      break;
  }
  if (out.host.empty()) return InvalidArgument("URL without a host name or address");
  out.port = out.https ? 443 : 80;
  if (u.has_port()) {
    const auto text = u.port();
    unsigned n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n == 0 ||
        n > 65535) {
      return InvalidArgument("bad port '" + std::string(text) + "' in URL");
    }
    out.port = static_cast<std::uint16_t>(n);
  }
  out.host_header = u.host_type() == boost::urls::host_type::ipv6 ? "[" + out.host + "]" : out.host;
  if (out.port != (out.https ? 443 : 80)) out.host_header += ":" + std::to_string(out.port);
  out.target = std::string(u.encoded_path());
  if (out.target.empty()) out.target = "/";
  if (out.target.front() != '/') return InvalidArgument("URL path must start with '/'");
  if (u.has_query()) out.target += "?" + std::string(u.encoded_query());
  return out;
}

}  // namespace fhirengine::net
