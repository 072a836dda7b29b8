// HubClient against a scripted HttpClient (the seam in hub/http_client.h):
// which headers go where across redirects, and what metadata is read from
// which response.
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hub/digest.h"
#include "hub/hub_client.h"

namespace imi::hub {
namespace {

// Answers each URL with the queued responses in order (the last one repeats);
// the body of a 2xx response goes to the sink. Records every request.
class ScriptedHttpClient : public HttpClient {
 public:
  void Add(const std::string& url, HttpResponse response) { script_[url].push_back(std::move(response)); }

  Result<HttpResponse> Perform(const HttpRequest& request, const BodySink* sink) override {
    requests.push_back(request);
    auto it = script_.find(request.url);
    if (it == script_.end() || it->second.empty()) {
      return Status::Unavailable(request.method + " " + request.url + ": no route in the script");
    }
    HttpResponse response = it->second.front();
    if (it->second.size() > 1) it->second.pop_front();
    if (request.method == "HEAD") response.body.clear();
    if (sink != nullptr && response.status >= 200 && response.status < 300 && !response.body.empty()) {
      HttpResponse head = response;
      head.body.clear();
      IMI_RETURN_IF_ERROR((*sink)(head, response.body));
      response.body.clear();
    }
    return response;
  }

  std::string HeaderOf(size_t i, const std::string& name) const {
    for (const auto& [k, v] : requests[i].headers) {
      if (k == name) return v;
    }
    return "";
  }

  std::vector<HttpRequest> requests;

 private:
  std::map<std::string, std::deque<HttpResponse>> script_;
};

HttpResponse Response(int status, std::map<std::string, std::string> headers, std::string body = "",
                      std::string redirect = "") {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  r.redirect_url = std::move(redirect);
  return r;
}

std::string Sha256Hex(const std::string& data) {
  Sha256 h;
  h.Update(data);
  return h.HexDigest();
}

class HubClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/imi-hub-client-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    options_.endpoint = "https://hub.example";
    options_.token = "secret";
    options_.initial_backoff_ms = 1;
    options_.log = nullptr;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  HubClientOptions options_;
  ScriptedHttpClient http_;
};

const char kResolve[] = "https://hub.example/org/m/resolve/main/onnx/model.onnx";
const char kCdn[] = "https://cdn.example/blob/abc";

TEST_F(HubClientTest, HeadReadsLinkedEtagFromTheHubsRedirectAndDoesNotFollowItAcrossHosts) {
  const std::string sha(64, 'a');
  http_.Add(kResolve, Response(302, {{"x-linked-etag", "\"" + sha + "\""}, {"x-linked-size", "1234"},
                                     {"etag", "\"other\""}, {"x-repo-commit", std::string(40, 'C')}},
                               "", kCdn));
  HubClient hub(&http_, options_);
  auto remote = hub.HeadFile("org/m", "main", "onnx/model.onnx");
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  EXPECT_TRUE(remote->exists);
  EXPECT_EQ(remote->etag, sha);
  EXPECT_EQ(remote->size, 1234u);
  EXPECT_EQ(remote->commit, std::string(40, 'c'));
  ASSERT_EQ(http_.requests.size(), 1u) << "the CDN is not contacted by HEAD";
  EXPECT_EQ(http_.HeaderOf(0, "Authorization"), "Bearer secret");
}

TEST_F(HubClientTest, HeadFollowsSameHostRedirectsKeepingTheToken) {
  const std::string cache = "https://hub.example/api/resolve-cache/models/org/m/sha/config.json";
  http_.Add("https://hub.example/org/m/resolve/main/config.json", Response(307, {}, "", cache));
  http_.Add(cache, Response(200, {{"etag", "W/\"" + std::string(40, 'b') + "\""}, {"content-length", "42"}}));
  HubClient hub(&http_, options_);
  auto remote = hub.HeadFile("org/m", "main", "config.json");
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  EXPECT_EQ(remote->etag, std::string(40, 'b'));
  EXPECT_EQ(remote->size, 42u);
  ASSERT_EQ(http_.requests.size(), 2u);
  EXPECT_EQ(http_.HeaderOf(1, "Authorization"), "Bearer secret");
}

TEST_F(HubClientTest, DownloadDropsTheTokenOnTheCdnAndVerifiesSha256) {
  const std::string data = "0123456789abcdef";
  http_.Add(kResolve, Response(302, {}, "", kCdn));
  http_.Add(kCdn, Response(200, {}, data));
  HubClient hub(&http_, options_);
  RemoteFile remote{true, Sha256Hex(data), data.size(), ""};
  auto sha = hub.Download("org/m", "main", "onnx/model.onnx", remote, dir_ + "/onnx/model.onnx");
  ASSERT_TRUE(sha.ok()) << sha.status().ToString();
  EXPECT_EQ(*sha, Sha256Hex(data));
  ASSERT_EQ(http_.requests.size(), 2u);
  EXPECT_EQ(http_.HeaderOf(0, "Authorization"), "Bearer secret");
  EXPECT_EQ(http_.HeaderOf(1, "Authorization"), "");
  std::ifstream in(dir_ + "/onnx/model.onnx");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), data);
}

TEST_F(HubClientTest, DownloadAppendsA206AfterTheExistingPartialBytes) {
  const std::string data = "0123456789abcdef";
  std::filesystem::create_directories(dir_ + "/onnx");
  std::ofstream(dir_ + "/onnx/model.onnx.incomplete") << data.substr(0, 6);
  http_.Add(kResolve, Response(302, {}, "", kCdn));
  http_.Add(kCdn, Response(206, {{"content-range", "bytes 6-15/16"}}, data.substr(6)));
  HubClient hub(&http_, options_);
  RemoteFile remote{true, Sha256Hex(data), data.size(), ""};
  auto sha = hub.Download("org/m", "main", "onnx/model.onnx", remote, dir_ + "/onnx/model.onnx");
  ASSERT_TRUE(sha.ok()) << sha.status().ToString();
  EXPECT_EQ(http_.HeaderOf(1, "Range"), "bytes=6-");
  EXPECT_EQ(*sha, Sha256Hex(data));
}

TEST_F(HubClientTest, DownloadRejectsABlobWhoseGitIdDiffersAndDeletesIt) {
  http_.Add("https://hub.example/org/m/resolve/main/config.json", Response(200, {}, "{}\n"));
  HubClient hub(&http_, options_);
  RemoteFile remote{true, std::string(40, '0'), 3, ""};
  auto sha = hub.Download("org/m", "main", "config.json", remote, dir_ + "/config.json");
  ASSERT_FALSE(sha.ok());
  EXPECT_EQ(sha.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(sha.status().message().find("git blob id"), std::string::npos) << sha.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/config.json"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/config.json.incomplete"));
}

TEST_F(HubClientTest, GivesUpAfterMaxAttemptsOnPersistent503NamingTheUrl) {
  options_.max_attempts = 3;
  http_.Add("https://hub.example/api/models/org/m/revision/main", Response(503, {}, "busy"));
  HubClient hub(&http_, options_);
  auto info = hub.GetRepoInfo("org/m", "main");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(info.status().message().find("https://hub.example/api/models/org/m/revision/main"), std::string::npos);
  EXPECT_EQ(http_.requests.size(), 3u);
  EXPECT_TRUE(hub.server_answered());
}

}  // namespace
}  // namespace imi::hub
