// Black-box tests of `imi serve`: the built binary, a generated tiny model,
// real sockets. Vectors from every route must equal `imi embed`'s.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
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

// `imi serve` as a child process on a free port.
class ServeProcess {
 public:
  bool Start(const std::string& model, std::vector<std::string> extra = {}) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) return false;
    std::vector<std::string> args = {kBinary, "serve", "--model", model, "--host", "127.0.0.1", "--port", "0",
                                     "--no-access-log"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    const int rc = posix_spawn(&pid_, kBinary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    err_fd_ = pipe_fds[0];
    if (rc != 0) return false;
    // Wait for "ready on http://127.0.0.1:PORT".
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{err_fd_, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[4096];
      const ssize_t n = read(err_fd_, buf, sizeof(buf));
      if (n <= 0) return false;
      log_.append(buf, static_cast<size_t>(n));
      const size_t at = log_.find("ready on http://127.0.0.1:");
      if (at != std::string::npos) {
        port_ = std::atoi(log_.c_str() + at + std::strlen("ready on http://127.0.0.1:"));
        return port_ > 0;
      }
    }
    return false;
  }

  // Sends `signal` and waits (bounded) for the exit status; -1 on timeout.
  int Stop(int signal_number = SIGTERM, int timeout_ms = 20000) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal_number);
    for (int waited = 0; waited < timeout_ms; waited += 10) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

  ~ServeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (err_fd_ >= 0) close(err_fd_);
  }

  int port() const { return port_; }
  const std::string& log() const { return log_; }

 private:
  pid_t pid_ = -1;
  int err_fd_ = -1;
  int port_ = 0;
  std::string log_;
};

// Vectors `imi embed` prints for `texts` (one per line).
std::vector<std::vector<float>> ImiEmbed(const std::string& model, const std::vector<std::string>& texts) {
  const std::string input = std::string(IMI_BINARY_DIR) + "/serve-fixtures/embed-input.txt";
  {
    std::ofstream out(input);
    for (const auto& t : texts) out << t << "\n";
  }
  const std::string command = kBinary + " embed --variant fp32 --model '" + model + "' < '" + input + "' 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  std::vector<std::vector<float>> vectors;
  if (pipe == nullptr) return vectors;
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) text.append(buf, n);
  pclose(pipe);
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("embedding")) vectors.push_back(j["embedding"].get<std::vector<float>>());
  }
  return vectors;
}

void ExpectClose(const std::vector<float>& got, const std::vector<float>& want, const std::string& where) {
  ASSERT_EQ(got.size(), want.size()) << where;
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << where << " [" << i << "]";
}

std::vector<float> DecodeBase64Floats(const std::string& b64) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : b64) {
    if (c == '=') break;
    buffer = (buffer << 6) | static_cast<uint32_t>(alphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  std::vector<float> out(bytes.size() / 4);
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t u = 0;
    for (int b = 0; b < 4; ++b) u |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[i * 4 + b])) << (8 * b);
    std::memcpy(&out[i], &u, 4);
  }
  return out;
}

class ServeBlackBoxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string skip;
    model_ = testing::ServeTestModel(&skip);
    if (model_.empty()) {
      if (!skip.empty()) GTEST_SKIP() << skip;
      FAIL() << "generating the test model failed (see tests/server/make_serve_model.sh)";
    }
  }
  std::string model_;
};

