#include "model/variant.h"

#include <algorithm>

namespace imi::model {
namespace {

constexpr std::string_view kOnnxSuffix = ".onnx";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "onnx/model_int8.onnx" -> "model_int8".
std::string_view BaseName(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  if (EndsWith(path, kOnnxSuffix)) path.remove_suffix(kOnnxSuffix.size());
  return path;
}

std::string JoinNames(const std::vector<std::string>& names) {
  if (names.empty()) return "(no .onnx files)";
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// The first candidate (files under onnx/ preferred by input order) whose base
// name equals `base`, or nullptr.
const std::string* FindByBase(const std::vector<std::string>& onnx_files, std::string_view base) {
  for (const auto& f : onnx_files) {
    if (BaseName(f) == base) return &f;
  }
  return nullptr;
}

std::string CpuRequirement(std::string_view base) {
  if (base == "model_qint8_avx512_vnni") return "AVX-512 VNNI";
  if (base == "model_qint8_avx512") return "AVX-512 F/BW";
  if (base == "model_quint8_avx2") return "AVX2";
  if (base == "model_qint8_arm64") return "arm64";
  return "any CPU";
}

// Best runnable quantised file, or nullptr.
const std::string* BestInt8(const std::vector<std::string>& onnx_files, const CpuFeatures& cpu,
                            std::string* reason) {
  const auto& order = VariantPreferenceOrder();
  for (const auto& base : order) {
    if (base == "model") break;
    const std::string* f = FindByBase(onnx_files, base);
    if (f == nullptr || !CpuCanRun(base, cpu)) continue;
    *reason = "best INT8 variant for this CPU (" + cpu.ToString() + "): " + base + " needs " +
              CpuRequirement(base);
    return f;
  }
  return nullptr;
}

bool HasAnyInt8(const std::vector<std::string>& onnx_files) {
  const auto& order = VariantPreferenceOrder();
  return std::any_of(order.begin(), order.end(), [&](const std::string& base) {
    return base != "model" && FindByBase(onnx_files, base) != nullptr;
  });
}

}  // namespace

Result<VariantRequest> ParseVariantRequest(std::string_view text) {
  if (text.empty()) {
    return Status::InvalidArgument("--variant is empty: use auto, fp32, int8 or an ONNX file name");
  }
  VariantRequest r;
  if (text == "auto") {
    r.kind = VariantKind::kAuto;
  } else if (text == "fp32") {
    r.kind = VariantKind::kFp32;
  } else if (text == "int8") {
    r.kind = VariantKind::kInt8;
  } else {
    r.kind = VariantKind::kFile;
    r.file = std::string(text);
  }
  return r;
}

const std::vector<std::string>& VariantPreferenceOrder() {
  static const std::vector<std::string> order = {
      "model_qint8_avx512_vnni", "model_qint8_avx512", "model_quint8_avx2", "model_qint8_arm64",
      "model_int8",              "model_quantized",    "model"};
  return order;
}

bool CpuCanRun(std::string_view base, const CpuFeatures& cpu) {
  if (base == "model_qint8_avx512_vnni") return cpu.avx512f && cpu.avx512bw && cpu.avx512_vnni;
  if (base == "model_qint8_avx512") return cpu.avx512f && cpu.avx512bw;
  if (base == "model_quint8_avx2") return cpu.avx2;
  if (base == "model_qint8_arm64") return cpu.arm64;
  return true;
}

Result<VariantChoice> ChooseVariant(const std::vector<std::string>& candidates,
                                    const CpuFeatures& cpu, const VariantRequest& request) {
  std::vector<std::string> onnx_files;
  for (const auto& c : candidates) {
    if (EndsWith(c, kOnnxSuffix)) onnx_files.push_back(c);
  }
  VariantChoice choice;
  switch (request.kind) {
    case VariantKind::kFile: {
      const std::string_view want = BaseName(request.file);
      for (const auto& f : onnx_files) {
        if (f == request.file || BaseName(f) == want) {
          choice.file = f;
          choice.quantized = BaseName(f) != "model";
          choice.reason = "requested with --variant " + request.file;
          return choice;
        }
      }
      return Status::NotFound("variant '" + request.file + "' is not among the model's ONNX files (" +
                              JoinNames(onnx_files) + ")");
    }
    case VariantKind::kFp32: {
      const std::string* f = FindByBase(onnx_files, "model");
      if (f == nullptr) {
        return Status::NotFound("no FP32 model.onnx among the model's ONNX files (" +
                                JoinNames(onnx_files) + "); try --variant int8 or a file name");
      }
      choice.file = *f;
      choice.reason = "FP32 requested with --variant fp32";
      return choice;
    }
    case VariantKind::kInt8: {
      const std::string* f = BestInt8(onnx_files, cpu, &choice.reason);
      if (f == nullptr) {
        if (HasAnyInt8(onnx_files)) {
          return Status::FailedPrecondition("no INT8 variant suits this CPU (" + cpu.ToString() +
                                            ") among " + JoinNames(onnx_files) +
                                            "; try --variant fp32");
        }
        return Status::NotFound("the model has no INT8 variant (" + JoinNames(onnx_files) +
                                "); try --variant fp32");
      }
      choice.file = *f;
      choice.quantized = true;
      choice.reason = "INT8 requested: " + choice.reason;
      return choice;
    }
    case VariantKind::kAuto:
      break;
  }
  if (const std::string* f = BestInt8(onnx_files, cpu, &choice.reason)) {
    choice.file = *f;
    choice.quantized = true;
    return choice;
  }
  if (const std::string* f = FindByBase(onnx_files, "model")) {
    choice.file = *f;
    choice.reason = HasAnyInt8(onnx_files)
                        ? "FP32 model.onnx: no INT8 variant suits this CPU (" + cpu.ToString() + ")"
                        : "FP32 model.onnx: the model has no INT8 variant";
    return choice;
  }
  if (onnx_files.size() == 1) {
    choice.file = onnx_files[0];
    choice.reason = "the only ONNX file of the model";
    return choice;
  }
  return Status::NotFound("cannot choose an ONNX file automatically among " + JoinNames(onnx_files) +
                          "; name one with --variant FILE");
}

}  // namespace imi::model
