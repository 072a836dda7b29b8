#include "fixtures.h"

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace imi::model::testing {

int RunCommand(const std::string& command, std::string* output, bool merge_stderr) {
  const std::string full = command + (merge_stderr ? " 2>&1" : "");
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) {
    if (output != nullptr) output->append(buf, n);
  }
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

namespace {

// Runs `script` OUT_DIR SOURCE_DIR SHARED_DIR NODE_MODULES once under a lock.
Fixtures Generate(const std::string& subdir, const std::string& script) {
  Fixtures f;
  f.dir = std::string(IMI_BINARY_DIR) + "/tests/model/" + subdir;
  std::filesystem::create_directories(f.dir);
  const std::string cmd = "flock " + f.dir + ".lock sh " + IMI_SOURCE_DIR + "/tests/model/" + script + " " + f.dir +
                          " " + IMI_SOURCE_DIR + " " + IMI_SHARED_DIR + " " + IMI_SOURCE_DIR +
                          "/.deps/node/node_modules";
  std::string log;
  const int rc = RunCommand(cmd, &log, true);
  std::ifstream skip(f.dir + "/skip.txt");
  if (skip) {
    std::getline(skip, f.skip_reason);
  } else if (rc != 0) {
    f.error = "generating test models failed (exit " + std::to_string(rc) + "): " + log;
  }
  return f;
}

}  // namespace

const Fixtures& GetFixtures() {
  static const Fixtures fixtures = Generate("generated", "make_fixtures.sh");
  return fixtures;
}

const Fixtures& GetM3Fixtures() {
  static const Fixtures fixtures = Generate("generated-m3", "make_m3_fixtures.sh");
  return fixtures;
}

}  // namespace imi::model::testing
