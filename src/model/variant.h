#ifndef IMI_MODEL_VARIANT_H_
#define IMI_MODEL_VARIANT_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/cpu_features.h"

namespace imi::model {

// What the user asked for with --variant.
enum class VariantKind { kAuto, kFp32, kInt8, kFile };

struct VariantRequest {
  VariantKind kind = VariantKind::kAuto;
  std::string file;  // only for kFile: a name such as "model_qint8_avx512" or a path
};

// Parses "auto", "fp32", "int8" or anything else as a file name/path.
// InvalidArgument for an empty string.
Result<VariantRequest> ParseVariantRequest(std::string_view text);

// The chosen ONNX file and why, for printing at start-up.
struct VariantChoice {
  std::string file;    // one of the candidates, exactly as given
  std::string reason;  // one human sentence
  bool quantized = false;
};

// The known quantised variants, best first (docs/models.md explains the order):
// model_qint8_avx512_vnni, model_qint8_avx512, model_quint8_avx2,
// model_qint8_arm64, model_int8, model_quantized; then model.onnx (FP32).
const std::vector<std::string>& VariantPreferenceOrder();

// True when the CPU can run the variant named by `base_name` (file name
// without directory and ".onnx"); generic and unknown names are runnable.
bool CpuCanRun(std::string_view base_name, const CpuFeatures& cpu);

// Chooses among `candidates` (file names or repo-relative paths such as
// "onnx/model_quint8_avx2.onnx"; entries not ending in ".onnx" are ignored).
// Pure function. NotFound when nothing matches the request (the message lists
// the candidates); FailedPrecondition when int8 files exist but none suits
// this CPU.
Result<VariantChoice> ChooseVariant(const std::vector<std::string>& candidates,
                                    const CpuFeatures& cpu, const VariantRequest& request);

}  // namespace imi::model

#endif  // IMI_MODEL_VARIANT_H_
