// `imi segment` end to end: the built binary with stdin and stdout in files.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

const fs::path kImi = fs::path(IMI_BINARY_DIR) / "imi";

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class SegmentCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kImi)) << "build the imi binary first: " << kImi.string();
    dir_ = fs::temp_directory_path() / ("imi_segment_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunResult Run(const std::string& args, const std::string& input) {
    std::ofstream(dir_ / "stdin", std::ios::binary) << input;
    const std::string command = "'" + kImi.string() + "' segment " + args + " < '" + (dir_ / "stdin").string() +
                                "' > '" + (dir_ / "stdout").string() + "' 2> '" + (dir_ / "stderr").string() + "'";
    const int status = std::system(command.c_str());
    RunResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadAll(dir_ / "stdout");
    r.err = ReadAll(dir_ / "stderr");
    return r;
  }

  fs::path dir_;
};

TEST_F(SegmentCliTest, WritesWordsLikeMecabWakatiOneLinePerInputLine) {
  RunResult r = Run("", "すもももももももものうち\n\n東京  に\r\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "すもも も もも も もも の うち \n\n東京 に \n");
}

TEST_F(SegmentCliTest, PosGivesPartOfSpeechBaseFormReadingAndCodePointOffsets) {
  RunResult r = Run("--pos", "東京に行った\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto tokens = nlohmann::json::parse(r.out);
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_EQ(tokens[0]["surface"], "東京");
  EXPECT_EQ(tokens[0]["pos"], "名詞,固有名詞,地域,一般");
  EXPECT_EQ(tokens[0]["reading"], "トウキョウ");
  EXPECT_EQ(tokens[2]["surface"], "行っ");
  EXPECT_EQ(tokens[2]["base"], "行く");
  EXPECT_EQ(tokens[2]["start"], 3);
  EXPECT_EQ(tokens[2]["end"], 5);
}

TEST_F(SegmentCliTest, JsonlCopiesTheIdAndAnalyzerPrintsIndexTerms) {
  RunResult r = Run("--jsonl", "{\"id\":7,\"text\":\"東京都庁\"}\n\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"id\":7,\"words\":[\"東京\",\"都庁\"]}\n");
  r = Run("--analyzer ja-bigram", "東京都庁、ＡＢ\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "東京 京都 都庁 ab \n");
}

TEST_F(SegmentCliTest, BadInputIsAOneLineErrorWithTheRightExitCode) {
  RunResult r = Run("", "ok\na\xff" "b\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "imi segment: <stdin>:2: invalid UTF-8 at byte offset 1 (0-based, within the line); pass "
                   "--replace-invalid to substitute U+FFFD\n");
  r = Run("--replace-invalid", "a\xff" "b\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = Run("--jsonl", "[1]\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("<stdin>:1: expected a JSON object"), std::string::npos) << r.err;
  r = Run("--dictionary /nonexistent", "x\n");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("sys.dic missing"), std::string::npos) << r.err;
  r = Run("--analyzer nope", "x\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown analyzer"), std::string::npos) << r.err;
}

}  // namespace
