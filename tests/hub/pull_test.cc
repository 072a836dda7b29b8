// End-to-end behaviours of `imi pull` that need more than one run or a look
// at the requests the loopback hub received.
#include <filesystem>
#include <memory>
#include <optional>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_hub.h"
#include "hub/digest.h"

namespace imi::hub::testing {
namespace {

constexpr char kMiniSha[] = "1111111111111111111111111111111111111111";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

std::string Sha256Hex(const std::string& data) {
  Sha256 h;
  h.Update(data);
  return h.HexDigest();
}

class PullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    hub_ = FakeHub::Start(work_.path(), &error);
    if (hub_ == nullptr) GTEST_SKIP() << "cannot run the loopback hub (python3): " << error;
    cache_ = work_.path() + "/cache";
  }

  RunResult Pull(const std::string& args, std::vector<std::string> env = {}) {
    env.push_back("HF_ENDPOINT=" + endpoint_override_.value_or(hub_->endpoint()));
    return RunImi("pull --dir '" + cache_ + "' " + args, env, work_.path());
  }

  std::string ModelDir(const std::string& repo_dir, const std::string& sha) const {
    return cache_ + "/" + repo_dir + "@" + sha;
  }

  TempDir work_;
  std::unique_ptr<FakeHub> hub_;
  std::string cache_;
  std::optional<std::string> endpoint_override_;
};

TEST_F(PullTest, ResumesADroppedConnectionWithARangeRequest) {
  const RunResult r = Pull("acme/flaky-st --variant fp32");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string dir = ModelDir("acme--flaky-st", "2222222222222222222222222222222222222222");
  EXPECT_EQ(ReadAll(dir + "/onnx/model.onnx"), hub_->ServedFile("acme/flaky-st", "onnx/model.onnx"));
  int full_gets = 0, range_gets = 0;
  for (const auto& req : hub_->Requests()) {
    if (req["server"] != "cdn" || req["path"] != "/cdn/acme/flaky-st/onnx/model.onnx") continue;
    if (req["range"].is_null()) ++full_gets;
    if (req["range"] == "bytes=150000-") ++range_gets;  // half of 300000 arrived before the drop
  }
  EXPECT_EQ(full_gets, 1);
  EXPECT_EQ(range_gets, 1);
  EXPECT_FALSE(std::filesystem::exists(dir + "/onnx/model.onnx.incomplete"));
}

TEST_F(PullTest, ResumesAPartialFileLeftByAnEarlierRun) {
  const std::string dir = ModelDir("acme--mini-st", kMiniSha);
  const std::string full = hub_->ServedFile("acme/mini-st", "onnx/model.onnx");
  WriteAll(dir + "/onnx/model.onnx.incomplete", full.substr(0, 1000));
  const RunResult r = Pull("acme/mini-st --variant fp32");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadAll(dir + "/onnx/model.onnx"), full);
  bool ranged = false;
  for (const auto& req : hub_->Requests()) ranged |= req["server"] == "cdn" && req["range"] == "bytes=1000-";
  EXPECT_TRUE(ranged);
}

TEST_F(PullTest, StartsOverWhenTheServerIgnoresRange) {
  const std::string dir = ModelDir("acme--no-range-st", "3333333333333333333333333333333333333333");
  // A partial file whose bytes are wrong: only a full restart can fix it.
  WriteAll(dir + "/onnx/model.onnx.incomplete", std::string(5000, 'x'));
  const RunResult r = Pull("acme/no-range-st --variant fp32");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadAll(dir + "/onnx/model.onnx"), hub_->ServedFile("acme/no-range-st", "onnx/model.onnx"));
  bool ranged = false;
  for (const auto& req : hub_->Requests()) ranged |= req["server"] == "cdn" && req["range"] == "bytes=5000-";
  EXPECT_TRUE(ranged);
}

TEST_F(PullTest, DeletesADownloadWhoseSha256DiffersFromTheEtag) {
  const RunResult r = Pull("acme/corrupt-st --variant fp32 --quiet");
  EXPECT_EQ(r.exit_code, 6) << r.err;
  const std::string expected = Sha256Hex(hub_->ServedFile("acme/corrupt-st", "onnx/model.onnx"));
  EXPECT_NE(r.err.find("ETag is " + expected), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "with --quiet, one line: " << r.err;
  EXPECT_EQ(r.err.rfind("imi pull: downloaded onnx/model.onnx from ", 0), 0u) << r.err;
  const std::string dir = ModelDir("acme--corrupt-st", "4444444444444444444444444444444444444444");
  EXPECT_FALSE(std::filesystem::exists(dir + "/onnx/model.onnx"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/onnx/model.onnx.incomplete"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/imi-pull.json"));
}

TEST_F(PullTest, SecondPullOfACommitTouchesNoNetwork) {
  RunResult first = Pull(std::string("acme/mini-st --revision ") + kMiniSha);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const size_t requests = hub_->Requests().size();
  RunResult second = Pull(std::string("acme/mini-st --revision ") + kMiniSha);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, first.out);
  EXPECT_EQ(hub_->Requests().size(), requests);
  EXPECT_NE(second.err.find("nothing downloaded"), std::string::npos) << second.err;
}

