// The malformed-input corpus (tests/corpus/malformed/, written by
// tools/make_malformed_corpus.py): every case gives an OperationOutcome with an
// error of the manifest's code, diagnostics and FHIRPath, and never a crash,
// in process and through the real `fhir-engine validate`. Inputs too large to
// keep on disk (100k-deep nesting, strings and documents over the limits) are
// generated here at run time.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/limits.h"
#include "engine/fhir/resource_format.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"
#include "engine/validation/issue.h"
#include "engine/validation/operation_outcome.h"
#include "engine/validation/resource_text_validator.h"
#include "engine/validation/structural_validator.h"

namespace fhirengine {
namespace {

namespace fs = std::filesystem;
using validation::Issue;
using validation::Severity;

fs::path CorpusDir() { return fs::path(FE_SOURCE_DIR) / "tests" / "corpus" / "malformed"; }

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream data;
  data << in.rdbuf();
  return data.str();
}

// One line of MANIFEST.tsv.
struct CorpusCase {
  std::string file;        // relative to the corpus directory
  std::string category;    // "truncated", "utf8", "xml-dtd", ...
  std::string code;        // the OperationOutcome issue code expected
  std::string contains;    // a substring the diagnostics must contain
  std::string expression;  // the exact FHIRPath, or "" when the manifest says '-'
  std::string description;
};

// gtest prints parameters with this (the file names the case).
void PrintTo(const CorpusCase& c, std::ostream* os) { *os << c.file; }

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (;;) {
    const std::size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string::npos ? tab : tab - start));
    if (tab == std::string::npos) return fields;
    start = tab + 1;
  }
}

// The manifest's cases; an empty list (which the manifest test reports) when
// it is missing or malformed.
std::vector<CorpusCase> LoadManifest() {
  std::vector<CorpusCase> cases;
  std::istringstream in(ReadBytes(CorpusDir() / "MANIFEST.tsv"));
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {  // the column names
      header = false;
      continue;
    }
    std::vector<std::string> f = SplitTabs(line);
    if (f.size() != 6) return {};
    cases.push_back({f[0], f[1], f[2], f[3], f[4] == "-" ? "" : f[4], f[5]});
  }
  return cases;
}

// What `fhir-engine validate` does with a file's content (the CLI's
// ValidateFile after reading): detect, parse, validate; failures become issues.
std::vector<Issue> ValidateText(std::string_view text, const ParseLimits& limits = {}) {
  return validation::ValidateResourceText(text, limits);
}

bool IsError(Severity s) { return s == Severity::kError || s == Severity::kFatal; }

std::string Describe(const std::vector<Issue>& issues) {
  std::string out;
  for (const Issue& i : issues) {
    out += "\n  ";
    out += validation::SeverityCode(i.severity);
    out += " ";
    out += validation::IssueTypeCode(i.type);
    out += " [";
    out += i.expression;
    out += "] ";
    out += i.message.substr(0, 300);
  }
  return out.empty() ? "\n  (no issues)" : out;
}

// One issue of severity error/fatal carries `code`, has `contains` in its
// diagnostics and, when `expression` is not empty, exactly that expression.
testing::AssertionResult HasIssue(const std::vector<Issue>& issues, std::string_view code,
                                  std::string_view contains, std::string_view expression) {
  for (const Issue& i : issues) {
    if (IsError(i.severity) && validation::IssueTypeCode(i.type) == code &&
        i.message.find(contains) != std::string::npos &&
        (expression.empty() || i.expression == expression)) {
      return testing::AssertionSuccess();
    }
  }
  return testing::AssertionFailure()
         << "no error issue with code '" << code << "', diagnostics containing '" << contains << "'"
         << (expression.empty() ? "" : " and expression '" + std::string(expression) + "'")
         << "; issues:" << Describe(issues);
}

