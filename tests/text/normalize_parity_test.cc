// Parity with neologdn 0.5.6: every row of ../shared/parity/normalize/*.jsonl
// ({"id","input","expected","args"}) must come out exactly as expected.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "text/normalize.h"

namespace imi::text {
namespace {

namespace fs = std::filesystem;

const fs::path kParityDir = fs::path(IMI_SHARED_DIR) / "parity" / "normalize";

// Options from a row's "args" object (neologdn keyword arguments).
NormalizeOptions OptionsFromArgs(const nlohmann::json& args) {
  NormalizeOptions options;
  options.repeat = args.value("repeat", 0);
  options.remove_space = args.value("remove_space", true);
  options.max_repeat_substr_length = args.value("max_repeat_substr_length", 8);
  auto tilde = ParseTildeMode(args.value("tilde", std::string("remove")));
  EXPECT_TRUE(tilde.ok()) << tilde.status().ToString();
  if (tilde.ok()) options.tilde = *tilde;
  return options;
}

TEST(NormalizeParityTest, MatchesNeologdnOnEveryRowOfEverySharedFile) {
  if (!fs::is_directory(kParityDir)) {
    GTEST_SKIP() << "shared parity data not found at " << kParityDir.string()
                 << " (clone ../shared next to the repository to run this test)";
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kParityDir)) {
    if (entry.path().extension() == ".jsonl") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no *.jsonl in " << kParityDir.string();

  size_t total_rows = 0;
  for (const fs::path& file : files) {
    std::ifstream in(file);
    ASSERT_TRUE(in) << "cannot open " << file.string();
    size_t rows = 0;
    size_t matched = 0;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto row = nlohmann::json::parse(line);
      ++rows;
      const std::string input = row.at("input");
      const std::string expected = row.at("expected");
      const std::string actual = Normalize(input, OptionsFromArgs(row.at("args")));
      if (actual == expected) {
        ++matched;
      } else {
        ADD_FAILURE() << file.filename().string() << " " << row.at("id").get<std::string>()
                      << " args=" << row.at("args").dump() << "\n  input:    "
                      << nlohmann::json(input).dump() << "\n  expected: "
                      << nlohmann::json(expected).dump() << "\n  actual:   "
                      << nlohmann::json(actual).dump(-1, ' ', false,
                                                     nlohmann::json::error_handler_t::replace);
      }
    }
    std::cout << "[ parity ] " << file.filename().string() << ": " << matched << "/" << rows
              << " rows match neologdn\n";
    EXPECT_GT(rows, 0u) << file.string() << " has no rows";
    total_rows += rows;
  }
  std::cout << "[ parity ] total rows: " << total_rows << "\n";
}

}  // namespace
}  // namespace imi::text
