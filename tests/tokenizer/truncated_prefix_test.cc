// EncodeTruncatedPrefix equals encoding the whole text and truncating, on
// every shared tokenizer and every tokenizer under tests/data/tokenizer/made/,
// for texts starting at every eighth line of the live corpora (the project
// corpus and the fixed random one), continued by the following lines, and for
// long texts made by joining corpus lines. The prefix search starts tiny
// here so that it runs through the corpus lines themselves.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"
#include "tokenizer/truncated_prefix.h"
#include "tokenizer_files.h"

namespace imi::tokenizer {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = IMI_SOURCE_DIR;

using testing::TokenizerFiles;

std::vector<std::string> CorpusTexts() {
  std::vector<std::string> texts;
  for (const char* name : {"corpus.jsonl", "random_20261126_800.jsonl"}) {
    std::ifstream in(kSource / "tests/data/tokenizer/corpus" / name);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) texts.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
    }
  }
  return texts;
}

// What differs between two encodings, or "" when they are the same.
std::string Difference(const Encoding& want, const Encoding& got) {
  if (want.size() != got.size()) return "length " + std::to_string(want.size()) + " vs " + std::to_string(got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (want.ids[i] != got.ids[i] || want.tokens[i] != got.tokens[i] || want.offsets[i] != got.offsets[i] ||
        want.type_ids[i] != got.type_ids[i] || want.special_tokens_mask[i] != got.special_tokens_mask[i] ||
        want.attention_mask[i] != got.attention_mask[i])
      return "token " + std::to_string(i) + ": '" + want.tokens[i] + "' vs '" + got.tokens[i] + "'";
  }
  return "";
}

class TruncatedPrefixTest : public ::testing::TestWithParam<std::pair<std::string, fs::path>> {};

TEST_P(TruncatedPrefixTest, EqualsEncodingTheWholeTextAndTruncating) {
  const fs::path& file = GetParam().second;
  auto plain = Tokenizer::FromFile(file.string());
  auto truncating = Tokenizer::FromFile(file.string());
  ASSERT_TRUE(plain.ok() && truncating.ok());
  (*plain)->SetTruncation(std::nullopt);
  (*plain)->SetPadding(std::nullopt);
  (*truncating)->SetPadding(std::nullopt);

  const std::vector<std::string> lines = CorpusTexts();
  ASSERT_GT(lines.size(), 4000u);
  // Every eighth corpus line, followed by the next lines up to 1 KiB, so that
  // the search runs through it from a 16-byte prefix.
  struct Case {
    std::string text;
    PrefixSearch search;
  };
  std::vector<Case> cases;
  for (size_t i = 0; i < lines.size(); i += 8) {
    std::string text = lines[i];
    for (size_t j = i + 1; text.size() < 1024; j = (j + 1) % lines.size()) text += " " + lines[j];
    cases.push_back({std::move(text), PrefixSearch{16, 128, 16}});
  }
  const size_t corpus_cases = cases.size();
  // Runs of 40 corpus lines joined by newlines, spaces or nothing.
  const char* joins[] = {"\n", " ", ""};
  for (size_t start = 0, n = 0; start + 40 <= lines.size(); start += 97, ++n) {
    std::string text;
    for (size_t i = start; i < start + 40; ++i) text += lines[i] + joins[n % 3];
    cases.push_back({std::move(text), PrefixSearch{1024, 128, 256}});
  }
  // Three texts over the default 64 KiB threshold, with the defaults.
  for (size_t n = 0; n < 3; ++n) {
    std::string text;
    for (size_t i = n; text.size() < 80 * 1024; i = (i + 7) % lines.size()) text += lines[i] + joins[n % 3];
    cases.push_back({std::move(text), PrefixSearch{}});
  }
  size_t cut = 0;
  for (size_t max_length : {8, 48, 200}) {
    TruncationParams params;
    params.max_length = max_length;
    (*truncating)->SetTruncation(params);
    for (size_t i = 0; i < cases.size(); ++i) {
      // Short corpus lines are cut by 8 tokens; at 48 and 200 they are
      // mostly encoded whole, so only the long texts run there.
      if (max_length != 8 && i < corpus_cases) continue;
      const Case& c = cases[i];
      auto whole = (*truncating)->Encode(c.text);
      ASSERT_TRUE(whole.ok()) << whole.status().ToString();
      auto prefix = EncodeTruncatedPrefix(**plain, **truncating, c.text, c.search);
      ASSERT_TRUE(prefix.ok()) << prefix.status().ToString();
      const std::string diff = Difference(*whole, prefix->encoding);
      ASSERT_EQ(diff, "") << "case " << i << " (" << c.text.size() << " bytes), max_length " << max_length
                          << ", first prefix " << c.search.first_prefix_bytes << ": " << c.text.substr(0, 200);
      EXPECT_EQ(prefix->truncated, !whole->overflowing.empty()) << "case " << i << ", max_length " << max_length;
      if (prefix->truncated && prefix->whole_length == 0) ++cut;
    }
  }
  EXPECT_GT(cut, corpus_cases / 2) << "too few texts were encoded from a prefix";
}

INSTANTIATE_TEST_SUITE_P(EveryTokenizer, TruncatedPrefixTest, ::testing::ValuesIn(TokenizerFiles()),
                         [](const auto& info) {
                           std::string name = info.param.first;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

TEST(TruncatedPrefixTest, AHugeLineIsEncodedFromAPrefix) {
  const fs::path file = fs::path(IMI_SHARED_DIR) / "tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json";
  if (!fs::exists(file)) GTEST_SKIP() << "shared tokenizer missing: " << file;
  auto plain = Tokenizer::FromFile(file.string());
  auto truncating = Tokenizer::FromFile(file.string());
  ASSERT_TRUE(plain.ok() && truncating.ok());
  (*plain)->SetTruncation(std::nullopt);
  TruncationParams params;
  params.max_length = 128;
  (*truncating)->SetTruncation(params);
  std::string text;
  while (text.size() < (64u << 20)) text += "東京都の天気は晴れ、気温は二十度です。The weather is fine. ";
  auto prefix = EncodeTruncatedPrefix(**plain, **truncating, text);
  ASSERT_TRUE(prefix.ok());
  EXPECT_TRUE(prefix->truncated);
  EXPECT_EQ(prefix->encoding.size(), 128u);
  EXPECT_EQ(prefix->whole_length, 0u) << "the whole 64 MB text was tokenised";
}

}  // namespace
}  // namespace imi::tokenizer
