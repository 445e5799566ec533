// The capacity summary JSON (see capacity_summary_json.h).
#include "engine/capacity/capacity_summary_json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string_view>

#include "engine/core/time_format.h"

namespace fhirengine::capacity {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Key(Writer& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

void String(Writer& w, std::string_view text) {
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

std::string_view KindName(NodeKind kind) {
  switch (kind) {
    case NodeKind::kRegion:
      return "region";
    case NodeKind::kOrganization:
      return "organization";
    case NodeKind::kSite:
      return "site";
    case NodeKind::kWard:
      return "ward";
  }
  return "region";
}

void WriteBeds(Writer& w, const BedCounts& c) {
  w.StartObject();
  Key(w, "total");
  w.Int64(c.total);
  Key(w, "occupied");
  w.Int64(c.occupied);
  Key(w, "free");
  w.Int64(c.free);
  Key(w, "closed");
  w.Int64(c.closed);
  Key(w, "housekeeping");
  w.Int64(c.housekeeping);
  Key(w, "isolated");
  w.Int64(c.isolated);
  Key(w, "unknown");
  w.Int64(c.unknown);
  w.EndObject();
}

void WriteNode(Writer& w, const CapacityNode& node) {
  w.StartObject();
  if (node.kind != NodeKind::kRegion) {
    Key(w, "kind");
    String(w, KindName(node.kind));
  }
  Key(w, "reference");
  String(w, node.reference);
  Key(w, "name");
  String(w, node.name);
  if (node.kind == NodeKind::kOrganization) {
    Key(w, "organization_kind");
    String(w, node.organization_kind);
  }
  Key(w, "stale");
  w.Bool(node.stale);
  Key(w, "sources");
  w.StartArray();
  for (const std::string& s : node.sources) String(w, s);
  w.EndArray();
  Key(w, "beds");
  WriteBeds(w, node.counts.beds);
  Key(w, "by_category");
  w.StartObject();
  for (const auto& [category, counts] : node.counts.by_category) {
    Key(w, category);
    WriteBeds(w, counts);
  }
  w.EndObject();
  Key(w, "discharge_ready");
  w.StartObject();
  Key(w, "patients");
  w.Int64(node.counts.discharge_ready.patients);
  Key(w, "wait_days_total");
  w.Double(node.counts.discharge_ready.wait_days_total);
  Key(w, "wait_days_max");
  w.Double(node.counts.discharge_ready.wait_days_max);
  w.EndObject();
  if (node.kind != NodeKind::kWard) {
    Key(w, "children");
    w.StartArray();
    for (const CapacityNode& child : node.children) WriteNode(w, child);
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace

std::string CapacitySummaryJson(const CapacitySnapshot& snapshot) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Key(w, "generated");
  String(w, FormatInstant(snapshot.generated_ms));
  Key(w, "sequence");
  w.Uint64(snapshot.sequence);
  if (snapshot.loading) {  // the first load is not done: the counts are not the picture yet
    Key(w, "loading");
    w.Bool(true);
  }
  Key(w, "region");
  WriteNode(w, snapshot.region);
  Key(w, "sources");
  w.StartArray();
  for (const SourceFreshness& s : snapshot.sources) {
    w.StartObject();
    Key(w, "name");
    String(w, s.name);
    Key(w, "state");
    String(w, s.state);
    Key(w, "last_success");
    if (s.last_success_ms) {
      String(w, FormatInstant(*s.last_success_ms));
    } else {
      w.Null();
    }
    Key(w, "age_s");
    if (s.last_success_ms) {
      w.Double(static_cast<double>(snapshot.generated_ms - *s.last_success_ms) / 1000.0);
    } else {
      w.Null();
    }
    Key(w, "stale_after_s");
    w.Int64(s.stale_after_ms / 1000);
    Key(w, "stale");
    w.Bool(s.stale);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace fhirengine::capacity
