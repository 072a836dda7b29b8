// Runs the built `imi` binary and checks its version output, which proves
// that ONNX Runtime links and loads (the version comes from the library).
#include <array>
#include <cstdio>
#include <regex>
#include <string>

#include <sys/wait.h>

#include <gtest/gtest.h>

#include "model/onnx_runtime_info.h"

namespace {

struct CommandOutput {
  std::string out;
  int exit_status = -1;
};

// Runs `imi <args>` with stdin closed and returns its stdout and exit status.
CommandOutput RunImi(const std::string& args) {
  std::string command = std::string("'") + IMI_BINARY_DIR + "/imi' " + args + " </dev/null";
  CommandOutput result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), n);
  int status = pclose(pipe);
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(OnnxRuntimeInfoTest, ReportsTheLoadedRuntimeAsVersion1_21) {
  EXPECT_TRUE(std::regex_match(imi::model::OnnxRuntimeVersion(), std::regex(R"(1\.21\.\d+)")))
      << imi::model::OnnxRuntimeVersion();
}

TEST(ImiVersionTest, VersionFlagPrintsImiCommitAndLoadedOnnxRuntime) {
  CommandOutput result = RunImi("--version");
  ASSERT_EQ(result.exit_status, 0) << result.out;
  EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(^imi \d+\.\d+\.\d+\n)"))) << result.out;
  EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(\ncommit \S+\n)"))) << result.out;
  EXPECT_NE(result.out.find("\nonnxruntime " + imi::model::OnnxRuntimeVersion() + "\n"), std::string::npos)
      << result.out;
}

TEST(ImiVersionTest, VersionSubcommandPrintsTheSameTextAsTheFlag) {
  CommandOutput flag = RunImi("--version");
  CommandOutput subcommand = RunImi("version");
  ASSERT_EQ(subcommand.exit_status, 0) << subcommand.out;
  EXPECT_NE(subcommand.out.find("onnxruntime " + imi::model::OnnxRuntimeVersion() + "\n"), std::string::npos)
      << subcommand.out;
  EXPECT_EQ(flag.out, subcommand.out);
}

}  // namespace
