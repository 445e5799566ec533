// Locates and loads the official R4 example corpus (hl7.fhir.r4.examples
// 4.0.1, fetched by tools/fetch_r4_examples.sh) for tests and benchmarks.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fhirengine::testing {

struct ExampleFile {
  std::string name;  // file name, e.g. "Patient-example.json"
  std::string text;
};

// The directory from FHIR_R4_EXAMPLES_DIR (set by ctest), or "" when unset.
inline std::string R4ExamplesDir() {
  const char* dir = std::getenv("FHIR_R4_EXAMPLES_DIR");
  return dir == nullptr ? std::string() : std::string(dir);
}

// Every *.json example whose root is a resource (package.json and the index
// files are not), sorted by name.
inline std::vector<ExampleFile> LoadR4Examples(const std::string& dir) {
  std::vector<ExampleFile> out;
  if (dir.empty() || !std::filesystem::is_directory(dir)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".json" || name == "package.json" || name.starts_with(".")) {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    if (text.find("\"resourceType\"") == std::string::npos) continue;
    out.push_back({name, std::move(text)});
  }
  std::sort(out.begin(), out.end(),
            [](const ExampleFile& a, const ExampleFile& b) { return a.name < b.name; });
  return out;
}

}  // namespace fhirengine::testing
