// End to end through the built binary: imi index -> imi collections ->
// imi search on the 桜ヶ丘市 corpus with a generated tiny model.
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace {

const std::string kBinary = std::string(IMI_BINARY_DIR) + "/imi";
const std::string kFixtures = std::string(IMI_BINARY_DIR) + "/search-fixtures";

struct ImiRun {
  int exit_code = -1;
  std::string out;
};

ImiRun Imi(const std::string& args) {
  ImiRun run;
  FILE* pipe = ::popen((kBinary + " " + args + " 2>/dev/null").c_str(), "r");
  if (!pipe) return run;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) run.out.append(buf, n);
  int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// A tiny BERT with random weights (tools/modelgen), generated once per build dir.
std::string TinyModel(std::string* skip) {
  if (!std::filesystem::exists(kBinary)) {
    *skip = "the imi binary is not built at " + kBinary;
    return "";
  }
  std::string tokenizer = std::string(IMI_SHARED_DIR) + "/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json";
  if (!std::filesystem::exists(tokenizer)) {
    *skip = "shared tokenizer missing: " + tokenizer;
    return "";
  }
  std::filesystem::create_directories(kFixtures);
  int lock = ::open((kFixtures + "/lock").c_str(), O_CREAT | O_RDWR, 0644);
  ::flock(lock, LOCK_EX);
  std::string model = kFixtures + "/tiny-bert";
  if (!std::filesystem::exists(model + "/stamp")) {
    std::string cmd = "/usr/bin/python3 " + std::string(IMI_SOURCE_DIR) + "/tools/modelgen/modelgen.py generate --arch bert --tokenizer " +
                      tokenizer + " --out " + model + " --seed 7 >/dev/null 2>&1 && touch " + model + "/stamp";
    if (std::system(cmd.c_str()) != 0) *skip = "tools/modelgen could not generate a model (python3-onnx, python3-numpy?)";
  }
  ::flock(lock, LOCK_UN);
  ::close(lock);
  return skip->empty() ? model : "";
}

TEST(SearchCliTest, IndexesTheCityCorpusListsItAndFindsAnExactNotice) {
  std::string skip;
  std::string model = TinyModel(&skip);
  if (model.empty()) GTEST_SKIP() << skip;
  std::string store = kFixtures + "/store-" + std::to_string(::getpid());
  std::filesystem::remove_all(store);
  std::string common = "--store " + store + " --model " + model;
  std::string corpus = std::string(IMI_SOURCE_DIR) + "/tests/data/store/city";

  ImiRun index = Imi("index --collection city " + common + " " + corpus);
  ASSERT_EQ(index.exit_code, 0) << index.out;
  EXPECT_NE(index.out.find("indexed 11 documents"), std::string::npos) << index.out;

  ImiRun list = Imi("collections --json --store " + store);
  ASSERT_EQ(list.exit_code, 0);
  auto collections = nlohmann::json::parse(list.out);
  ASSERT_EQ(collections.size(), 1u);
  EXPECT_EQ(collections[0]["name"], "city");
  EXPECT_EQ(collections[0]["documents"], 11);

  // The query is a notice's whole text: same tokens, same vector, score 1.
  const std::string notice = "市民プールは設備点検のため、十一月二十五日から十二月十日まで休館します。再開後は新しい更衣室をご利用いただけます。";
  for (const char* mode : {"", "--exact"}) {
    ImiRun search = Imi("search --collection city " + common + " --json -k 3 " + mode + " '" + notice + "'");
    ASSERT_EQ(search.exit_code, 0) << search.out;
    auto response = nlohmann::json::parse(search.out);
    EXPECT_EQ(response["mode"], "dense");
    auto hits = response["results"];
    ASSERT_EQ(hits.size(), 3u);
    EXPECT_EQ(hits[0]["id"], "notice-2026-003");
    EXPECT_NEAR(hits[0]["score"].get<double>(), 1.0, 1e-4);
    EXPECT_EQ(hits[0]["metadata"]["category"], "施設");
  }
  ImiRun filtered = Imi("search --collection city " + common + " --json -k 5 --filter '{\"category\": \"水道\"}' 断水");
  ASSERT_EQ(filtered.exit_code, 0);
  auto hits = nlohmann::json::parse(filtered.out)["results"];
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0]["id"], "notice-2026-001");

  // imi index built the default lexical index (ja-mecab): a keyword query
  // finds the one notice with the word, highlighted in code points.
  EXPECT_EQ(collections[0]["analyzers"], nlohmann::json::array({"ja-mecab"}));
  ImiRun lexical = Imi("search --collection city --store " + store + " --mode lexical --json -k 3 断水");
  ASSERT_EQ(lexical.exit_code, 0) << lexical.out;
  auto by_words = nlohmann::json::parse(lexical.out);
  EXPECT_EQ(by_words["components"], nlohmann::json::array({"lexical:ja-mecab"}));
  ASSERT_EQ(by_words["results"].size(), 1u);
  EXPECT_EQ(by_words["results"][0]["id"], "notice-2026-001");
  EXPECT_GT(by_words["results"][0]["components"]["lexical:ja-mecab"]["score"].get<double>(), 0);
  const std::string chunk = by_words["results"][0]["chunk"]["text"];
  const size_t at = chunk.find("断水");
  ASSERT_NE(at, std::string::npos);
  size_t code_points = 0;
  for (size_t i = 0; i < at; ++i) code_points += (static_cast<unsigned char>(chunk[i]) & 0xC0) != 0x80;
  EXPECT_EQ(by_words["results"][0]["highlights"],
            nlohmann::json::parse("[{\"start\":" + std::to_string(code_points) + ",\"end\":" +
                                  std::to_string(code_points + 2) + "}]"));
  // The text output marks the word and names the component.
  ImiRun plain = Imi("search --collection city --store " + store + " --mode lexical -k 1 断水");
  ASSERT_EQ(plain.exit_code, 0);
  EXPECT_NE(plain.out.find("【断水】"), std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find("lexical:ja-mecab"), std::string::npos) << plain.out;

  // Hybrid: the dense and the lexical ranking fused by RRF; every result
  // shows each component's score and rank, and the fused score is
  // sum 1 / (60 + rank).
  ImiRun hybrid = Imi("search --collection city " + common + " --mode hybrid --json -k 3 断水");
  ASSERT_EQ(hybrid.exit_code, 0) << hybrid.out;
  auto fused = nlohmann::json::parse(hybrid.out);
  EXPECT_EQ(fused["components"], nlohmann::json::array({"dense", "lexical:ja-mecab"}));
  ASSERT_EQ(fused["results"].size(), 3u);
  EXPECT_EQ(fused["results"][0]["id"], "notice-2026-001");
  for (const auto& result : fused["results"]) {
    double expected = 0;
    for (const auto& [name, place] : result["components"].items()) expected += 1.0 / (60.0 + place["rank"].get<int>());
    EXPECT_NEAR(result["score"].get<double>(), expected, 1e-12) << result.dump();
  }

  // imi reindex --lexical changes the analysers without re-embedding.
  ImiRun reindex = Imi("reindex --collection city --store " + store + " --lexical --analyzers ja-mecab,ja-bigram");
  ASSERT_EQ(reindex.exit_code, 0) << reindex.out;
  ImiRun bigram = Imi("search --collection city --store " + store + " --mode lexical --analyzer ja-bigram --json 断水");
  ASSERT_EQ(bigram.exit_code, 0) << bigram.out;
  EXPECT_EQ(nlohmann::json::parse(bigram.out)["results"][0]["id"], "notice-2026-001");
  EXPECT_EQ(Imi("search --collection city --store " + store + " --mode lexical --analyzer simple x").exit_code, 2);
  EXPECT_EQ(Imi("search --collection city --store " + store + " --mode bogus x").exit_code, 2);

  EXPECT_EQ(Imi("search --collection nowhere " + common + " x").exit_code, 3);
  EXPECT_EQ(Imi("search --collection city " + common + " --filter '{\"a\": {\"$bad\": 1}}' x").exit_code, 2);
  std::filesystem::remove_all(store);
}

}  // namespace
