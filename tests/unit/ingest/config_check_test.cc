// The configuration checks: every problem with its JSON path and a hint,
// ${ENV} substitution (values never echoed), adapter types and their
// settings schemas.
#include "engine/ingest/config_check.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace fhirengine::ingest {
namespace {

class FakeAdapter final : public adapters::Adapter {
 public:
  adapters::PollOutcome Poll(adapters::AdapterContext&) override { return {}; }
};

adapters::AdapterRegistry Registry() {
  adapters::AdapterRegistry registry;
  adapters::AdapterType type;
  type.name = "csv-file";
  type.settings_schema = R"({"type": "object", "additionalProperties": false,
    "required": ["folder"],
    "properties": {"folder": {"type": "string"},
                   "delimiter": {"enum": [",", ";"], "description": "\",\" or \";\""}}})";
  type.create = [](const adapters::AdapterConfig& c) -> Result<std::unique_ptr<adapters::Adapter>> {
    const std::string folder(c.settings->Find("folder")->text());
    if (folder == "/missing") {
      return InvalidArgument("settings.folder: /missing is not a folder");
    }
    if (folder.rfind("relative-", 0) == 0) {  // echoes (the start of) the value, as factories do
      return InvalidArgument("settings.folder: '" + folder + "' is not absolute ('" +
                             folder.substr(0, 24) + "...')");
    }
    return std::unique_ptr<adapters::Adapter>(new FakeAdapter());
  };
  EXPECT_TRUE(registry.Register(type).ok());
  return registry;
}

std::vector<std::string> Lines(const ConfigCheck& check) {
  std::vector<std::string> out;
  for (const ConfigProblem& p : check.problems) out.push_back(FormatProblem("c.json", p));
  return out;
}

GetEnv Env(std::map<std::string, std::string> vars) {
  auto owned = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [owned](const char* name) -> const char* {
    auto it = owned->find(name);
    return it == owned->end() ? nullptr : it->second.c_str();
  };
}

TEST(ConfigCheckTest, AGoodFileHasNoProblemsAndYieldsTheAdapters) {
  adapters::AdapterRegistry registry = Registry();
  ConfigCheck check = CheckConfig(
      R"({"server": {"port": 8080}, "adapters": [{"name": "muni", "type": "csv-file",
          "poll-interval-s": 5, "settings": {"folder": "drop", "delimiter": ";"}}]})",
      "/etc/fe", registry, Env({}));
  EXPECT_TRUE(check.problems.empty()) << Lines(check)[0];
  ASSERT_EQ(check.ingest.adapters.size(), 1u);
  EXPECT_EQ(check.ingest.adapters[0].poll_interval, std::chrono::seconds(5));
  EXPECT_EQ(check.ingest.adapters[0].stale_after, std::chrono::seconds(900));
  EXPECT_EQ(check.ingest.adapters[0].max_backoff, std::chrono::seconds(300));
  EXPECT_EQ(check.ingest.config_dir, "/etc/fe");
}

TEST(ConfigCheckTest, APollIntervalMayBeADecimalDownToATenthOfASecond) {
  adapters::AdapterRegistry registry = Registry();
  ConfigCheck check = CheckConfig(
      R"({"adapters": [{"name": "muni", "type": "csv-file", "poll-interval-s": 0.25,
          "settings": {"folder": "drop", "delimiter": ";"}}]})",
      "/etc/fe", registry, Env({}));
  EXPECT_TRUE(check.problems.empty()) << Lines(check)[0];
  ASSERT_EQ(check.ingest.adapters.size(), 1u);
  EXPECT_EQ(check.ingest.adapters[0].poll_interval, std::chrono::milliseconds(250));

  ConfigCheck too_short = CheckConfig(
      R"({"adapters": [{"name": "muni", "type": "csv-file", "poll-interval-s": 0.05,
          "settings": {"folder": "drop", "delimiter": ";"}}]})",
      "/etc/fe", registry, Env({}));
  ASSERT_FALSE(too_short.problems.empty());
  EXPECT_NE(Lines(too_short)[0].find("poll-interval-s"), std::string::npos) << Lines(too_short)[0];
  EXPECT_NE(Lines(too_short)[0].find("minimum"), std::string::npos) << Lines(too_short)[0];
}

TEST(ConfigCheckTest, TheBackOffCapIsConfigurablePerAdapter) {
  adapters::AdapterRegistry registry = Registry();
  ConfigCheck check = CheckConfig(
      R"({"adapters": [{"name": "muni", "type": "csv-file", "max-backoff-s": 10,
          "settings": {"folder": "drop"}}]})",
      "/etc/fe", registry, Env({}));
  EXPECT_TRUE(check.problems.empty()) << Lines(check)[0];
  ASSERT_EQ(check.ingest.adapters.size(), 1u);
  EXPECT_EQ(check.ingest.adapters[0].max_backoff, std::chrono::seconds(10));
  ConfigCheck zero = CheckConfig(
      R"({"adapters": [{"name": "muni", "type": "csv-file", "max-backoff-s": 0,
          "settings": {"folder": "drop"}}]})",
      "/etc/fe", registry, Env({}));
  ASSERT_EQ(zero.problems.size(), 1u);
  EXPECT_EQ(zero.problems[0].path, "$.adapters[0].max-backoff-s") << Lines(zero)[0];
}

