// The capacity rollup's incremental index (see capacity_index.h). Each
// counted bed and each discharge-ready Encounter adds its contribution to
// the nodes of one path (organization, site, ward) and to the region; a
// change removes the old contribution and adds the new one.
#include "engine/capacity/capacity_index.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "engine/core/time_format.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_value.h"

namespace fhirengine::capacity {
namespace {

constexpr std::string_view kBase = "https://fhir-engine.example.org/fhir";
constexpr std::string_view kPhysicalTypeSystem =
    "http://terminology.hl7.org/CodeSystem/location-physical-type";
constexpr std::string_view kV2_0116 = "http://terminology.hl7.org/CodeSystem/v2-0116";
constexpr std::string_view kAdapterUriPrefix = "urn:fhir-engine:adapter:";
// partOf chains longer than this are treated as broken (a loop, or nonsense).
constexpr int kMaxChainDepth = 32;
constexpr double kMsPerDay = 86'400'000.0;

enum class Physical { kOther, kSite, kWard, kRoom, kBed };
enum class BedState { kClosed, kOccupied, kFree, kHousekeeping, kIsolated, kUnknown };

std::string Join(std::string_view a, std::string_view b) {
  std::string s(a);
  s += b;
  return s;
}

const json::Value* Member(const json::Value& v, std::string_view key) {
  return v.IsObject() ? v.Find(key) : nullptr;
}

std::string_view Text(const json::Value* v) {
  return v != nullptr && v->IsString() ? v->text() : std::string_view();
}

// The id of a reference to `type` ("Location/x", an absolute URL ending in
// "/Location/x", with or without "/_history/n"); empty for anything else.
std::string ReferenceId(const json::Value* reference, std::string_view type) {
  std::string_view ref = Text(Member(reference ? *reference : json::Value(), "reference"));
  if (ref.empty()) return {};
  const std::string prefix = std::string(type) + "/";
  std::size_t at = std::string_view::npos;
  if (ref.starts_with(prefix)) {
    at = 0;
  } else {
    const std::size_t slash = ref.rfind("/" + prefix);
    if (slash != std::string_view::npos) at = slash + 1;
  }
  if (at == std::string_view::npos) return {};
  std::string_view id = ref.substr(at + prefix.size());
  id = id.substr(0, id.find('/'));
  return std::string(id);
}

// The adapter named in meta.source, or "".
std::string SourceOf(const json::Value& root) {
  const json::Value* meta = Member(root, "meta");
  std::string_view source = Text(meta ? Member(*meta, "source") : nullptr);
  if (!source.starts_with(kAdapterUriPrefix)) return {};
  source.remove_prefix(kAdapterUriPrefix.size());
  return std::string(source.substr(0, source.find('#')));
}

// The code of the first coding of `concept` with `system`.
std::string_view CodeIn(const json::Value* codeable, std::string_view system) {
  const json::Value* codings = codeable ? Member(*codeable, "coding") : nullptr;
  if (codings == nullptr || !codings->IsArray()) return {};
  for (const json::Value& c : codings->elements()) {
    if (Text(Member(c, "system")) == system) return Text(Member(c, "code"));
  }
  return {};
}

const json::Value* Extension(const json::Value& root, std::string_view url) {
  const json::Value* extensions = Member(root, "extension");
  if (extensions == nullptr || !extensions->IsArray()) return nullptr;
  for (const json::Value& e : extensions->elements()) {
    if (Text(Member(e, "url")) == url) return &e;
  }
  return nullptr;
}

// A FHIR dateTime as Unix ms: an instant as such; a date or a time without
// zone as UTC (the regional profile requires a zone; this is lenient
// only so that a partial date still counts the patient).
std::optional<std::int64_t> DateTimeMs(std::string_view text) {
  if (Result<std::int64_t> instant = ParseInstant(text); instant.ok()) return *instant;
  int y = 0, m = 1, d = 1;
  auto number = [&text](std::size_t at, std::size_t n, int& out) {
    if (text.size() < at + n) return false;
    auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + n, out);
    return ec == std::errc() && end == text.data() + at + n;
  };
  if (!number(0, 4, y)) return std::nullopt;
  if (text.size() >= 7 && (text[4] != '-' || !number(5, 2, m))) return std::nullopt;
  if (text.size() >= 10 && (text[7] != '-' || !number(8, 2, d))) return std::nullopt;
  if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT00:00:00Z", y, m, d);
  Result<std::int64_t> day = ParseInstant(buffer);
  if (!day.ok()) return std::nullopt;
  return *day;
}

void AddState(BedCounts& c, BedState state, std::int64_t sign) {
  c.total += sign;
  switch (state) {
    case BedState::kClosed:
      c.closed += sign;
      break;
    case BedState::kOccupied:
      c.occupied += sign;
      break;
    case BedState::kFree:
      c.free += sign;
      break;
    case BedState::kHousekeeping:
      c.housekeeping += sign;
      break;
    case BedState::kIsolated:
      c.isolated += sign;
      break;
    case BedState::kUnknown:
      c.unknown += sign;
      break;
  }
}

// Where a bed or a patient is counted: organization, site, ward
// references ("unplaced" where unknown). depth 3 for beds; 1 for an
// Encounter counted at its serviceProvider; 0 for the region only.
struct Path {
  std::string org, site, ward;
  int depth = 0;
};

}  // namespace

