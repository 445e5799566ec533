// Throughput of the resource formats over the official R4 example corpus: a raw
// RapidJSON DOM parse as the yardstick, then the engine's parse + structural
// validation, JSON and XML serialisation, and XML parsing (see bench/README.md).
#include <benchmark/benchmark.h>
#include <rapidjson/document.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/core/limits.h"
#include "engine/core/status.h"
#include "engine/fhir/resource_format.h"
#include "engine/fhir/xml_reader.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_value.h"
#include "engine/validation/issue.h"
#include "engine/validation/structural_validator.h"
#include "tests/support/r4_examples.h"

namespace fhirengine {
namespace {

// FHIR_R4_EXAMPLES_DIR, or the package the build's tests fetch.
std::filesystem::path CorpusDir() {
  const char* env = std::getenv("FHIR_R4_EXAMPLES_DIR");
  return (env != nullptr && *env != '\0') ? std::filesystem::path(env)
                                          : std::filesystem::path(FE_DEFAULT_R4_EXAMPLES_DIR);
}

// The JSON texts of every *.json file whose root object has "resourceType",
// loaded once, in file name order.
struct JsonCorpus {
  std::vector<std::string> texts;
  std::int64_t bytes = 0;
  std::string error;  // why there are no texts
};

JsonCorpus LoadJsonCorpus() {
  JsonCorpus corpus;
  const std::filesystem::path dir = CorpusDir();
  for (testing::ExampleFile& file : testing::LoadR4Examples(dir.string())) {
    corpus.bytes += static_cast<std::int64_t>(file.text.size());
    corpus.texts.push_back(std::move(file.text));
  }
  if (corpus.texts.empty()) {
    corpus.error =
        "no R4 examples in " + dir.string() +
        " (run tools/fetch_r4_examples.sh build/r4-examples, or set FHIR_R4_EXAMPLES_DIR)";
  }
  return corpus;
}

const JsonCorpus& Json() {
  static const JsonCorpus corpus = LoadJsonCorpus();
  return corpus;
}

// The corpus in the engine's model (the texts json::Parse accepts).
struct ModelCorpus {
  std::vector<json::Document> docs;
  std::int64_t rejected = 0;
};

const ModelCorpus& Models() {
  static const ModelCorpus corpus = [] {
    ModelCorpus c;
    for (const std::string& text : Json().texts) {
      Result<json::Document> doc = json::Parse(text);
      if (doc.ok()) {
        c.docs.push_back(std::move(*doc));
      } else {
        ++c.rejected;
      }
    }
    return c;
  }();
  return corpus;
}

// The corpus as FHIR XML, written by the engine (the resources it can write).
struct XmlCorpus {
  std::vector<std::string> texts;
  std::int64_t bytes = 0;
  std::int64_t rejected = 0;
};

const XmlCorpus& Xml() {
  static const XmlCorpus corpus = [] {
    XmlCorpus c;
    for (const json::Document& doc : Models().docs) {
      Result<std::string> xml = fhir::SerializeResource(doc.root(), fhir::Format::kXml);
      if (xml.ok()) {
        c.bytes += static_cast<std::int64_t>(xml->size());
        c.texts.push_back(std::move(*xml));
      } else {
        ++c.rejected;
      }
    }
    return c;
  }();
  return corpus;
}

// Reports the per-iteration file counts next to the rate.
void SetCounts(benchmark::State& state, std::size_t files, std::int64_t failed) {
  state.counters["files"] = static_cast<double>(files);
  state.counters["failed"] = static_cast<double>(failed) / static_cast<double>(state.iterations());
}

// (a) The yardstick: RapidJSON's DOM parse, default flags.
void BM_RapidJsonDomParse(benchmark::State& state) {
  const JsonCorpus& corpus = Json();
  if (corpus.texts.empty()) return state.SkipWithError(corpus.error.c_str());
  std::int64_t failed = 0;
  for (auto _ : state) {
    for (const std::string& text : corpus.texts) {
      rapidjson::Document doc;
      doc.Parse(text.data(), text.size());
      failed += doc.HasParseError();
      benchmark::DoNotOptimize(doc);
    }
  }
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
  SetCounts(state, corpus.texts.size(), failed);
}

// (b) What accepting a JSON resource costs: json::Parse, then ValidateStructure.
void BM_ModelParseAndValidate(benchmark::State& state) {
  const JsonCorpus& corpus = Json();
  if (corpus.texts.empty()) return state.SkipWithError(corpus.error.c_str());
  std::int64_t failed = 0;
  for (auto _ : state) {
    for (const std::string& text : corpus.texts) {
      Result<json::Document> doc = json::Parse(text);
      if (!doc.ok()) {
        ++failed;
        continue;
      }
      validation::IssueCollector issues;
      Status ran = validation::ValidateStructure(doc->root(), issues);
      failed += !ran.ok();
      benchmark::DoNotOptimize(issues.error_count());
    }
  }
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
  SetCounts(state, corpus.texts.size(), failed);
}

// (c) and (d): SerializeResource in `format`; the rate counts output bytes.
void SerializeCorpus(benchmark::State& state, fhir::Format format) {
  const JsonCorpus& corpus = Json();
  if (corpus.texts.empty()) return state.SkipWithError(corpus.error.c_str());
  const ModelCorpus& models = Models();
  std::int64_t out_bytes = 0;
  std::int64_t failed = 0;
  for (auto _ : state) {
    for (const json::Document& doc : models.docs) {
      Result<std::string> out = fhir::SerializeResource(doc.root(), format);
      if (out.ok()) {
        out_bytes += static_cast<std::int64_t>(out->size());
      } else {
        ++failed;
      }
    }
  }
  state.SetBytesProcessed(out_bytes);
  SetCounts(state, models.docs.size(), failed);
}

void BM_SerializeJson(benchmark::State& state) { SerializeCorpus(state, fhir::Format::kJson); }
void BM_SerializeXml(benchmark::State& state) { SerializeCorpus(state, fhir::Format::kXml); }

// (e) fhir::ParseXml over the corpus as the engine writes it in XML.
void BM_ParseXml(benchmark::State& state) {
  const JsonCorpus& corpus = Json();
  if (corpus.texts.empty()) return state.SkipWithError(corpus.error.c_str());
  const XmlCorpus& xml = Xml();
  if (xml.texts.empty()) return state.SkipWithError("the engine wrote no resource as XML");
  std::int64_t failed = 0;
  for (auto _ : state) {
    for (const std::string& text : xml.texts) {
      Result<json::Document> doc = fhir::ParseXml(text);
      failed += !doc.ok();
      benchmark::DoNotOptimize(doc);
    }
  }
  state.SetBytesProcessed(state.iterations() * xml.bytes);
  SetCounts(state, xml.texts.size(), failed);
}

// One iteration is the whole corpus (seconds), hence milliseconds.
BENCHMARK(BM_RapidJsonDomParse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ModelParseAndValidate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SerializeJson)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SerializeXml)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseXml)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fhirengine

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("r4_examples_dir", fhirengine::CorpusDir().string());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