TEST(ConfigCheckTest, ReportsEveryProblemWithPathAndHint) {
  adapters::AdapterRegistry registry = Registry();
  ConfigCheck check = CheckConfig(
      R"({"server": {"port": "80", "colour": 1},
          "auth": {"mode": "smart", "clients": [{"client-id": "a", "scope": "system/*.rs"}]},
          "adapters": [{"name": "muni", "type": "csv-file", "settings": {"folder": "d", "delimiter": "|"}},
                       {"name": "muni", "type": "xml-file"},
                       {"name": "x", "type": "csv-file", "settings": {"folder": "/missing"}}]})",
      "", registry, Env({}));
  EXPECT_EQ(Lines(check),
            (std::vector<std::string>{
                "c.json: $.server.port: expected \"integer\", found a string; hint: use a port "
                "number from 0 to 65535 (0 picks a free one)",
                "c.json: $.server.colour: unknown key; hint: remove it or correct its spelling "
                "(known here: host, port, threads, base-url, limits, tls, allow-plain-http)",
                "c.json: $.auth.clients[0]: matches none or more than one of the allowed forms; "
                "hint: give client-id, scope and exactly one of jwks or jwks-file",
                "c.json: $.adapters[0].settings.delimiter: not one of the allowed values (found a "
                "string); hint: use one of [\",\",\";\"]",
                "c.json: $.adapters[1].name: the name is already used by $.adapters[0]; hint: give "
                "each adapter a name of its own",
                "c.json: $.adapters[1].type: unknown adapter type \"xml-file\"; hint: use one of: "
                "csv-file (or list its plugin in \"plugins\")",
                "c.json: $.adapters[2].settings: settings.folder: /missing is not a folder; hint: "
                "correct the setting the message names",
            }));
}

TEST(ConfigCheckTest, SubstitutesEnvironmentVariablesWithoutEchoingThem) {
  adapters::AdapterRegistry registry = Registry();
  ConfigCheck check = CheckConfig(
      R"({"server": {"host": "${HOST_VAR}"}, "store": {"durability": "${DUR}"},
          "adapters": [{"name": "m", "type": "csv-file", "settings": {"folder": "${MISSING}"}}]})",
      "", registry, Env({{"HOST_VAR", "10.0.0.1"}, {"DUR", "s3cret-value"}}));
  const std::vector<std::string> lines = Lines(check);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "c.json: $.adapters[0].settings.folder: the environment variable MISSING is not set; "
            "hint: set MISSING in the engine's environment");
  EXPECT_EQ(lines[1],
            "c.json: $.store.durability: not one of the allowed values (found a string (the value "
            "from ${DUR})); hint: use one of [\"full\",\"normal\"]");
  EXPECT_EQ(lines[1].find("s3cret"), std::string::npos);
  EXPECT_NE(check.substituted_text.find("10.0.0.1"), std::string::npos);
}

// An adapter factory's message may quote a setting; when that setting came
// from the environment (a token, a URL with credentials) the value, or any
// long enough part of it, is replaced by its ${NAME}.
TEST(ConfigCheckTest, FactoryMessagesNeverEchoSubstitutedValues) {
  adapters::AdapterRegistry registry = Registry();
  ConfigCheck check = CheckConfig(
      R"({"adapters": [{"name": "m", "type": "csv-file",
                        "settings": {"folder": "${SECRET_FOLDER}"}}]})",
      "", registry, Env({{"SECRET_FOLDER", "relative-s3cret-0123456789abcdefghij"}}));
  const std::vector<std::string> lines = Lines(check);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].find("s3cret"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0],
            "c.json: $.adapters[0].settings: settings.folder: '${SECRET_FOLDER}' is not absolute "
            "('${SECRET_FOLDER}...'); hint: correct the setting the message names");
}

TEST(ConfigCheckTest, SyntaxErrorsAndMissingRequiredKeys) {
  adapters::AdapterRegistry registry = Registry();
  ConfigCheck bad = CheckConfig("{\"server\": ", "", registry, Env({}));
  ASSERT_EQ(bad.problems.size(), 1u);
  EXPECT_EQ(bad.problems[0].path, "$");
  ConfigCheck missing =
      CheckConfig(R"({"server": {"tls": {"cert-file": "c"}}, "adapters": [{"type": "csv-file"}]})",
                  "", registry, Env({}));
  const std::vector<std::string> lines = Lines(missing);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "c.json: $.server.tls: missing the required key \"key-file\"; hint: add \"key-file\" "
            "(give cert-file and key-file (PEM); client-ca-file only to require client "
            "certificates)");
  EXPECT_EQ(lines[1],
            "c.json: $.adapters[0]: missing the required key \"name\"; hint: add \"name\"");
}