struct CapacityIndex::State {
  struct Location {
    std::int64_t version = 0;
    Physical physical = Physical::kOther;
    std::string status;
    std::string name;
    std::string part_of;       // Location id, "" for none
    std::string managing_org;  // "Organization/x", "" for none
    std::string source;
    BedState state = BedState::kUnknown;
    std::string category = "unknown";
    bool counted = false;  // currently contributing (then `path` is where)
    Path path;
  };
  struct Organization {
    std::string name;
    std::string kind;
  };
  struct Encounter {
    std::int64_t ready_ms = 0;
    std::string location;  // Location id, "" for none
    std::string provider;  // "Organization/x", "" for none
    std::string source;
    bool counted = false;
    Path path;
  };
  struct Node {
    NodeKind kind = NodeKind::kRegion;
    std::string reference;
    std::string parent;  // the parent node's key ("" for an organization)
    BedCounts beds;
    std::map<std::string, BedCounts> by_category;
    std::multiset<std::int64_t> ready_since;
    std::map<std::string, std::int64_t> sources;  // source -> contributions
    std::int64_t members = 0;                     // beds + patients counted here
  };

  std::unordered_map<std::string, std::int64_t> versions;  // "Type/id" -> applied version
  bool forget_unheld = false;                              // see ForgetUnheldVersions

  bool Holds(std::string_view type, const std::string& id) const {
    if (type == "Location") return locations.contains(id);
    if (type == "Encounter") return encounters.contains(id);
    return organizations.contains("Organization/" + id);
  }
  std::unordered_map<std::string, Location> locations;
  std::unordered_map<std::string, Organization> organizations;  // by "Organization/x"
  std::unordered_map<std::string, Encounter> encounters;        // discharge-ready, in progress
  // Location id -> ids of Locations whose partOf names it (known or not).
  std::unordered_map<std::string, std::unordered_set<std::string>> children;
  // Location id -> discharge-ready Encounters lying there.
  std::unordered_map<std::string, std::unordered_set<std::string>> encounters_at;
  Node region;
  std::unordered_map<std::string, Node> nodes;  // by key: org, org\nsite, org\nsite\nward

  // ---- contributions --------------------------------------------------------

