#ifndef IMI_CONVERT_CONVERT_H_
#define IMI_CONVERT_CONVERT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "convert/quantize.h"
#include "model/cpu_features.h"

namespace imi::convert {

// Progress lines ("imi convert: ..."), or nullptr for silence.
using ProgressFn = std::function<void(const std::string&)>;

struct ConvertOptions {
  std::string model_dir;  // a Hugging Face directory: config.json + safetensors
  std::string out_dir;    // empty: write into model_dir
  bool write_fp32 = true;  // onnx/model.onnx
  bool write_int8 = true;  // the INT8 file(s) for `targets`
  std::string targets = "auto";  // as ResolveTargets
  ActivationQuant activations = ActivationQuant::kPerTensor;
  bool quantize_embeddings = true;
  uint64_t external_data_threshold_bytes = 1800ull * 1000 * 1000;
  ProgressFn progress;
};

struct ConvertReport {
  std::string architecture;          // config.json model_type
  std::vector<std::string> written;  // paths of the ONNX files written
  double seconds = 0;
};

// Converts a model directory: reads config.json and the safetensors weights,
// builds the encoder graph (output last_hidden_state), writes
// <out>/onnx/model.onnx and the INT8 variants, and, when out_dir differs,
// copies the tokenizer and sentence-transformers files so that <out> is a
// model directory imi embed reads. Errors as ReadEncoderConfig,
// Checkpoint::Open and BuildEncoderGraph; IoError for writes.
Result<ConvertReport> ConvertModel(const ConvertOptions& options, const model::CpuFeatures& cpu);

struct QuantizeFileOptions {
  // A model directory (its onnx/model.onnx, or the only model.onnx of the
  // bare layout) or an FP32 .onnx file.
  std::string model;
  std::string out_dir;  // empty: next to the FP32 file
  std::string targets = "auto";
  ActivationQuant activations = ActivationQuant::kPerTensor;
  bool quantize_embeddings = true;
  uint64_t external_data_threshold_bytes = 1800ull * 1000 * 1000;
  ProgressFn progress;
};

// `imi quantize`: writes the INT8 variants of an FP32 ONNX model under the
// file names the real repositories use. NotFound when there is no FP32
// model; errors of ReadOnnx / QuantizeGraph otherwise.
Result<ConvertReport> QuantizeModelFile(const QuantizeFileOptions& options, const model::CpuFeatures& cpu);

}  // namespace imi::convert

#endif  // IMI_CONVERT_CONVERT_H_
