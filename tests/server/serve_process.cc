#include "serve_process.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "serve_test_model.h"

extern char** environ;

namespace imi::testing {

namespace {

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

}  // namespace

ServeProcess::~ServeProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (drainer_.joinable()) drainer_.join();
  if (err_fd_ >= 0) close(err_fd_);
}

bool ServeProcess::Start(const std::vector<std::string>& extra, const std::vector<std::string>& wrapper,
                         const std::string& setup) {
  int fds[2];
  if (pipe(fds) != 0) return false;
  std::vector<std::string> serve = {ImiBinary(), "serve", "--host", "127.0.0.1", "--port", "0"};
  serve.insert(serve.end(), extra.begin(), extra.end());
  std::vector<std::string> args = serve;
  if (!wrapper.empty()) {
    std::string script = setup;
    if (!script.empty()) script += " && ";
    script += "exec";
    for (const std::string& a : serve) {
      script += ' ';
      script += ShellQuote(a);
    }
    args = wrapper;
    args.insert(args.end(), {"sh", "-c", script});
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  const int rc = posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  err_fd_ = fds[0];
  if (rc != 0) {
    pid_ = -1;
    return false;
  }
  drainer_ = std::thread([this] { Drain(); });
  const std::string marker = "ready on http://127.0.0.1:";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const size_t at = log_.find(marker);
      if (at != std::string::npos) {
        port_ = std::atoi(log_.c_str() + at + marker.size());
        return port_ > 0;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void ServeProcess::Drain() {
  char buf[65536];
  for (;;) {
    const ssize_t n = read(err_fd_, buf, sizeof(buf));
    if (n <= 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    log_.append(buf, static_cast<size_t>(n));
  }
}

std::string ServeProcess::log() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return log_;
}

void ServeProcess::Signal(int signal_number) const {
  if (pid_ > 0) kill(pid_, signal_number);
}

int ServeProcess::WaitExit(int timeout_ms) {
  if (pid_ <= 0) return -1;
  for (int waited = 0; waited <= timeout_ms; waited += 5) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (drainer_.joinable()) drainer_.join();
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

long ServeProcess::PeakRssKb() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

}  // namespace imi::testing