  template <typename F>
  void ForPath(const Path& path, F&& f) {
    f(region);
    std::string key;
    std::string parent;
    const std::string* refs[] = {&path.org, &path.site, &path.ward};
    const NodeKind kinds[] = {NodeKind::kOrganization, NodeKind::kSite, NodeKind::kWard};
    for (int level = 0; level < path.depth; ++level) {
      parent = key;
      if (level > 0) key += '\n';
      key += *refs[level];
      auto [it, inserted] = nodes.try_emplace(key);
      Node& node = it->second;
      if (inserted) {
        node.kind = kinds[level];
        node.reference = *refs[level];
        node.parent = parent;
      }
      f(node);
      if (node.members == 0) nodes.erase(it);
    }
  }

  static void CountSource(Node& node, const std::string& source, std::int64_t sign) {
    if (source.empty()) return;
    auto it = node.sources.try_emplace(source, 0).first;
    it->second += sign;
    if (it->second == 0) node.sources.erase(it);
  }

  void CountBed(Location& bed, std::int64_t sign) {
    ForPath(bed.path, [&](Node& node) {
      AddState(node.beds, bed.state, sign);
      BedCounts& cat = node.by_category[bed.category];
      AddState(cat, bed.state, sign);
      if (cat.total == 0) node.by_category.erase(bed.category);
      CountSource(node, bed.source, sign);
      node.members += sign;
    });
  }

  void CountEncounter(Encounter& e, std::int64_t sign) {
    ForPath(e.path, [&](Node& node) {
      if (sign > 0) {
        node.ready_since.insert(e.ready_ms);
      } else {
        node.ready_since.erase(node.ready_since.find(e.ready_ms));
      }
      CountSource(node, e.source, sign);
      node.members += sign;
    });
  }

  // ---- placement ------------------------------------------------------------

  // docs/capacity.md, "The hierarchy": the first ward up the chain, the
  // first site above it, the organization of the bed, else the ward, else
  // the site; "unplaced" where the chain breaks.
  Path Place(const Location& bed) const {
    Path path;
    path.depth = 3;
    const Location* ward = nullptr;
    const Location* site = nullptr;
    std::string next = bed.part_of;
    std::unordered_set<std::string> seen;
    for (int depth = 0; !next.empty() && depth < kMaxChainDepth; ++depth) {
      if (!seen.insert(next).second) break;  // a loop
      auto it = locations.find(next);
      if (it == locations.end()) break;  // not received (yet)
      const Location& at = it->second;
      if (ward == nullptr && at.physical == Physical::kWard) {
        ward = &at;
        path.ward = "Location/" + next;
      } else if (at.physical == Physical::kSite) {
        site = &at;
        path.site = "Location/" + next;
        break;
      }
      next = at.part_of;
    }
    if (path.ward.empty()) path.ward = kUnplaced;
    if (path.site.empty()) path.site = kUnplaced;
    if (!bed.managing_org.empty()) {
      path.org = bed.managing_org;
    } else if (ward != nullptr && !ward->managing_org.empty()) {
      path.org = ward->managing_org;
    } else if (site != nullptr && !site->managing_org.empty()) {
      path.org = site->managing_org;
    } else {
      path.org = kUnplaced;
    }
    return path;
  }

  Path PlaceEncounter(const Encounter& e) const {
    auto bed = locations.find(e.location);
    if (!e.location.empty() && bed != locations.end() && bed->second.counted) {
      return bed->second.path;
    }
    Path path;
    path.depth = 1;
    path.org = e.provider.empty() ? std::string(kUnplaced) : e.provider;
    return path;
  }

  // Removes (sign -1) or adds again (+1) the contributions of Location `id`
  // and of the patients lying there.
  void Detach(const std::string& id) {
    if (auto at = encounters_at.find(id); at != encounters_at.end()) {
      for (const std::string& e : at->second) {
        Encounter& enc = encounters.at(e);
        if (enc.counted) CountEncounter(enc, -1);
        enc.counted = false;
      }
    }
    auto it = locations.find(id);
    if (it != locations.end() && it->second.counted) {
      CountBed(it->second, -1);
      it->second.counted = false;
    }
  }

