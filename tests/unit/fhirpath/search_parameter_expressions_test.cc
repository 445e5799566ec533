// The expressions of all R4 SearchParameters (fhir-profiles/r4-base) are the
// FHIRPath the store indexes with: every one must compile, and evaluate
// without error on the R4 examples kept beside the official suite.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/fhirpath/fhirpath.h"
#include "engine/json/json_parser.h"

namespace fhirengine::fhirpath {
namespace {

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(FhirpathOnR4, EverySearchParameterExpressionCompilesAndEvaluates) {
  const std::filesystem::path source(FE_SOURCE_DIR);
  const std::filesystem::path params = source / "fhir-profiles/r4-base/search-parameters.json";
  // The derived file is part of the repository: its absence is a failure.
  ASSERT_TRUE(std::filesystem::exists(params)) << params << " is missing";
  Result<json::Document> doc = json::Parse(Slurp(params));
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  const json::Value* list = doc->root().Find("searchParameters");
  ASSERT_NE(list, nullptr);

  std::vector<std::unique_ptr<json::Document>> examples;
  for (const auto& entry :
       std::filesystem::directory_iterator(source / "tests/unit/fhirpath/data")) {
    if (entry.path().extension() != ".json") continue;
    Result<json::Document> e = json::Parse(Slurp(entry.path()));
    ASSERT_TRUE(e.ok()) << entry.path();
    examples.push_back(std::make_unique<json::Document>(std::move(*e)));
  }

  std::size_t compiled = 0;
  std::size_t evaluated = 0;
  for (const json::Value& sp : list->elements()) {
    const json::Value* expression = sp.Find("expression");
    if (expression == nullptr) continue;
    Result<Expression> e = Compile(expression->text());
    ASSERT_TRUE(e.ok()) << sp.Find("url")->text() << ": " << e.status().message();
    ++compiled;
    for (const auto& example : examples) {
      const json::Value& resource = example->root();
      std::string_view type = resource.Find("resourceType")->text();
      bool applies = false;
      for (const json::Value& base : sp.Find("base")->elements()) {
        applies |=
            base.text() == type || base.text() == "Resource" || base.text() == "DomainResource";
      }
      if (!applies) continue;
      Result<Collection> r = Evaluate(*e, resource);
      EXPECT_TRUE(r.ok()) << sp.Find("url")->text() << " on " << type << ": "
                          << r.status().message();
      ++evaluated;
    }
  }
  EXPECT_GT(compiled, 1300u);
  EXPECT_GT(evaluated, 100u);
}

}  // namespace
}  // namespace fhirengine::fhirpath
