// The JSON text of batches and delivery reports crossing the plugin C ABI
// (adapter_plugin.h), both ways. Header-only on RapidJSON so a plugin needs
// no engine library to speak it.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/api/adapter.h"

namespace fhirengine::adapters::plugin_codec {

inline std::string_view FormatName(RecordFormat f) {
  switch (f) {
    case RecordFormat::kFhirResource:
      return "fhir-resource";
    case RecordFormat::kFhirDelete:
      return "fhir-delete";
    case RecordFormat::kCsvRow:
      return "csv-row";
    case RecordFormat::kXmlElement:
      return "xml-element";
    case RecordFormat::kJsonObject:
      return "json-object";
  }
  return "";
}

inline bool ParseFormat(std::string_view name, RecordFormat& out) {
  for (RecordFormat f :
       {RecordFormat::kFhirResource, RecordFormat::kFhirDelete, RecordFormat::kCsvRow,
        RecordFormat::kXmlElement, RecordFormat::kJsonObject}) {
    if (FormatName(f) == name) {
      out = f;
      return true;
    }
  }
  return false;
}

namespace detail {
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
inline void Str(Writer& w, std::string_view key, const std::string& value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
inline void Strings(Writer& w, std::string_view key, const std::vector<std::string>& values) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.StartArray();
  for (const std::string& v : values)
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
}
inline bool Get(const rapidjson::Value& o, const char* key, std::string& out) {
  auto m = o.FindMember(key);
  if (m == o.MemberEnd()) return true;
  if (!m->value.IsString()) return false;
  out.assign(m->value.GetString(), m->value.GetStringLength());
  return true;
}
inline bool GetStrings(const rapidjson::Value& o, const char* key, std::vector<std::string>& out) {
  auto m = o.FindMember(key);
  if (m == o.MemberEnd()) return true;
  if (!m->value.IsArray()) return false;
  for (const rapidjson::Value& v : m->value.GetArray()) {
    if (!v.IsString()) return false;
    out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return true;
}
}  // namespace detail

inline std::string EncodeBatch(const SourceBatch& batch) {
  rapidjson::StringBuffer buffer;
  detail::Writer w(buffer);
  w.StartObject();
  w.Key("records");
  w.StartArray();
  for (const SourceRecord& r : batch.records) {
    w.StartObject();
    const std::string format(FormatName(r.format));
    detail::Str(w, "format", format);
    if (!r.payload.empty()) detail::Str(w, "payload", r.payload);
    if (!r.columns.empty()) detail::Strings(w, "columns", r.columns);
    if (!r.fields.empty()) detail::Strings(w, "fields", r.fields);
    if (!r.resource_type.empty()) detail::Str(w, "resource_type", r.resource_type);
    if (!r.resource_id.empty()) detail::Str(w, "resource_id", r.resource_id);
    if (!r.key.empty()) detail::Str(w, "key", r.key);
    if (!r.locator.empty()) detail::Str(w, "locator", r.locator);
    if (r.source_time_ms) {
      w.Key("source_time_ms");
      w.Int64(*r.source_time_ms);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("rejected");
  w.StartArray();
  for (const RejectedRecord& r : batch.rejected) {
    w.StartObject();
    detail::Str(w, "locator", r.locator);
    detail::Str(w, "reason", r.reason);
    detail::Str(w, "raw", r.raw);
    w.EndObject();
  }
  w.EndArray();
  detail::Str(w, "cursor", batch.cursor);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

inline Result<SourceBatch> DecodeBatch(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return InvalidArgument("the plugin's batch is not a JSON object");
  }
  SourceBatch batch;
  auto records = doc.FindMember("records");
  if (records != doc.MemberEnd()) {
    if (!records->value.IsArray()) return InvalidArgument("batch.records is not an array");
    for (const rapidjson::Value& r : records->value.GetArray()) {
      if (!r.IsObject()) return InvalidArgument("a batch record is not an object");
      SourceRecord out;
      std::string format;
      if (!detail::Get(r, "format", format) || !ParseFormat(format, out.format)) {
        return InvalidArgument("a batch record has no valid format");
      }
      if (!detail::Get(r, "payload", out.payload) ||
          !detail::GetStrings(r, "columns", out.columns) ||
          !detail::GetStrings(r, "fields", out.fields) ||
          !detail::Get(r, "resource_type", out.resource_type) ||
          !detail::Get(r, "resource_id", out.resource_id) || !detail::Get(r, "key", out.key) ||
          !detail::Get(r, "locator", out.locator)) {
        return InvalidArgument("a batch record has a member of the wrong type");
      }
      auto t = r.FindMember("source_time_ms");
      if (t != r.MemberEnd()) {
        if (!t->value.IsInt64()) return InvalidArgument("source_time_ms is not an integer");
        out.source_time_ms = t->value.GetInt64();
      }
      batch.records.push_back(std::move(out));
    }
  }
  auto rejected = doc.FindMember("rejected");
  if (rejected != doc.MemberEnd()) {
    if (!rejected->value.IsArray()) return InvalidArgument("batch.rejected is not an array");
    for (const rapidjson::Value& r : rejected->value.GetArray()) {
      RejectedRecord out;
      if (!r.IsObject() || !detail::Get(r, "locator", out.locator) ||
          !detail::Get(r, "reason", out.reason) || !detail::Get(r, "raw", out.raw)) {
        return InvalidArgument("a rejected record is malformed");
      }
      batch.rejected.push_back(std::move(out));
    }
  }
  if (!detail::Get(doc, "cursor", batch.cursor)) return InvalidArgument("batch.cursor is not text");
  return batch;
}

inline std::string EncodeReport(const DeliveryReport& report) {
  return "{\"stored\":" + std::to_string(report.stored) +
         ",\"unchanged\":" + std::to_string(report.unchanged) +
         ",\"deleted\":" + std::to_string(report.deleted) +
         ",\"quarantined\":" + std::to_string(report.quarantined) + "}";
}

inline Result<DeliveryReport> DecodeReport(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return InvalidArgument("the report is not JSON");
  DeliveryReport report;
  auto get = [&doc](const char* key, std::size_t& out) {
    auto m = doc.FindMember(key);
    if (m != doc.MemberEnd() && m->value.IsUint64()) out = m->value.GetUint64();
  };
  get("stored", report.stored);
  get("unchanged", report.unchanged);
  get("deleted", report.deleted);
  get("quarantined", report.quarantined);
  return report;
}

}  // namespace fhirengine::adapters::plugin_codec