  void Attach(const std::string& id) {
    auto it = locations.find(id);
    if (it != locations.end() && it->second.physical == Physical::kBed &&
        it->second.status != "inactive") {
      Location& bed = it->second;
      bed.path = Place(bed);
      bed.counted = true;
      CountBed(bed, +1);
    }
    if (auto at = encounters_at.find(id); at != encounters_at.end()) {
      for (const std::string& e : at->second) {
        Encounter& enc = encounters.at(e);
        enc.path = PlaceEncounter(enc);
        enc.counted = true;
        CountEncounter(enc, +1);
      }
    }
  }

  // `id` and every Location below it (partOf), each once.
  std::vector<std::string> Subtree(const std::string& id) const {
    std::vector<std::string> out{id};
    std::unordered_set<std::string> seen{id};
    for (std::size_t i = 0; i < out.size(); ++i) {
      auto it = children.find(out[i]);
      if (it == children.end()) continue;
      for (const std::string& child : it->second) {
        if (seen.insert(child).second) out.push_back(child);
      }
    }
    return out;
  }

  // ---- resources -------------------------------------------------------------

  void PutLocation(const std::string& id, const json::Value* root) {
    // Everything below this Location may be placed differently afterwards:
    // take it out, change the record, put it back.
    const std::vector<std::string> below = Subtree(id);
    for (const std::string& l : below) Detach(l);
    if (auto old = locations.find(id); old != locations.end()) {
      if (!old->second.part_of.empty()) {
        auto siblings = children.find(old->second.part_of);
        if (siblings != children.end()) {
          siblings->second.erase(id);
          if (siblings->second.empty()) children.erase(siblings);
        }
      }
      locations.erase(old);
    }
    if (root != nullptr) {
      Location loc;
      std::string_view physical = CodeIn(Member(*root, "physicalType"), kPhysicalTypeSystem);
      loc.physical = physical == "bd"   ? Physical::kBed
                     : physical == "wa" ? Physical::kWard
                     : physical == "si" ? Physical::kSite
                     : physical == "ro" ? Physical::kRoom
                                        : Physical::kOther;
      loc.status = std::string(Text(Member(*root, "status")));
      loc.name = std::string(Text(Member(*root, "name")));
      loc.part_of = ReferenceId(Member(*root, "partOf"), "Location");
      if (std::string org = ReferenceId(Member(*root, "managingOrganization"), "Organization");
          !org.empty()) {
        loc.managing_org = "Organization/" + org;
      }
      loc.source = SourceOf(*root);
      loc.state = StateOf(*root, loc.status);
      const json::Value* category =
          Extension(*root, Join(kBase, "/StructureDefinition/bed-category"));
      std::string_view code = CodeIn(category ? Member(*category, "valueCodeableConcept") : nullptr,
                                     Join(kBase, "/CodeSystem/bed-category"));
      if (!code.empty()) loc.category = std::string(code);
      if (!loc.part_of.empty()) children[loc.part_of].insert(id);
      locations.emplace(id, std::move(loc));
    }
    for (const std::string& l : below) Attach(l);
  }

  static BedState StateOf(const json::Value& root, std::string_view status) {
    const json::Value* op = Member(root, "operationalStatus");
    std::string_view system = Text(op ? Member(*op, "system") : nullptr);
    std::string_view code =
        (system.empty() || system == kV2_0116) ? Text(op ? Member(*op, "code") : nullptr) : "";
    if (status == "suspended" || code == "C") return BedState::kClosed;
    if (code == "O") return BedState::kOccupied;
    if (code == "U" && status == "active") return BedState::kFree;
    if (code == "H") return BedState::kHousekeeping;
    if (code == "I" || code == "K") return BedState::kIsolated;
    return BedState::kUnknown;
  }

