// `imi normalize` end to end: runs the built binary through /bin/sh with
// stdin, stdout and stderr redirected to files in a scratch directory.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

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

// Single-quoted for /bin/sh (test paths hold no single quotes).
std::string Quote(const fs::path& path) {
  std::string quoted(1, '\'');
  quoted += path.string();
  quoted += '\'';
  return quoted;
}

void WriteAll(const fs::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

class NormalizeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kImi)) << "build the imi binary first: " << kImi.string();
    dir_ = fs::temp_directory_path() /
           ("imi_normalize_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `imi normalize <args>` with `input` on stdin.
  RunResult Run(const std::string& args, const std::string& input) {
    WriteAll(dir_ / "stdin", input);
    std::string command = Quote(kImi);
    command += " normalize ";
    command += args;
    command += " < ";
    command += Quote(dir_ / "stdin");
    command += " > ";
    command += Quote(dir_ / "stdout");
    command += " 2> ";
    command += Quote(dir_ / "stderr");
    const int status = std::system(command.c_str());
    RunResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = ReadAll(dir_ / "stdout");
    result.err = ReadAll(dir_ / "stderr");
    return result;
  }

  fs::path dir_;
};

TEST_F(NormalizeCliTest, NormalisesTheIssueExampleFromStdin) {
  const RunResult r = Run("", "ﾊﾝｶｸｶﾅ　全角ＡＢＣ１２３\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ハンカクカナ全角ABC123\n");
}

TEST_F(NormalizeCliTest, WritesOneLinePerInputLineAndTerminatesTheLastOne) {
  const RunResult r = Run("", "ｱ\n\n ｲ \nｳ");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ア\n\nイ\nウ\n");
}

