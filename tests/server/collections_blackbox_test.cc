// Black-box tests of the /collections routes: the built `imi serve --store`
// with a generated tiny model over real sockets.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "raw_http_client.h"
#include "serve_test_model.h"

extern char** environ;

namespace imi::server {
namespace {

using nlohmann::json;
using testing::RawResponse;
using testing::Request;

const std::string kBinary = testing::ImiBinary();

// Runs `imi serve` with `args` until it is ready (or exits); kills it on destruction.
class Serve {
 public:
  // True once "ready on" appeared; false if the process ended first.
  bool Start(const std::vector<std::string>& extra) {
    int fds[2];
    if (pipe(fds) != 0) return false;
    std::vector<std::string> args = {kBinary, "serve", "--host", "127.0.0.1", "--port", "0", "--no-access-log"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    const int rc = posix_spawn(&pid_, kBinary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    fd_ = fds[0];
    if (rc != 0) return false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    const std::string marker = "ready on http://127.0.0.1:";
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[4096];
      const ssize_t n = read(fd_, buf, sizeof(buf));
      if (n <= 0) return false;
      log_.append(buf, static_cast<size_t>(n));
      const size_t at = log_.find(marker);
      if (at != std::string::npos) {
        port_ = std::atoi(log_.c_str() + at + marker.size());
        return port_ > 0;
      }
    }
    return false;
  }

  // SIGTERM (or `signal_number`) and the exit code; -1 on timeout.
  int Stop(int signal_number = SIGTERM) {
    if (pid_ <= 0) return -1;
    if (signal_number != 0) kill(pid_, signal_number);
    for (int waited = 0; waited < 30000; waited += 10) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        // What it said after "ready" (its exit lines), for the failure message.
        char buf[4096];
        ssize_t n;
        while (fd_ >= 0 && (n = read(fd_, buf, sizeof(buf))) > 0) log_.append(buf, static_cast<size_t>(n));
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

  ~Serve() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }

  int port() const { return port_; }
  const std::string& log() const { return log_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  int port_ = 0;
  std::string log_;
};

class CollectionsBlackBoxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string skip;
    model_ = testing::ServeTestModel(&skip);
    if (model_.empty()) {
      if (!skip.empty()) GTEST_SKIP() << skip;
      FAIL() << "generating the test model failed (see tests/server/make_serve_model.sh)";
    }
    char pattern[] = "/tmp/imi-collections-bb.XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  json Call(int port, const std::string& method, const std::string& target, const std::string& body, int status) {
    const RawResponse res = Request(port, method, target, body, {"Content-Type: application/json"});
    EXPECT_EQ(res.status, status) << method << " " << target << ": " << res.body;
    const json out = json::parse(res.body, nullptr, false);
    EXPECT_FALSE(out.is_discarded()) << res.body;
    if (status >= 400 && out.is_object()) {
      EXPECT_TRUE(out["error"]["message"].is_string()) << res.body;
    }
    return out;
  }

