// The identity mapping (see identity_mapping.h).
#include "engine/ingest/identity_mapping.h"

#include <array>
#include <cstdint>
#include <vector>

#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"

namespace fhirengine::ingest {
namespace {

using adapters::RecordFormat;
using adapters::SourceRecord;

// Records are bounded by the same limits as a REST request body.
constexpr std::size_t kMaxPayloadBytes = 16u << 20;

bool IsIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!IsIdChar(c)) return false;
  }
  return true;
}

// FNV-1a, 64 bits, from a given offset basis: two bases give two
// independent halves of a 128-bit hash. Not cryptographic: keys come from
// configured sources, and the id only needs to be stable and distinct.
std::uint64_t Fnv1a(std::string_view text, std::uint64_t basis) {
  std::uint64_t h = basis;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string Hex64(std::uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[v & 0xf];
    v >>= 4;
  }
  return out;
}

json::Value Str(json::Document& doc, std::string_view s) { return doc.MakeString(s); }

json::Value Object(json::Document& doc, std::initializer_list<json::Member> members) {
  return doc.MakeObject(std::span<const json::Member>(members.begin(), members.size()));
}

// {"url": url, "valueString": value}
json::Value StringExtension(json::Document& doc, std::string_view url, std::string_view value) {
  return Object(doc, {{"url", Str(doc, url)}, {"valueString", Str(doc, value)}});
}

std::string_view KindCode(RecordFormat format) {
  switch (format) {
    case RecordFormat::kCsvRow:
      return "csv-row";
    case RecordFormat::kXmlElement:
      return "xml-element";
    case RecordFormat::kJsonObject:
      return "json-object";
    default:
      return "";
  }
}

Result<MappedRecord> MapFhirResource(const SourceRecord& record, std::string_view adapter) {
  if (record.payload.size() > kMaxPayloadBytes) {
    return InvalidArgument("the resource exceeds " + std::to_string(kMaxPayloadBytes) + " bytes");
  }
  Result<json::Document> parsed = json::Parse(record.payload);
  if (!parsed.ok())
    return InvalidArgument("the resource is not JSON: " + parsed.status().message());
  MappedRecord out;
  out.resource = std::move(parsed).value();
  json::Value& root = out.resource.root();
  if (!root.IsObject()) return InvalidArgument("the resource is not a JSON object");
  const json::Value* type = root.Find("resourceType");
  if (type == nullptr || !type->IsString() || type->text().empty()) {
    return InvalidArgument("the resource has no resourceType");
  }
  out.type = std::string(type->text());
  if (!record.resource_type.empty() && record.resource_type != out.type) {
    return InvalidArgument("the record says " + record.resource_type + " but the resource is a " +
                           out.type);
  }
  const json::Value* id = root.Find("id");
  if (id != nullptr && id->IsString()) out.id = std::string(id->text());
  if (!record.resource_id.empty()) {
    if (!out.id.empty() && out.id != record.resource_id) {
      return InvalidArgument("the record's id " + record.resource_id +
                             " differs from the resource's id " + out.id);
    }
    out.id = record.resource_id;
  }
  if (out.id.empty()) {
    if (record.key.empty()) return InvalidArgument("the resource has no id and the record no key");
    out.id = DerivedResourceId(adapter, record.key);
  }
  if (!IsValidId(out.id)) {
    return InvalidArgument("'" + out.id + "' is not a FHIR id ([A-Za-z0-9-.]{1,64})");
  }
  out.resource.SetMember(root, "id", out.resource.MakeString(out.id));
  SetAdapterSource(out.resource, root, adapter);
  return out;
}