// The OperationOutcome built from `issues` is itself a valid resource once
// written and read back: diagnostics and expressions are valid UTF-8 without
// control characters, whatever bytes the input held.
testing::AssertionResult OutcomeIsValid(const std::vector<Issue>& issues) {
  json::Document doc;
  const std::string text = json::Write(validation::ToOperationOutcome(issues, doc));
  Result<json::Document> back = json::Parse(text);
  if (!back.ok()) {
    return testing::AssertionFailure()
           << "the OperationOutcome does not parse back: " << back.status().ToString();
  }
  validation::IssueCollector found;
  if (!validation::ValidateStructure(back->root(), found).ok() || found.error_count() > 0) {
    return testing::AssertionFailure()
           << "the OperationOutcome is not valid FHIR:" << Describe(found.issues());
  }
  return testing::AssertionSuccess();
}

// ---------------------------------------------------------------------------
// The corpus on disk.

class MalformedCorpus : public testing::TestWithParam<CorpusCase> {};

TEST_P(MalformedCorpus, GivesTheExpectedIssue) {
  const CorpusCase& c = GetParam();
  SCOPED_TRACE(c.file + ": " + c.description);
  const std::string text = ReadBytes(CorpusDir() / c.file);
  std::vector<Issue> issues = ValidateText(text);
  EXPECT_TRUE(HasIssue(issues, c.code, c.contains, c.expression));
  EXPECT_TRUE(OutcomeIsValid(issues));
}