  std::string model_;
  std::string dir_;
};

const std::vector<std::pair<std::string, json>>& CityPages() {
  static const std::vector<std::pair<std::string, json>> pages = {
      {"燃やすごみは月曜日と木曜日の朝八時までに指定の袋で出してください。", {{"section", "くらし"}, {"year", 2024}}},
      {"粗大ごみは電話かウェブサイトで事前に申し込んでください。手数料がかかります。",
       {{"section", "くらし"}, {"year", 2023}}},
      {"市立図書館は毎週火曜日が休館日です。蔵書の予約はウェブサイトからできます。", {{"section", "教育"}, {"year", 2024}}},
      {"子育て支援センターでは毎週水曜日に親子の交流会を開いています。", {{"section", "子育て"}, {"year", 2022}}},
      {"市役所の窓口は平日の八時半から十七時十五分まで開いています。", {{"section", "市政"}, {"year", 2024}}},
  };
  return pages;
}

TEST_F(CollectionsBlackBoxTest, CreatesUpsertsSearchesAndRefusesBadRequestsWithAnEmbeddedStore) {
  Serve serve;
  ASSERT_TRUE(serve.Start({"--model", model_, "--store", dir_ + "/store"})) << serve.log();
  const int port = serve.port();

  json created = Call(port, "POST", "/collections", R"({"name":"city","metric":"cosine"})", 201);
  const int dimension = created["dimension"].get<int>();
  ASSERT_GT(dimension, 0);

  json docs = json::array();
  for (size_t i = 0; i < CityPages().size(); ++i) {
    docs.push_back({{"id", "page-" + std::to_string(i)}, {"text", CityPages()[i].first},
                    {"metadata", CityPages()[i].second}});
  }
  json upserted = Call(port, "POST", "/collections/city/documents", json{{"documents", docs}}.dump(), 200);
  EXPECT_EQ(upserted["documents"], CityPages().size());
  EXPECT_EQ(Call(port, "GET", "/collections/city", "", 200)["documents"], CityPages().size());

  // By query: k results, each with a score and its matching chunk.
  json found = Call(port, "POST", "/collections/city/search", R"({"query":"ごみの出し方","k":3})", 200);
  ASSERT_EQ(found["results"].size(), 3u) << found.dump();
  for (const json& hit : found["results"]) {
    EXPECT_TRUE(hit["score"].is_number());
    EXPECT_FALSE(hit["chunk"]["text"].get<std::string>().empty());
  }

  // By vector: a stored chunk vector finds its own document first.
  const json page = Call(port, "GET", "/collections/city/documents/page-2?vectors=true", "", 200);
  const json vector = page["chunks"][0]["vector"];
  ASSERT_EQ(vector.size(), static_cast<size_t>(dimension));
  found = Call(port, "POST", "/collections/city/search", json{{"vector", vector}, {"k", 1}}.dump(), 200);
  ASSERT_EQ(found["results"].size(), 1u);
  EXPECT_EQ(found["results"][0]["id"], "page-2");
  EXPECT_NEAR(found["results"][0]["score"].get<double>(), 1.0, 1e-4);

  // Filters still give k results when k match.
  found = Call(port, "POST", "/collections/city/search",
               R"({"query":"お知らせ","k":2,"filter":{"section":"くらし"},"include":["metadata","score"]})", 200);
  ASSERT_EQ(found["results"].size(), 2u) << found.dump();
  for (const json& hit : found["results"]) EXPECT_EQ(hit["metadata"]["section"], "くらし");
  found = Call(port, "POST", "/collections/city/search",
               R"({"query":"お知らせ","k":10,"filter":{"$or":[{"year":{"$lt":2023}},{"section":"市政"}]}})", 200);
  EXPECT_EQ(found["results"].size(), 2u) << found.dump();

  // 4xx with a message.
  Call(port, "POST", "/collections", R"({"name":"市のページ"})", 400);
  Call(port, "POST", "/collections/city/search", R"({"query":"x","filter":{"year":{"$near":1}}})", 400);
  Call(port, "POST", "/collections/city/search", R"({"vector":[0.5,0.5]})", 409);
  Call(port, "POST", "/collections/city/documents", R"({"documents":[{"id":"v","vector":[1,2]}]})", 409);
  Call(port, "POST", "/collections/town/search", R"({"query":"x"})", 404);
  Call(port, "POST", "/collections/city/search", R"({"query": "x",)", 400);

  Call(port, "DELETE", "/collections/city/documents/page-4", "", 200);
  Call(port, "GET", "/collections/city/documents/page-4", "", 404);
  EXPECT_EQ(serve.Stop(), 0) << serve.log();

  // Acknowledged writes are there after a restart.
  Serve again;
  ASSERT_TRUE(again.Start({"--model", model_, "--store", dir_ + "/store"})) << again.log();
  EXPECT_EQ(Call(again.port(), "GET", "/collections/city", "", 200)["documents"], CityPages().size() - 1);
  found = Call(again.port(), "POST", "/collections/city/search", json{{"vector", vector}, {"k", 1}}.dump(), 200);
  ASSERT_EQ(found["results"].size(), 1u);
  EXPECT_EQ(found["results"][0]["id"], "page-2");
}

TEST_F(CollectionsBlackBoxTest, AStoreDirectoryThatCannotBeCreatedStopsStartUp) {
  const std::string file = dir_ + "/a-file";
  std::ofstream(file) << "x";
  Serve serve;
  EXPECT_FALSE(serve.Start({"--model", model_, "--store", file + "/store"}));
  EXPECT_NE(serve.Stop(0), 0);
  EXPECT_NE(serve.log().find("imi serve: "), std::string::npos) << serve.log();
}

TEST_F(CollectionsBlackBoxTest, StoreAndPgTogetherAreRefused) {
  Serve serve;
  EXPECT_FALSE(serve.Start({"--model", model_, "--store", dir_ + "/s", "--pg", "postgresql://127.0.0.1:1/x"}));
  EXPECT_EQ(serve.Stop(0), 2);
  EXPECT_NE(serve.log().find("choose one store"), std::string::npos) << serve.log();
}

TEST_F(CollectionsBlackBoxTest, AnUnreachableDatabaseIs503NotACrash) {
  Serve serve;
  ASSERT_TRUE(serve.Start({"--model", model_, "--pg", "postgresql://postgres@127.0.0.1:1/imi?connect_timeout=2"}))
      << serve.log();
  const RawResponse res = Request(serve.port(), "GET", "/collections");
  EXPECT_EQ(res.status, 503) << res.body;
  EXPECT_EQ(res.headers.count("retry-after"), 1u);
  EXPECT_EQ(Request(serve.port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(serve.Stop(), 0) << serve.log();
}

}  // namespace
}  // namespace imi::server
