// Test helpers: the loopback hub server (fake_hub.py) and a runner for the
// built imi binary.
#ifndef IMI_TESTS_HUB_FAKE_HUB_H_
#define IMI_TESTS_HUB_FAKE_HUB_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace imi::hub::testing {

// A fresh directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// fake_hub.py running on 127.0.0.1 (two free ports: hub and CDN), serving
// tests/data/hub/repos.json. Stopped (SIGTERM) by Stop() or the destructor.
class FakeHub {
 public:
  // Starts the server with its files and log under `work_dir`. On failure
  // returns nullptr and sets *error.
  static std::unique_ptr<FakeHub> Start(const std::string& work_dir, std::string* error);
  FakeHub() = default;
  ~FakeHub();
  FakeHub(const FakeHub&) = delete;
  FakeHub& operator=(const FakeHub&) = delete;

  void Stop();
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(hub_port_); }
  // The bytes the server serves for `path` of `repo` (as the true content).
  std::string ServedFile(const std::string& repo, const std::string& path) const;
  // One JSON object per request so far: server, method, path, range, auth.
  std::vector<nlohmann::json> Requests() const;

 private:
  pid_t pid_ = -1;
  int hub_port_ = 0;
  std::string work_dir_;
};

// The repository spec served by FakeHub (tests/data/hub/repos.json), with
// templates merged: repo -> list of file paths.
std::vector<std::string> SpecFiles(const std::string& repo);

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `imi <args>` (args already shell-quoted where needed) in
// `scratch_dir`, with `env` ("NAME=value" words) added and
// HF_TOKEN/HF_ENDPOINT/IMI_HOME removed; stderr goes via scratch_dir/stderr.txt.
RunResult RunImi(const std::string& args, const std::vector<std::string>& env, const std::string& scratch_dir);

}  // namespace imi::hub::testing

#endif  // IMI_TESTS_HUB_FAKE_HUB_H_
