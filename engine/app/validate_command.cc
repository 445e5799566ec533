// `fhir-engine validate`: structural validation of resource files and, with
// --profile, validation against a profile's snapshot (engine/profiles).
#include <filesystem>
#include <iterator>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "engine/app/cli.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"
#include "engine/profiles/profile_validator.h"
#include "engine/validation/operation_outcome.h"
#include "engine/validation/resource_text_validator.h"

namespace fhirengine::app {
namespace {

constexpr std::string_view kUsage =
    "usage: fhir-engine validate [--profile URL [--profiles DIR]...] FILE...\n";

// Where the conformance resources come from without --profiles: base R4
// StructureDefinitions are not embedded in the binary (only the type model
// is), so they are read from the R4 npm package fetched into the build tree.
const char* const kDefaultProfileDirs[] = {"fhir-profiles/regional/snapshots",
                                           "fhir-profiles/regional/terminology",
                                           "build/r4-examples/package"};

// Reads, parses and validates one file (structure, then `profile` when
// given); the issues found (read and parse failures included).
std::vector<validation::Issue> ValidateFile(const std::string& file,
                                            const profiles::ProfileValidator* profile) {
  ParseLimits limits;
  Result<std::string> text = ReadFile(file, limits.max_document_bytes);
  if (!text.ok()) return {validation::IssueFromStatus(text.status())};
  std::vector<validation::Issue> issues = validation::ValidateResourceText(*text, limits);
  if (profile == nullptr) return issues;
  Result<json::Document> doc = json::Parse(*text, limits);
  if (!doc.ok()) return issues;  // the parse failure is already reported
  validation::IssueCollector sink;
  profile->Validate(doc->root(), sink);
  issues.insert(issues.end(), sink.issues().begin(), sink.issues().end());
  return issues;
}

std::size_t Errors(const std::vector<validation::Issue>& issues) {
  std::size_t n = 0;
  for (const auto& i : issues) {
    n += (i.severity == validation::Severity::kError || i.severity == validation::Severity::kFatal);
  }
  return n;
}

}  // namespace

int RunValidate(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> files;
  std::string profile_url;
  std::vector<std::string> profile_dirs;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if ((a == "--profile" || a == "--profiles") && i + 1 < args.size()) {
      (a == "--profile" ? profile_url : profile_dirs.emplace_back()) = std::string(args[++i]);
      continue;
    }
    if (a.starts_with("-") && a != "-") {
      err << "fhir-engine validate: unknown option or missing value '" << a << "'\n" << kUsage;
      return kExitUsage;
    }
    files.emplace_back(a);
  }
  if (files.empty() || (profile_url.empty() && !profile_dirs.empty())) {
    err << kUsage;
    return kExitUsage;
  }
  profiles::ProfileRegistry registry;
  std::unique_ptr<profiles::ProfileValidator> profile;
  if (!profile_url.empty()) {
    const bool defaults = profile_dirs.empty();
    if (defaults)
      profile_dirs.assign(std::begin(kDefaultProfileDirs), std::end(kDefaultProfileDirs));
    for (const std::string& dir : profile_dirs) {
      Status s = registry.AddDirectory(dir);
      if (s.code() == StatusCode::kNotFound && defaults) continue;
      if (!s.ok()) {
        err << "fhir-engine validate: " << s.message() << "\n";
        return kExitUsage;
      }
    }
    Result<std::unique_ptr<profiles::ProfileValidator>> v =
        profiles::ProfileValidator::Create(registry, profile_url);
    if (!v.ok()) {
      err << "fhir-engine validate: " << v.status().message() << " (looked in";
      for (const std::string& dir : profile_dirs) err << " " << dir;
      err << ")\n";
      return kExitUsage;
    }
    profile = std::move(*v);
  }
  json::Document doc;
  std::vector<json::Value> entries;
  json::Value single;
  std::size_t invalid = 0;
  for (const std::string& file : files) {
    std::vector<validation::Issue> issues = ValidateFile(file, profile.get());
    const std::size_t errors = Errors(issues);
    invalid += errors > 0;
    err << file << ": " << (errors == 0 ? "valid" : std::to_string(errors) + " error(s)") << "\n";
    json::Value oo = validation::ToOperationOutcome(issues, doc);
    if (files.size() == 1) {
      single = oo;
      break;
    }
    std::error_code ec;
    std::filesystem::path abs = file == "-" ? "stdin" : std::filesystem::absolute(file, ec);
    std::vector<json::Member> entry{{"fullUrl", doc.MakeString("file://" + abs.string())},
                                    {"resource", oo}};
    entries.push_back(doc.MakeObject(entry));
  }
  if (files.size() == 1) {
    out << json::Write(single, {.pretty = true}) << "\n";
  } else {
    std::vector<json::Member> bundle{{"resourceType", doc.MakeString("Bundle")},
                                     {"type", doc.MakeString("collection")},
                                     {"entry", doc.MakeArray(entries)}};
    out << json::Write(doc.MakeObject(bundle), {.pretty = true}) << "\n";
  }
  return invalid == 0 ? kExitOk : kExitInvalid;
}

}  // namespace fhirengine::app
