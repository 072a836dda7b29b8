#ifndef IMI_CLI_CLI_UTIL_H_
#define IMI_CLI_CLI_UTIL_H_

#include <string_view>

#include "base/status.h"

namespace imi::cli {

// Prints "imi <command>: <message>" on one line to stderr and returns the
// exit code for the status (ExitCodeFor). Requires !status.ok().
int ReportError(std::string_view command, const Status& status);

}  // namespace imi::cli

#endif  // IMI_CLI_CLI_UTIL_H_
