// bge-m3's dense, sparse and ColBERT outputs and compute_score from imi
// against an independent numpy implementation of FlagEmbedding's definitions
// (tools/modelgen/heads.py), on random-weight bge-m3-shaped models in both
// head layouts: the official one (hidden states + sparse_linear.pt /
// colbert_linear.pt, float32 and float16 files) and the community ONNX
// exports with the three outputs (aapot and yuniko output names). Token ids
// come from the Hugging Face tokenizers Node binding; 515 inputs and 515
// pairs (tests/model/make_m3_fixtures.sh).
#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "model/embedder.h"
#include "model/m3.h"

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

class M3ParityTest : public ::testing::TestWithParam<const char*> {};

TEST_P(M3ParityTest, OutputsAndScoresEqualNumpy) {
  IMI_REQUIRE_M3_FIXTURES(f);
  const std::string name = GetParam();
  EmbedderConfig config;
  config.model_path = f.Path(name);
  config.variant.kind = VariantKind::kFp32;
  config.threads = 1;
  config.max_batch_tokens = 600;  // several padded batches
  auto embedder = Embedder::Load(config);
  ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
  const ModelInfo& info = (*embedder)->info();
  ASSERT_EQ(info.outputs, kAllOutputs) << info.heads;
  EXPECT_EQ(info.colbert_dimension, 32u);

  const std::vector<std::string> texts = ReadLines(f.Path("corpus.txt"));
  const Json ids = ReadJson(f.Path("ids_xlmr.json"));
  const Json expected = ReadJson(f.Path("expected_" + name + ".json"));
  ASSERT_EQ(texts.size(), 515u);
  ASSERT_EQ(expected["texts"].size(), texts.size());
  // The special tokens' weights must matter: many are positive before dropping.
  EXPECT_GT(expected["dropped_positive"].get<int>(), 500);
  for (size_t i = 0; i < texts.size(); ++i) {
    auto enc = (*embedder)->Encode(texts[i], {});
    ASSERT_TRUE(enc.ok());
    ASSERT_EQ(Json(enc->ids), ids["texts"][i]) << "tokenizer differs on input " << i;
  }
  auto result = (*embedder)->Embed(texts, {}, kAllOutputs);
  ASSERT_TRUE(result.ok()) << result.status().ToString();

  size_t sparse_terms = 0, colbert_rows = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    SCOPED_TRACE("input " + std::to_string(i) + ": " + texts[i]);
    const Json& e = expected["texts"][i];
    ASSERT_EQ(result->vectors[i].size(), e["dense"].size());
    for (size_t k = 0; k < result->vectors[i].size(); ++k) {
      ASSERT_NEAR(result->vectors[i][k], e["dense"][k].get<double>(), kTolerance);
    }
    // Sparse: the same ids with the same weights; an id whose weight is
    // within the tolerance of 0 may be kept on one side only.
    const SparseEmbedding& sp = result->sparse[i];
    const auto& want_ids = e["sparse"]["ids"];
    const auto& want_w = e["sparse"]["weights"];
    size_t a = 0, b = 0;
    while (a < sp.ids.size() || b < want_ids.size()) {
      if (b == want_ids.size() || (a < sp.ids.size() && sp.ids[a] < want_ids[b].get<int32_t>())) {
        ASSERT_LT(sp.weights[a], kTolerance) << "imi alone has id " << sp.ids[a];
        ++a;
      } else if (a == sp.ids.size() || sp.ids[a] > want_ids[b].get<int32_t>()) {
        ASSERT_LT(want_w[b].get<double>(), kTolerance) << "numpy alone has id " << want_ids[b];
        ++b;
      } else {
        ASSERT_NEAR(sp.weights[a], want_w[b].get<double>(), kTolerance) << "id " << sp.ids[a];
        ++a;
        ++b;
        ++sparse_terms;
      }
    }
    const MultiVector& cb = result->colbert[i];
    ASSERT_EQ(cb.rows(), e["colbert"].size());
    ASSERT_EQ(cb.rows() + 1, result->token_counts[i]) << "one vector per token after CLS";
    for (size_t r = 0; r < cb.rows(); ++r) {
      for (size_t k = 0; k < cb.dim; ++k) ASSERT_NEAR(cb.row(r)[k], e["colbert"][r][k].get<double>(), kTolerance);
    }
    colbert_rows += cb.rows();
  }
  EXPECT_GT(sparse_terms, 1000u);
  EXPECT_GT(colbert_rows, 10000u);

  // compute_score on 515 (query, passage) pairs with FlagEmbedding's weights.
  const M3Weights weights;  // 0.4, 0.2, 0.4
  ASSERT_EQ(expected["pairs"].size(), 515u);
  for (size_t i = 0; i < expected["pairs"].size(); ++i) {
    const size_t q = ids["pairs"][i]["query"].get<size_t>();
    const size_t p = ids["pairs"][i]["text"].get<size_t>();
    TextOutputs qo{result->vectors[q], result->sparse[q], result->colbert[q]};
    TextOutputs po{result->vectors[p], result->sparse[p], result->colbert[p]};
    const M3Scores s = ComputeM3Score(qo, po, weights);
    const Json& want = expected["pairs"][i];
    SCOPED_TRACE("pair " + std::to_string(i));
    EXPECT_NEAR(s.dense, want["dense"].get<double>(), kTolerance);
    EXPECT_NEAR(s.sparse, want["sparse"].get<double>(), kTolerance);
    EXPECT_NEAR(s.colbert, want["colbert"].get<double>(), kTolerance);
    EXPECT_NEAR(s.sparse_dense, want["sparse+dense"].get<double>(), kTolerance);
    EXPECT_NEAR(s.combined, want["colbert+sparse+dense"].get<double>(), kTolerance);
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, M3ParityTest,
                         ::testing::Values("m3-official", "m3-official-f16", "m3-aapot", "m3-yuniko"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

TEST(M3ParityTest, DenseAloneEqualsTheDenseOfAllOutputs) {
  IMI_REQUIRE_M3_FIXTURES(f);
  EmbedderConfig config;
  config.model_path = f.Path("m3-aapot");
  config.variant.kind = VariantKind::kFp32;
  config.threads = 1;
  auto embedder = Embedder::Load(config);
  ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
  const std::vector<std::string> texts = {"東京タワー", "a", "It is sunny today."};
  auto dense = (*embedder)->Embed(texts, {});
  auto all = (*embedder)->Embed(texts, {}, kAllOutputs);
  ASSERT_TRUE(dense.ok() && all.ok());
  EXPECT_EQ(dense->vectors, all->vectors);
  EXPECT_TRUE(dense->sparse.empty());
}

TEST(M3ParityTest, APlainEncoderSaysItHasNoSparseOutput) {
  IMI_REQUIRE_M3_FIXTURES(f);
  EmbedderConfig config;
  config.model_path = f.Path("rerank-xlmr-sigmoid");  // logits only
  config.variant.kind = VariantKind::kFp32;
  auto embedder = Embedder::Load(config);
  ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
  EXPECT_EQ((*embedder)->info().outputs, kDenseOutput);
  auto r = (*embedder)->Embed({"text"}, {}, kSparseOutput);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("no sparse output"), std::string::npos) << r.status().ToString();
}

}  // namespace
}  // namespace imi::model
