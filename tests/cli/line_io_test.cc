// The line reader and writer behind imi normalize, tokenize and embed.
#include "cli/line_io.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace imi::cli {
namespace {

namespace fs = std::filesystem;

class LineIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("imi_line_io_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& data) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << data;
    return path.string();
  }

  // Every line of `path` as LineReader returns it, or the error.
  Result<std::vector<std::string>> ReadLines(const std::string& path) {
    IMI_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
    std::vector<std::string> lines;
    std::string_view line;
    for (;;) {
      IMI_ASSIGN_OR_RETURN(bool more, reader->Next(&line));
      if (!more) break;
      lines.emplace_back(line);
      EXPECT_EQ(reader->line_number(), lines.size());
    }
    return lines;
  }

  fs::path dir_;
};

TEST_F(LineIoTest, SplitsOnNewlineKeepingCarriageReturnsEmptyLinesAndAnUnterminatedLastLine) {
  auto lines = ReadLines(Write("in.txt", "a\r\n\nb\nlast"));
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  EXPECT_EQ(*lines, (std::vector<std::string>{"a\r", "", "b", "last"}));
}

TEST_F(LineIoTest, EmptyInputHasNoLinesAndAFinalNewlineAddsNone) {
  auto empty = ReadLines(Write("empty.txt", ""));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto one = ReadLines(Write("one.txt", "x\n"));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, (std::vector<std::string>{"x"}));
}

TEST_F(LineIoTest, KeepsLinesLongerThanOneReadAndEmbeddedNuls) {
  const std::string long_line(200000, 'x');
  const std::string nul_line("a\0b", 3);
  auto lines = ReadLines(Write("long.txt", long_line + "\n" + nul_line + "\n"));
  ASSERT_TRUE(lines.ok());
  EXPECT_EQ(*lines, (std::vector<std::string>{long_line, nul_line}));
}

TEST_F(LineIoTest, MissingFileIsNotFoundNamingThePath) {
  auto reader = LineReader::Open((dir_ / "absent.txt").string());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kNotFound);
  EXPECT_NE(reader.status().message().find("cannot open '"), std::string::npos);
  EXPECT_NE(reader.status().message().find("absent.txt"), std::string::npos);
}

TEST_F(LineIoTest, ReadingADirectoryIsAnIoErrorNamingIt) {
  auto lines = ReadLines(dir_.string());
  ASSERT_FALSE(lines.ok());
  EXPECT_EQ(lines.status().code(), StatusCode::kIoError);
  EXPECT_EQ(lines.status().message(), dir_.string() + ": read failed");
}

TEST_F(LineIoTest, ForEachLineVisitsFilesInOrderAndPrefixesErrorsWithNameAndLine) {
  const std::string a = Write("a.txt", "1\n2\n");
  const std::string b = Write("b.txt", "3\nbad\n4\n");
  std::vector<std::string> seen;
  const Status status = ForEachLine({a, b}, [&seen](std::string_view line) {
    if (line == "bad") return Status::InvalidArgument("no good");
    seen.emplace_back(line);
    return Status::Ok();
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), b + ":2: no good");
}

TEST_F(LineIoTest, ForEachLineStopsAtAFileThatCannotBeOpened) {
  const std::string a = Write("a.txt", "1\n");
  int calls = 0;
  const Status status = ForEachLine({a, (dir_ / "absent.txt").string(), a}, [&calls](std::string_view) {
    ++calls;
    return Status::Ok();
  });
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(calls, 1);
}

TEST(StripCarriageReturnTest, DropsExactlyOneTrailingCarriageReturn) {
  EXPECT_EQ(StripCarriageReturn("a\r"), "a");
  EXPECT_EQ(StripCarriageReturn("a\r\r"), "a\r");
  EXPECT_EQ(StripCarriageReturn("\ra"), "\ra");
  EXPECT_EQ(StripCarriageReturn(""), "");
}

TEST(LineWriterTest, WritesEachLineWithANewlineInOrderOnceFlushed) {
  ::testing::internal::CaptureStdout();
  {
    LineWriter out;
    out.WriteLine("first");
    out.WriteLine("");
    out.WriteLine(std::string(100000, 'y'));  // beyond one block
    out.WriteLine("last");
  }
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "first\n\n" + std::string(100000, 'y') + "\nlast\n");
}

}  // namespace
}  // namespace imi::cli
