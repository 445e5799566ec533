// The all-problems JSON Schema walk (see schema_check.h).
#include "engine/ingest/schema_check.h"

#include <rapidjson/pointer.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <set>

namespace fhirengine::ingest {
namespace {

std::string KindOf(const rapidjson::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsInt64() || v.IsUint64()) return "an integer";
  if (v.IsNumber()) return "a number";
  if (v.IsString()) return "a string";
  if (v.IsArray()) return "an array";
  return "an object";
}

std::string Text(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string Description(const rapidjson::Value& schema) {
  if (schema.IsObject()) {
    auto d = schema.FindMember("description");
    if (d != schema.MemberEnd() && d->value.IsString()) return d->value.GetString();
  }
  return "";
}

// The document pointer RapidJSON reports ("/a/0") as a path below `base`.
std::string PathOf(const std::string& base, const rapidjson::Pointer& pointer) {
  std::string path = base;
  for (std::size_t i = 0; i < pointer.GetTokenCount(); ++i) {
    const rapidjson::Pointer::Token& t = pointer.GetTokens()[i];
    if (t.index != rapidjson::kPointerInvalidIndex) {
      path = ChildPath(path, static_cast<std::size_t>(t.index));
    } else {
      path = ChildPath(path, std::string(t.name, t.length));
    }
  }
  return path;
}

std::string FoundWhat(const rapidjson::Value& found, const std::string& path,
                      const SubstitutedPaths& substituted) {
  auto it = substituted.find(path);
  std::string what = "found " + KindOf(found);
  if (it != substituted.end()) what += " (the value from ${" + it->second + "})";
  return what;
}

// One problem from RapidJSON's first violation of `schema` by `value`.
ConfigProblem Explain(const rapidjson::Value& value, const rapidjson::Value& schema,
                      const rapidjson::SchemaValidator& validator, const std::string& base,
                      const SubstitutedPaths& substituted) {
  ConfigProblem p;
  p.path = PathOf(base, validator.GetInvalidDocumentPointer());
  const std::string keyword = validator.GetInvalidSchemaKeyword();
  const rapidjson::Value* rule = validator.GetInvalidSchemaPointer().Get(schema);
  const rapidjson::Value* found = validator.GetInvalidDocumentPointer().Get(value);
  const rapidjson::Value* arg = nullptr;
  if (rule != nullptr && rule->IsObject()) {
    auto m = rule->FindMember(keyword.c_str());
    if (m != rule->MemberEnd()) arg = &m->value;
  }
  const std::string what =
      found != nullptr ? FoundWhat(*found, p.path, substituted) : std::string();
  const std::string described = rule != nullptr ? Description(*rule) : "";
  if (keyword == "type" && arg != nullptr) {
    p.problem = "expected " + Text(*arg) + ", " + what;
    p.hint = described.empty() ? "use a value of type " + Text(*arg) : "use " + described;
  } else if (keyword == "enum" && arg != nullptr) {
    p.problem = "not one of the allowed values (" + what + ")";
    p.hint = "use one of " + Text(*arg);
  } else if ((keyword == "minimum" || keyword == "maximum") && arg != nullptr) {
    p.problem = (keyword == "minimum" ? "below the minimum " : "above the maximum ") + Text(*arg);
    p.hint = described.empty() ? "use a value within the allowed range" : "use " + described;
  } else if ((keyword == "minLength" || keyword == "maxLength") && arg != nullptr) {
    p.problem =
        (keyword == "minLength" ? "shorter than " : "longer than ") + Text(*arg) + " characters";
    p.hint = described.empty() ? "use a string of an allowed length" : "use " + described;
  } else if (keyword == "pattern" && arg != nullptr) {
    p.problem = "does not match the pattern " + Text(*arg);
    p.hint = described.empty() ? "use a value matching that pattern" : "use " + described;
  } else if (keyword == "oneOf" || keyword == "anyOf") {
    p.problem = "matches " + std::string(keyword == "oneOf" ? "none or more than one" : "none") +
                " of the allowed forms";
    p.hint = described.empty() ? "see the documentation of this key" : described;
  } else if ((keyword == "minItems" || keyword == "maxItems") && arg != nullptr) {
    p.problem = std::string(keyword == "minItems" ? "fewer" : "more") + " items than " + Text(*arg);
    p.hint = described.empty() ? "change the number of items" : described;
  } else {
    p.problem = "violates the schema rule '" + keyword + "'";
    p.hint = described.empty() ? "see the documentation of this key" : described;
  }
  return p;
}

// `schema` without the members the walk handles itself.
rapidjson::Document Shallow(const rapidjson::Value& schema) {
  rapidjson::Document copy;
  copy.CopyFrom(schema, copy.GetAllocator());
  for (const char* key : {"properties", "required", "additionalProperties", "items"}) {
    copy.RemoveMember(key);
  }
  return copy;
}

}  // namespace

std::string ChildPath(const std::string& path, const std::string& key) { return path + "." + key; }

std::string ChildPath(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

void CheckAgainstSchema(const rapidjson::Value& value, const rapidjson::Value& schema,
                        const std::string& path, const SubstitutedPaths& substituted,
                        std::vector<ConfigProblem>& problems) {
  if (!schema.IsObject()) return;
  // Everything but the structure this walk recurses into, by RapidJSON.
  {
    rapidjson::Document shallow = Shallow(schema);
    rapidjson::SchemaDocument compiled(shallow);
    rapidjson::SchemaValidator validator(compiled);
    if (!value.Accept(validator)) {
      problems.push_back(Explain(value, shallow, validator, path, substituted));
      return;  // a value of the wrong type has no members worth checking
    }
  }
  if (value.IsObject()) {
    auto props = schema.FindMember("properties");
    const bool has_props = props != schema.MemberEnd() && props->value.IsObject();
    auto required = schema.FindMember("required");
    if (required != schema.MemberEnd() && required->value.IsArray()) {
      for (const rapidjson::Value& key : required->value.GetArray()) {
        if (key.IsString() && !value.HasMember(key)) {
          problems.push_back(
              {path, "missing the required key \"" + std::string(key.GetString()) + "\"",
               "add \"" + std::string(key.GetString()) + "\"" +
                   (Description(schema).empty() ? "" : " (" + Description(schema) + ")")});
        }
      }
    }
    auto additional = schema.FindMember("additionalProperties");
    const bool closed = additional != schema.MemberEnd() && additional->value.IsFalse();
    for (const auto& member : value.GetObject()) {
      const std::string key(member.name.GetString(), member.name.GetStringLength());
      const std::string child = ChildPath(path, key);
      const rapidjson::Value* sub = nullptr;
      if (has_props) {
        auto s = props->value.FindMember(member.name);
        if (s != props->value.MemberEnd()) sub = &s->value;
      }
      if (sub != nullptr) {
        CheckAgainstSchema(member.value, *sub, child, substituted, problems);
      } else if (closed) {
        std::string known;
        if (has_props) {
          for (const auto& p : props->value.GetObject()) {
            known += (known.empty() ? "" : ", ") + std::string(p.name.GetString());
          }
        }
        problems.push_back({child, "unknown key",
                            "remove it or correct its spelling (known here: " + known + ")"});
      } else if (additional != schema.MemberEnd() && additional->value.IsObject()) {
        CheckAgainstSchema(member.value, additional->value, child, substituted, problems);
      }
    }
  }
  if (value.IsArray()) {
    auto items = schema.FindMember("items");
    if (items != schema.MemberEnd() && items->value.IsObject()) {
      std::size_t i = 0;
      for (const rapidjson::Value& element : value.GetArray()) {
        CheckAgainstSchema(element, items->value, ChildPath(path, i++), substituted, problems);
      }
    }
  }
}

}  // namespace fhirengine::ingest
