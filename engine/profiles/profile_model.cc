// Reads StructureDefinition JSON into profiles::ProfileModel.
#include "engine/profiles/profile_model.h"

#include <charconv>
#include <string_view>

namespace fhirengine::profiles {
namespace {

std::string Str(const json::Value& object, std::string_view key) {
  const json::Value* v = object.Find(key);
  return v != nullptr && v->IsString() ? std::string(v->text()) : std::string();
}

// The value of the first member named prefix + TypeName ("fixedUri").
const json::Value* ChoiceMember(const json::Value& object, std::string_view prefix) {
  for (const json::Member& m : object.members()) {
    if (m.key.size() > prefix.size() && m.key.starts_with(prefix) && m.key[prefix.size()] >= 'A' &&
        m.key[prefix.size()] <= 'Z') {
      return &m.value;
    }
  }
  return nullptr;
}

Result<ElementModel> LoadElement(const json::Value& e) {
  ElementModel out;
  out.id = Str(e, "id");
  out.path = Str(e, "path");
  if (out.path.empty()) return InvalidArgument("snapshot element without a path");
  if (out.id.empty()) out.id = out.path;
  out.slice_name = Str(e, "sliceName");
  if (const json::Value* min = e.Find("min"); min != nullptr && min->IsNumber()) {
    std::string_view t = min->text();
    std::uint32_t n = 0;
    if (std::from_chars(t.data(), t.data() + t.size(), n).ec == std::errc()) out.min = n;
  }
  std::string max = Str(e, "max");
  if (!max.empty() && max != "*") {
    std::uint32_t n = 0;
    if (std::from_chars(max.data(), max.data() + max.size(), n).ec != std::errc()) {
      return InvalidArgument("element " + out.id + ": bad max '" + max + "'");
    }
    out.max = n;
  }
  for (const json::Value& t :
       e.Find("type") ? e.Find("type")->elements() : std::span<const json::Value>()) {
    TypeRef ref;
    ref.code = Str(t, "code");
    if (const json::Value* p = t.Find("profile")) {
      for (const json::Value& s : p->elements()) {
        if (s.IsString()) ref.profiles.emplace_back(s.text());
      }
    }
    if (const json::Value* p = t.Find("targetProfile")) {
      for (const json::Value& s : p->elements()) {
        if (s.IsString()) ref.target_profiles.emplace_back(s.text());
      }
    }
    out.types.push_back(std::move(ref));
  }
  out.fixed = ChoiceMember(e, "fixed");
  out.pattern = ChoiceMember(e, "pattern");
  if (const json::Value* b = e.Find("binding"); b != nullptr && b->IsObject()) {
    ElementBinding binding{Str(*b, "strength"), Str(*b, "valueSet")};
    if (auto bar = binding.value_set.find('|'); bar != std::string::npos) {
      binding.value_set.resize(bar);
    }
    out.binding = std::move(binding);
  }
  if (const json::Value* cs = e.Find("constraint")) {
    for (const json::Value& c : cs->elements()) {
      out.constraints.push_back(
          {Str(c, "key"), Str(c, "severity"), Str(c, "human"), Str(c, "expression")});
    }
  }
  if (const json::Value* s = e.Find("slicing"); s != nullptr && s->IsObject()) {
    Slicing slicing;
    slicing.rules = Str(*s, "rules");
    if (const json::Value* ds = s->Find("discriminator")) {
      for (const json::Value& d : ds->elements()) {
        slicing.discriminators.push_back({Str(d, "type"), Str(d, "path")});
      }
    }
    out.slicing = std::move(slicing);
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<const ProfileModel>> LoadStructureDefinition(
    std::shared_ptr<const json::Document> document) {
  const json::Value& root = document->root();
  if (Str(root, "resourceType") != "StructureDefinition") {
    return InvalidArgument("not a StructureDefinition");
  }
  auto model = std::make_shared<ProfileModel>();
  model->url = Str(root, "url");
  model->name = Str(root, "name");
  model->type = Str(root, "type");
  model->kind = Str(root, "kind");
  model->base_definition = Str(root, "baseDefinition");
  if (model->url.empty()) return InvalidArgument("StructureDefinition without a url");
  const json::Value* snapshot = root.Find("snapshot");
  const json::Value* elements = snapshot != nullptr ? snapshot->Find("element") : nullptr;
  if (elements == nullptr || elements->size() == 0) {
    return InvalidArgument("StructureDefinition " + model->url + " has no snapshot " +
                           std::string(kNoSnapshot));
  }
  for (const json::Value& e : elements->elements()) {
    Result<ElementModel> element = LoadElement(e);
    if (!element.ok()) {
      return InvalidArgument(model->url + ": " + element.status().message());
    }
    model->snapshot.push_back(std::move(*element));
  }
  model->source = std::move(document);
  return std::shared_ptr<const ProfileModel>(std::move(model));
}

}  // namespace fhirengine::profiles
