// imi's Embedder against two references on the generated tiny models: an
// independent numpy forward pass (tools/modelgen) and onnxruntime-node + the
// Hugging Face tokenizers binding (tests/model/ref/embed_ref.mjs). The cases
// are data: tests/data/model/embed_cases.json.
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "model/embedder.h"

namespace imi::model {
namespace {

using Json = nlohmann::json;
constexpr double kTolerance = 1e-5;

Json ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

struct Case {
  Json spec;      // from embed_cases.json plus ids/vectors from the Node run
  Json expected;  // numpy vectors
};

std::vector<Case> LoadCases(const testing::Fixtures& f) {
  std::map<std::string, Json> numpy;
  for (const char* m : {"tiny-bert", "tiny-xlmr"}) {
    const Json file = ReadJson(f.Path(std::string("expected_") + m + ".json"));
    for (const auto& c : file["cases"]) {
      numpy[c["name"].get<std::string>()] = c["vectors"];
    }
  }
  std::vector<Case> cases;
  const Json node = ReadJson(f.Path("ref_node.json"));
  for (const auto& c : node["cases"]) {
    cases.push_back({c, numpy.at(c["name"].get<std::string>())});
  }
  return cases;
}

Result<std::unique_ptr<Embedder>> LoadFor(const testing::Fixtures& f, const Json& spec) {
  EmbedderConfig config;
  config.model_path = f.Path(spec["model"].get<std::string>());
  config.variant.kind = VariantKind::kFp32;
  config.threads = 1;
  const Json& imi = spec["imi"];
  if (imi.contains("pooling")) config.pooling = ParsePoolingMode(imi["pooling"].get<std::string>()).value();
  if (imi.contains("normalize")) config.normalize = imi["normalize"].get<bool>();
  if (imi.contains("max_length")) config.max_seq_length = imi["max_length"].get<size_t>();
  config.max_batch_tokens = 2048;
  return Embedder::Load(config);
}

EmbedOptions OptionsFor(const Json& spec) {
  EmbedOptions o;
  const Json& imi = spec["imi"];
  if (imi.contains("prompt")) o.prompt = imi["prompt"].get<std::string>();
  if (imi.contains("prompt_name")) o.prompt_name = imi["prompt_name"].get<std::string>();
  if (imi.contains("dimensions")) o.dimensions = imi["dimensions"].get<size_t>();
  return o;
}

// Largest |a - b| over all components; sizes must match.
double MaxDiff(const std::vector<float>& a, const Json& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i].get<double>()));
  return m;
}

// Infer on the reference tokenizer's ids: checks ONNX, padding, pooling,
// normalisation and dimensions independently of imi's tokenizer.
TEST(EmbedParityTest, InferOnReferenceIdsEqualsNumpyAndNodeForEveryCase) {
  IMI_REQUIRE_FIXTURES(f);
  const auto cases = LoadCases(f);
  ASSERT_FALSE(cases.empty());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.spec["name"].get<std::string>());
    auto embedder = LoadFor(f, c.spec);
    ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
    const EmbedOptions options = OptionsFor(c.spec);
    const Json& ids = c.spec["ids"];
    ASSERT_GE(ids.size(), 500u);
    std::vector<EncodedInput> inputs(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      for (const auto& id : ids[i]) inputs[i].ids.push_back(id.get<int64_t>());
      inputs[i].type_ids.assign(inputs[i].ids.size(), 0);
    }
    // Batches of 7 in input order: mixed lengths, so padding is exercised.
    double worst_numpy = 0, worst_node = 0;
    for (size_t i = 0; i < inputs.size(); i += 7) {
      std::vector<const EncodedInput*> batch;
      for (size_t k = i; k < std::min(inputs.size(), i + 7); ++k) batch.push_back(&inputs[k]);
      auto vectors = (*embedder)->Infer(batch, options);
      ASSERT_TRUE(vectors.ok()) << vectors.status().ToString();
      for (size_t k = 0; k < batch.size(); ++k) {
        worst_numpy = std::max(worst_numpy, MaxDiff((*vectors)[k], c.expected[i + k]));
        worst_node = std::max(worst_node, MaxDiff((*vectors)[k], c.spec["vectors"][i + k]));
      }
    }
    EXPECT_LE(worst_numpy, kTolerance);
    EXPECT_LE(worst_node, kTolerance);
  }
}

// The whole pipeline from text: imi's tokenizer, prompts, truncation,
// length-sorted batching and order restoration.
TEST(EmbedParityTest, EmbedFromTextEqualsNumpyAndNodeForEveryCase) {
  IMI_REQUIRE_FIXTURES(f);
  const auto cases = LoadCases(f);
  const auto corpus = ReadLines(f.Path("corpus.txt"));
  ASSERT_GE(corpus.size(), 500u);
  ASSERT_FALSE(cases.empty());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.spec["name"].get<std::string>());
    auto embedder = LoadFor(f, c.spec);
    ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
    auto result = (*embedder)->Embed(corpus, OptionsFor(c.spec));
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    ASSERT_EQ(result->vectors.size(), corpus.size());
    size_t id_mismatches = 0, truncated = 0;
    double worst_numpy = 0, worst_node = 0;
    for (size_t i = 0; i < corpus.size(); ++i) {
      if (result->token_counts[i] != c.spec["ids"][i].size()) ++id_mismatches;
      if (result->truncated[i]) ++truncated;
      worst_numpy = std::max(worst_numpy, MaxDiff(result->vectors[i], c.expected[i]));
      worst_node = std::max(worst_node, MaxDiff(result->vectors[i], c.spec["vectors"][i]));
    }
    EXPECT_EQ(id_mismatches, 0u);
    EXPECT_LE(worst_numpy, kTolerance);
    EXPECT_LE(worst_node, kTolerance);
    const size_t max_length = c.spec.value("max_length", 0);
    if (max_length == 0 || max_length < 200) {
      EXPECT_GT(truncated, 0u) << "the corpus has long inputs";
    }
  }
}

TEST(EmbedParityTest, Int8VariantStaysCloseToFp32) {
  IMI_REQUIRE_FIXTURES(f);
  const auto corpus = ReadLines(f.Path("corpus.txt"));
  for (const char* model : {"tiny-bert", "tiny-xlmr"}) {
    SCOPED_TRACE(model);
    EmbedderConfig config;
    config.model_path = f.Path(model);
    config.variant.kind = VariantKind::kFp32;
    auto fp32 = Embedder::Load(config);
    config.variant.kind = VariantKind::kInt8;
    auto int8 = Embedder::Load(config);
    ASSERT_TRUE(fp32.ok() && int8.ok());
    EXPECT_TRUE((*int8)->info().quantized);
    auto a = (*fp32)->Embed(corpus, {});
    auto b = (*int8)->Embed(corpus, {});
    ASSERT_TRUE(a.ok() && b.ok());
    double sum = 0;
    for (size_t i = 0; i < corpus.size(); ++i) {
      double dot = 0, na = 0, nb = 0;
      for (size_t k = 0; k < a->vectors[i].size(); ++k) {
        dot += a->vectors[i][k] * b->vectors[i][k];
        na += a->vectors[i][k] * a->vectors[i][k];
        nb += b->vectors[i][k] * b->vectors[i][k];
      }
      sum += dot / std::sqrt(na * nb);
    }
    EXPECT_GE(sum / corpus.size(), 0.99);
  }
}

}  // namespace
}  // namespace imi::model