// A folder with a mapping file that makes pseudonyms and one with an error.
std::string MappingFolder() {
  const std::string dir = ::testing::TempDir() + "config_check_mappings";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/ok.json") << R"({"name": "ok", "source-format": "csv", "outputs": [
    {"resourceType": "Basic", "id": {"template": "{source}-{k}"},
     "fields": {"code.text": {"column": "k"}}}]})";
  std::ofstream(dir + "/pseudo.json") << R"({"name": "pseudo", "source-format": "csv", "outputs": [
    {"resourceType": "Basic", "id": {"template": "b-{k}"},
     "fields": {"identifier[0]": {"pseudonym": {"column": "k"}, "system": "urn:x"}}}]})";
  std::ofstream(dir + "/bad.json") << "{\"name\": \"bad\",\n \"source-format\": \"tsv\",\n"
                                      " \"outputs\": []}";
  return dir;
}

TEST(ConfigCheckTest, LoadsTheAdaptersMappingRelativeToTheConfig) {
  adapters::AdapterRegistry registry = Registry();
  const std::string dir = MappingFolder();
  ConfigCheck check = CheckConfig(
      R"({"adapters": [{"name": "muni", "type": "csv-file", "mapping": "ok.json",
          "mapping-source": "kommun-x", "settings": {"folder": "drop"}},
          {"name": "plain", "type": "csv-file", "settings": {"folder": "drop"}}]})",
      dir, registry, Env({}));
  ASSERT_TRUE(check.problems.empty()) << Lines(check)[0];
  ASSERT_EQ(check.ingest.adapters.size(), 2u);
  ASSERT_NE(check.ingest.adapters[0].mapping, nullptr);
  EXPECT_EQ(check.ingest.adapters[0].mapping_path, dir + "/ok.json");
  EXPECT_EQ(check.ingest.adapters[0].mapping->name(), "ok");
  adapters::SourceRecord row;
  row.format = adapters::RecordFormat::kCsvRow;
  row.columns = {"k"};
  row.fields = {"7"};
  Result<std::vector<mapping::MappedResource>> out = check.ingest.adapters[0].mapping->Apply(row);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].id, "kommun-x-7");                 // mapping-source replaced the source
  EXPECT_EQ(check.ingest.adapters[1].mapping, nullptr);  // the identity mapping
}

TEST(ConfigCheckTest, AMappingThatDoesNotLoadIsAProblemWithItsOwnMessage) {
  adapters::AdapterRegistry registry = Registry();
  const std::string dir = MappingFolder();
  ConfigCheck check = CheckConfig(
      R"({"adapters": [{"name": "muni", "type": "csv-file", "mapping": "bad.json",
          "settings": {"folder": "drop"}},
          {"name": "other", "type": "csv-file", "mapping-source": "x",
          "settings": {"folder": "drop"}}]})",
      dir, registry, Env({}));
  std::vector<std::string> lines = Lines(check);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("c.json: $.adapters[0].mapping: " + dir + "/bad.json line 2"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find("source-format"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("$.adapters[1].mapping-source: \"mapping-source\" without \"mapping\""),
            std::string::npos)
      << lines[1];
}

TEST(ConfigCheckTest, APseudonymMappingNeedsTheKeyWhichIsNeverEchoed) {
  adapters::AdapterRegistry registry = Registry();
  const std::string dir = MappingFolder();
  const std::string entry =
      R"("adapters": [{"name": "muni", "type": "csv-file", "mapping": "pseudo.json",
          "settings": {"folder": "drop"}}])";
  ConfigCheck missing = CheckConfig("{" + entry + "}", dir, registry, Env({}));
  std::vector<std::string> lines = Lines(missing);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("no pseudonym key is configured"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("set the top-level \"pseudonym-key\""), std::string::npos) << lines[0];

  const std::string secret = "s3cret-key-of-the-region-0123456789";
  adapters::AdapterRegistry registry2 = Registry();
  ConfigCheck ok = CheckConfig(R"({"pseudonym-key": "${FE_KEY}", )" + entry + "}", dir, registry2,
                               Env({{"FE_KEY", secret}}));
  ASSERT_TRUE(ok.problems.empty()) << Lines(ok)[0];
  ASSERT_NE(ok.ingest.adapters[0].mapping, nullptr);

  adapters::AdapterRegistry registry3 = Registry();
  ConfigCheck short_key = CheckConfig(R"({"pseudonym-key": "${FE_KEY}", )" + entry + "}", dir,
                                      registry3, Env({{"FE_KEY", "short"}}));
  lines = Lines(short_key);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines[0].find("$.pseudonym-key"), std::string::npos) << lines[0];
  for (const std::string& line : lines) EXPECT_EQ(line.find("short"), std::string::npos) << line;
}

}  // namespace
}  // namespace fhirengine::ingest
