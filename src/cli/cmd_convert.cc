// `imi convert` and `imi quantize`: Hugging Face safetensors to ONNX, and
// ONNX FP32 to the INT8 variants the real repositories ship.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "convert/convert.h"
#include "model/cpu_features.h"

namespace imi::cli {
namespace {

struct ConvertArgs {
  std::string model;
  std::string out;
  std::string variant = "all";
  std::string target = "auto";
  std::string activations = "per-tensor";
  std::string embeddings = "int8";
  uint64_t external_mb = 1800;
  bool quiet = false;
};

Result<convert::ActivationQuant> ParseActivations(const std::string& s) {
  if (s == "per-tensor") return convert::ActivationQuant::kPerTensor;
  if (s == "per-row") return convert::ActivationQuant::kPerRow;
  return Status::InvalidArgument("--activations must be per-tensor or per-row, got '" + s + "'");
}

void AddQuantOptions(CLI::App* cmd, ConvertArgs* a) {
  cmd->add_option("--target", a->target,
                  "INT8 target(s): auto (this CPU's best, as --variant auto picks), all, avx2, avx512, "
                  "avx512_vnni, arm64")
      ->default_str("auto");
  cmd->add_option("--activations", a->activations,
                  "per-tensor (ONNX Runtime's quantize_dynamic: a vector depends on its batch-mates) or "
                  "per-row (every token row on its own: vectors independent of the batch)")
      ->default_str("per-tensor");
  cmd->add_option("--embeddings", a->embeddings, "Word embedding table: int8 (per-row scales) or fp32")
      ->default_str("int8");
  cmd->add_option("--external-data-mb", a->external_mb,
                  "Put weights in <file>_data once the initializers exceed this many MB (ONNX external data)")
      ->default_str("1800");
  cmd->add_flag("-q,--quiet", a->quiet, "No progress on stderr");
}

convert::ProgressFn Progress(const char* command, bool quiet) {
  if (quiet) return nullptr;
  return [command](const std::string& line) {
    std::fprintf(stderr, "imi %s: %s\n", command, line.c_str());
    std::fflush(stderr);
  };
}

}  // namespace

void AddConvertCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "convert",
      "Convert a Hugging Face model directory (config.json + safetensors) to ONNX: onnx/model.onnx\n"
      "and the INT8 variant(s), so that imi embed/serve use it like a repository with ONNX files");
  auto a = std::make_shared<ConvertArgs>();
  cmd->add_option("--model", a->model, "Model directory (config.json, model.safetensors or shards + index)")
      ->required();
  cmd->add_option("--out", a->out, "Output directory (default: the model directory; the tokenizer and "
                                    "sentence-transformers files are copied there)");
  cmd->add_option("--variant", a->variant, "What to write: fp32, int8 or all")->default_str("all");
  AddQuantOptions(cmd, a.get());
  cmd->footer(
      "Architectures: modernbert, bert, xlm-roberta (docs/models.md). Weights may be float32, float16 or\n"
      "bfloat16, with or without a model./bert./roberta. name prefix. Exit 3 when a file is missing,\n"
      "2 for an unsupported architecture or a tensor whose shape disagrees with config.json.");
  cmd->callback([a, exit_code] {
    convert::ConvertOptions o;
    o.model_dir = a->model;
    o.out_dir = a->out;
    if (a->variant != "fp32" && a->variant != "int8" && a->variant != "all") {
      *exit_code = ReportError("convert", Status::InvalidArgument("--variant must be fp32, int8 or all"));
      return;
    }
    o.write_fp32 = a->variant != "int8";
    o.write_int8 = a->variant != "fp32";
    o.targets = a->target;
    auto act = ParseActivations(a->activations);
    if (!act.ok()) {
      *exit_code = ReportError("convert", act.status());
      return;
    }
    o.activations = *act;
    o.quantize_embeddings = a->embeddings != "fp32";
    o.external_data_threshold_bytes = a->external_mb * 1000 * 1000;
    o.progress = Progress("convert", a->quiet);
    auto r = convert::ConvertModel(o, model::DetectCpuFeatures());
    if (!r.ok()) {
      *exit_code = ReportError("convert", r.status());
      return;
    }
    if (!a->quiet) {
      std::fprintf(stderr, "imi convert: %s converted in %.1f s; use it with: imi embed --model %s\n",
                   r->architecture.c_str(), r->seconds, (a->out.empty() ? a->model : a->out).c_str());
    }
    *exit_code = 0;
  });
}

void AddQuantizeCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "quantize",
      "Write the INT8 variant(s) of an FP32 ONNX model (model_quint8_avx2.onnx, model_qint8_avx512.onnx,\n"
      "model_qint8_avx512_vnni.onnx, model_qint8_arm64.onnx), laid out like ONNX Runtime's quantize_dynamic");
  auto a = std::make_shared<ConvertArgs>();
  cmd->add_option("--model", a->model, "Model directory (its onnx/model.onnx) or an FP32 .onnx file")->required();
  cmd->add_option("--out", a->out, "Output directory (default: beside the FP32 file)");
  AddQuantOptions(cmd, a.get());
  cmd->footer("imi embed --variant auto picks the written file as it picks shipped ones (docs/models.md).");
  cmd->callback([a, exit_code] {
    convert::QuantizeFileOptions o;
    o.model = a->model;
    o.out_dir = a->out;
    o.targets = a->target;
    auto act = ParseActivations(a->activations);
    if (!act.ok()) {
      *exit_code = ReportError("quantize", act.status());
      return;
    }
    o.activations = *act;
    o.quantize_embeddings = a->embeddings != "fp32";
    o.external_data_threshold_bytes = a->external_mb * 1000 * 1000;
    o.progress = Progress("quantize", a->quiet);
    auto r = convert::QuantizeModelFile(o, model::DetectCpuFeatures());
    if (!r.ok()) {
      *exit_code = ReportError("quantize", r.status());
      return;
    }
    if (!a->quiet) std::fprintf(stderr, "imi quantize: done in %.1f s\n", r->seconds);
    *exit_code = 0;
  });
}

}  // namespace imi::cli
