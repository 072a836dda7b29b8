#include <cstdio>

#include "cli/commands.h"
#include "cli/version_info.h"

namespace imi::cli {

void AddVersionCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("version", "Print imi's version, git commit and ONNX Runtime version");
  cmd->callback([exit_code] {
    std::fputs(VersionText().c_str(), stdout);
    *exit_code = 0;
  });
}

}  // namespace imi::cli
