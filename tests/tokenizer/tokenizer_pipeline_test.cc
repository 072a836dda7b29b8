// Loader errors and pipeline behaviour on small hand-made tokenizer.json
// files (expected values follow the reference's documented semantics).
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenizer/encoding_ops.h"
#include "tokenizer/normalized_string.h"
#include "tokenizer/tokenizer.h"

namespace imi::tokenizer {
namespace {

namespace fs = std::filesystem;

// A WordLevel tokenizer over a few words, split on whitespace, with
// [CLS]/[SEP] added by BertProcessing.
nlohmann::json TinyTokenizer() {
  return nlohmann::json::parse(R"({
    "version": "1.0",
    "truncation": null,
    "padding": null,
    "added_tokens": [
      {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
      {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
      {"id": 2, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
      {"id": 3, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
    ],
    "normalizer": {"type": "Lowercase"},
    "pre_tokenizer": {"type": "WhitespaceSplit"},
    "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
    "decoder": null,
    "model": {"type": "WordLevel", "unk_token": "[UNK]",
              "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "a": 4, "b": 5, "c": 6, "d": 7, "e": 8, "é": 9}}
  })");
}

std::unique_ptr<Tokenizer> Load(const nlohmann::json& j) {
  auto t = Tokenizer::FromJson(j.dump(), "tiny.json");
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : nullptr;
}

TEST(TokenizerLoaderTest, MissingFileNamesThePathAndWhatWasExpected) {
  auto t = Tokenizer::FromFile("/nonexistent/dir/tokenizer.json");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
  EXPECT_NE(t.status().message().find("/nonexistent/dir/tokenizer.json"), std::string::npos);
  EXPECT_NE(t.status().message().find("expected a tokenizer.json"), std::string::npos);
}

TEST(TokenizerLoaderTest, DirectoryArgumentLoadsTheTokenizerJsonInside) {
  const fs::path dir = fs::temp_directory_path() / "imi_tokpipe_dir_test";
  fs::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << TinyTokenizer().dump();
  auto t = Tokenizer::FromFile(dir.string());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto e = (*t)->Encode("a b", true);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ids, (std::vector<int32_t>{2, 4, 5, 3}));
  fs::remove_all(dir);
}

TEST(TokenizerLoaderTest, UnsupportedComponentNamesItsTypeAndTheFile) {
  for (const char* key : {"normalizer", "pre_tokenizer", "post_processor"}) {
    nlohmann::json j = TinyTokenizer();
    j[key] = {{"type", "Frobnicate"}};
    auto t = Tokenizer::FromJson(j.dump(), "some/dir/tokenizer.json");
    ASSERT_FALSE(t.ok()) << key;
    EXPECT_EQ(t.status().code(), StatusCode::kUnsupported) << t.status().ToString();
    EXPECT_NE(t.status().message().find("Frobnicate"), std::string::npos) << t.status().ToString();
    EXPECT_NE(t.status().message().find("some/dir/tokenizer.json"), std::string::npos);
  }
}

TEST(TokenizerLoaderTest, MalformedJsonAndBadFieldsAreInvalidArgument) {
  auto t = Tokenizer::FromJson("{not json", "x.json");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  nlohmann::json j = TinyTokenizer();
  j["normalizer"] = {{"type", "Replace"}, {"pattern", {{"Regex", "(unclosed"}}}, {"content", ""}};
  t = Tokenizer::FromJson(j.dump(), "x.json");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  j = TinyTokenizer();
  j["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", "!!!"}};
  EXPECT_FALSE(Tokenizer::FromJson(j.dump(), "x.json").ok());
  j = TinyTokenizer();
  j["truncation"] = {{"max_length", "ten"}};
  EXPECT_FALSE(Tokenizer::FromJson(j.dump(), "x.json").ok());
}

TEST(TokenizerPipelineTest, InvalidUtf8InputIsRejectedWithItsByteOffset) {
  auto t = Load(TinyTokenizer());
  ASSERT_NE(t, nullptr);
  auto e = t->Encode(std::string("ab \xC3", 4), true);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(e.status().message().find("byte offset 3"), std::string::npos) << e.status().message();
}

TEST(TokenizerPipelineTest, OffsetsAreCodePointsOfTheOriginalInput) {
  auto t = Load(TinyTokenizer());
  ASSERT_NE(t, nullptr);
  auto e = t->Encode("É  b", false);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ids, (std::vector<int32_t>{9, 5}));
  EXPECT_EQ(e->offsets, (std::vector<std::pair<size_t, size_t>>{{0, 1}, {3, 4}}));
}

TEST(TokenizerPipelineTest, PairsGetTypeIdsAndSeparatorsFromThePostProcessor) {
  auto t = Load(TinyTokenizer());
  ASSERT_NE(t, nullptr);
  auto e = t->EncodePair("a b", "c", true);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ids, (std::vector<int32_t>{2, 4, 5, 3, 6, 3}));
  EXPECT_EQ(e->type_ids, (std::vector<int32_t>{0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(e->special_tokens_mask, (std::vector<uint8_t>{1, 0, 0, 1, 0, 1}));
  EXPECT_EQ(t->NumSpecialTokensToAdd(true), 3u);
}

TEST(TokenizerPipelineTest, RightTruncationWithStrideProducesOverlappingWindows) {
  auto t = Load(TinyTokenizer());
  ASSERT_NE(t, nullptr);
  TruncationParams p;
  p.max_length = 5;  // 3 tokens + [CLS] + [SEP]
  p.stride = 1;
  t->SetTruncation(p);
  auto e = t->Encode("a b c d e", true);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ids, (std::vector<int32_t>{2, 4, 5, 6, 3}));
  // Windows of 3 model tokens advancing by 3 - 1: [a b c], [c d e].
  ASSERT_EQ(e->overflowing.size(), 1u);
  EXPECT_EQ(e->overflowing[0].ids, (std::vector<int32_t>{2, 6, 7, 8, 3}));
}

TEST(TokenizerPipelineTest, LeftTruncationKeepsTheEnd) {
  auto t = Load(TinyTokenizer());
  ASSERT_NE(t, nullptr);
  TruncationParams p;
  p.max_length = 4;
  p.direction = TruncationDirection::kLeft;
  t->SetTruncation(p);
  auto e = t->Encode("a b c d e", true);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ids, (std::vector<int32_t>{2, 7, 8, 3}));
}

TEST(TokenizerPipelineTest, BatchPaddingGoesLeftAndRoundsUpToTheMultiple) {
  auto t = Load(TinyTokenizer());
  ASSERT_NE(t, nullptr);
  PaddingParams p;
  p.direction = PaddingDirection::kLeft;
  p.pad_to_multiple_of = 4;
  p.pad_id = 0;
  p.pad_token = "[PAD]";
  t->SetPadding(p);
  auto batch = t->EncodeBatch({"a", "a b c"}, true);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ((*batch)[0].ids, (std::vector<int32_t>{0, 0, 0, 0, 0, 2, 4, 3}));
  EXPECT_EQ((*batch)[0].attention_mask, (std::vector<uint8_t>{0, 0, 0, 0, 0, 1, 1, 1}));
  EXPECT_EQ((*batch)[1].ids, (std::vector<int32_t>{0, 0, 0, 2, 4, 5, 6, 3}));
}

TEST(TokenizerPipelineTest, DecodeWithoutDecoderJoinsTokensWithSpacesAndSkipsSpecials) {
  auto t = Load(TinyTokenizer());
  ASSERT_NE(t, nullptr);
  auto text = t->Decode({2, 4, 5, 3}, true);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "a b");
  text = t->Decode({2, 4, 3}, false);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "[CLS] a [SEP]");
}

TEST(TokenizerPipelineTest, SpecialTokensInTheTextAreMatchedBeforeTheModel) {
  auto t = Load(TinyTokenizer());
  ASSERT_NE(t, nullptr);
  auto e = t->Encode("a[SEP]b", false);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ids, (std::vector<int32_t>{4, 3, 5}));
  EXPECT_EQ(e->offsets, (std::vector<std::pair<size_t, size_t>>{{0, 1}, {1, 6}, {6, 7}}));
}

