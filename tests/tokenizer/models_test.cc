// Behaviour of the subword models on small hand-written vocabularies; the
// word-by-word parity with the reference is in model_parity_test.cc.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenizer/model.h"
#include "tokenizer/serde_float.h"

namespace imi::tokenizer {
namespace {

std::vector<std::string> Values(const Model& model, std::string_view word) {
  std::vector<Token> tokens;
  Status status = model.Tokenize(word, &tokens);
  EXPECT_TRUE(status.ok()) << status.ToString();
  std::vector<std::string> out;
  for (const Token& t : tokens) out.push_back(t.value);
  return out;
}

std::unique_ptr<Model> Build(const char* json) {
  auto model = ModelFromJson(nlohmann::json::parse(json));
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? std::move(model).value() : nullptr;
}

TEST(WordPieceTest, SplitsGreedilyWithThePrefixAndFallsBackToUnkForTheWholeWord) {
  auto model = Build(R"({"unk_token": "[UNK]", "continuing_subword_prefix": "##",
      "max_input_chars_per_word": 5, "vocab": {"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "a": 4}})");
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(Values(*model, "unaff"), (std::vector<std::string>{"un", "##aff"}));
  EXPECT_EQ(Values(*model, "unab"), (std::vector<std::string>{"[UNK]"}));
  EXPECT_EQ(Values(*model, "unaffable"), (std::vector<std::string>{"[UNK]"}));  // > 5 chars
}

TEST(WordPieceTest, CountsMaxInputInCodePointsNotBytes) {
  auto model = Build(R"({"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
      "max_input_chars_per_word": 2, "vocab": {"[UNK]": 0, "あ": 1, "##い": 2}})");
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(Values(*model, "あい"), (std::vector<std::string>{"あ", "##い"}));
}

TEST(UnigramTest, FusesConsecutiveUnknownCharactersIntoOneUnk) {
  auto model = Build(R"({"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0], ["a", -1], ["b", -2]]})");
  ASSERT_NE(model, nullptr);
  std::vector<Token> tokens;
  ASSERT_TRUE(model->Tokenize("axyb", &tokens).ok());
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[1].id, 0);
  EXPECT_EQ(tokens[1].value, "xy");
  EXPECT_EQ(tokens[1].start, 1u);
  EXPECT_EQ(tokens[1].end, 3u);
}

TEST(UnigramTest, UnknownCharacterWithoutUnkIdIsAnError) {
  auto model = Build(R"({"type": "Unigram", "vocab": [["a", -1]]})");
  ASSERT_NE(model, nullptr);
  std::vector<Token> tokens;
  EXPECT_FALSE(model->Tokenize("ab", &tokens).ok());
}

TEST(UnigramTest, ByteFallbackSpellsUnknownCharactersAsBytes) {
  auto model = Build(R"({"type": "Unigram", "unk_id": 0, "byte_fallback": true,
      "vocab": [["<unk>", 0], ["<0xE3>", 0], ["<0x81>", 0], ["<0x82>", 0], ["a", -1]]})");
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(Values(*model, "aあ"), (std::vector<std::string>{"a", "<0xE3>", "<0x81>", "<0x82>"}));
}

TEST(BpeTest, MergesLowestRankFirstAndAcceptsBothMergeForms) {
  for (const char* merges : {R"(["a b", "b c", "ab c"])", R"([["a", "b"], ["b", "c"], ["ab", "c"]])"}) {
    auto model = Build((std::string(R"({"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5}, "merges": )") +
                        merges + "}").c_str());
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(Values(*model, "abc"), (std::vector<std::string>{"abc"}));
    EXPECT_EQ(Values(*model, "bca"), (std::vector<std::string>{"bc", "a"}));
  }
}

TEST(BpeTest, DropoutOfOneSkipsEveryMergeAsTheReferenceDoes) {
  auto model = Build(R"({"type": "BPE", "dropout": 1.0, "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]})");
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(Values(*model, "ab"), (std::vector<std::string>{"a", "b"}));
}

TEST(BpeTest, IgnoreMergesTakesAWholeWordFromTheVocabulary) {
  auto model = Build(R"({"type": "BPE", "ignore_merges": true, "vocab": {"a": 0, "b": 1, "c": 2, "abc": 3}, "merges": []})");
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(Values(*model, "abc"), (std::vector<std::string>{"abc"}));
  EXPECT_EQ(Values(*model, "cab"), (std::vector<std::string>{"c", "a", "b"}));
}

TEST(BpeTest, UnknownCharactersAreFusedOnlyWithFuseUnk) {
  auto fused = Build(R"({"type": "BPE", "unk_token": "?", "fuse_unk": true, "vocab": {"?": 0, "a": 1}, "merges": []})");
  auto split = Build(R"({"type": "BPE", "unk_token": "?", "vocab": {"?": 0, "a": 1}, "merges": []})");
  ASSERT_NE(fused, nullptr);
  ASSERT_NE(split, nullptr);
  EXPECT_EQ(Values(*fused, "axy"), (std::vector<std::string>{"a", "?"}));
  EXPECT_EQ(Values(*split, "axy"), (std::vector<std::string>{"a", "?", "?"}));
}

TEST(ModelFromJsonTest, RecognisesUntaggedModelsByTheirFields) {
  EXPECT_NE(Build(R"({"vocab": {"a": 0}, "merges": []})"), nullptr);
  EXPECT_NE(Build(R"({"vocab": [["a", -1.5]], "unk_id": null})"), nullptr);
  EXPECT_NE(Build(R"({"vocab": {"a": 0}, "unk_token": "a"})"), nullptr);
}

TEST(ModelFromJsonTest, RejectsUnsupportedAndMalformedModelsWithAClearStatus) {
  auto unsupported = ModelFromJson(nlohmann::json::parse(R"({"type": "Magic"})"));
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(unsupported.status().message().find("Magic"), std::string::npos);
  for (const char* bad : {R"([])", R"({"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]})",
                          R"({"type": "BPE", "vocab": {"a": -1}, "merges": []})",
                          R"({"type": "BPE", "vocab": {}, "merges": ["abc"]})",
                          R"({"type": "BPE", "vocab": {}, "merges": [], "dropout": 2})",
                          R"({"type": "Unigram", "vocab": [["a"]]})",
                          R"({"type": "Unigram", "vocab": [["a", 0]], "unk_id": 5})",
                          R"({"type": "WordPiece", "vocab": {"a": 0}})", R"({"unk_token": 1})"}) {
    EXPECT_FALSE(ModelFromJson(nlohmann::json::parse(bad)).ok()) << bad;
  }
}

TEST(SerdeFloatTest, ReproducesSerdeJsonRoundingOfScores) {
  // serde_json computes 12130167007446289 / 1e15 in floating point.
  EXPECT_EQ(SerdeJsonF64(-12.130167007446289), -(12130167007446289.0 / 1e15));
  EXPECT_EQ(SerdeJsonF64(-0.5), -0.5);
  EXPECT_EQ(SerdeJsonF64(3.0), 3.0);
}

}  // namespace
}  // namespace imi::tokenizer
