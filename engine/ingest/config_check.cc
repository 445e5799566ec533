// The configuration checks (see config_check.h).
#include "engine/ingest/config_check.h"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>

#include "engine/ingest/embedded_config_schema.h"
#include "engine/ingest/plugin_loader.h"
#include "engine/json/json_parser.h"

namespace fhirengine::ingest {
namespace {

std::string Text(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// Replaces every ${NAME} in the document's strings; a missing variable or a
// malformed reference is a problem at its path. Substituted paths are
// recorded so messages can say where a value came from without echoing it.
// What substitution put into the document: (value, "${NAME}"), so that a
// message quoting it (an adapter factory's) can be redacted.
using SubstitutedValues = std::vector<std::pair<std::string, std::string>>;

void Substitute(rapidjson::Value& value, rapidjson::Document::AllocatorType& allocator,
                const std::string& path, const GetEnv& getenv, SubstitutedPaths& substituted,
                SubstitutedValues& values, std::vector<ConfigProblem>& problems) {
  if (value.IsObject()) {
    for (auto& m : value.GetObject()) {
      Substitute(m.value, allocator,
                 ChildPath(path, std::string(m.name.GetString(), m.name.GetStringLength())), getenv,
                 substituted, values, problems);
    }
    return;
  }
  if (value.IsArray()) {
    std::size_t i = 0;
    for (auto& e : value.GetArray()) {
      Substitute(e, allocator, ChildPath(path, i++), getenv, substituted, values, problems);
    }
    return;
  }
  if (!value.IsString()) return;
  const std::string_view in(value.GetString(), value.GetStringLength());
  if (in.find("${") == std::string_view::npos) return;
  std::string out;
  std::string names;
  std::size_t pos = 0;
  while (pos < in.size()) {
    const std::size_t start = in.find("${", pos);
    if (start == std::string_view::npos) {
      out.append(in.substr(pos));
      break;
    }
    out.append(in.substr(pos, start - pos));
    const std::size_t end = in.find('}', start + 2);
    const std::string name(end == std::string_view::npos ? std::string_view()
                                                         : in.substr(start + 2, end - start - 2));
    bool valid = !name.empty() && IsNameStart(name[0]);
    for (char c : name) valid = valid && IsNameChar(c);
    if (!valid) {
      problems.push_back({path, "a malformed ${...} reference",
                          "write ${NAME} with NAME made of letters, digits and '_'"});
      return;
    }
    const char* found = getenv(name.c_str());
    if (found == nullptr) {
      problems.push_back({path, "the environment variable " + name + " is not set",
                          "set " + name + " in the engine's environment"});
      return;
    }
    out.append(found);
    values.emplace_back(found, "${" + name + "}");
    names += (names.empty() ? "" : "}, ${") + name;
    pos = end + 1;
  }
  substituted[path] = names;
  values.emplace_back(out, "${" + names + "}");
  value.SetString(out.data(), static_cast<rapidjson::SizeType>(out.size()), allocator);
}

std::int64_t IntOr(const rapidjson::Value& object, const char* key, std::int64_t fallback) {
  auto m = object.FindMember(key);
  return m != object.MemberEnd() && m->value.IsInt64() ? m->value.GetInt64() : fallback;
}

// A number of seconds (integer or decimal) as whole milliseconds, rounded.
std::chrono::milliseconds MillisecondsOr(const rapidjson::Value& object, const char* key,
                                         std::chrono::milliseconds fallback) {
  auto m = object.FindMember(key);
  if (m == object.MemberEnd() || !m->value.IsNumber()) return fallback;
  return std::chrono::milliseconds(std::llround(m->value.GetDouble() * 1000.0));
}

std::string ResolvePath(const std::string& config_dir, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_absolute() || config_dir.empty()) return path;
  return (std::filesystem::path(config_dir) / p).string();
}

void CheckPlugins(const rapidjson::Value& root, const std::string& config_dir,
                  adapters::AdapterRegistry& registry, std::vector<ConfigProblem>& problems) {
  auto plugins = root.FindMember("plugins");
  if (plugins == root.MemberEnd() || !plugins->value.IsArray()) return;
  std::size_t i = 0;
  for (const rapidjson::Value& entry : plugins->value.GetArray()) {
    const std::string path = ChildPath("$.plugins", i++);
    if (!entry.IsString() || entry.GetStringLength() == 0) continue;  // the schema said so
    Result<adapters::AdapterType> type =
        LoadAdapterPlugin(ResolvePath(config_dir, entry.GetString()));
    if (!type.ok()) {
      problems.push_back({path, type.status().message(),
                          "give the path of a fhir-engine adapter plugin built for this engine"});
      continue;
    }
    const std::string name = type->name;
    if (Status added = registry.Register(std::move(type).value()); !added.ok()) {
      problems.push_back({path, added.message(), "load each adapter type once"});
    }
  }
}

std::string StringOr(const rapidjson::Value& object, const char* key) {
  auto m = object.FindMember(key);
  return m != object.MemberEnd() && m->value.IsString()
             ? std::string(m->value.GetString(), m->value.GetStringLength())
             : std::string();
}

// Loads the entry's "mapping" into `out`; a problem (the mapping's own
// message: file, line, field) when it does not load.
void LoadEntryMapping(const rapidjson::Value& entry, const std::string& path,
                      const std::string& config_dir, const std::string& pseudonym_key,
                      AdapterEntry& out, std::vector<ConfigProblem>& problems) {
  const std::string file = StringOr(entry, "mapping");
  const std::string source = StringOr(entry, "mapping-source");
  if (file.empty()) {
    if (!source.empty()) {
      problems.push_back({ChildPath(path, "mapping-source"),
                          "\"mapping-source\" without \"mapping\"",
                          "give the mapping file in \"mapping\", or drop \"mapping-source\""});
    }
    return;
  }
  out.mapping_path = ResolvePath(config_dir, file);
  mapping::MappingOptions options;
  options.pseudonym_key = pseudonym_key;
  options.source = source;
  Result<mapping::Mapping> loaded = mapping::Mapping::Load(out.mapping_path, options);
  if (!loaded.ok()) {
    const bool no_key = pseudonym_key.empty() &&
                        loaded.status().message().find("no pseudonym key") != std::string::npos;
    problems.push_back(
        {ChildPath(path, "mapping"), loaded.status().message(),
         no_key ? "set the top-level \"pseudonym-key\" (as ${ENV_NAME}, at least 16 characters)"
                : "correct the mapping file where the message says (fhir-engine map dry-runs "
                  "it)"});
    return;
  }
  out.mapping = std::make_shared<const mapping::Mapping>(std::move(loaded).value());
}

void CheckAdapters(const rapidjson::Value& root, const std::string& config_dir,
                   adapters::AdapterRegistry& registry, const SubstitutedPaths& substituted,
                   ConfigCheck& check) {
  const std::string pseudonym_key = StringOr(root, "pseudonym-key");
  auto adapters = root.FindMember("adapters");
  if (adapters == root.MemberEnd() || !adapters->value.IsArray()) return;
  std::map<std::string, std::string> names;  // name -> path of its first use
  std::size_t i = 0;
  for (const rapidjson::Value& entry : adapters->value.GetArray()) {
    const std::string path = ChildPath("$.adapters", i++);
    if (!entry.IsObject()) continue;  // reported by the schema
    auto name_member = entry.FindMember("name");
    auto type_member = entry.FindMember("type");
    if (name_member == entry.MemberEnd() || !name_member->value.IsString() ||
        type_member == entry.MemberEnd() || !type_member->value.IsString()) {
      continue;  // reported by the schema
    }
    const std::string name = name_member->value.GetString();
    const std::string type_name = type_member->value.GetString();
    const std::size_t before = check.problems.size();
    if (auto [it, fresh] = names.emplace(name, path); !fresh) {
      check.problems.push_back({ChildPath(path, "name"),
                                "the name is already used by " + it->second,
                                "give each adapter a name of its own"});
    }
    const adapters::AdapterType* type = registry.Find(type_name);
    if (type == nullptr) {
      std::string known;
      for (const std::string& n : registry.Names()) known += (known.empty() ? "" : ", ") + n;
      check.problems.push_back(
          {ChildPath(path, "type"), "unknown adapter type \"" + type_name + "\"",
           known.empty() ? "no adapter types are available; list a plugin in \"plugins\""
                         : "use one of: " + known + " (or list its plugin in \"plugins\")"});
      continue;
    }
    rapidjson::Value empty(rapidjson::kObjectType);
    auto settings_member = entry.FindMember("settings");
    const rapidjson::Value& settings =
        settings_member == entry.MemberEnd() ? empty : settings_member->value;
    rapidjson::Document schema;
    schema.Parse(type->settings_schema.c_str());
    if (schema.HasParseError()) {
      check.problems.push_back(
          {ChildPath(path, "type"),
           "the settings schema of adapter type \"" + type_name + "\" is not valid JSON",
           "report this to the adapter's authors"});
      continue;
    }
    CheckAgainstSchema(settings, schema, ChildPath(path, "settings"), substituted, check.problems);
    if (check.problems.size() != before) continue;
    AdapterEntry out;
    out.name = name;
    out.type = type_name;
    auto enabled = entry.FindMember("enabled");
    out.enabled =
        enabled == entry.MemberEnd() || !enabled->value.IsBool() || enabled->value.GetBool();
    out.poll_interval = MillisecondsOr(entry, "poll-interval-s", std::chrono::milliseconds(30'000));
    out.stale_after = std::chrono::seconds(IntOr(entry, "stale-after-s", 900));
    out.max_backoff = std::chrono::seconds(IntOr(entry, "max-backoff-s", 300));
    Result<json::Document> parsed = json::Parse(Text(settings));
    if (!parsed.ok()) {
      check.problems.push_back(
          {ChildPath(path, "settings"), parsed.status().message(), "simplify the settings"});
      continue;
    }
    out.settings = std::make_shared<json::Document>(std::move(parsed).value());
    LoadEntryMapping(entry, path, config_dir, pseudonym_key, out, check.problems);
    if (check.problems.size() != before) continue;
    if (out.enabled) {
      adapters::AdapterConfig config;
      config.name = out.name;
      config.type = out.type;
      config.settings = &out.settings->root();
      config.config_dir = config_dir;
      Result<std::unique_ptr<adapters::Adapter>> created = type->create(config);
      if (!created.ok()) {
        const std::string message = created.status().message();
        check.problems.push_back(
            {ChildPath(path, "settings"), message, "correct the setting the message names"});
        continue;
      }
    }
    check.ingest.adapters.push_back(std::move(out));
  }
}

// A value shorter than this is replaced only where it appears whole; a
// longer one also where a message quotes a part of it this long or longer
// (factories cut long values: "'https://user:secret@ehr.exa...'").
constexpr std::size_t kMinRedactedPart = 12;

// `text` with every substituted value, or a long enough start of one,
// replaced by its ${NAME}. Longer values first, so a composed string is
// named as a whole.
std::string Redact(std::string text, SubstitutedValues values) {
  std::sort(values.begin(), values.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [value, reference] : values) {
    if (value.empty()) continue;
    const std::size_t min_part = std::min(value.size(), kMinRedactedPart);
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
      std::size_t n = 0;
      while (n < value.size() && i + n < text.size() && text[i + n] == value[n]) ++n;
      if (n >= min_part) {
        out += reference;
        i += n;
      } else {
        out += text[i++];
      }
    }
    text = std::move(out);
  }
  return text;
}

}  // namespace

std::string FormatProblem(std::string_view file, const ConfigProblem& problem) {
  return std::string(file) + ": " + problem.path + ": " + problem.problem +
         "; hint: " + problem.hint;
}

ConfigCheck CheckConfig(std::string_view text, const std::string& config_dir,
                        adapters::AdapterRegistry& registry, const GetEnv& getenv) {
  ConfigCheck check;
  check.ingest.config_dir = config_dir;
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) {
    check.problems.push_back({"$",
                              std::string("not valid JSON at byte ") +
                                  std::to_string(doc.GetErrorOffset()) + ": " +
                                  rapidjson::GetParseError_En(doc.GetParseError()),
                              "fix the JSON syntax there"});
    return check;
  }
  SubstitutedPaths substituted;
  SubstitutedValues values;
  Substitute(doc, doc.GetAllocator(), "$", getenv, substituted, values, check.problems);
  rapidjson::Document schema;
  const std::string_view schema_text = EmbeddedConfigSchema();
  schema.Parse(schema_text.data(), schema_text.size());
  FE_CHECK(!schema.HasParseError());  // the build embeds the repository's schema
  CheckAgainstSchema(doc, schema, "$", substituted, check.problems);
  if (doc.IsObject()) {
    CheckPlugins(doc, config_dir, registry, check.problems);
    CheckAdapters(doc, config_dir, registry, substituted, check);
  }
  // Schema messages never quote values; adapter factories and plugins may.
  for (ConfigProblem& p : check.problems) {
    p.problem = Redact(std::move(p.problem), values);
    p.hint = Redact(std::move(p.hint), values);
  }
  check.substituted_text = Text(doc);
  return check;
}

}  // namespace fhirengine::ingest
