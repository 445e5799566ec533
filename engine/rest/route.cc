// Target parsing and the R4 URL patterns.
#include "engine/rest/route.h"

namespace fhirengine::rest {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; '+' becomes a space when `plus_is_space`.
Result<std::string> Decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return InvalidArgument("truncated percent-encoding in '" + std::string(in) + "'");
      }
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return InvalidArgument("bad percent-encoding in '" + std::string(in) + "'");
      }
      c = static_cast<char>(hi * 16 + lo);
      if (c == '\0') return InvalidArgument("a NUL byte (%00) in the request target");
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    out.push_back(c);
  }
  return out;
}

bool IsGet(std::string_view method) { return method == "GET" || method == "HEAD"; }

RouteError NotImplemented(std::string message) { return RouteError{501, std::move(message), ""}; }

RouteError WrongMethod(std::string_view method, std::string_view what, std::string allow) {
  return RouteError{405,
                    "method " + std::string(method) + " is not allowed on " + std::string(what) +
                        " (allowed: " + allow + ")",
                    allow};
}

RouteError UnknownType(std::string_view type) {
  return RouteError{404, "unknown resource type '" + std::string(type) + "'", ""};
}

RouteError BadId(std::string_view id) {
  return RouteError{
      400, "'" + std::string(id) + "' is not a valid resource id (1-64 of A-Z a-z 0-9 - .)", ""};
}

constexpr const char* kGetAllow = "GET, HEAD";

}  // namespace

const std::string* RequestTarget::Find(std::string_view name) const {
  for (const QueryParam& p : query) {
    if (p.name == name) return &p.value;
  }
  return nullptr;
}

Status ParseQueryString(std::string_view query, std::vector<QueryParam>& out) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    Result<std::string> name = Decode(pair.substr(0, eq), true);
    if (!name.ok()) return name.status();
    Result<std::string> value =
        Decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!value.ok()) return value.status();
    out.push_back(QueryParam{std::move(name).value(), std::move(value).value()});
  }
  return Status::Ok();
}

