#ifndef IMI_CLI_VERSION_INFO_H_
#define IMI_CLI_VERSION_INFO_H_

#include <string>

namespace imi::cli {

// Multi-line text printed by `imi --version` and `imi version`: imi's
// version, the git commit it was built from, and the version string of the
// ONNX Runtime library actually loaded.
std::string VersionText();

// The git commit imi was built from (as in VersionText), for /metrics.
std::string BuildCommit();

}  // namespace imi::cli

#endif  // IMI_CLI_VERSION_INFO_H_
