// Models are shared by worker threads: tokenizing the same words from many
// threads at once (BPE's shared word cache included) must give exactly the
// single-threaded tokens.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenizer/model.h"

namespace imi::tokenizer {
namespace {

namespace fs = std::filesystem;

std::vector<std::vector<int32_t>> TokenizeAll(const Model& model, const std::vector<std::string>& words) {
  std::vector<std::vector<int32_t>> out;
  for (const std::string& w : words) {
    std::vector<Token> tokens;
    if (!model.Tokenize(w, &tokens).ok()) tokens.clear();
    std::vector<int32_t> ids;
    for (const Token& t : tokens) ids.push_back(t.id);
    out.push_back(std::move(ids));
  }
  return out;
}

void CheckConcurrent(const std::string& name) {
  const fs::path data = fs::path(IMI_SOURCE_DIR) / "tests/data/tokenizer";
  std::ifstream file(data / "made" / name / "tokenizer.json");
  ASSERT_TRUE(file) << "missing made tokenizer " << name;
  std::stringstream buffer;
  buffer << file.rdbuf();
  auto model = ModelFromJson(nlohmann::json::parse(buffer.str())["model"]);
  ASSERT_TRUE(model.ok()) << model.status().ToString();

  std::vector<std::string> words;
  std::ifstream cases(data / "models" / (name + ".jsonl"));
  std::string line;
  while (std::getline(cases, line)) words.push_back(nlohmann::json::parse(line)["word"]);
  ASSERT_FALSE(words.empty());

  // Expected from a fresh model so the cache of `model` starts cold below.
  auto fresh = ModelFromJson(nlohmann::json::parse(buffer.str())["model"]);
  ASSERT_TRUE(fresh.ok());
  const auto expected = TokenizeAll(**fresh, words);

  constexpr int kThreads = 8;
  std::vector<std::vector<std::vector<int32_t>>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) results[t] = TokenizeAll(**model, words);
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(results[t], expected) << "thread " << t;
}

TEST(ModelThreadsTest, BpeGivesSingleThreadedResultsFromManyThreads) { CheckConcurrent("bpe-suffix-made"); }

TEST(ModelThreadsTest, ByteFallbackBpeGivesSingleThreadedResultsFromManyThreads) {
  CheckConcurrent("bpe-bytefallback-made");
}

TEST(ModelThreadsTest, UnigramGivesSingleThreadedResultsFromManyThreads) { CheckConcurrent("xlmr-made"); }

TEST(ModelThreadsTest, WordPieceGivesSingleThreadedResultsFromManyThreads) {
  CheckConcurrent("wordpiece-split-made");
}

}  // namespace
}  // namespace imi::tokenizer
