// Normalizers and pre-tokenizers against the reference, case by case:
// tests/data/tokenizer/pipeline/components.jsonl holds, for each component
// config and input, the reference's normalized string or pre-tokenized
// splits with code point offsets (regenerate with make_components.mjs).
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/utf8.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pre_tokenizer.h"

namespace imi::tokenizer {
namespace {

namespace fs = std::filesystem;

const fs::path kCases = fs::path(IMI_SOURCE_DIR) / "tests/data/tokenizer/pipeline/components.jsonl";

// Byte offsets of `text` -> code point offsets (the reference's converter).
std::pair<size_t, size_t> ToChars(std::string_view text, std::pair<size_t, size_t> offsets) {
  std::vector<size_t> char_of_byte(text.size());
  size_t index = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t start = pos;
    utf8::Decode(text, &pos);
    for (size_t b = start; b < pos; ++b) char_of_byte[b] = index;
    ++index;
  }
  if (offsets.first >= text.size()) return offsets;
  size_t start = char_of_byte[offsets.first];
  if (offsets.second < text.size()) return {start, char_of_byte[offsets.second]};
  return {start, char_of_byte[offsets.second - 1] + 1};
}

nlohmann::json RunComponent(const nlohmann::json& row) {
  const std::string input = row["input"];
  if (row["kind"] == "normalizer") {
    auto normalizer = NormalizerFromJson(row["config"]);
    if (!normalizer.ok()) return normalizer.status().ToString();
    NormalizedString s(input);
    Status status = (*normalizer)->Normalize(&s);
    if (!status.ok()) return status.ToString();
    return s.get();
  }
  auto pre = PreTokenizerFromJson(row["config"]);
  if (!pre.ok()) return pre.status().ToString();
  PreTokenizedString p;
  p.splits.push_back({NormalizedString(input), std::nullopt});
  Status status = (*pre)->PreTokenize(&p);
  if (!status.ok()) return status.ToString();
  nlohmann::json splits = nlohmann::json::array();
  for (const PreTokenSplit& split : p.splits) {
    auto [start, end] = ToChars(input, split.normalized.OffsetsOriginal());
    splits.push_back({split.normalized.get(), start, end});
  }
  return splits;
}

TEST(PipelineComponentsTest, NormalizersAndPreTokenizersMatchTheReferenceOnEveryCase) {
  std::ifstream in(kCases);
  ASSERT_TRUE(in) << "missing " << kCases;
  std::map<std::string, std::pair<size_t, size_t>> per_type;  // type -> (cases, failures)
  std::vector<std::string> examples;
  size_t failures = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json row = nlohmann::json::parse(line);
    const std::string type = row["kind"].get<std::string>() + ":" + row["config"].dump();
    nlohmann::json want = row["kind"] == "normalizer" ? row["normalized"] : row["splits"];
    nlohmann::json got = RunComponent(row);
    auto& tally = per_type[type];
    ++tally.first;
    if (got != want) {
      ++tally.second;
      ++failures;
      if (examples.size() < 10) {
        examples.push_back(type + "\n  input: " + nlohmann::json(row["input"]).dump() +
                           "\n  got:   " + got.dump() + "\n  want:  " + want.dump());
      }
    }
  }
  std::ostringstream report;
  for (const auto& [type, tally] : per_type) {
    if (tally.second > 0) report << tally.second << "/" << tally.first << " differ: " << type << "\n";
  }
  for (const std::string& e : examples) report << e << "\n";
  EXPECT_GT(per_type.size(), 30u);
  EXPECT_EQ(failures, 0u) << report.str();
}

}  // namespace
}  // namespace imi::tokenizer
