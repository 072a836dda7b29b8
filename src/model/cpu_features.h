#ifndef IMI_MODEL_CPU_FEATURES_H_
#define IMI_MODEL_CPU_FEATURES_H_

#include <string>

namespace imi::model {

// Instruction-set extensions that decide which quantised ONNX variant runs
// fastest. A feature is reported only when both the CPU and the OS (saved
// register state, checked with xgetbv) support it.
struct CpuFeatures {
  bool avx2 = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512_vnni = false;
  bool avx_vnni = false;
  bool arm64 = false;
  bool arm64_dotprod = false;

  // Short list such as "avx2 avx512f avx512bw avx512_vnni", or "none".
  std::string ToString() const;
};

// Features of the machine this process runs on; computed once, thread-safe.
const CpuFeatures& DetectCpuFeatures();

}  // namespace imi::model

#endif  // IMI_MODEL_CPU_FEATURES_H_
