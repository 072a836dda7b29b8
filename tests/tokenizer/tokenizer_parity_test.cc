// Parity with the Hugging Face `tokenizers` Rust library: for every
// tokenizer under shared/parity/tokenizers/<name>/, every row of
// expected.jsonl (and expected.file_config.jsonl when present) must match.
// Adding a tokenizer needs only its data directory.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"

namespace imi::tokenizer {
namespace {

namespace fs = std::filesystem;

const fs::path kParityDir = fs::path(IMI_SHARED_DIR) / "parity" / "tokenizers";
const fs::path kTokenizerDir = fs::path(IMI_SHARED_DIR) / "tokenizers";

// Names of the shared tokenizers that have `expected_file` in their parity
// folder; one placeholder name (whose test skips) when the data is missing.
std::vector<std::string> ParityNamesWith(const std::string& expected_file) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::is_directory(kParityDir, ec)) return {"(shared data missing)"};
  for (const auto& entry : fs::directory_iterator(kParityDir, ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / expected_file)) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> ParityNames() { return ParityNamesWith("expected.jsonl"); }
std::vector<std::string> FileConfigParityNames() { return ParityNamesWith("expected.file_config.jsonl"); }

nlohmann::json OffsetsJson(const Encoding& e) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [s, t] : e.offsets) out.push_back({s, t});
  return out;
}

// Counts mismatching rows per field and remembers the first few diffs.
struct Tally {
  size_t rows = 0;
  size_t bad_rows = 0;
  std::map<std::string, size_t> by_field;
  std::vector<std::string> examples;

  void Check(const std::string& id, const std::string& field, const nlohmann::json& got,
             const nlohmann::json& want, bool* row_bad) {
    if (got == want) return;
    ++by_field[field];
    *row_bad = true;
    if (examples.size() < 5) {
      std::string g = got.dump(), w = want.dump();
      if (g.size() > 600) g = g.substr(0, 600) + "...";
      if (w.size() > 600) w = w.substr(0, 600) + "...";
      examples.push_back(id + " " + field + "\n    got:  " + g + "\n    want: " + w);
    }
  }

  std::string Report(const std::string& name) const {
    std::ostringstream out;
    out << name << ": " << bad_rows << " of " << rows << " rows differ";
    for (const auto& [field, n] : by_field) out << " [" << field << ": " << n << "]";
    for (const std::string& e : examples) out << "\n  " << e;
    return out.str();
  }
};

class TokenizerParityTest : public ::testing::TestWithParam<std::string> {};
// Only the tokenizers whose parity folder has expected.file_config.jsonl.
class FileConfigParityTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerParityTest, MatchesReferenceOnEveryCorpusRow) {
  const std::string name = GetParam();
  const fs::path tokenizer_path = kTokenizerDir / name / "tokenizer.json";
  if (!fs::exists(kParityDir / name / "expected.jsonl") || !fs::exists(tokenizer_path)) {
    GTEST_SKIP() << "shared parity data not found under " << IMI_SHARED_DIR;
  }
  auto tokenizer = Tokenizer::FromFile(tokenizer_path.string());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
  (*tokenizer)->SetTruncation(std::nullopt);
  (*tokenizer)->SetPadding(std::nullopt);

  std::ifstream in(kParityDir / name / "expected.jsonl");
  Tally tally;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json row = nlohmann::json::parse(line);
    const std::string id = row["id"];
    const std::string text = row["text"];
    ++tally.rows;
    bool bad = false;
    auto with = (*tokenizer)->Encode(text, true);
    auto without = (*tokenizer)->Encode(text, false);
    if (!with.ok() || !without.ok()) {
      tally.Check(id, "error", (with.ok() ? without : with).status().ToString(), "ok", &bad);
    } else {
      tally.Check(id, "ids", with->ids, row["ids"], &bad);
      tally.Check(id, "tokens", with->tokens, row["tokens"], &bad);
      tally.Check(id, "offsets", OffsetsJson(*with), row["offsets"], &bad);
      tally.Check(id, "type_ids", with->type_ids, row["type_ids"], &bad);
      tally.Check(id, "special_tokens_mask", with->special_tokens_mask, row["special_tokens_mask"], &bad);
      tally.Check(id, "ids_no_special", without->ids, row["ids_no_special"], &bad);
      tally.Check(id, "tokens_no_special", without->tokens, row["tokens_no_special"], &bad);
      tally.Check(id, "offsets_no_special", OffsetsJson(*without), row["offsets_no_special"], &bad);
      if (row.contains("decoded")) {
        auto decoded = (*tokenizer)->Decode(without->ids, true);
        tally.Check(id, "decoded", decoded.ok() ? nlohmann::json(*decoded) : nlohmann::json(decoded.status().ToString()),
                    row["decoded"], &bad);
      }
    }
    if (bad) ++tally.bad_rows;
  }
  std::cout << tally.Report(name) << std::endl;
  EXPECT_GT(tally.rows, 0u);
  EXPECT_EQ(tally.bad_rows, 0u) << tally.Report(name);
}

TEST_P(FileConfigParityTest, MatchesReferenceWithTheFilesOwnTruncationAndPadding) {
  const std::string name = GetParam();
  const fs::path expected = kParityDir / name / "expected.file_config.jsonl";
  const fs::path tokenizer_path = kTokenizerDir / name / "tokenizer.json";
  if (!fs::exists(expected) || !fs::exists(tokenizer_path)) {
    GTEST_SKIP() << "shared parity data not found under " << IMI_SHARED_DIR;
  }
  std::unordered_map<std::string, std::string> texts;
  {
    std::ifstream in(kParityDir / name / "expected.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      nlohmann::json row = nlohmann::json::parse(line);
      texts[row["id"]] = row["text"];
    }
  }
  auto tokenizer = Tokenizer::FromFile(tokenizer_path.string());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
  std::ifstream in(expected);
  Tally tally;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json row = nlohmann::json::parse(line);
    const std::string id = row["id"];
    ASSERT_TRUE(texts.count(id)) << id;
    ++tally.rows;
    bool bad = false;
    // A batch of one applies the file's truncation and padding as the
    // reference's encode does.
    auto with = (*tokenizer)->EncodeBatch({texts[id]}, true);
    auto without = (*tokenizer)->EncodeBatch({texts[id]}, false);
    if (!with.ok() || !without.ok()) {
      tally.Check(id, "error", (with.ok() ? without.status() : with.status()).ToString(), "ok", &bad);
    } else {
      tally.Check(id, "ids", (*with)[0].ids, row["ids"], &bad);
      tally.Check(id, "ids_no_special", (*without)[0].ids, row["ids_no_special"], &bad);
      if (row.contains("attention_mask")) {
        tally.Check(id, "attention_mask", (*with)[0].attention_mask, row["attention_mask"], &bad);
      }
    }
    if (bad) ++tally.bad_rows;
  }
  std::cout << tally.Report(name + " (file truncation/padding)") << std::endl;
  EXPECT_EQ(tally.bad_rows, 0u) << tally.Report(name);
}

std::string ParamName(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (char& c : n) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(SharedTokenizers, TokenizerParityTest, ::testing::ValuesIn(ParityNames()), ParamName);
INSTANTIATE_TEST_SUITE_P(SharedTokenizers, FileConfigParityTest, ::testing::ValuesIn(FileConfigParityNames()),
                         ParamName);

}  // namespace
}  // namespace imi::tokenizer
