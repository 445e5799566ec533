// ProfileRegistry: loading conformance resources and ValueSet membership.
#include "engine/profiles/profile_registry.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "engine/json/json_parser.h"

namespace fhirengine::profiles {
namespace {

constexpr std::size_t kMaxFileBytes = 64u << 20;
constexpr int kMaxValueSetDepth = 8;

std::string_view Str(const json::Value& object, std::string_view key) {
  const json::Value* v = object.Find(key);
  return v != nullptr && v->IsString() ? v->text() : std::string_view();
}

bool InConcepts(const json::Value* concepts, std::string_view code) {
  if (concepts == nullptr) return false;
  for (const json::Value& c : concepts->elements()) {
    if (Str(c, "code") == code) return true;
    if (InConcepts(c.Find("concept"), code)) return true;
  }
  return false;
}

bool InExpansion(const json::Value* contains, std::string_view system, std::string_view code) {
  if (contains == nullptr) return false;
  for (const json::Value& c : contains->elements()) {
    if (Str(c, "code") == code && (system.empty() || Str(c, "system") == system)) return true;
    if (InExpansion(c.Find("contains"), system, code)) return true;
  }
  return false;
}

std::string_view StripVersion(std::string_view url) {
  return url.substr(0, std::min(url.size(), url.find('|')));
}

}  // namespace

Status ProfileRegistry::Add(std::shared_ptr<const json::Document> document) {
  const json::Value& root = document->root();
  std::string_view type = Str(root, "resourceType");
  if (type == "Bundle") {
    const json::Value* entries = root.Find("entry");
    for (const json::Value& entry :
         entries ? entries->elements() : std::span<const json::Value>()) {
      const json::Value* resource = entry.Find("resource");
      if (resource == nullptr) continue;
      auto single = std::make_shared<json::Document>();
      single->set_root(single->Copy(*resource));
      if (Status s = Add(std::move(single)); !s.ok()) return s;
    }
    return Status::Ok();
  }
  std::string url(Str(root, "url"));
  if (type == "StructureDefinition") {
    Result<std::shared_ptr<const ProfileModel>> model = LoadStructureDefinition(document);
    if (!model.ok()) return model.status();
    profiles_[url] = std::move(*model);
  } else if (type == "ValueSet" && !url.empty()) {
    value_sets_[url] = &document->root();
  } else if (type == "CodeSystem" && !url.empty()) {
    code_systems_[url] = &document->root();
  } else {
    return Status::Ok();
  }
  documents_.push_back(std::move(document));
  return Status::Ok();
}

Status ProfileRegistry::AddFile(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return IoError(file.string() + ": " + ec.message());
  if (size > kMaxFileBytes) {
    return ResourceExhausted(file.string() + ": larger than 64 MiB");
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return IoError(file.string() + ": cannot read");
  ParseLimits limits;
  limits.max_document_bytes = kMaxFileBytes;
  Result<json::Document> doc = json::Parse(text.str(), limits);
  if (!doc.ok()) return InvalidArgument(file.string() + ": " + doc.status().message());
  Status s = Add(std::make_shared<const json::Document>(std::move(*doc)));
  if (!s.ok()) return Status(s.code(), file.string() + ": " + s.message());
  return s;
}

Status ProfileRegistry::AddDirectory(const std::filesystem::path& dir,
                                     std::vector<std::string>* skipped) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return NotFound(dir.string() + ": no such directory");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  }
  if (ec) return IoError(dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const std::string name = f.filename().string();
    // Only conformance resources matter; skip examples and package metadata unread.
    if (!name.starts_with("StructureDefinition-") && !name.starts_with("ValueSet-") &&
        !name.starts_with("CodeSystem-") && dir.filename() == "package") {
      continue;
    }
    Status s = AddFile(f);
    if (!s.ok() && s.message().ends_with(kNoSnapshot)) {
      if (skipped != nullptr) skipped->push_back(f.string());
      continue;
    }
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

const ProfileModel* ProfileRegistry::FindProfile(std::string_view url) const {
  auto it = profiles_.find(StripVersion(url));
  return it == profiles_.end() ? nullptr : it->second.get();
}

const ProfileModel* ProfileRegistry::FindType(std::string_view type_name) const {
  return FindProfile("http://hl7.org/fhir/StructureDefinition/" + std::string(type_name));
}

std::vector<const ProfileModel*> ProfileRegistry::ResourceTypes() const {
  constexpr std::string_view kBase = "http://hl7.org/fhir/StructureDefinition/";
  std::vector<const ProfileModel*> out;
  for (const auto& [url, model] : profiles_) {
    if (model->kind == "resource" && url.size() == kBase.size() + model->type.size() &&
        url.starts_with(kBase) && url.ends_with(model->type)) {
      out.push_back(model.get());
    }
  }
  return out;
}

const json::Value* ProfileRegistry::FindValueSet(std::string_view url) const {
  auto it = value_sets_.find(StripVersion(url));
  return it == value_sets_.end() ? nullptr : it->second;
}

const json::Value* ProfileRegistry::FindCodeSystem(std::string_view url) const {
  auto it = code_systems_.find(StripVersion(url));
  return it == code_systems_.end() ? nullptr : it->second;
}

Membership ProfileRegistry::ValueSetContains(std::string_view value_set, std::string_view system,
                                             std::string_view code) const {
  return ValueSetContains(value_set, system, code, 0);
}

Membership ProfileRegistry::ValueSetContains(std::string_view value_set, std::string_view system,
                                             std::string_view code, int depth) const {
  const json::Value* vs = FindValueSet(value_set);
  if (vs == nullptr || depth > kMaxValueSetDepth) return Membership::kUnknown;
  if (const json::Value* expansion = vs->Find("expansion")) {
    return InExpansion(expansion->Find("contains"), system, code) ? Membership::kMember
                                                                  : Membership::kNotMember;
  }
  const json::Value* compose = vs->Find("compose");
  if (compose == nullptr) return Membership::kUnknown;
  bool unknown = false;
  const json::Value* includes = compose->Find("include");
  for (const json::Value& inc : includes ? includes->elements() : std::span<const json::Value>()) {
    std::string_view inc_system = Str(inc, "system");
    if (const json::Value* vss = inc.Find("valueSet")) {
      for (const json::Value& v : vss->elements()) {
        if (!v.IsString()) continue;
        Membership m = ValueSetContains(v.text(), system, code, depth + 1);
        if (m == Membership::kMember) return m;
        unknown |= m == Membership::kUnknown;
      }
      continue;
    }
    if (!system.empty() && !inc_system.empty() && inc_system != system) continue;
    if (const json::Value* concepts = inc.Find("concept")) {
      for (const json::Value& c : concepts->elements()) {
        if (Str(c, "code") == code) return Membership::kMember;
      }
      continue;
    }
    if (inc.Find("filter") != nullptr) {
      unknown = true;
      continue;
    }
    const json::Value* cs = FindCodeSystem(inc_system);
    if (cs == nullptr || Str(*cs, "content") != "complete") {
      unknown = true;
      continue;
    }
    if (InConcepts(cs->Find("concept"), code)) return Membership::kMember;
  }
  return unknown ? Membership::kUnknown : Membership::kNotMember;
}

}  // namespace fhirengine::profiles