TEST_F(NormalizeCliTest, HandlesLinesLongerThanTheReadChunkAndEmbeddedNuls) {
  std::string long_input;
  std::string long_expected;
  for (int i = 0; i < 50000; ++i) {
    long_input += "ｶﾞ";  // 6 bytes in, 3 out: the line spans several 64 KiB reads
    long_expected += "ガ";
  }
  const std::string nul_line("ａ\0ｂ", 7);
  const RunResult r = Run("", long_input + "\n" + nul_line + "\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, long_expected + "\n" + std::string("a\0b", 3) + "\n");
}

TEST_F(NormalizeCliTest, KeepsCarriageReturnsLikeNeologdn) {
  const RunResult r = Run("", "ｱ\r\nabc \r\n");
  EXPECT_EQ(r.out, "ア\r\nabc \r\n");
}

TEST_F(NormalizeCliTest, ReadsFilesInOrderAndDashAsStdin) {
  WriteAll(dir_ / "a.txt", "ＡＢ\n");
  WriteAll(dir_ / "b.txt", "ｶﾞ\n");
  const RunResult r = Run(Quote(dir_ / "a.txt") + " - " + Quote(dir_ / "b.txt"), "～x\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "AB\nx\nガ\n");
}

TEST_F(NormalizeCliTest, AppliesRepeatTildeAndKeepSpaceOptions) {
  EXPECT_EQ(Run("--repeat 1", "ｗｗｗｗｗｗｗｗ\n").out, "w\n");
  EXPECT_EQ(Run("--repeat 1 --max-repeat-substr-length 1", "ababab\n").out, "ababab\n");
  EXPECT_EQ(Run("--repeat 1 --max-repeat-substr-length 0", "abcdefghiabcdefghiabcdefghi\n").out,
            "abcdefghi\n");
  EXPECT_EQ(Run("--tilde normalize", "a～b\n").out, "a~b\n");
  EXPECT_EQ(Run("--tilde normalize_zenkaku", "a~b\n").out, "a〜b\n");
  EXPECT_EQ(Run("--tilde ignore", "a∼b\n").out, "a∼b\n");
  EXPECT_EQ(Run("--keep-space", "日本　語\n").out, "日本 語\n");
}

TEST_F(NormalizeCliTest, InvalidUtf8FailsWithLineNumberByteOffsetAndStatus2) {
  const RunResult r = Run("", "ok\nab\xFF" "c\nnever\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "ok\n");
  EXPECT_NE(r.err.find("imi normalize: <stdin>:2: invalid UTF-8 at byte offset 2"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "error must be one line: " << r.err;
}

TEST_F(NormalizeCliTest, InvalidUtf8InANamedFileNamesTheFile) {
  WriteAll(dir_ / "bad.txt", "\xE3\x81\n");
  const RunResult r = Run(Quote(dir_ / "bad.txt"), "");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.txt:1: invalid UTF-8 at byte offset 0"), std::string::npos) << r.err;
}

TEST_F(NormalizeCliTest, ReplaceInvalidSubstitutesReplacementCharacters) {
  const RunResult r = Run("--replace-invalid", "ab\xFF" "c\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ab\xEF\xBF\xBD" "c\n");
}

TEST_F(NormalizeCliTest, JsonlNormalisesTextAndKeepsOtherFieldsInOrder) {
  const RunResult r = Run("--jsonl",
                          "{\"z\":1,\"text\":\"ﾃｽﾄ　ＡＢＣ\",\"a\":{\"text\":\"ｱ\"}}\n"
                          "\n"
                          "{\"text\":\"改行\\nも\\u0000ＯＫ\",\"id\":\"x\"}\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"z\":1,\"text\":\"テストABC\",\"a\":{\"text\":\"ｱ\"}}\n"
            "{\"text\":\"改行\\nも\\u0000OK\",\"id\":\"x\"}\n");
}

TEST_F(NormalizeCliTest, JsonlBadLineFailsWithItsLineNumberAndStatus2) {
  const RunResult r = Run("--jsonl", "{\"text\":\"a\"}\n{\"text\": nope}\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "{\"text\":\"a\"}\n");
  EXPECT_NE(r.err.find("imi normalize: <stdin>:2: not valid JSON"), std::string::npos) << r.err;
}

TEST_F(NormalizeCliTest, JsonlWithoutAStringTextFieldFails) {
  EXPECT_EQ(Run("--jsonl", "{\"body\":\"a\"}\n").exit_code, 2);
  EXPECT_EQ(Run("--jsonl", "{\"text\":3}\n").exit_code, 2);
  EXPECT_EQ(Run("--jsonl", "[\"text\"]\n").exit_code, 2);
}

TEST_F(NormalizeCliTest, JsonlInvalidUtf8IsReportedOrReplaced) {
  const std::string line = "{\"text\":\"a\xFF\"}\n";
  const RunResult failed = Run("--jsonl", line);
  EXPECT_EQ(failed.exit_code, 2);
  EXPECT_NE(failed.err.find("<stdin>:1: invalid UTF-8 at byte offset 10"), std::string::npos)
      << failed.err;
  const RunResult replaced = Run("--jsonl --replace-invalid", line);
  EXPECT_EQ(replaced.exit_code, 0) << replaced.err;
  EXPECT_EQ(replaced.out, "{\"text\":\"a\xEF\xBF\xBD\"}\n");
}

TEST_F(NormalizeCliTest, MissingFileExitsWith3AndNamesIt) {
  const RunResult r = Run(Quote(dir_ / "absent.txt"), "");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("absent.txt"), std::string::npos) << r.err;
}

TEST_F(NormalizeCliTest, RejectsAnUnknownTildeModeWithoutOutput) {
  const RunResult r = Run("--tilde zenkaku", "a\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
}

TEST_F(NormalizeCliTest, RejectsANegativeRepeatNamingTheOption) {
  const RunResult r = Run("--repeat -1", "a\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("--repeat"), std::string::npos) << r.err;
}

TEST_F(NormalizeCliTest, HelpShowsOptionsAndExamples) {
  const RunResult r = Run("--help", "");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* needle : {"--repeat", "--max-repeat-substr-length", "--tilde", "--keep-space",
                             "--jsonl", "--replace-invalid", "Examples:"}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle;
  }
}

}  // namespace
