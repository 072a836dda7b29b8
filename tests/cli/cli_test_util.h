#ifndef IMI_TESTS_CLI_CLI_TEST_UTIL_H_
#define IMI_TESTS_CLI_CLI_TEST_UTIL_H_

// Running the built binary (or another program) from black-box tests: exit
// code, stdout, stderr, peak memory and wall time of that one process.

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace imi::testing {

struct Ran {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
  long max_rss_kb = 0;  // the process's own peak resident set
  double seconds = 0;
};

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `argv` (argv[0] is the program path) with stdin from `stdin_path`;
// output goes through files in `scratch`.
inline Ran RunProgram(const std::vector<std::string>& argv, const std::string& scratch,
                      const std::string& stdin_path = "/dev/null") {
  Ran ran;
  static std::atomic<int> counter{0};
  const std::string tag = scratch + "/run-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const std::string out_path = tag + ".out", err_path = tag + ".err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> copy = argv;
  std::vector<char*> raw;
  for (std::string& a : copy) raw.push_back(a.data());
  raw.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, copy[0].c_str(), &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ran.err = "posix_spawn failed for " + copy[0];
    return ran;
  }
  int status = 0;
  struct rusage usage {};
  ::wait4(pid, &status, 0, &usage);
  ran.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ran.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  ran.max_rss_kb = usage.ru_maxrss;
  ran.out = Slurp(out_path);
  ran.err = Slurp(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return ran;
}

}  // namespace imi::testing

#endif  // IMI_TESTS_CLI_CLI_TEST_UTIL_H_
