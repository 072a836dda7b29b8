// Live parity of `imi segment` with Debian's `mecab -Owakati -d DICDIR` on
// every line of the project's Japanese corpus (tests/data/tokenizer/corpus:
// corpus.jsonl and the fixed random corpus) plus, when ../shared is present,
// the JSQuAD validation questions and paragraphs: at least 3,000 lines, all of
// which must come out byte for byte the same. Runs for every installed
// dictionary (ipadic always, from scripts/setup.sh; unidic when Debian's
// unidic-mecab is installed). Lines holding '\r' (imi drops a trailing one,
// mecab prints it as a word), a NUL byte (mecab stops reading the line at it,
// imi reads it as a space) or more than 8,000 bytes (mecab's input buffer and
// imi's pieces cut differently) are left out and counted.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
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
const fs::path kSource = IMI_SOURCE_DIR;
constexpr size_t kMinimumLines = 3000;
constexpr size_t kMaxLineBytes = 8000;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

void AddText(const std::string& text, std::vector<std::string>* lines, size_t* left_out) {
  for (const std::string& line : SplitLines(text)) {
    if (line.find('\r') != std::string::npos || line.find('\0') != std::string::npos || line.size() > kMaxLineBytes) {
      ++*left_out;
      continue;
    }
    lines->push_back(line);
  }
}

std::vector<std::string> Corpus(size_t* left_out) {
  std::vector<std::string> lines;
  for (const char* name : {"corpus.jsonl", "random_20261126_800.jsonl"}) {
    std::ifstream in(kSource / "tests/data/tokenizer/corpus" / name);
    std::string row;
    while (std::getline(in, row)) {
      auto j = nlohmann::json::parse(row, nullptr, false);
      if (j.is_object() && j.contains("text") && j["text"].is_string()) AddText(j["text"], &lines, left_out);
    }
  }
  const fs::path jsquad = fs::path(IMI_SHARED_DIR) / "data/jglue/jsquad/valid-v1.3.json";
  if (fs::exists(jsquad)) {
    auto data = nlohmann::json::parse(ReadAll(jsquad), nullptr, false);
    if (data.is_object()) {
      for (const auto& article : data["data"]) {
        for (const auto& paragraph : article["paragraphs"]) {
          AddText(paragraph["context"].get<std::string>(), &lines, left_out);
          for (const auto& qa : paragraph["qas"]) AddText(qa["question"].get<std::string>(), &lines, left_out);
        }
      }
    }
  }
  return lines;
}

int Shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct Dictionary {
  std::string name;
  std::string directory;
};

class MecabLiveTest : public ::testing::TestWithParam<Dictionary> {};

TEST_P(MecabLiveTest, ImiSegmentPrintsExactlyWhatMecabOwakatiPrints) {
  const Dictionary& dic = GetParam();
  if (Shell("command -v mecab > /dev/null") != 0) GTEST_SKIP() << "the mecab command is missing (scripts/setup.sh installs it)";
  if (!fs::exists(fs::path(dic.directory) / "sys.dic")) {
    GTEST_SKIP() << dic.name << " is not installed in " << dic.directory;
  }
  ASSERT_TRUE(fs::exists(kImi)) << "build the imi binary first: " << kImi.string();
  size_t left_out = 0;
  const std::vector<std::string> lines = Corpus(&left_out);
  ASSERT_GE(lines.size(), kMinimumLines);
  const fs::path dir = fs::temp_directory_path() / ("imi_mecab_live_" + std::to_string(::getpid()) + "_" + dic.name);
  fs::create_directories(dir);
  {
    std::ofstream out(dir / "corpus.txt", std::ios::binary);
    for (const std::string& line : lines) out << line << '\n';
  }
  const std::string corpus = "'" + (dir / "corpus.txt").string() + "'";
  ASSERT_EQ(Shell("mecab -Owakati -b 65536 -d '" + dic.directory + "' " + corpus + " > '" + (dir / "mecab.txt").string() +
                "'"),
            0);
  ASSERT_EQ(Shell("'" + kImi.string() + "' segment --dictionary " + dic.name + " " + corpus + " > '" +
                (dir / "imi.txt").string() + "'"),
            0);
  const std::vector<std::string> want = SplitLines(ReadAll(dir / "mecab.txt"));
  const std::vector<std::string> got = SplitLines(ReadAll(dir / "imi.txt"));
  fs::remove_all(dir);
  ASSERT_EQ(want.size(), lines.size()) << "mecab printed another number of lines";
  ASSERT_EQ(got.size(), lines.size()) << "imi segment printed another number of lines";
  size_t differing = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (got[i] == want[i]) continue;
    if (++differing <= 5) {
      ADD_FAILURE() << "line " << i + 1 << ": " << lines[i] << "\n  mecab: " << want[i] << "\n  imi:   " << got[i];
    }
  }
  EXPECT_EQ(differing, 0u) << "of " << lines.size() << " lines";
  std::printf("%s: %zu lines identical to mecab -Owakati (%zu left out: CR, NUL or > %zu bytes)\n", dic.name.c_str(),
              lines.size() - differing, left_out, kMaxLineBytes);
}

INSTANTIATE_TEST_SUITE_P(Dictionaries, MecabLiveTest,
                         ::testing::Values(Dictionary{"ipadic", "/var/lib/mecab/dic/ipadic-utf8"},
                                           Dictionary{"unidic", "/var/lib/mecab/dic/unidic"}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