Result<MappedRecord> MapToBasic(const SourceRecord& record, std::string_view adapter) {
  if (record.key.empty()) return InvalidArgument("the record has no key");
  MappedRecord out;
  out.type = "Basic";
  out.id = DerivedResourceId(adapter, record.key);
  json::Document& doc = out.resource;
  std::vector<json::Value> extensions;
  if (record.format == RecordFormat::kCsvRow) {
    if (record.fields.size() != record.columns.size()) {
      return InvalidArgument("the row has " + std::to_string(record.fields.size()) +
                             " fields but the header " + std::to_string(record.columns.size()) +
                             " columns");
    }
    for (std::size_t i = 0; i < record.fields.size(); ++i) {
      // FHIR strings are never empty: an empty column name or field is
      // carried as an absent sub-extension (order keeps the position).
      std::vector<json::Value> parts;
      if (!record.columns[i].empty()) {
        parts.push_back(StringExtension(doc, "name", record.columns[i]));
      }
      if (!record.fields[i].empty()) {
        parts.push_back(StringExtension(doc, "value", record.fields[i]));
      }
      std::vector<json::Member> members{{"url", Str(doc, kSourceFieldExtension)}};
      if (!parts.empty()) members.push_back({"extension", doc.MakeArray(parts)});
      extensions.push_back(doc.MakeObject(members));
    }
  } else {
    if (record.payload.empty()) return InvalidArgument("the record has no payload");
    if (record.payload.size() > kMaxPayloadBytes) {
      return InvalidArgument("the record exceeds " + std::to_string(kMaxPayloadBytes) + " bytes");
    }
    if (record.format == RecordFormat::kJsonObject) {
      Result<json::Document> parsed = json::Parse(record.payload);
      if (!parsed.ok() || !parsed->root().IsObject()) {
        return InvalidArgument("the record is not a JSON object");
      }
    }
    extensions.push_back(StringExtension(doc, kSourcePayloadExtension, record.payload));
  }
  const json::Value coding = Object(doc, {{"system", Str(doc, kSourceRecordKindSystem)},
                                          {"code", Str(doc, KindCode(record.format))}});
  const json::Value identifier =
      Object(doc, {{"system", Str(doc, AdapterUri(adapter))}, {"value", Str(doc, record.key)}});
  std::vector<json::Member> members{
      {"resourceType", Str(doc, "Basic")},
      {"id", Str(doc, out.id)},
      {"meta", Object(doc, {{"source", Str(doc, AdapterUri(adapter))}})},
  };
  if (!extensions.empty()) members.push_back({"extension", doc.MakeArray(extensions)});
  members.push_back({"identifier", doc.MakeArray(std::span<const json::Value>(&identifier, 1))});
  members.push_back(
      {"code", Object(doc, {{"coding", doc.MakeArray(std::span<const json::Value>(&coding, 1))}})});
  doc.set_root(doc.MakeObject(members));
  return out;
}

}  // namespace

std::string AdapterUri(std::string_view adapter) {
  return "urn:fhir-engine:adapter:" + std::string(adapter);
}

void SetAdapterSource(json::Document& doc, json::Value& resource, std::string_view adapter) {
  json::Value* meta = resource.Find("meta");
  if (meta == nullptr || !meta->IsObject()) {
    doc.SetMember(resource, "meta", doc.MakeObject(std::span<const json::Member>()));
    meta = resource.Find("meta");
  }
  doc.SetMember(*meta, "source", doc.MakeString(AdapterUri(adapter)));
}

std::string DerivedResourceId(std::string_view adapter, std::string_view key) {
  std::string direct = std::string(adapter) + "." + std::string(key);
  if (!key.empty() && key.front() != '.' && IsValidId(direct)) return direct;
  return std::string(adapter) + ".." + Hex64(Fnv1a(key, 0xcbf29ce484222325ULL)) +
         Hex64(Fnv1a(key, 0x84222325cbf29ce4ULL));
}

Result<MappedRecord> MapIdentity(const SourceRecord& record, std::string_view adapter) {
  switch (record.format) {
    case RecordFormat::kFhirResource:
      return MapFhirResource(record, adapter);
    case RecordFormat::kFhirDelete: {
      if (record.resource_type.empty() || !IsValidId(record.resource_id)) {
        return InvalidArgument("a delete needs a resource type and a valid id");
      }
      MappedRecord out;
      out.action = MappedRecord::Action::kDelete;
      out.type = record.resource_type;
      out.id = record.resource_id;
      return out;
    }
    case RecordFormat::kCsvRow:
    case RecordFormat::kXmlElement:
    case RecordFormat::kJsonObject:
      return MapToBasic(record, adapter);
  }
  return InvalidArgument("unknown record format");
}

std::string RecordText(const SourceRecord& record) {
  switch (record.format) {
    case RecordFormat::kCsvRow: {
      json::Document doc;
      std::vector<json::Value> columns, fields;
      for (const std::string& c : record.columns) columns.push_back(doc.MakeString(c));
      for (const std::string& f : record.fields) fields.push_back(doc.MakeString(f));
      std::array<json::Member, 2> members{json::Member{"columns", doc.MakeArray(columns)},
                                          json::Member{"fields", doc.MakeArray(fields)}};
      return json::Write(doc.MakeObject(members));
    }
    case RecordFormat::kFhirDelete:
      return record.resource_type + "/" + record.resource_id;
    default:
      return record.payload;
  }
}

}  // namespace fhirengine::ingest
