// Table-driven end-to-end cases of `imi pull` (tests/data/hub/pull_cases.tsv):
// each case starts a fresh loopback hub, runs the built binary and checks the
// exit code, stderr, and that the model directory holds exactly the expected
// files with the served bytes.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fake_hub.h"
#include "model/cpu_features.h"
#include "model/variant.h"

namespace imi::hub::testing {
namespace {

struct PullCase {
  std::string name, args, env, files, stderr_substring;
  int exit_code = 0;
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

std::vector<PullCase> LoadCases() {
  std::ifstream in(std::string(IMI_SOURCE_DIR) + "/tests/data/hub/pull_cases.tsv");
  std::vector<PullCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto cols = Split(line, '\t');
    if (cols.size() != 6) {
      ADD_FAILURE() << "pull_cases.tsv: expected 6 tab-separated columns: " << line;
      continue;
    }
    PullCase c;
    c.name = cols[0];
    c.args = cols[1] == "-" ? "" : cols[1];
    c.env = cols[2] == "-" ? "" : cols[2];
    c.exit_code = std::stoi(cols[3]);
    c.files = cols[4];
    c.stderr_substring = cols[5] == "-" ? "" : cols[5];
    cases.push_back(c);
  }
  return cases;
}

// The repository a case pulls: the first argument not starting with "-", or the default.
std::string RepoOf(const PullCase& c) {
  const auto words = Split(c.args, ' ');
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i].empty()) continue;
    if (words[i].rfind("--", 0) == 0) {
      if (words[i] != "--offline") ++i;  // skip the option's value
      continue;
    }
    return words[i];
  }
  return "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2";
}

std::set<std::string> ExpectedFiles(const PullCase& c, const std::string& repo) {
  std::set<std::string> out;
  for (const auto& item : Split(c.files, ',')) {
    if (item == "{st}") {
      for (const char* f : {"config.json", "tokenizer.json", "modules.json", "1_Pooling/config.json",
                            "sentence_bert_config.json", "config_sentence_transformers.json",
                            "tokenizer_config.json", "special_tokens_map.json"}) {
        out.insert(f);
      }
    } else if (item == "{auto}") {
      auto choice = model::ChooseVariant(SpecFiles(repo), model::DetectCpuFeatures(), model::VariantRequest{});
      EXPECT_TRUE(choice.ok()) << choice.status().ToString();
      if (choice.ok()) out.insert(choice->file);
    } else {
      out.insert(item);
    }
  }
  return out;
}

std::set<std::string> FilesUnder(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.insert(std::filesystem::relative(e.path(), dir).string());
  }
  return out;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(PullCasesTest, EveryCaseInPullCasesTsvBehavesAsListed) {
  const auto cases = LoadCases();
  ASSERT_GE(cases.size(), 10u) << "tests/data/hub/pull_cases.tsv not found or short";
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir work;
    std::string error;
    auto hub = FakeHub::Start(work.path(), &error);
    if (hub == nullptr) GTEST_SKIP() << "cannot run the loopback hub (python3): " << error;
    const std::string cache = work.path() + "/cache";
    std::vector<std::string> env = {"HF_ENDPOINT=" + hub->endpoint()};
    for (const auto& e : Split(c.env, ',')) env.push_back(e);
    // --endpoint given by a case overrides HF_ENDPOINT (CLI11 keeps the last value).
    const RunResult r = RunImi("pull --dir '" + cache + "' " + c.args, env, work.path());
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    if (!c.stderr_substring.empty()) {
      EXPECT_NE(r.err.find(c.stderr_substring), std::string::npos) << r.err;
    }
    if (c.exit_code != 0) {
      EXPECT_EQ(r.out, "") << "nothing on stdout after a failure";
      continue;
    }
    ASSERT_FALSE(r.out.empty());
    const std::string dir = r.out.substr(0, r.out.size() - 1);
    EXPECT_EQ(r.out.back(), '\n');
    EXPECT_EQ(dir.rfind(cache + "/", 0), 0u) << dir;
    const std::string repo = RepoOf(c);
    std::set<std::string> expected = ExpectedFiles(c, repo);
    expected.insert("imi-pull.json");
    EXPECT_EQ(FilesUnder(dir), expected);
    for (const auto& f : expected) {
      if (f == "imi-pull.json") continue;
      EXPECT_TRUE(ReadAll(dir + "/" + f) == hub->ServedFile(repo, f)) << f << " differs from the served bytes";
    }
    // No request ever carried the hub token to the CDN.
    for (const auto& req : hub->Requests()) {
      EXPECT_FALSE(req["server"] == "cdn" && req["auth"] == true) << req.dump();
    }
  }
}

}  // namespace
}  // namespace imi::hub::testing
