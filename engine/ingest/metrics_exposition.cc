// Prometheus and JSON renderings of adapter health (see metrics_exposition.h).
#include "engine/ingest/metrics_exposition.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <functional>

#include "engine/core/time_format.h"

namespace fhirengine::ingest {
namespace {

// A label value: backslash, double quote and newline escaped.
std::string LabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Number(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

struct Family {
  const char* name;
  const char* type;
  const char* help;
};

void Header(std::string& out, const Family& f) {
  out +=
      std::string("# HELP ") + f.name + " " + f.help + "\n# TYPE " + f.name + " " + f.type + "\n";
}

bool Up(const HealthSnapshot& s) {
  return s.state != AdapterState::kFailed && s.state != AdapterState::kStopped && !s.degraded;
}

}  // namespace

std::string PrometheusText(const std::vector<HealthSnapshot>& adapters,
                           const QuarantineSizes& quarantine) {
  std::string out;
  auto each = [&](const Family& f,
                  const std::function<void(const HealthSnapshot&, const std::string&)>& line) {
    Header(out, f);
    for (const HealthSnapshot& s : adapters) line(s, "adapter=\"" + LabelValue(s.name) + "\"");
  };
  each({"fhir_engine_adapter_records_total", "counter",
        "Records an adapter delivered, by what the engine did with them."},
       [&](const HealthSnapshot& s, const std::string& l) {
         const std::pair<const char*, std::uint64_t> outcomes[] = {{"stored", s.stored},
                                                                   {"unchanged", s.unchanged},
                                                                   {"deleted", s.deleted},
                                                                   {"quarantined", s.quarantined}};
         for (const auto& [outcome, n] : outcomes) {
           out += "fhir_engine_adapter_records_total{" + l + ",outcome=\"" + outcome + "\"} " +
                  std::to_string(n) + "\n";
         }
       });
  each({"fhir_engine_adapter_validation_warnings_total", "counter",
        "Validation warnings on mapped resources that were stored (they do not block)."},
       [&](const HealthSnapshot& s, const std::string& l) {
         out += "fhir_engine_adapter_validation_warnings_total{" + l + "} " +
                std::to_string(s.validation_warnings) + "\n";
       });
  each({"fhir_engine_adapter_errors_total", "counter", "Failed polls and deliveries."},
       [&](const HealthSnapshot& s, const std::string& l) {
         out += "fhir_engine_adapter_errors_total{" + l + "} " + std::to_string(s.errors) + "\n";
       });
  each({"fhir_engine_adapter_lag_seconds", "gauge",
        "Now minus the newest source timestamp the adapter delivered (absent before one)."},
       [&](const HealthSnapshot& s, const std::string& l) {
         if (s.lag_ms) {
           out += "fhir_engine_adapter_lag_seconds{" + l + "} " +
                  Number(static_cast<double>(*s.lag_ms) / 1000.0) + "\n";
         }
       });
  each({"fhir_engine_adapter_up", "gauge",
        "1 when the adapter runs and succeeded within its stale-after time, else 0."},
       [&](const HealthSnapshot& s, const std::string& l) {
         out += "fhir_engine_adapter_up{" + l + "} " + (Up(s) ? "1" : "0") + "\n";
       });
  each({"fhir_engine_adapter_last_success_timestamp_seconds", "gauge",
        "Unix time of the adapter's last successful poll (absent before one)."},
       [&](const HealthSnapshot& s, const std::string& l) {
         if (s.last_success_ms) {
           out += "fhir_engine_adapter_last_success_timestamp_seconds{" + l + "} " +
                  Number(static_cast<double>(*s.last_success_ms) / 1000.0) + "\n";
         }
       });
  each({"fhir_engine_adapter_records_per_second", "gauge",
        "Records delivered per second over the last minute."},
       [&](const HealthSnapshot& s, const std::string& l) {
         out += "fhir_engine_adapter_records_per_second{" + l + "} " +
                Number(s.records_per_second) + "\n";
       });
  each({"fhir_engine_adapter_quarantine_size", "gauge",
        "Records of the adapter held in the quarantine."},
       [&](const HealthSnapshot& s, const std::string& l) {
         auto it = quarantine.find(s.name);
         out += "fhir_engine_adapter_quarantine_size{" + l + "} " +
                std::to_string(it == quarantine.end() ? 0 : it->second) + "\n";
       });
  return out;
}

std::string HealthJson(const std::vector<HealthSnapshot>& adapters) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  bool degraded = false;
  for (const HealthSnapshot& s : adapters) degraded = degraded || !Up(s);
  w.StartObject();
  w.Key("status");
  w.String(degraded ? "degraded" : "ok");
  w.Key("adapters");
  w.StartArray();
  for (const HealthSnapshot& s : adapters) {
    w.StartObject();
    w.Key("name");
    w.String(s.name.c_str());
    w.Key("type");
    w.String(s.type.c_str());
    w.Key("state");
    w.String(std::string(StateName(s.state)).c_str());
    w.Key("up");
    w.Bool(Up(s));
    w.Key("last_success");
    if (s.last_success_ms) {
      w.String(FormatInstant(*s.last_success_ms).c_str());
    } else {
      w.Null();
    }
    w.Key("last_error");
    if (s.last_error.empty()) {
      w.Null();
    } else {
      w.String(s.last_error.c_str());
    }
    w.Key("lag_seconds");
    if (s.lag_ms) {
      w.Double(static_cast<double>(*s.lag_ms) / 1000.0);
    } else {
      w.Null();
    }
    w.Key("records_per_second");
    w.Double(s.records_per_second);
    w.Key("errors");
    w.Uint64(s.errors);
    w.Key("stored");
    w.Uint64(s.stored);
    w.Key("unchanged");
    w.Uint64(s.unchanged);
    w.Key("deleted");
    w.Uint64(s.deleted);
    w.Key("quarantined");
    w.Uint64(s.quarantined);
    w.Key("validation_warnings");
    w.Uint64(s.validation_warnings);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace fhirengine::ingest
