// `imi serve --pg` while PostgreSQL is frozen with SIGSTOP (CTest label
// "hostile"), black-box: /healthz and /embed keep answering, store routes
// answer 503 with a JSON message within the configured timeout, they work
// again after SIGCONT, and SIGTERM ends the server within its shutdown
// deadline even with a store request stuck on the frozen database. Runs its
// own throw-away cluster (scripts/pg_test_cluster.sh).
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "raw_http_client.h"
#include "serve_test_model.h"

extern char** environ;

namespace imi::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string RunCapture(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), pipe)) out += buf;
  ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// The postmaster of the cluster in `dir` and its children.
std::vector<pid_t> ClusterProcesses(const std::string& dir) {
  std::ifstream pid_file(dir + "/data/postmaster.pid");
  pid_t postmaster = 0;
  pid_file >> postmaster;
  std::vector<pid_t> pids;
  if (postmaster <= 0) return pids;
  pids.push_back(postmaster);
  DIR* proc = ::opendir("/proc");
  while (dirent* entry = proc ? ::readdir(proc) : nullptr) {
    if (std::atoi(entry->d_name) <= 0) continue;
    std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    char state = 0;
    int ppid = 0;
    if (close != std::string::npos && std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2 &&
        ppid == postmaster)
      pids.push_back(static_cast<pid_t>(std::atoi(entry->d_name)));
  }
  if (proc) ::closedir(proc);
  return pids;
}

class PgStallServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dsn = std::getenv("IMI_TEST_PG_DSN");
    if (dsn == nullptr || *dsn == '\0') GTEST_SKIP() << "IMI_TEST_PG_DSN is not set: PostgreSQL tests are skipped";
    std::string skip;
    model_ = ServeTestModel(&skip);
    if (model_.empty()) {
      if (!skip.empty()) GTEST_SKIP() << skip;
      FAIL() << "generating the test model failed (see tests/server/make_serve_model.sh)";
    }
    char pattern[] = "/tmp/imi-pg-stall-serve.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    dsn_ = RunCapture("bash " + std::string(IMI_SOURCE_DIR) + "/scripts/pg_test_cluster.sh start " + dir_ + " 2>/dev/null");
    ASSERT_FALSE(dsn_.empty()) << "scripts/pg_test_cluster.sh could not start a cluster in " << dir_;
  }
  void TearDown() override {
    Freeze(false);
    if (server_ > 0) {
      ::kill(server_, SIGKILL);
      ::waitpid(server_, nullptr, 0);
    }
    if (log_fd_ >= 0) ::close(log_fd_);
    if (!dir_.empty())
      (void)std::system(("bash " + std::string(IMI_SOURCE_DIR) + "/scripts/pg_test_cluster.sh stop " + dir_ + " >/dev/null 2>&1").c_str());
  }
  void Freeze(bool on) {
    if (dir_.empty()) return;
    for (pid_t pid : ClusterProcesses(dir_)) ::kill(pid, on ? SIGSTOP : SIGCONT);
  }
  // Starts imi serve; true once it is ready.
  bool StartServer() {
    int fds[2];
    if (::pipe(fds) != 0) return false;
    std::vector<std::string> args = {ImiBinary(), "serve", "--host", "127.0.0.1", "--port", "0", "--no-access-log",
                                     "--model", model_, "--pg", dsn_, "--pg-timeout-ms", "1500",
                                     "--pg-connect-timeout-ms", "1500", "--shutdown-timeout-ms", "2000"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    const int rc = posix_spawn(&server_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    log_fd_ = fds[0];
    if (rc != 0) return false;
    const std::string marker = "ready on http://127.0.0.1:";
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
      pollfd p{log_fd_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(log_fd_, buf, sizeof(buf));
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
  // Exit code of the server after `signal_number`, or -1 after `limit`.
  int StopServer(int signal_number, std::chrono::seconds limit) {
    ::kill(server_, signal_number);
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      int status = 0;
      if (::waitpid(server_, &status, WNOHANG) == server_) {
        server_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  std::string model_, dir_, dsn_, log_;
  pid_t server_ = -1;
  int log_fd_ = -1;
  int port_ = 0;
};

TEST_F(PgStallServeTest, AFrozenDatabaseCostsStoreRoutesA503AndNothingElse) {
  ASSERT_TRUE(StartServer()) << log_;
  ASSERT_EQ(Request(port_, "POST", "/collections", R"({"name":"c"})").status, 201);
  ASSERT_EQ(Request(port_, "POST", "/collections/c/documents", R"({"documents":[{"id":"a","text":"東京の天気"}]})").status,
            200);
  const std::string search = R"({"query":"天気","k":1})";
  ASSERT_EQ(Request(port_, "POST", "/collections/c/search", search).status, 200);

  Freeze(true);
  std::vector<std::future<std::pair<RawResponse, double>>> stuck;
  for (int i = 0; i < 3; ++i) {
    stuck.push_back(std::async(std::launch::async, [&] {
      const auto start = Clock::now();
      RawResponse r = Exchange(port_,
                               {"POST /collections/c/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                "Content-Length: " + std::to_string(search.size()) + "\r\nConnection: close\r\n\r\n" + search},
                               0, false, 20000);
      return std::make_pair(r, Since(start));
    }));
  }
  // Meanwhile the rest of the server answers as usual.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Request(port_, "GET", "/healthz").status, 200);
    EXPECT_EQ(Request(port_, "GET", "/embed?q=%E6%9D%B1%E4%BA%AC").status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (auto& f : stuck) {
    auto [response, seconds] = f.get();
    EXPECT_EQ(response.status, 503) << response.body;
    EXPECT_LT(seconds, 6.0) << "a store route waited for the frozen database";
    json body = json::parse(response.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << response.body;
    EXPECT_TRUE(body["error"]["message"].is_string()) << response.body;
  }

  Freeze(false);
  RawResponse back = Request(port_, "POST", "/collections/c/search", search);
  EXPECT_EQ(back.status, 200) << back.body;

  // Frozen again with a store request in progress: SIGTERM still ends the
  // server within its 2 s shutdown deadline (plus start-up slack).
  Freeze(true);
  auto in_flight = std::async(std::launch::async, [&] {
    return Exchange(port_,
                    {"POST /collections/c/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: " + std::to_string(search.size()) + "\r\nConnection: close\r\n\r\n" + search},
                    0, false, 20000);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto start = Clock::now();
  const int code = StopServer(SIGTERM, std::chrono::seconds(15));
  EXPECT_EQ(code, 0) << "the server did not exit after SIGTERM";
  EXPECT_LT(Since(start), 5.0) << "the shutdown deadline was not kept";
  RawResponse last = in_flight.get();
  EXPECT_TRUE(last.status == 503 || last.status == 0) << last.status << " " << last.body;
  Freeze(false);
}

}  // namespace
}  // namespace imi::testing
