// The configuration checks: every problem with its JSON path and a hint,
// ${ENV} substitution (values never echoed), adapter types and their
// settings schemas.
#include "engine/ingest/config_check.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace fhirengine::ingest
