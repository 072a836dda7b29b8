#include "cli/cli_util.h"

#include <cstdio>
#include <string>

namespace imi::cli {

int ReportError(std::string_view command, const Status& status) {
  std::string line = "imi ";
  line += command;
  line += ": ";
  // Keep the reason on one line whatever the message holds.
  for (char c : status.message()) line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  std::fputs(line.c_str(), stderr);
  return ExitCodeFor(status.code());
}

}  // namespace imi::cli
