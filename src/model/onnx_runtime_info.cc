#include "model/onnx_runtime_info.h"

#include <onnxruntime_c_api.h>

namespace imi::model {

std::string OnnxRuntimeVersion() {
  // OrtGetApiBase lives in the shared library, so this reports the loaded
  // runtime even if it is newer than the headers.
  const OrtApiBase* base = OrtGetApiBase();
  if (base == nullptr || base->GetVersionString == nullptr) return "unknown";
  const char* version = base->GetVersionString();
  return version != nullptr ? std::string(version) : std::string("unknown");
}

}  // namespace imi::model
