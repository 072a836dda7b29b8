#ifndef IMI_MODEL_ONNX_RUNTIME_INFO_H_
#define IMI_MODEL_ONNX_RUNTIME_INFO_H_

#include <string>

namespace imi::model {

// Version string reported by the ONNX Runtime library loaded into this process
// (e.g. "1.21.0"), not the headers imi was compiled with. Thread-safe.
std::string OnnxRuntimeVersion();

}  // namespace imi::model

#endif  // IMI_MODEL_ONNX_RUNTIME_INFO_H_
