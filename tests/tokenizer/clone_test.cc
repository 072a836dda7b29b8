// Tokenizer::Clone: a clone encodes, decodes and looks up exactly as a second
// load of the same tokenizer.json, on every shared tokenizer and the project
// corpus; its truncation and padding are its own; it outlives the original.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"

namespace imi::tokenizer {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> TokenizerFiles() {
  std::vector<fs::path> files;
  const fs::path root = fs::path(IMI_SHARED_DIR) / "tokenizers";
  if (fs::exists(root)) {
    for (const auto& entry : fs::directory_iterator(root)) {
      if (fs::exists(entry.path() / "tokenizer.json")) files.push_back(entry.path() / "tokenizer.json");
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> Texts() {
  std::vector<std::string> texts;
  std::ifstream in(fs::path(IMI_SOURCE_DIR) / "tests/data/tokenizer/corpus/corpus.jsonl");
  std::string line;
  while (std::getline(in, line) && texts.size() < 200) {
    if (!line.empty()) texts.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
  }
  return texts;
}

void ExpectSame(const Encoding& want, const Encoding& got, const std::string& what) {
  EXPECT_EQ(want.ids, got.ids) << what;
  EXPECT_EQ(want.tokens, got.tokens) << what;
  EXPECT_EQ(want.offsets, got.offsets) << what;
  EXPECT_EQ(want.type_ids, got.type_ids) << what;
  EXPECT_EQ(want.attention_mask, got.attention_mask) << what;
}

TEST(TokenizerCloneTest, EncodesAsASecondLoadAndOutlivesTheOriginal) {
  const std::vector<fs::path> files = TokenizerFiles();
  ASSERT_FALSE(files.empty()) << "no shared tokenizers under " << IMI_SHARED_DIR;
  const std::vector<std::string> texts = Texts();
  ASSERT_GT(texts.size(), 50u);
  for (const fs::path& file : files) {
    auto reference = Tokenizer::FromFile(file.string());
    ASSERT_TRUE(reference.ok()) << file << ": " << reference.status().ToString();
    std::unique_ptr<Tokenizer> clone;
    {
      auto original = Tokenizer::FromFile(file.string());
      ASSERT_TRUE(original.ok());
      clone = (*original)->Clone();
    }  // the original is gone; the clone keeps the shared components alive
    EXPECT_EQ((*reference)->VocabSize(), clone->VocabSize()) << file;
    for (const std::string& text : texts) {
      auto want = (*reference)->Encode(text);
      auto got = clone->Encode(text);
      ASSERT_TRUE(want.ok() && got.ok()) << file;
      ExpectSame(*want, *got, file.string() + ": " + text);
      auto decoded_want = (*reference)->Decode(std::vector<int32_t>(want->ids.begin(), want->ids.end()));
      auto decoded_got = clone->Decode(std::vector<int32_t>(got->ids.begin(), got->ids.end()));
      ASSERT_TRUE(decoded_want.ok() && decoded_got.ok());
      EXPECT_EQ(*decoded_want, *decoded_got) << file;
    }
  }
}

TEST(TokenizerCloneTest, TruncationAndPaddingAreEachTokenizersOwn) {
  const std::vector<fs::path> files = TokenizerFiles();
  ASSERT_FALSE(files.empty());
  auto loaded = Tokenizer::FromFile(files.front().string());
  ASSERT_TRUE(loaded.ok());
  Tokenizer& plain = **loaded;
  plain.SetTruncation(std::nullopt);
  plain.SetPadding(std::nullopt);
  std::unique_ptr<Tokenizer> truncating = plain.Clone();
  TruncationParams trunc;
  trunc.max_length = 8;
  truncating->SetTruncation(trunc);
  PaddingParams pad;
  truncating->SetPadding(pad);

  EXPECT_FALSE(plain.truncation().has_value());
  EXPECT_FALSE(plain.padding().has_value());
  ASSERT_TRUE(truncating->truncation().has_value());
  EXPECT_EQ(truncating->truncation()->max_length, 8u);
  EXPECT_TRUE(truncating->padding().has_value());

  const std::string text = "東京都の区役所では、燃やすごみを月曜日と木曜日に回収しています。Tokyo wards collect burnable waste twice a week.";
  auto whole = plain.Encode(text);
  auto cut = truncating->Encode(text);
  ASSERT_TRUE(whole.ok() && cut.ok());
  EXPECT_GT(whole->size(), 8u);
  EXPECT_EQ(cut->size(), 8u);
  // Changing the original afterwards does not reach the clone either.
  plain.SetTruncation(TruncationParams{});
  EXPECT_EQ(truncating->truncation()->max_length, 8u);
}

}  // namespace
}  // namespace imi::tokenizer
