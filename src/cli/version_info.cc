#include "cli/version_info.h"

#include "model/onnx_runtime_info.h"

namespace imi::cli {

std::string VersionText() {
  std::string out = "imi " IMI_VERSION "\n";
  out += "commit " IMI_GIT_COMMIT "\n";
  out += "onnxruntime " + model::OnnxRuntimeVersion() + "\n";
  return out;
}

std::string BuildCommit() { return IMI_GIT_COMMIT; }

}  // namespace imi::cli
