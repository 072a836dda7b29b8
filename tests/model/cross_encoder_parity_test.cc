// Cross-encoder rerankers against numpy (tools/modelgen/heads.py): random-
// weight XLM-R (RobertaClassificationHead) and BERT (pooler + classifier)
// sequence classification models, with the sigmoid set, identity set and
// nothing set (sentence-transformers' default: sigmoid), on 515 pairs
// tokenised by the Hugging Face tokenizers Node binding with the pair
// template and longest-first truncation (tests/model/make_m3_fixtures.sh).
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "model/cross_encoder.h"

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
  const char* model;
  const char* ids;
  ScoreActivation activation;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.model; }

class CrossEncoderParityTest : public ::testing::TestWithParam<Case> {};

TEST_P(CrossEncoderParityTest, ScoresEqualNumpy) {
  IMI_REQUIRE_M3_FIXTURES(f);
  const Case c = GetParam();
  CrossEncoderConfig config;
  config.model_path = f.Path(c.model);
  config.variant.kind = VariantKind::kFp32;
  config.threads = 1;
  auto encoder = CrossEncoder::Load(config);
  ASSERT_TRUE(encoder.ok()) << encoder.status().ToString();
  EXPECT_EQ((*encoder)->info().activation, c.activation) << (*encoder)->info().activation_source;
  EXPECT_EQ((*encoder)->info().max_length, 128u);

  const std::vector<std::string> lines = ReadLines(f.Path("corpus.txt"));
  const Json ids = ReadJson(f.Path(c.ids));
  const Json expected = ReadJson(f.Path(std::string("expected_") + c.model + ".json"));
  ASSERT_EQ(expected["pairs"].size(), 515u);
  ASSERT_EQ(expected["activation"].get<std::string>(), ScoreActivationName(c.activation));

  std::vector<EncodedInput> encoded;
  size_t truncated = 0;
  for (size_t i = 0; i < ids["pairs"].size(); ++i) {
    const Json& p = ids["pairs"][i];
    auto e = (*encoder)->EncodePair(lines[p["query"].get<size_t>()], lines[p["text"].get<size_t>()]);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    ASSERT_EQ(Json(e->ids), p["ids"]) << "pair " << i << " tokenised differently";
    ASSERT_EQ(Json(e->type_ids), p["type_ids"]) << "pair " << i;
    truncated += e->truncated ? 1 : 0;
    encoded.push_back(std::move(e).value());
  }
  EXPECT_GT(truncated, 50u) << "long pairs are truncated longest-first";
  // Batches of 16 in file order: mixed lengths, so padding is exercised.
  for (size_t i = 0; i < encoded.size(); i += 16) {
    std::vector<const EncodedInput*> batch;
    for (size_t k = i; k < std::min(encoded.size(), i + 16); ++k) batch.push_back(&encoded[k]);
    auto logits = (*encoder)->Infer(batch);
    ASSERT_TRUE(logits.ok()) << logits.status().ToString();
    for (size_t k = 0; k < batch.size(); ++k) {
      const Json& want = expected["pairs"][i + k];
      EXPECT_NEAR((*logits)[k], want["raw"].get<double>(), kTolerance) << "pair " << i + k;
      EXPECT_NEAR((*encoder)->Activate((*logits)[k]), want["score"].get<double>(), kTolerance) << "pair " << i + k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Heads, CrossEncoderParityTest,
    ::testing::Values(Case{"rerank-xlmr-sigmoid", "ids_xlmr.json", ScoreActivation::kSigmoid},
                      Case{"rerank-xlmr-raw", "ids_xlmr.json", ScoreActivation::kIdentity},
                      Case{"rerank-bert", "ids_bert.json", ScoreActivation::kSigmoid},
                      Case{"rerank-bert-raw", "ids_bert.json", ScoreActivation::kIdentity}),
    [](const auto& info) {
      std::string n = info.param.model;
      for (char& ch : n) ch = ch == '-' ? '_' : ch;
      return n;
    });

TEST(CrossEncoderTest, ScoreOrdersByLengthButAnswersInTheTextsOrder) {
  IMI_REQUIRE_M3_FIXTURES(f);
  CrossEncoderConfig config;
  config.model_path = f.Path("rerank-bert");
  config.variant.kind = VariantKind::kFp32;
  config.max_batch_tokens = 64;
  auto encoder = CrossEncoder::Load(config);
  ASSERT_TRUE(encoder.ok()) << encoder.status().ToString();
  std::string long_text = "とても長い文書です。";
  for (int i = 0; i < 200; ++i) long_text += " word";
  const std::vector<std::string> texts = {long_text, "短い", "中くらいの長さの文書です。"};
  auto all = (*encoder)->Score("質問", texts);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  for (size_t i = 0; i < texts.size(); ++i) {
    auto one = (*encoder)->Score("質問", {texts[i]});
    ASSERT_TRUE(one.ok());
    EXPECT_NEAR(all->logits[i], one->logits[0], 1e-5) << i;
  }
  EXPECT_TRUE(all->truncated[0]);
  auto strict = (*encoder)->Score("質問", texts, /*truncate=*/false);
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.status().code(), StatusCode::kUnprocessable);
}

TEST(CrossEncoderTest, RefusesAnEmbeddingModelAndBadSettings) {
  IMI_REQUIRE_M3_FIXTURES(f);
  CrossEncoderConfig config;
  config.model_path = f.Path("m3-official");  // last_hidden_state per token
  config.variant.kind = VariantKind::kFp32;
  auto encoder = CrossEncoder::Load(config);
  ASSERT_FALSE(encoder.ok());
  EXPECT_NE(encoder.status().message().find("sequence classification"), std::string::npos)
      << encoder.status().ToString();
  config.model_path = f.Path("rerank-bert");
  config.max_length = 100000;
  encoder = CrossEncoder::Load(config);
  ASSERT_FALSE(encoder.ok());
  EXPECT_NE(encoder.status().message().find("position limit"), std::string::npos);
  EXPECT_FALSE(ParseScoreActivation("tanh").ok());
}

}  // namespace
}  // namespace imi::model