  void PutEncounter(const std::string& id, const json::Value* root) {
    if (auto old = encounters.find(id); old != encounters.end()) {
      if (old->second.counted) CountEncounter(old->second, -1);
      auto at = encounters_at.find(old->second.location);
      if (at != encounters_at.end()) {
        at->second.erase(id);
        if (at->second.empty()) encounters_at.erase(at);
      }
      encounters.erase(old);
    }
    if (root == nullptr || Text(Member(*root, "status")) != "in-progress") return;
    const json::Value* ready =
        Extension(*root, Join(kBase, "/StructureDefinition/discharge-ready"));
    std::optional<std::int64_t> ready_ms =
        DateTimeMs(Text(ready ? Member(*ready, "valueDateTime") : nullptr));
    if (!ready_ms) return;
    Encounter enc;
    enc.ready_ms = *ready_ms;
    enc.source = SourceOf(*root);
    if (std::string org = ReferenceId(Member(*root, "serviceProvider"), "Organization");
        !org.empty()) {
      enc.provider = "Organization/" + org;
    }
    // The active location entry, else the last one.
    const json::Value* entries = Member(*root, "location");
    if (entries != nullptr && entries->IsArray() && entries->size() > 0) {
      const json::Value* chosen = &entries->elements().back();
      for (const json::Value& entry : entries->elements()) {
        if (Text(Member(entry, "status")) == "active") {
          chosen = &entry;
          break;
        }
      }
      enc.location = ReferenceId(Member(*chosen, "location"), "Location");
    }
    enc.path = PlaceEncounter(enc);
    enc.counted = true;
    Encounter& stored = encounters.insert_or_assign(id, std::move(enc)).first->second;
    encounters_at[stored.location].insert(id);
    CountEncounter(stored, +1);
  }

  void PutOrganization(const std::string& id, const json::Value* root) {
    const std::string ref = "Organization/" + id;
    if (root == nullptr) {
      organizations.erase(ref);
      return;
    }
    Organization org;
    org.name = std::string(Text(Member(*root, "name")));
    const json::Value* types = Member(*root, "type");
    if (types != nullptr && types->IsArray()) {
      for (const json::Value& t : types->elements()) {
        std::string_view kind = CodeIn(&t, Join(kBase, "/CodeSystem/organization-kind"));
        if (!kind.empty()) {
          org.kind = std::string(kind);
          break;
        }
      }
    }
    organizations.insert_or_assign(ref, std::move(org));
  }

  // ---- the tree --------------------------------------------------------------

  std::string NameOf(const Node& node) const {
    if (node.reference == kUnplaced) return "Unplaced";
    if (node.kind == NodeKind::kOrganization) {
      auto it = organizations.find(node.reference);
      if (it != organizations.end() && !it->second.name.empty()) return it->second.name;
    } else {
      auto it = locations.find(node.reference.substr(std::string_view("Location/").size()));
      if (it != locations.end() && !it->second.name.empty()) return it->second.name;
    }
    return node.reference;
  }

  CapacityNode Render(const Node& node, std::int64_t now_ms,
                      const std::set<std::string>& stale_sources) const {
    CapacityNode out;
    out.kind = node.kind;
    out.reference = node.reference;
    out.counts.beds = node.beds;
    out.counts.by_category = node.by_category;
    out.counts.discharge_ready.patients = static_cast<std::int64_t>(node.ready_since.size());
    for (std::int64_t since : node.ready_since) {
      const double days =
          static_cast<double>(std::max<std::int64_t>(0, now_ms - since)) / kMsPerDay;
      out.counts.discharge_ready.wait_days_total += days;
      out.counts.discharge_ready.wait_days_max =
          std::max(out.counts.discharge_ready.wait_days_max, days);
    }
    for (const auto& [source, n] : node.sources) {
      out.sources.push_back(source);
      if (stale_sources.contains(source)) out.stale = true;
    }
    if (node.kind == NodeKind::kRegion) {
      out.name = "Region";
    } else {
      out.name = NameOf(node);
    }
    if (node.kind == NodeKind::kOrganization && node.reference != kUnplaced) {
      auto it = organizations.find(node.reference);
      if (it != organizations.end()) out.organization_kind = it->second.kind;
    }
    return out;
  }
};

