#include "convert/convert.h"

#include <chrono>
#include <filesystem>

#include "convert/checkpoint.h"
#include "convert/encoder_config.h"
#include "convert/encoder_graph.h"
#include "convert/onnx_proto_io.h"

namespace imi::convert {
namespace {

namespace fs = std::filesystem;

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Say(const ProgressFn& progress, const std::string& line) {
  if (progress) progress(line);
}

std::string Mb(uint64_t bytes) { return std::to_string((bytes + 500000) / 1000000) + " MB"; }

uint64_t FileBytes(const fs::path& p) {
  std::error_code ec;
  uint64_t n = fs::file_size(p, ec);
  if (ec) n = 0;
  const uint64_t data = fs::file_size(p.string() + "_data", ec);
  return ec ? n : n + data;
}

// Files that make a sentence-transformers directory, besides the weights.
Status CopyModelFiles(const fs::path& from, const fs::path& to) {
  static const char* kFiles[] = {"config.json", "tokenizer.json", "tokenizer_config.json",
                                 "special_tokens_map.json", "modules.json", "sentence_bert_config.json",
                                 "config_sentence_transformers.json", "README.md", "LICENSE"};
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return Status::IoError("cannot create " + to.string() + ": " + ec.message());
  for (const char* f : kFiles) {
    if (fs::is_regular_file(from / f, ec)) {
      fs::copy_file(from / f, to / f, fs::copy_options::overwrite_existing, ec);
      if (ec) return Status::IoError("cannot copy " + (from / f).string() + ": " + ec.message());
    }
  }
  // Module folders (1_Pooling, 2_Normalize, ...).
  for (const auto& e : fs::directory_iterator(from, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory() && !name.empty() && std::isdigit(static_cast<unsigned char>(name[0])) &&
        name.find('_') != std::string::npos) {
      fs::copy(e.path(), to / name, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
      if (ec) return Status::IoError("cannot copy " + e.path().string() + ": " + ec.message());
    }
  }
  return Status::Ok();
}

Status WriteQuantized(const Graph& fp32, const fs::path& onnx_dir, const std::vector<QuantTarget>& targets,
                      ActivationQuant activations, bool embeddings, uint64_t threshold, const ProgressFn& progress,
                      ConvertReport* report) {
  for (QuantTarget t : targets) {
    const auto start = std::chrono::steady_clock::now();
    QuantizeOptions qo;
    qo.target = t;
    qo.activations = activations;
    qo.quantize_embeddings = embeddings;
    QuantizeReport qr;
    IMI_ASSIGN_OR_RETURN(Graph q, QuantizeGraph(fp32, qo, &qr));
    const fs::path path = onnx_dir / QuantizedFileName(t);
    OnnxWriteOptions wo;
    wo.external_data_threshold_bytes = threshold;
    IMI_RETURN_IF_ERROR(WriteOnnx(q, path.string(), wo));
    report->written.push_back(path.string());
    Say(progress, "wrote " + path.string() + " (" + Mb(FileBytes(path)) + ", " + std::to_string(qr.matmuls) +
                      " integer MatMuls, " +
                      (activations == ActivationQuant::kPerRow ? "per-row" : "per-tensor") + " activations, " +
                      std::to_string(static_cast<int>(Since(start) * 1000)) + " ms)");
  }
  return Status::Ok();
}

}  // namespace

Result<ConvertReport> ConvertModel(const ConvertOptions& o, const model::CpuFeatures& cpu) {
  const auto start = std::chrono::steady_clock::now();
  ConvertReport report;
  const fs::path in(o.model_dir);
  std::error_code ec;
  if (!fs::is_directory(in, ec)) return Status::NotFound("model directory " + o.model_dir + " does not exist");
  std::vector<QuantTarget> targets;
  if (o.write_int8) {
    IMI_ASSIGN_OR_RETURN(targets, ResolveTargets(o.targets, cpu));
  }
  IMI_ASSIGN_OR_RETURN(EncoderConfig config, ReadEncoderConfig((in / "config.json").string()));
  report.architecture = config.model_type;
  IMI_ASSIGN_OR_RETURN(auto checkpoint, Checkpoint::Open(o.model_dir));
  Say(o.progress, "reading " + config.model_type + " weights (" + std::to_string(config.num_hidden_layers) +
                      " layers, hidden " + std::to_string(config.hidden_size) + ") from " +
                      std::to_string(checkpoint->Files().size()) + " safetensors file(s)");
  IMI_ASSIGN_OR_RETURN(EncoderGraph enc, BuildEncoderGraph(config, checkpoint.get()));
  AddOutput(&enc, enc.hidden_state, "last_hidden_state", config.hidden_size);
  enc.graph.metadata["imi.converted_from"] = config.model_type + " safetensors (" +
                                             (checkpoint->prefix().empty() ? "no" : "'" + checkpoint->prefix() + "'") +
                                             " name prefix)";
  checkpoint.reset();  // the graph holds its own float32 copies

  const fs::path out = o.out_dir.empty() ? in : fs::path(o.out_dir);
  if (!o.out_dir.empty() && fs::weakly_canonical(out, ec) != fs::weakly_canonical(in, ec)) {
    IMI_RETURN_IF_ERROR(CopyModelFiles(in, out));
  }
  const fs::path onnx_dir = out / "onnx";
  fs::create_directories(onnx_dir, ec);
  if (ec) return Status::IoError("cannot create " + onnx_dir.string() + ": " + ec.message());
  OnnxWriteOptions wo;
  wo.external_data_threshold_bytes = o.external_data_threshold_bytes;
  if (o.write_fp32) {
    const fs::path path = onnx_dir / "model.onnx";
    IMI_RETURN_IF_ERROR(WriteOnnx(enc.graph, path.string(), wo));
    report.written.push_back(path.string());
    Say(o.progress, "wrote " + path.string() + " (FP32, " + Mb(FileBytes(path)) + ")");
  }
  IMI_RETURN_IF_ERROR(WriteQuantized(enc.graph, onnx_dir, targets, o.activations, o.quantize_embeddings,
                                     o.external_data_threshold_bytes, o.progress, &report));
  report.seconds = Since(start);
  return report;
}

Result<ConvertReport> QuantizeModelFile(const QuantizeFileOptions& o, const model::CpuFeatures& cpu) {
  const auto start = std::chrono::steady_clock::now();
  ConvertReport report;
  std::error_code ec;
  fs::path file(o.model);
  if (fs::is_directory(file, ec)) {
    if (fs::is_regular_file(file / "onnx" / "model.onnx", ec)) {
      file = file / "onnx" / "model.onnx";
    } else if (fs::is_regular_file(file / "model.onnx", ec)) {
      file = file / "model.onnx";
    } else {
      return Status::NotFound("no FP32 onnx/model.onnx in " + o.model +
                              " (run imi convert first for a safetensors-only repository)");
    }
  } else if (!fs::is_regular_file(file, ec)) {
    return Status::NotFound("model " + o.model + " does not exist");
  }
  IMI_ASSIGN_OR_RETURN(std::vector<QuantTarget> targets, ResolveTargets(o.targets, cpu));
  Say(o.progress, "reading " + file.string());
  IMI_ASSIGN_OR_RETURN(Graph g, ReadOnnx(file.string()));
  report.architecture = g.name;
  const fs::path out = o.out_dir.empty() ? file.parent_path() : fs::path(o.out_dir);
  fs::create_directories(out, ec);
  if (ec) return Status::IoError("cannot create " + out.string() + ": " + ec.message());
  IMI_RETURN_IF_ERROR(WriteQuantized(g, out, targets, o.activations, o.quantize_embeddings,
                                     o.external_data_threshold_bytes, o.progress, &report));
  report.seconds = Since(start);
  return report;
}

}  // namespace imi::convert
