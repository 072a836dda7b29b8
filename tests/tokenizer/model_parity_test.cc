// Model and decoder parity against the reference library, word by word:
// tests/data/tokenizer/models/<tokenizer>.jsonl holds the words a shared
// tokenizer's pre-tokenizer produces on the project corpus and what the
// reference model/decoder make of them (regenerate with make_expected.sh
// there). Adding a case is adding a line.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/utf8.h"
#include "tokenizer/decoder.h"
#include "tokenizer/model.h"

namespace imi::tokenizer {
namespace {

namespace fs = std::filesystem;

nlohmann::json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return nlohmann::json::parse(buffer.str());
}

// Index of the code point each byte of `word` belongs to.
std::vector<size_t> CharOfByte(const std::string& word) {
  std::vector<size_t> index(word.size(), 0);
  size_t chars = 0;
  for (size_t i = 0; i < word.size(); ++i) {
    if ((static_cast<unsigned char>(word[i]) & 0xC0) != 0x80 && i > 0) ++chars;
    index[i] = chars;
  }
  return index;
}

class ModelParityTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelParityTest, EveryWordMatchesTheReferenceModelAndDecoder) {
  const std::string name = GetParam();
  // The project's own tokenizers first, then the shared ones.
  fs::path tokenizer_path = fs::path(IMI_SOURCE_DIR) / "tests/data/tokenizer/made" / name / "tokenizer.json";
  if (!fs::exists(tokenizer_path)) {
    tokenizer_path = fs::path(IMI_SHARED_DIR) / "tokenizers" / name / "tokenizer.json";
  }
  if (!fs::exists(tokenizer_path)) {
    GTEST_SKIP() << "shared tokenizer missing: " << tokenizer_path;
  }
  const nlohmann::json file = ReadJson(tokenizer_path);
  auto model = ModelFromJson(file["model"]);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  std::unique_ptr<Decoder> decoder;
  if (file.contains("decoder") && !file["decoder"].is_null()) {
    auto built = DecoderFromJson(file["decoder"]);
    ASSERT_TRUE(built.ok()) << built.status().ToString();
    decoder = std::move(built).value();
  }

  std::ifstream cases(fs::path(IMI_SOURCE_DIR) / "tests/data/tokenizer/models" / (name + ".jsonl"));
  std::string line;
  size_t total = 0, failures = 0;
  while (std::getline(cases, line)) {
    if (line.empty()) continue;
    const auto expected = nlohmann::json::parse(line);
    const std::string word = expected["word"];
    ++total;
    std::vector<Token> tokens;
    Status status = (*model)->Tokenize(word, &tokens);
    std::vector<int32_t> ids;
    std::vector<std::string> values;
    std::vector<std::vector<size_t>> offsets;
    // The reference reports offsets in whole code points: a byte range
    // inside one character widens to that character.
    const auto char_of = CharOfByte(word);
    for (const Token& t : tokens) {
      ids.push_back(t.id);
      values.push_back(t.value);
      const size_t start = t.start < word.size() ? char_of[t.start] : (word.empty() ? 0 : char_of.back() + 1);
      const size_t end = t.end == 0 ? 0 : char_of[std::min(t.end, word.size()) - 1] + 1;
      offsets.push_back({start, end});
    }
    std::string decoded;
    if (status.ok()) {
      std::vector<std::string> pieces;
      for (int32_t id : ids) pieces.emplace_back((*model)->IdToToken(id).value_or(""));
      if (decoder) {
        for (const std::string& p : decoder->DecodeChain(pieces)) decoded += p;
      } else {
        for (size_t i = 0; i < pieces.size(); ++i) decoded += (i ? " " : "") + pieces[i];
      }
    }
    const bool same = status.ok() && ids == expected["ids"].get<std::vector<int32_t>>() &&
                      values == expected["tokens"].get<std::vector<std::string>>() &&
                      offsets == expected["offsets"].get<std::vector<std::vector<size_t>>>() &&
                      decoded == expected["decoded"].get<std::string>();
    if (!same && ++failures <= 5) {
      nlohmann::json got = {{"ids", ids}, {"tokens", values}, {"offsets", offsets}, {"decoded", decoded},
                            {"status", status.ToString()}};
      ADD_FAILURE() << name << " word " << nlohmann::json(word).dump() << "\n expected "
                    << expected.dump() << "\n got      " << got.dump(-1, ' ', false,
                                                                      nlohmann::json::error_handler_t::replace);
    }
  }
  EXPECT_GT(total, 0u) << "no cases for " << name;
  EXPECT_EQ(failures, 0u) << failures << " of " << total << " words differ for " << name;
}

std::vector<std::string> CaseFiles() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(fs::path(IMI_SOURCE_DIR) / "tests/data/tokenizer/models")) {
    if (entry.path().extension() == ".jsonl") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(SharedTokenizers, ModelParityTest, ::testing::ValuesIn(CaseFiles()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace imi::tokenizer
