// `imi tokenize` end to end against the built binary.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

const fs::path kImi = fs::path(IMI_BINARY_DIR) / "imi";
const fs::path kShared = fs::path(IMI_SHARED_DIR) / "tokenizers";

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `imi tokenize <args>` with `input` on stdin.
CliRun Tokenize(const std::string& args, const std::string& input) {
  const fs::path dir = fs::temp_directory_path();
  // Per-process names: ctest -j runs each test in its own process.
  const std::string tag = std::to_string(::getpid());
  fs::path in = dir / "imi_tokenize_cli_in.";
  in += tag;
  fs::path err = dir / "imi_tokenize_cli_err.";
  err += tag;
  std::ofstream(in, std::ios::binary) << input;
  const std::string command = "'" + kImi.string() + "' tokenize " + args + " < '" + in.string() + "' 2> '" +
                              err.string() + "'";
  CliRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) run.out.append(buffer, n);
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err);
  std::stringstream ss;
  ss << e.rdbuf();
  run.err = ss.str();
  std::error_code ignored;
  fs::remove(in, ignored);
  fs::remove(err, ignored);
  return run;
}

std::vector<nlohmann::json> Lines(const std::string& out) {
  std::vector<nlohmann::json> rows;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

class TokenizeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kImi)) GTEST_SKIP() << "imi binary not built at " << kImi;
    if (!fs::exists(kShared / "all-MiniLM-L6-v2" / "tokenizer.json")) {
      GTEST_SKIP() << "shared tokenizers not found under " << kShared;
    }
  }
  std::string Bert() const { return "--tokenizer '" + (kShared / "all-MiniLM-L6-v2").string() + "'"; }
};

TEST_F(TokenizeCliTest, WritesOneJsonObjectPerLineWithIdsTokensOffsetsTypeIdsAndMask) {
  CliRun r = Tokenize(Bert(), "Hello world\n東京\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = Lines(r.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["ids"], nlohmann::json({101, 7592, 2088, 102}));
  EXPECT_EQ(rows[0]["tokens"], nlohmann::json({"[CLS]", "hello", "world", "[SEP]"}));
  EXPECT_EQ(rows[0]["offsets"], nlohmann::json::parse("[[0,0],[0,5],[6,11],[0,0]]"));
  EXPECT_EQ(rows[0]["type_ids"], nlohmann::json({0, 0, 0, 0}));
  EXPECT_EQ(rows[0]["attention_mask"], nlohmann::json({1, 1, 1, 1}));
  EXPECT_EQ(rows[1]["offsets"], nlohmann::json::parse("[[0,0],[0,1],[1,2],[0,0]]"));
}

TEST_F(TokenizeCliTest, NoSpecialJsonlAndMaxLengthOptionsApply) {
  CliRun r = Tokenize(Bert() + " --jsonl --no-special", "{\"id\": \"x\", \"text\": \"Hello world\"}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = Lines(r.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["id"], "x");
  EXPECT_EQ(rows[0]["ids"], nlohmann::json({7592, 2088}));

  r = Tokenize(Bert() + " --max-length 3 --truncation-direction left", "hello big world\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rows = Lines(r.out);
  EXPECT_EQ(rows[0]["ids"], nlohmann::json({101, 2088, 102}));
}

TEST_F(TokenizeCliTest, DecodeTurnsIdsBackIntoText) {
  CliRun r = Tokenize(Bert() + " --decode", "[101, 7592, 2088, 102]\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = Lines(r.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["text"], "hello world");
}

TEST_F(TokenizeCliTest, CacheWritesTheBinaryCacheThenReadsItWithTheSameOutput) {
  const fs::path unigram = kShared / "xlmr-style-ja-en-unigram-32k";
  if (!fs::exists(unigram / "tokenizer.json")) GTEST_SKIP() << "shared tokenizer missing: " << unigram;
  const fs::path cache = fs::temp_directory_path() / ("imi_tokenize_cli_cache." + std::to_string(::getpid()));
  fs::remove_all(cache);
  const std::string args = "--tokenizer '" + unigram.string() + "'";
  const std::string input = "東京都に住んでいます。\nHello, world!\n";
  CliRun plain = Tokenize(args, input);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  CliRun writing = Tokenize(args + " --cache '" + cache.string() + "'", input);
  ASSERT_EQ(writing.exit_code, 0) << writing.err;
  // The cache file, and a memo of tokenizer.json's hash when it is over 1 MiB.
  std::vector<fs::path> caches;
  for (const auto& entry : fs::directory_iterator(cache)) {
    if (entry.path().extension() != ".hash") caches.push_back(entry.path());
  }
  ASSERT_EQ(caches.size(), 1u) << "one cache file";
  CliRun reading = Tokenize(args + " --cache '" + cache.string() + "'", input);
  ASSERT_EQ(reading.exit_code, 0) << reading.err;
  EXPECT_EQ(writing.out, plain.out);
  EXPECT_EQ(reading.out, plain.out);
  EXPECT_EQ(reading.err, "");
  // A damaged file: one log line on stderr, the same output, rebuilt.
  const fs::path file = caches[0];
  std::ofstream(file, std::ios::binary | std::ios::trunc) << "IMITOKC";
  CliRun damaged = Tokenize(args + " --cache '" + cache.string() + "'", input);
  ASSERT_EQ(damaged.exit_code, 0) << damaged.err;
  EXPECT_EQ(damaged.out, plain.out);
  EXPECT_NE(damaged.err.find("unusable, rebuilt"), std::string::npos) << damaged.err;
  EXPECT_GT(fs::file_size(file), 1000u);
  fs::remove_all(cache);
}

TEST_F(TokenizeCliTest, ErrorsAreOneLineWithTheRightExitCode) {
  CliRun r = Tokenize("--tokenizer /nonexistent/tokenizer.json", "x\n");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("imi tokenize: "), std::string::npos);
  EXPECT_NE(r.err.find("expected a tokenizer.json"), std::string::npos);

  r = Tokenize(Bert(), "ok\nbad \xff byte\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("<stdin>:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("byte offset 4"), std::string::npos) << r.err;

  r = Tokenize(Bert() + " --jsonl", "not json\n");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
