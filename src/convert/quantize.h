#ifndef IMI_CONVERT_QUANTIZE_H_
#define IMI_CONVERT_QUANTIZE_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "convert/graph.h"
#include "model/cpu_features.h"

namespace imi::convert {

// The instruction sets the shipped INT8 files of Hugging Face repositories
// are made for (ONNX Runtime's quantize_dynamic as optimum configures it).
enum class QuantTarget { kAvx2, kAvx512, kAvx512Vnni, kArm64 };

// "avx2", "avx512", "avx512_vnni", "arm64"; InvalidArgument otherwise.
Result<QuantTarget> ParseQuantTarget(std::string_view name);
std::string_view QuantTargetName(QuantTarget t);
// The file name the real repositories use: model_quint8_avx2.onnx,
// model_qint8_avx512.onnx, model_qint8_avx512_vnni.onnx, model_qint8_arm64.onnx.
std::string QuantizedFileName(QuantTarget t);
// "auto": the one target this CPU runs best (the same order as imi embed's
// --variant auto); "all": every target; else one name. FailedPrecondition
// for "auto" on a CPU none suits.
Result<std::vector<QuantTarget>> ResolveTargets(std::string_view spec, const model::CpuFeatures& cpu);

// How activations entering an integer MatMul are quantised.
enum class ActivationQuant {
  // One scale and zero point over the whole tensor (DynamicQuantizeLinear),
  // as quantize_dynamic does: a vector then depends on its batch-mates.
  kPerTensor,
  // One symmetric scale per token row (zero point 128): every row is
  // quantised on its own, so vectors do not depend on the batch.
  kPerRow,
};

struct QuantizeOptions {
  QuantTarget target = QuantTarget::kAvx512Vnni;
  ActivationQuant activations = ActivationQuant::kPerTensor;
  // Stores the table of the Gather that reads input_ids as int8 with one
  // scale per row (dequantised after the lookup).
  bool quantize_embeddings = true;
};

struct QuantizeReport {
  int matmuls = 0;     // MatMuls turned into integer MatMuls
  int embeddings = 0;  // Gather tables stored as int8
};

// Rewrites an FP32 graph like ONNX Runtime's quantize_dynamic for the
// target: every MatMul whose second input is a constant [K, N] float matrix
// becomes MatMulInteger on quantised activations and weights (symmetric
// per-channel weights: int8 for avx512/avx512_vnni/arm64, uint8 with zero
// point 128 for avx2), followed by Cast and the scale products. The input
// graph is not changed. InvalidArgument when nothing can be quantised.
Result<Graph> QuantizeGraph(const Graph& fp32, const QuantizeOptions& options, QuantizeReport* report);

// Symmetric per-column quantisation of a [K, N] float matrix, exposed for
// tests: scales[N] and values in [-127, 127] (int8) or [1, 255] around 128
// (uint8). Rounds half to even as numpy does.
void QuantizeColumns(const float* w, int64_t k, int64_t n, bool unsigned_weights, std::vector<uint8_t>* out,
                     std::vector<float>* scales);

}  // namespace imi::convert

#endif  // IMI_CONVERT_QUANTIZE_H_