CapacityIndex::CapacityIndex() : state_(std::make_unique<State>()) {}
CapacityIndex::~CapacityIndex() = default;

bool CapacityIndex::Apply(std::string_view type, std::string_view id, std::int64_t version,
                          bool deleted, std::string_view json_text) {
  if (type != "Location" && type != "Encounter" && type != "Organization") return false;
  std::string key = Join(type, "/");
  key += id;
  auto [it, inserted] = state_->versions.try_emplace(key, version);
  if (!inserted) {
    if (it->second >= version) return false;
    it->second = version;
  }
  std::optional<json::Document> doc;
  const json::Value* root = nullptr;
  if (!deleted) {
    Result<json::Document> parsed = json::Parse(json_text);
    if (parsed.ok() && parsed->root().IsObject()) {
      doc = std::move(parsed).value();
      root = &doc->root();
    }
  }
  const std::string resource_id(id);
  if (type == "Location") {
    state_->PutLocation(resource_id, root);
  } else if (type == "Encounter") {
    state_->PutEncounter(resource_id, root);
  } else {
    state_->PutOrganization(resource_id, root);
  }
  if (state_->forget_unheld && !state_->Holds(type, resource_id)) state_->versions.erase(key);
  return true;
}

void CapacityIndex::ForgetUnheldVersions() {
  state_->forget_unheld = true;
  for (auto it = state_->versions.begin(); it != state_->versions.end();) {
    const std::string& key = it->first;
    const std::size_t slash = key.find('/');
    if (!state_->Holds(std::string_view(key).substr(0, slash), key.substr(slash + 1))) {
      it = state_->versions.erase(it);
    } else {
      ++it;
    }
  }
}

std::size_t CapacityIndex::remembered_versions() const { return state_->versions.size(); }

CapacityNode CapacityIndex::Tree(std::int64_t now_ms,
                                 const std::set<std::string>& stale_sources) const {
  const State& s = *state_;
  // Render every node, then hang each under its parent, deepest first.
  std::unordered_map<std::string, CapacityNode> rendered;
  std::vector<const std::pair<const std::string, State::Node>*> order;
  order.reserve(s.nodes.size());
  for (const auto& entry : s.nodes) {
    rendered.emplace(entry.first, s.Render(entry.second, now_ms, stale_sources));
    order.push_back(&entry);
  }
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return static_cast<int>(a->second.kind) > static_cast<int>(b->second.kind);
  });
  CapacityNode region = s.Render(s.region, now_ms, stale_sources);
  auto by_name = [](const CapacityNode& a, const CapacityNode& b) {
    return a.name != b.name ? a.name < b.name : a.reference < b.reference;
  };
  for (const auto* entry : order) {
    CapacityNode& node = rendered.at(entry->first);
    std::sort(node.children.begin(), node.children.end(), by_name);
    std::vector<CapacityNode>& siblings =
        entry->second.parent.empty() ? region.children : rendered.at(entry->second.parent).children;
    siblings.push_back(std::move(node));
  }
  std::sort(region.children.begin(), region.children.end(), by_name);
  return region;
}

std::set<std::string> CapacityIndex::Sources() const {
  std::set<std::string> out;
  for (const auto& [source, n] : state_->region.sources) out.insert(source);
  return out;
}

void CapacityIndex::Clear() { state_ = std::make_unique<State>(); }

void CapacityIndex::Swap(CapacityIndex& other) noexcept { state_.swap(other.state_); }

std::size_t CapacityIndex::counted_beds() const {
  return static_cast<std::size_t>(state_->region.beds.total);
}

}  // namespace fhirengine::capacity