Result<RequestTarget> ParseRequestTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return InvalidArgument("the request target must be a path starting with '/'");
  }
  RequestTarget out;
  const std::size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (std::size_t hash = path.find('#'); hash != std::string_view::npos)
    path = path.substr(0, hash);
  out.path = std::string(path);
  std::string_view rest = path.substr(1);
  while (true) {
    const std::size_t slash = rest.find('/');
    Result<std::string> segment = Decode(rest.substr(0, slash), false);
    if (!segment.ok()) return segment.status();
    out.segments.push_back(std::move(segment).value());
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  // "/fhir/Patient/" names the same thing as "/fhir/Patient".
  if (!out.segments.empty() && out.segments.back().empty()) out.segments.pop_back();
  if (q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    if (std::size_t hash = query.find('#'); hash != std::string_view::npos) {
      query = query.substr(0, hash);
    }
    FE_RETURN_IF_ERROR(ParseQueryString(query, out.query));
  }
  return out;
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string EncodeQueryComponent(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~' || c == ':';
    if (unreserved) {
      out.push_back(c);
    } else {
      const auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
  return out;
}

RouteResult MatchRoute(std::string_view method, std::span<const std::string> segments,
                       const fhir::TypeModel& model) {
  if (segments.size() == 1 && segments[0] == "health") {
    if (!IsGet(method)) return WrongMethod(method, "/health", kGetAllow);
    return Route{Interaction::kHealth, "", "", 0};
  }
  if (segments.empty() || segments[0] != kFhirBasePath.substr(1)) {
    return RouteError{404, "no such path; the FHIR API is under " + std::string(kFhirBasePath), ""};
  }
  std::span<const std::string> s = segments.subspan(1);
  for (const std::string& segment : s) {
    if (segment.empty()) return RouteError{404, "empty path segment", ""};
  }
  if (s.empty()) {
    if (method == "POST") return Route{Interaction::kBatch, "", "", 0};
    if (IsGet(method)) return Route{Interaction::kSearchSystem, "", "", 0};
    return NotImplemented("no interaction on the base URL is implemented yet");
  }
  const std::string& first = s[0];
  if ((s.size() == 2 || s.size() == 3) && s.back() == "$validate") {
    if (model.FindResource(first) == nullptr) return UnknownType(first);
    if (s.size() == 3 && !IsValidId(s[1])) return BadId(s[1]);
    const std::string what = first + (s.size() == 3 ? "/" + s[1] : "") + "/$validate";
    if (method != "POST") return WrongMethod(method, what, "POST");
    return Route{Interaction::kValidate, first, s.size() == 3 ? s[1] : "", 0};
  }
  if (first.starts_with('$') || (s.size() >= 2 && s[1].starts_with('$')) ||
      (s.size() >= 3 && s[2].starts_with('$'))) {
    return NotImplemented("operations other than $validate are not implemented yet");
  }
  if (s.size() == 1) {
    if (first == "metadata") {
      if (!IsGet(method)) return WrongMethod(method, "metadata", kGetAllow);
      return Route{Interaction::kCapabilities, "", "", 0};
    }
    if (first == "_history") {
      if (!IsGet(method)) return WrongMethod(method, "_history", kGetAllow);
      return Route{Interaction::kHistorySystem, "", "", 0};
    }
    if (first == "_search") {
      if (method != "POST" && !IsGet(method))
        return WrongMethod(method, "_search", "GET, HEAD, POST");
      return Route{Interaction::kSearchSystem, "", "", 0};
    }
    if (model.FindResource(first) == nullptr) return UnknownType(first);
    if (method == "POST") return Route{Interaction::kCreate, first, "", 0};
    if (IsGet(method)) return Route{Interaction::kSearchType, first, "", 0};
    if (method == "PUT") return Route{Interaction::kConditionalUpdate, first, "", 0};
    if (method == "DELETE") return Route{Interaction::kConditionalDelete, first, "", 0};
    if (method == "PATCH") return NotImplemented("conditional patch is not implemented yet");
    return WrongMethod(method, first, "GET, HEAD, POST, PUT, DELETE");
  }
  if (model.FindResource(first) == nullptr) return UnknownType(first);
  const std::string& second = s[1];
  if (s.size() == 2) {
    if (second == "_history") {
      if (!IsGet(method)) return WrongMethod(method, first + "/_history", kGetAllow);
      return Route{Interaction::kHistoryType, first, "", 0};
    }
    if (second == "_search") {
      if (method != "POST" && !IsGet(method)) {
        return WrongMethod(method, first + "/_search", "GET, HEAD, POST");
      }
      return Route{Interaction::kSearchType, first, "", 0};
    }
    if (!IsValidId(second)) return BadId(second);
    if (IsGet(method)) return Route{Interaction::kRead, first, second, 0};
    if (method == "PUT") return Route{Interaction::kUpdate, first, second, 0};
    if (method == "DELETE") return Route{Interaction::kDelete, first, second, 0};
    if (method == "PATCH") return Route{Interaction::kPatch, first, second, 0};
    return WrongMethod(method, first + "/" + second, "GET, HEAD, PUT, DELETE, PATCH");
  }
  if (!IsValidId(second)) return BadId(second);
  if (s[2] != "_history" || s.size() > 4) {
    return RouteError{404, "no such path under " + first + "/" + second, ""};
  }
  if (!IsGet(method)) return WrongMethod(method, first + "/" + second + "/_history", kGetAllow);
  if (s.size() == 3) return Route{Interaction::kHistoryInstance, first, second, 0};
  const std::string& vid = s[3];
  if (!IsValidId(vid)) return BadId(vid);
  std::int64_t version = 0;
  bool numeric = vid.size() <= 18;
  for (char c : vid) {
    if (c < '0' || c > '9') {
      numeric = false;
      break;
    }
    version = version * 10 + (c - '0');
  }
  if (!numeric || version == 0) {
    return RouteError{404, first + "/" + second + " has no version '" + vid + "'", ""};
  }
  return Route{Interaction::kVread, first, second, version};
}

}  // namespace fhirengine::rest