TEST_F(PullTest, SecondPullOfABranchOnlyAsksWhichCommitItIs) {
  RunResult first = Pull("acme/mini-st");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const size_t requests = hub_->Requests().size();
  RunResult second = Pull("acme/mini-st");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, first.out);
  const auto all = hub_->Requests();
  ASSERT_EQ(all.size(), requests + 1);
  EXPECT_EQ(all.back()["path"], "/api/models/acme/mini-st/revision/main");
}

TEST_F(PullTest, OfflineUsesTheCacheWithoutTheServer) {
  RunResult online = Pull("acme/mini-st");
  ASSERT_EQ(online.exit_code, 0) << online.err;
  hub_->Stop();
  RunResult offline = Pull("acme/mini-st --offline");
  EXPECT_EQ(offline.exit_code, 0) << offline.err;
  EXPECT_EQ(offline.out, online.out);
  // A variant that was not downloaded is named in the error.
  RunResult other = Pull("acme/mini-st --offline --variant fp32");
  EXPECT_EQ(other.exit_code, 3);
  EXPECT_NE(other.err.find("onnx/model.onnx"), std::string::npos) << other.err;
  EXPECT_EQ(other.out, "");
}

TEST_F(PullTest, NetworkFailureNamesTheUrl) {
  hub_->Stop();
  endpoint_override_ = "http://127.0.0.1:1";
  RunResult r = Pull("acme/mini-st --revision " + std::string(kMiniSha) + " -q", {});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("http://127.0.0.1:1/"), std::string::npos) << r.err;
}

TEST_F(PullTest, ManifestRecordsRevisionVariantAndDigests) {
  RunResult r = Pull("acme/mini-st --variant fp32");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string dir = r.out.substr(0, r.out.size() - 1);
  const nlohmann::json m = nlohmann::json::parse(ReadAll(dir + "/imi-pull.json"));
  EXPECT_EQ(m["format"], "imi-pull-manifest");
  EXPECT_EQ(m["repo"], "acme/mini-st");
  EXPECT_EQ(m["revision"], kMiniSha);
  EXPECT_EQ(m["requested_revision"], "main");
  EXPECT_EQ(m["variant"]["file"], "onnx/model.onnx");
  EXPECT_EQ(m["onnx_files"].size(), 5u);
  ASSERT_EQ(m["files"].size(), 9u);
  for (const auto& f : m["files"]) {
    const std::string path = f["path"];
    EXPECT_EQ(f["sha256"], Sha256Hex(ReadAll(dir + "/" + path))) << path;
  }
  EXPECT_EQ(ReadAll(cache_ + "/refs/acme--mini-st/main"), std::string(kMiniSha) + "\n");
}

TEST_F(PullTest, StoresATokenizerFoundOnlyUnderOnnxAtTheRoot) {
  RunResult r = Pull("acme/onnx-tokenizer-st --variant fp32");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string dir = r.out.substr(0, r.out.size() - 1);
  EXPECT_EQ(ReadAll(dir + "/tokenizer.json"), hub_->ServedFile("acme/onnx-tokenizer-st", "onnx/tokenizer.json"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/onnx/tokenizer.json"));
  // The cache check finds it there too: a second pull of the commit is a no-op.
  const size_t requests = hub_->Requests().size();
  RunResult again = Pull("acme/onnx-tokenizer-st --revision 9999999999999999999999999999999999999999 --variant fp32");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(hub_->Requests().size(), requests);
}

TEST_F(PullTest, PrintsAnAbsoluteDirectoryForARelativeDir) {
  RunResult r = RunImi("pull --dir relative-cache acme/mini-st --variant fp32 -q",
                       {"HF_ENDPOINT=" + hub_->endpoint()}, work_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, work_.path() + "/relative-cache/acme--mini-st@" + kMiniSha + "\n");
}

TEST_F(PullTest, TheTokenGoesToTheHubButNeverToTheCdn) {
  RunResult r = Pull("acme/private-st", {"HF_TOKEN=hf_test_secret"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int hub_with_auth = 0, cdn_requests = 0;
  for (const auto& req : hub_->Requests()) {
    if (req["server"] == "hub" && req["auth"] == true) ++hub_with_auth;
    if (req["server"] == "cdn") {
      ++cdn_requests;
      EXPECT_EQ(req["auth"], false) << req.dump();
    }
  }
  EXPECT_GT(hub_with_auth, 0);
  EXPECT_GT(cdn_requests, 0);
}

}  // namespace
}  // namespace imi::hub::testing
