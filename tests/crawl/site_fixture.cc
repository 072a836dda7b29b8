#include "site_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace imi::crawl::testing {

namespace {

std::string Python() { return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"; }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string GenerateSite(const std::string& dir, int variant) {
  const std::string command = Python() + " " + std::string(IMI_SOURCE_DIR) + "/tools/sitegen/sitegen.py '" + dir +
                              "' --variant " + std::to_string(variant) + " > '" + dir + ".gen.log' 2>&1";
  if (std::system(command.c_str()) != 0) return "sitegen.py failed: " + ReadAll(dir + ".gen.log");
  return "";
}

nlohmann::json LoadManifest(const std::string& dir) { return nlohmann::json::parse(ReadAll(dir + "/site.json")); }

std::unique_ptr<SiteServer> SiteServer::Start(const std::string& site_dir, const std::string& log_path,
                                              const std::vector<std::string>& extra_args, std::string* error) {
  const std::string port_file = log_path + ".port";
  std::filesystem::remove(port_file);
  std::vector<std::string> args = {Python(), std::string(IMI_SOURCE_DIR) + "/tools/sitegen/siteserver.py", site_dir,
                                   "--port-file", port_file, "--log", log_path};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_RDWR);
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  auto server = std::make_unique<SiteServer>();
  server->pid_ = pid;
  server->log_path_ = log_path;
  for (int i = 0; i < 200; ++i) {
    const std::string text = ReadAll(port_file);
    if (!text.empty()) {
      server->port_ = std::atoi(text.c_str());
      return server;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      *error = "siteserver.py exited before serving";
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *error = "siteserver.py did not start within 10 s";
  return nullptr;
}

SiteServer::~SiteServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (waitpid(pid_, &status, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
  }
}

std::vector<nlohmann::json> SiteServer::Requests() const { return ReadJsonLines(log_path_); }

std::vector<nlohmann::json> ReadJsonLines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

ImiRun RunImi(const std::string& args, const std::string& scratch) {
  const std::string out = scratch + "/imi.out", err = scratch + "/imi.err";
  const std::string command = std::string(IMI_BINARY_DIR) + "/imi " + args + " > '" + out + "' 2> '" + err + "' < /dev/null";
  ImiRun run;
  const int status = std::system(command.c_str());
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = ReadAll(out);
  run.err = ReadAll(err);
  return run;
}

pid_t SpawnImi(const std::vector<std::string>& args, const std::string& output) {
  std::vector<std::string> all = {std::string(IMI_BINARY_DIR) + "/imi"};
  all.insert(all.end(), args.begin(), args.end());
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(output.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    const int null = open("/dev/null", O_RDONLY);
    dup2(null, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace imi::crawl::testing