TEST(NormalizedStringTest, ReplaceKeepsEveryInsertedByteAlignedToTheReplacedCharacter) {
  NormalizedString s("a b");
  s.Replace(FindLiteralMatches(s.get(), " "), "\xE2\x96\x81");
  EXPECT_EQ(s.get(), "a\xE2\x96\x81" "b");
  auto original = s.NormalizedToOriginal(1, 4);
  ASSERT_TRUE(original.has_value());
  EXPECT_EQ(*original, (ByteRange{1, 2}));
}

TEST(NormalizedStringTest, SplitBehavioursFollowTheReference) {
  NormalizedString s("a--b");
  auto pieces = FindLiteralMatches(s.get(), "-");
  auto texts = [](const std::vector<NormalizedString>& v) {
    std::vector<std::string> out;
    for (const auto& n : v) out.push_back(n.get());
    return out;
  };
  EXPECT_EQ(texts(s.Split(pieces, SplitBehavior::kRemoved)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(texts(s.Split(pieces, SplitBehavior::kIsolated)), (std::vector<std::string>{"a", "-", "-", "b"}));
  EXPECT_EQ(texts(s.Split(pieces, SplitBehavior::kContiguous)), (std::vector<std::string>{"a", "--", "b"}));
  EXPECT_EQ(texts(s.Split(pieces, SplitBehavior::kMergedWithPrevious)), (std::vector<std::string>{"a-", "-", "b"}));
  EXPECT_EQ(texts(s.Split(pieces, SplitBehavior::kMergedWithNext)), (std::vector<std::string>{"a", "-", "-b"}));
}

TEST(EncodingOpsTest, StrideNotSmallerThanMaxLengthIsAnError) {
  Encoding e;
  e.ids = {1, 2, 3, 4};
  e.type_ids = e.ids;
  e.tokens = {"a", "b", "c", "d"};
  e.offsets.assign(4, {0, 0});
  e.special_tokens_mask.assign(4, 0);
  e.attention_mask.assign(4, 1);
  EXPECT_FALSE(TruncateEncoding(&e, 2, 2, TruncationDirection::kRight).ok());
}

}  // namespace
}  // namespace imi::tokenizer
