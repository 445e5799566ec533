// The operations endpoints (see ops_endpoints.h).
#include "engine/ingest/ops_endpoints.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>

#include "engine/core/time_format.h"
#include "engine/ingest/metrics_exposition.h"
#include "engine/rest/json_error.h"

namespace fhirengine::ingest {
namespace {

rest::RestResponse JsonError(int status, std::string_view message) {
  return rest::JsonErrorResponse(status, message);
}

// Only GET (and HEAD, answered as GET) here.
bool IsRead(const rest::RestRequest& request) {
  return request.method == "GET" || request.method == "HEAD";
}

rest::RestResponse NotAllowed() {
  rest::RestResponse r = JsonError(405, "only GET is allowed here");
  r.AddHeader("Allow", "GET");
  return r;
}

std::string_view QueryOf(std::string_view target) {
  const std::size_t q = target.find('?');
  return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

Result<std::size_t> Integer(std::string_view name, std::string_view text, std::size_t min,
                            std::size_t max) {
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < min || n > max) {
    return InvalidArgument(std::string(name) + " must be an integer from " + std::to_string(min) +
                           " to " + std::to_string(max));
  }
  return n;
}

}  // namespace

void HealthEndpoint::Handle(rest::RestRequest request, rest::Responder responder) {
  if (!IsRead(request)) return responder.reply(NotAllowed());
  rest::RestResponse r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = HealthJson(service_.Health());
  r.AddHeader("Cache-Control", "no-store");
  responder.reply(std::move(r));
}

rest::RestResponse HealthEndpoint::ProtocolError(int status, std::string_view message) const {
  return JsonError(status, message);
}

void MetricsEndpoint::Handle(rest::RestRequest request, rest::Responder responder) {
  if (!IsRead(request)) return responder.reply(NotAllowed());
  const std::vector<HealthSnapshot> health = service_.Health();
  QuarantineSizes sizes;
  for (const HealthSnapshot& s : health) {
    Result<std::int64_t> n = service_.store().CountQuarantine(s.name);
    if (!n.ok()) return responder.reply(JsonError(503, n.status().message()));
    sizes[s.name] = *n;
  }
  rest::RestResponse r;
  r.status = 200;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = PrometheusText(health, sizes);
  responder.reply(std::move(r));
}

rest::RestResponse MetricsEndpoint::ProtocolError(int status, std::string_view message) const {
  return JsonError(status, message);
}

Result<std::string> QuarantineJson(const store::ResourceStore& store, std::string_view query) {
  store::QuarantineQuery q;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (key == "adapter") {
      // Adapter names are [a-z0-9-]: nothing to percent-decode.
      for (char c : value) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
          return InvalidArgument("adapter must be an adapter name ([a-z0-9-])");
        }
      }
      q.adapter = std::string(value);
    } else if (key == "_count") {
      Result<std::size_t> n = Integer(key, value, 1, 1000);
      if (!n.ok()) return n.status();
      q.count = *n;
    } else if (key == "_offset") {
      Result<std::size_t> n = Integer(key, value, 0, 1'000'000'000);
      if (!n.ok()) return n.status();
      q.offset = *n;
    } else {
      return InvalidArgument("unknown parameter '" + std::string(key) +
                             "' (known: adapter, _count, _offset)");
    }
  }
  Result<std::vector<store::QuarantineEntry>> entries = store.ListQuarantine(q);
  if (!entries.ok()) return entries.status();
  Result<std::int64_t> total = store.CountQuarantine(q.adapter);
  if (!total.ok()) return total.status();
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto str = [&w](const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("total");
  w.Int64(*total);
  w.Key("entries");
  w.StartArray();
  for (const store::QuarantineEntry& e : *entries) {
    w.StartObject();
    w.Key("seq");
    w.Int64(e.seq);
    w.Key("adapter");
    str(e.adapter);
    w.Key("received");
    str(FormatInstant(e.received_ms));
    w.Key("locator");
    str(e.locator);
    w.Key("reason");
    str(e.reason);
    w.Key("record");
    str(e.record);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

void QuarantineEndpoint::Handle(rest::RestRequest request, rest::Responder responder) {
  if (!IsRead(request)) return responder.reply(NotAllowed());
  const std::string_view target = request.target;
  const std::string_view path = target.substr(0, target.find('?'));
  if (policy_ != nullptr) {
    Result<std::shared_ptr<const rest::RequestAccess>> access = policy_->Authenticate(request);
    if (!access.ok()) {
      rest::RestResponse r = JsonError(401, access.status().message());
      r.AddHeader("WWW-Authenticate", request.authorization.empty()
                                          ? "Bearer realm=\"fhir\""
                                          : "Bearer realm=\"fhir\", error=\"invalid_token\"");
      return responder.reply(std::move(r));
    }
    if (std::optional<std::string> missing =
            (*access)->MissingScope("*", rest::AccessRight::kRead)) {
      return responder.reply(JsonError(
          403, "the quarantine holds source records of every type: it needs scope " + *missing));
    }
  }
  if (path != "/admin/quarantine") return responder.reply(JsonError(404, "no such admin endpoint"));
  Result<std::string> body = QuarantineJson(store_, QueryOf(target));
  if (!body.ok()) {
    return responder.reply(JsonError(
        body.status().code() == StatusCode::kInvalidArgument ? 400 : 503, body.status().message()));
  }
  rest::RestResponse r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = std::move(body).value();
  responder.reply(std::move(r));
}

rest::RestResponse QuarantineEndpoint::ProtocolError(int status, std::string_view message) const {
  return JsonError(status, message);
}

}  // namespace fhirengine::ingest