std::string CaseName(const testing::TestParamInfo<CorpusCase>& info) {
  std::string name;
  for (char ch : info.param.file) {
    const bool alnum =
        (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    name += alnum ? ch : '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Malformed, MalformedCorpus, testing::ValuesIn(LoadManifest()), CaseName);

TEST(MalformedCorpusManifest, ListsEveryFileAndEnoughCases) {
  const std::vector<CorpusCase> cases = LoadManifest();
  EXPECT_GE(cases.size(), 200u) << "MANIFEST.tsv missing, malformed or too short";
  std::set<std::string> listed;
  std::map<std::string, int> per_category;
  for (const CorpusCase& c : cases) {
    EXPECT_TRUE(listed.insert(c.file).second) << "listed twice: " << c.file;
    EXPECT_TRUE(fs::is_regular_file(CorpusDir() / c.file)) << "missing: " << c.file;
    ++per_category[c.category];
  }
  std::uintmax_t bytes = 0;
  for (const char* sub : {"json", "xml", "mixed"}) {
    for (const fs::directory_entry& e : fs::directory_iterator(CorpusDir() / sub)) {
      const std::string rel = std::string(sub) + "/" + e.path().filename().string();
      EXPECT_TRUE(listed.count(rel) == 1) << "not in MANIFEST.tsv: " << rel;
      bytes += e.file_size();
    }
  }
  EXPECT_LT(bytes, 2u << 20) << "keep the committed corpus small; generate big inputs";
  for (const char* category :
       {"truncated", "wrong-type", "lexical", "empty", "null", "unknown-element", "resource-type",
        "root", "cardinality", "duplicate-key", "utf8", "nul", "bom", "depth", "xml-dtd",
        "xml-structure", "syntax"}) {
    EXPECT_GE(per_category[category], 2) << "category with too few cases: " << category;
  }
}

// The resources the cases are cut from are valid, so each case fails for the
// one reason it was made for.
TEST(MalformedCorpusBase, BaseResourcesAreValid) {
  for (const char* name : {"location.json", "encounter.json", "organization.json", "location.xml",
                           "encounter.xml", "organization.xml"}) {
    SCOPED_TRACE(name);
    const std::string text = ReadBytes(CorpusDir() / "base" / name);
    ASSERT_FALSE(text.empty());
    std::vector<Issue> issues = ValidateText(text);
    EXPECT_TRUE(issues.empty()) << Describe(issues);
  }
}

// ---------------------------------------------------------------------------
// Inputs generated at run time: far over the limits, too big to commit.

std::string Repeat(std::string_view unit, std::size_t n) {
  std::string out;
  out.reserve(unit.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += unit;
  return out;
}

constexpr std::size_t kDeep = 100000;
constexpr std::string_view kXmlOpen =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Location xmlns=\"http://hl7.org/fhir\">";

void ExpectTooCostly(const std::string& text, std::string_view contains) {
  std::vector<Issue> issues = ValidateText(text);
  EXPECT_TRUE(HasIssue(issues, "too-costly", contains, ""));
  EXPECT_TRUE(OutcomeIsValid(issues));
}

TEST(MalformedGenerated, JsonArrays100kDeep) {
  ExpectTooCostly(
      "{\"resourceType\":\"Location\",\"alias\":" + Repeat("[", kDeep) + Repeat("]", kDeep) + "}",
      "nesting deeper than the limit of 100");
}

TEST(MalformedGenerated, JsonObjects100kDeep) {
  ExpectTooCostly("{\"resourceType\":\"Location\",\"a\":" + Repeat("{\"a\":", kDeep) + "1" +
                      Repeat("}", kDeep + 1),
                  "nesting deeper than the limit of 100");
}

TEST(MalformedGenerated, JsonExtensions100kDeepUnclosed) {
  ExpectTooCostly("{\"resourceType\":\"Location\"," +
                      Repeat("\"extension\":[{\"url\":\"http://example.org/x\",", kDeep),
                  "nesting deeper than the limit of 100");
}

TEST(MalformedGenerated, XmlElements100kDeep) {
  ExpectTooCostly(std::string(kXmlOpen) + Repeat("<extension>", kDeep) +
                      Repeat("</extension>", kDeep) + "</Location>",
                  "elements nest deeper than 100 levels");
}

TEST(MalformedGenerated, XmlElements100kDeepUnclosed) {
  ExpectTooCostly(std::string(kXmlOpen) + Repeat("<extension url=\"http://example.org/x\">", kDeep),
                  "elements nest deeper than 100 levels");
}

constexpr std::size_t kHuge = 40u << 20;  // over max_string_bytes (32 MiB)

TEST(MalformedGenerated, JsonString40MiB) {
  ExpectTooCostly("{\"resourceType\":\"Location\",\"name\":\"" + std::string(kHuge, 'a') + "\"}",
                  "exceeds the limit of 33554432");
}

TEST(MalformedGenerated, JsonMemberName40MiB) {
  ExpectTooCostly("{\"resourceType\":\"Location\",\"" + std::string(kHuge, 'k') + "\":1}",
                  "exceeds the limit of 33554432");
}

TEST(MalformedGenerated, JsonNumber40MiB) {
  ExpectTooCostly("{\"resourceType\":\"Location\",\"position\":{\"latitude\":1." +
                      std::string(kHuge, '5') + ",\"longitude\":1}}",
                  "exceeds the limit of 33554432");
}

TEST(MalformedGenerated, XmlAttribute40MiB) {
  ExpectTooCostly(
      std::string(kXmlOpen) + "<name value=\"" + std::string(kHuge, 'a') + "\"/></Location>",
      "an attribute value is over 33554432 bytes");
}

TEST(MalformedGenerated, XmlNarrativeText40MiB) {
  ExpectTooCostly(std::string(kXmlOpen) +
                      "<text><status value=\"generated\"/><div "
                      "xmlns=\"http://www.w3.org/1999/xhtml\">" +
                      std::string(kHuge, 'a') + "</div></text></Location>",
                  "the div in Location.text.div is over 33554432 bytes");
}

constexpr std::size_t kOverDocument = 70u << 20;  // over max_document_bytes (64 MiB)

TEST(MalformedGenerated, JsonDocument70MiB) {
  std::string text =
      "{\"resourceType\":\"Location\",\"name\":\"x\"" + std::string(kOverDocument, ' ') + "}";
  ExpectTooCostly(text, "exceeds the limit of 67108864");
}

TEST(MalformedGenerated, XmlDocument70MiB) {
  ExpectTooCostly(std::string(kXmlOpen) + std::string(kOverDocument, ' ') + "</Location>",
                  "67108864");
}

// 100k distinct member names and one repeated: the duplicate check stays exact
// on wide objects.
TEST(MalformedGenerated, DuplicateAmong100kMembers) {
  std::string text = "{\"resourceType\":\"Location\"";
  for (int i = 0; i < 100000; ++i) text += ",\"k" + std::to_string(i) + "\":1";
  text += ",\"k77777\":2}";
  std::vector<Issue> issues = ValidateText(text);
  EXPECT_TRUE(HasIssue(issues, "structure", "duplicate member name 'k77777'", ""));
}

// A million nulls: nothing crashes, and the report stays bounded (the
// validator stops reporting after 1,000 issues and says so).
TEST(MalformedGenerated, MillionNullsInAnArray) {
  std::string text =
      "{\"resourceType\":\"Location\",\"alias\":[null" + Repeat(",null", 999999) + "]}";
  std::vector<Issue> issues = ValidateText(text);
  EXPECT_TRUE(HasIssue(issues, "structure", "null is not a value", "Location.alias[999]"));
  EXPECT_TRUE(HasIssue(issues, "too-costly", "more than 1000 issues", ""));
  EXPECT_EQ(issues.size(), 1001u);
}

// ---------------------------------------------------------------------------
// The real binary: exit code 1 and an OperationOutcome on standard output.

fs::path EngineBinary() {
#ifdef FHIR_ENGINE_BINARY
  return FHIR_ENGINE_BINARY;
#else
  // <build>/tests/malformed_tests -> <build>/engine/fhir-engine
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return self.parent_path().parent_path() / "engine" / "fhir-engine";
#endif
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\'') {
      out += "'\\''";
    } else {
      out += ch;
    }
  }
  return out + "'";
}

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `fhir-engine validate FILES...`. Sanitizer reports exit with 86, never
// with 1 (which means "invalid input").
RunResult RunValidate(const std::vector<fs::path>& files) {
  const fs::path dir = fs::path(testing::TempDir()) / ("malformed-cli-" + std::to_string(getpid()));
  fs::create_directories(dir);
  // Keeps the caller's sanitizer options, overriding only the exit code.
  std::string command =
      "ASAN_OPTIONS=\"${ASAN_OPTIONS}:exitcode=86\" "
      "UBSAN_OPTIONS=\"${UBSAN_OPTIONS}:exitcode=86\" " +
      ShellQuote(EngineBinary().string()) + " validate";
  for (const fs::path& f : files) command += " " + ShellQuote(f.string());
  command += " >" + ShellQuote((dir / "out").string()) + " 2>" + ShellQuote((dir / "err").string());
  const int status = std::system(command.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadBytes(dir / "out");
  r.err = ReadBytes(dir / "err");
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  return r;
}

// The error issues of one OperationOutcome from the CLI, as (code, diagnostics).
std::vector<std::pair<std::string, std::string>> ErrorIssues(const json::Value& oo) {
  std::vector<std::pair<std::string, std::string>> out;
  const json::Value* issues = oo.Find("issue");
  if (issues == nullptr) return out;
  for (const json::Value& issue : issues->elements()) {
    const json::Value* severity = issue.Find("severity");
    const json::Value* code = issue.Find("code");
    const json::Value* diagnostics = issue.Find("diagnostics");
    if (severity == nullptr || code == nullptr || !severity->IsString() || !code->IsString()) {
      continue;
    }
    if (severity->text() != "error" && severity->text() != "fatal") continue;
    out.emplace_back(std::string(code->text()), diagnostics != nullptr && diagnostics->IsString()
                                                    ? std::string(diagnostics->text())
                                                    : std::string());
  }
  return out;
}

// `out` parses as a valid OperationOutcome with an error of `code` whose
// diagnostics contain `contains`.
testing::AssertionResult IsOutcomeWith(const json::Value& oo, std::string_view code,
                                       std::string_view contains) {
  const json::Value* rt = oo.Find("resourceType");
  if (rt == nullptr || !rt->IsString() || rt->text() != "OperationOutcome") {
    return testing::AssertionFailure() << "not an OperationOutcome: " << json::Write(oo);
  }
  validation::IssueCollector found;
  if (!validation::ValidateStructure(oo, found).ok() || found.error_count() > 0) {
    return testing::AssertionFailure() << "invalid OperationOutcome:" << Describe(found.issues());
  }
  for (const auto& [c, d] : ErrorIssues(oo)) {
    if (c == code && d.find(contains) != std::string::npos) return testing::AssertionSuccess();
  }
  return testing::AssertionFailure()
         << "no error issue '" << code << "' with '" << contains << "' in " << json::Write(oo);
}

bool SanitizerReported(const std::string& err) {
  return err.find("Sanitizer") != std::string::npos ||
         err.find("runtime error:") != std::string::npos ||
         err.find("FE_CHECK failed") != std::string::npos;
}

// A sample: the first case of every category and every 10th case.
std::vector<CorpusCase> Sample() {
  std::vector<CorpusCase> sample;
  std::set<std::string> seen;
  const std::vector<CorpusCase> cases = LoadManifest();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (seen.insert(cases[i].category).second || i % 10 == 0) sample.push_back(cases[i]);
  }
  return sample;
}

TEST(MalformedCli, SampleExitsWithOneAndPrintsAnOperationOutcome) {
  ASSERT_TRUE(fs::is_regular_file(EngineBinary())) << "build fhir-engine first: " << EngineBinary();
  for (const CorpusCase& c : Sample()) {
    SCOPED_TRACE(c.file);
    RunResult r = RunValidate({CorpusDir() / c.file});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_FALSE(SanitizerReported(r.err)) << r.err;
    Result<json::Document> oo = json::Parse(r.out);
    ASSERT_TRUE(oo.ok()) << oo.status().ToString() << "\n" << r.out;
    EXPECT_TRUE(IsOutcomeWith(oo->root(), c.code, c.contains));
  }
}

// All cases in one invocation: a Bundle with one OperationOutcome per file,
// each with an error.
TEST(MalformedCli, WholeCorpusInOneRun) {
  ASSERT_TRUE(fs::is_regular_file(EngineBinary())) << "build fhir-engine first: " << EngineBinary();
  const std::vector<CorpusCase> cases = LoadManifest();
  std::vector<fs::path> files;
  for (const CorpusCase& c : cases) files.push_back(CorpusDir() / c.file);
  RunResult r = RunValidate(files);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_FALSE(SanitizerReported(r.err)) << r.err;
  Result<json::Document> bundle = json::Parse(r.out);
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  const json::Value* entries = bundle->root().Find("entry");
  ASSERT_NE(entries, nullptr);
  ASSERT_EQ(entries->size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].file);
    const json::Value* oo = entries->elements()[i].Find("resource");
    ASSERT_NE(oo, nullptr);
    EXPECT_TRUE(IsOutcomeWith(*oo, cases[i].code, cases[i].contains));
  }
}

TEST(MalformedCli, FileOverTheDocumentLimit) {
  ASSERT_TRUE(fs::is_regular_file(EngineBinary())) << "build fhir-engine first: " << EngineBinary();
  const fs::path file =
      fs::path(testing::TempDir()) / ("malformed-70mib-" + std::to_string(getpid()) + ".json");
  {
    std::ofstream out(file, std::ios::binary);
    out << "{\"resourceType\":\"Location\"" << std::string(kOverDocument, ' ') << "}";
  }
  RunResult r = RunValidate({file});
  fs::remove(file);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_FALSE(SanitizerReported(r.err)) << r.err;
  Result<json::Document> oo = json::Parse(r.out);
  ASSERT_TRUE(oo.ok()) << oo.status().ToString();
  EXPECT_TRUE(IsOutcomeWith(oo->root(), "too-costly", "exceeds the limit of 67108864"));
}

}  // namespace
}  // namespace fhirengine
