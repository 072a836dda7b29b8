#include "fake_hub.h"

#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace imi::hub::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string SpecPath() { return std::string(IMI_SOURCE_DIR) + "/tests/data/hub/repos.json"; }

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "imi-hub-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

std::unique_ptr<FakeHub> FakeHub::Start(const std::string& work_dir, std::string* error) {
  auto hub = std::make_unique<FakeHub>();
  hub->work_dir_ = work_dir;
  const std::string script = std::string(IMI_SOURCE_DIR) + "/tests/hub/fake_hub.py";
  const std::string port_file = work_dir + "/ports";
  std::vector<std::string> args = {"python3",      script,          "--spec", SpecPath(), "--root",
                                   work_dir,       "--port-file",   port_file, "--log",   work_dir + "/requests.log"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (posix_spawnp(&hub->pid_, "python3", nullptr, nullptr, argv.data(), environ) != 0) {
    *error = "cannot start python3";
    hub->pid_ = -1;
    return nullptr;
  }
  // Wait (generously) for the server to announce its ports.
  for (int i = 0; i < 600 && !std::filesystem::exists(port_file); ++i) {
    int status = 0;
    if (waitpid(hub->pid_, &status, WNOHANG) == hub->pid_) {
      hub->pid_ = -1;
      *error = "fake_hub.py exited during start-up";
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::istringstream ports(ReadAll(port_file));
  int cdn_port = 0;
  if (!(ports >> hub->hub_port_ >> cdn_port)) {
    *error = "fake_hub.py did not write its ports to " + port_file;
    return nullptr;
  }
  return hub;
}

FakeHub::~FakeHub() { Stop(); }

void FakeHub::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string FakeHub::ServedFile(const std::string& repo, const std::string& path) const {
  return ReadAll(work_dir_ + "/files/" + repo + "/" + path);
}

std::vector<nlohmann::json> FakeHub::Requests() const {
  std::vector<nlohmann::json> out;
  std::istringstream in(ReadAll(work_dir_ + "/requests.log"));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

std::vector<std::string> SpecFiles(const std::string& repo) {
  const nlohmann::json spec = nlohmann::json::parse(ReadAll(SpecPath()));
  const nlohmann::json& r = spec["repos"][repo];
  nlohmann::json files = nlohmann::json::object();
  if (r.contains("template")) files = spec["templates"][r["template"].get<std::string>()];
  if (r.contains("files")) files.update(r["files"]);
  std::vector<std::string> out;
  for (auto it = files.begin(); it != files.end(); ++it) {
    if (!it.value().is_null()) out.push_back(it.key());
  }
  return out;
}

RunResult RunImi(const std::string& args, const std::vector<std::string>& env, const std::string& scratch_dir) {
  const std::string err_path = scratch_dir + "/stderr.txt";
  // Run inside the scratch directory so relative paths land there.
  std::string command = "cd '" + scratch_dir + "' && env -u HF_TOKEN -u HF_ENDPOINT -u IMI_HOME";
  for (const auto& e : env) command += " '" + e + "'";
  command += std::string(" '") + IMI_BINARY_DIR + "/imi' " + args + " </dev/null 2>'" + err_path + "'";
  RunResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.out.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = ReadAll(err_path);
  return result;
}

}  // namespace imi::hub::testing