TEST_F(ServeBlackBoxTest, OriginalAcceptanceHealthzAndGetEmbed) {
  ServeProcess serve;
  ASSERT_TRUE(serve.Start(model_)) << serve.log();
  const RawResponse health = Request(serve.port(), "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(json::parse(health.body), json({{"ok", true}}));
  const RawResponse res = Request(serve.port(), "GET", "/embed?q=%E3%83%99%E3%83%AB%E3%83%9E%E3%83%B3%E3%83%95%E3%82%A9%E3%83%BC%E3%83%89");
  ASSERT_EQ(res.status, 200) << res.body;
  const json doc = json::parse(res.body);
  const json info = json::parse(Request(serve.port(), "GET", "/").body);
  EXPECT_EQ(doc["text"], "ベルマンフォード");
  EXPECT_EQ(doc["dimension"], info["model"]["dimension"]);
  EXPECT_EQ(doc["vector"].size(), info["model"]["dimension"].get<size_t>());
  EXPECT_NE(serve.log().find("variant="), std::string::npos);
  EXPECT_NE(serve.log().find("threads="), std::string::npos);
  EXPECT_NE(serve.log().find("startup_ms="), std::string::npos);
  EXPECT_EQ(serve.Stop(), 0);
}

TEST_F(ServeBlackBoxTest, VectorsFromEveryRouteEqualImiEmbed) {
  const std::vector<std::string> texts = {"ベルマンフォード", "動的計画法", "hello world",
                                          "東京都羽村市の公式ホームページです。ごみの出し方について説明します。"};
  // FP32: with INT8's dynamic quantisation a vector depends slightly on the
  // other inputs of its batch (the scale is per tensor), so only FP32 is
  // comparable across different batchings.
  const auto expected = ImiEmbed(model_, texts);
  ASSERT_EQ(expected.size(), texts.size()) << "imi embed printed no vectors";
  ServeProcess serve;
  ASSERT_TRUE(serve.Start(model_, {"--variant", "fp32"})) << serve.log();
  const int port = serve.port();
  auto post = [port](const std::string& path, const json& body) {
    const RawResponse res = Request(port, "POST", path, body.dump());
    EXPECT_EQ(res.status, 200) << path << " " << res.body;
    return json::parse(res.body, nullptr, false);
  };
  const json original = post("/embed", {{"texts", texts}});
  const json tei = post("/embed", {{"inputs", texts}, {"normalize", false}});
  const json openai = post("/v1/embeddings", {{"input", texts}, {"model", "m"}});
  const json openai_b64 = post("/v1/embeddings", {{"input", texts}, {"encoding_format", "base64"}});
  const json ollama = post("/api/embed", {{"input", texts}});
  for (size_t i = 0; i < texts.size(); ++i) {
    SCOPED_TRACE(texts[i]);
    ExpectClose(original["vectors"][i].get<std::vector<float>>(), expected[i], "original POST");
    ExpectClose(tei[i].get<std::vector<float>>(), expected[i], "TEI");
    ExpectClose(openai["data"][i]["embedding"].get<std::vector<float>>(), expected[i], "OpenAI");
    ExpectClose(DecodeBase64Floats(openai_b64["data"][i]["embedding"]), expected[i], "OpenAI base64");
    ExpectClose(ollama["embeddings"][i].get<std::vector<float>>(), expected[i], "Ollama");
    ExpectClose(post("/api/embeddings", {{"prompt", texts[i]}})["embedding"].get<std::vector<float>>(), expected[i],
                "Ollama legacy");
  }
  EXPECT_GT(openai["usage"]["prompt_tokens"].get<int>(), 0);
  for (const char* path : {"/info", "/metrics", "/docs", "/openapi.json", "/"}) {
    EXPECT_EQ(Request(port, "GET", path).status, 200) << path;
  }
  const RawResponse tokens = Request(port, "POST", "/tokenize", json{{"inputs", "ベルマンフォード"}}.dump());
  EXPECT_EQ(tokens.status, 200) << tokens.body;
  EXPECT_EQ(serve.Stop(), 0);
}

TEST_F(ServeBlackBoxTest, SigtermUnderLoadFinishesInFlightRequestsRefusesNewOnesAndExitsZero) {
  ServeProcess serve;
  ASSERT_TRUE(serve.Start(model_, {"--shutdown-timeout-ms", "5000"})) << serve.log();
  const int port = serve.port();
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> refused{0};
  std::atomic<int> bad{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&, c] {
      std::vector<std::string> texts;
      for (int i = 0; i < 8; ++i) texts.push_back("負荷試験の文 " + std::to_string(c) + "-" + std::to_string(i));
      const std::string body = json{{"texts", texts}}.dump();
      while (!stop) {
        const RawResponse res = Request(port, "POST", "/embed", body);
        if (res.status == 200 && json::parse(res.body, nullptr, false)["count"] == 8) {
          ++ok;
        } else if (res.status == 0) {
          ++refused;  // not accepted any more
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        } else {
          ++bad;
        }
      }
    });
  }
  for (int i = 0; i < 6000 && ok < 50; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_GE(ok.load(), 50) << "the server did not answer under load";
  const int exit_code = serve.Stop(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(exit_code, 0);
  EXPECT_EQ(bad.load(), 0) << "a request got an error or a cut response during shutdown";
  EXPECT_GT(refused.load(), 0);
  testing::RawConnection late(port);
  EXPECT_FALSE(late.connected());
}

TEST_F(ServeBlackBoxTest, AMissingModelIsOneClearLineAndANonZeroExit) {
  ServeProcess serve;
  EXPECT_FALSE(serve.Start("/nonexistent/model"));
  EXPECT_NE(serve.log().find("imi serve: "), std::string::npos) << serve.log();
  EXPECT_NE(serve.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace imi::server
