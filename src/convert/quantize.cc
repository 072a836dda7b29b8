#include "convert/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "model/variant.h"

namespace imi::convert {
namespace {

struct TargetInfo {
  QuantTarget target;
  const char* name;
  const char* file_base;  // as in model::VariantPreferenceOrder()
  bool unsigned_weights;
};

constexpr TargetInfo kTargets[] = {
    {QuantTarget::kAvx512Vnni, "avx512_vnni", "model_qint8_avx512_vnni", false},
    {QuantTarget::kAvx512, "avx512", "model_qint8_avx512", false},
    {QuantTarget::kAvx2, "avx2", "model_quint8_avx2", true},
    {QuantTarget::kArm64, "arm64", "model_qint8_arm64", false},
};

const TargetInfo& Info(QuantTarget t) {
  for (const auto& i : kTargets) {
    if (i.target == t) return i;
  }
  return kTargets[0];
}

int64_t Opset(const Graph& g) {
  auto it = g.opsets.find("");
  return it == g.opsets.end() ? 0 : it->second;
}

// Unsqueeze/ReduceMax take their axes as an attribute before opsets 13/18
// and as an input from then on.
std::string Unsqueeze(GraphBuilder* b, int64_t opset, const std::string& x, int64_t axis) {
  if (opset >= 13) return b->Op("Unsqueeze", {x, b->Const(Tensor::Int64s({axis}), "imiq_axes")}, {}, "imiq_unsqueeze");
  return b->Op("Unsqueeze", {x}, {IntsAttr("axes", {axis})}, "imiq_unsqueeze");
}

// max |x| over the last axis (keepdims 0) as max(ReduceMax(x), -ReduceMin(x)):
// two reads and no full-size temporary.
std::string RowAbsMax(GraphBuilder* b, int64_t opset, const std::string& x) {
  std::string hi, lo;
  if (opset >= 18) {
    hi = b->Op("ReduceMax", {x, b->Const(Tensor::Int64s({-1}), "imiq_axes")}, {IntAttr("keepdims", 0)}, "imiq_rowmax");
    lo = b->Op("ReduceMin", {x, b->Const(Tensor::Int64s({-1}), "imiq_axes")}, {IntAttr("keepdims", 0)}, "imiq_rowmin");
  } else {
    hi = b->Op("ReduceMax", {x}, {IntsAttr("axes", {-1}), IntAttr("keepdims", 0)}, "imiq_rowmax");
    lo = b->Op("ReduceMin", {x}, {IntsAttr("axes", {-1}), IntAttr("keepdims", 0)}, "imiq_rowmin");
  }
  return b->Op("Max", {hi, b->Op("Neg", {lo}, {}, "imiq_neg")}, {}, "imiq_absmax");
}

}  // namespace

Result<QuantTarget> ParseQuantTarget(std::string_view name) {
  for (const auto& i : kTargets) {
    if (name == i.name) return i.target;
  }
  return Status::InvalidArgument("unknown quantisation target '" + std::string(name) +
                                 "': use auto, all, avx2, avx512, avx512_vnni or arm64");
}

std::string_view QuantTargetName(QuantTarget t) { return Info(t).name; }

std::string QuantizedFileName(QuantTarget t) { return std::string(Info(t).file_base) + ".onnx"; }

Result<std::vector<QuantTarget>> ResolveTargets(std::string_view spec, const model::CpuFeatures& cpu) {
  if (spec == "all") {
    return std::vector<QuantTarget>{QuantTarget::kAvx2, QuantTarget::kAvx512, QuantTarget::kAvx512Vnni,
                                    QuantTarget::kArm64};
  }
  if (spec == "auto") {
    for (const auto& i : kTargets) {
      if (model::CpuCanRun(i.file_base, cpu)) return std::vector<QuantTarget>{i.target};
    }
    return Status::FailedPrecondition("no INT8 target suits this CPU (" + cpu.ToString() +
                                      "); name one with --target avx2|avx512|avx512_vnni|arm64");
  }
  IMI_ASSIGN_OR_RETURN(QuantTarget t, ParseQuantTarget(spec));
  return std::vector<QuantTarget>{t};
}

void QuantizeColumns(const float* w, int64_t k, int64_t n, bool unsigned_weights, std::vector<uint8_t>* out,
                     std::vector<float>* scales) {
  std::vector<float> absmax(static_cast<size_t>(n), 0.0f);
  for (int64_t r = 0; r < k; ++r) {
    for (int64_t c = 0; c < n; ++c) absmax[c] = std::max(absmax[c], std::fabs(w[r * n + c]));
  }
  scales->assign(static_cast<size_t>(n), 1.0f);
  for (int64_t c = 0; c < n; ++c) {
    // quantize_dynamic: symmetric range [-absmax, absmax] over 254 int8 steps
    // (-127..127) or 255 uint8 steps with zero point 128.
    if (absmax[c] > 0) (*scales)[c] = unsigned_weights ? 2.0f * absmax[c] / 255.0f : absmax[c] / 127.0f;
  }
  out->resize(static_cast<size_t>(k * n));
  for (int64_t r = 0; r < k; ++r) {
    for (int64_t c = 0; c < n; ++c) {
      const float q = std::nearbyint(w[r * n + c] / (*scales)[c]);
      if (unsigned_weights) {
        (*out)[r * n + c] = static_cast<uint8_t>(std::clamp(q + 128.0f, 0.0f, 255.0f));
      } else {
        const int8_t v = static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f));
        std::memcpy(&(*out)[r * n + c], &v, 1);
      }
    }
  }
}

Result<Graph> QuantizeGraph(const Graph& fp32, const QuantizeOptions& options, QuantizeReport* report) {
  const TargetInfo& target = Info(options.target);
  const int64_t opset = Opset(fp32);
  if (opset < 11) return Status::Unsupported("the graph's opset " + std::to_string(opset) + " is below 11");
  if (options.activations == ActivationQuant::kPerRow && opset < 13) {
    return Status::Unsupported("per-row activations need opset 13 or later (per-axis QuantizeLinear); the graph has " +
                               std::to_string(opset) + ": use --activations per-tensor");
  }
  std::set<std::string> graph_inputs;
  for (const auto& in : fp32.inputs) graph_inputs.insert(in.name);
  std::map<std::string, int> uses;
  for (const auto& n : fp32.nodes) {
    for (const auto& i : n.inputs) ++uses[i];
  }
  auto float_matrix = [&](const std::string& name) -> const Tensor* {
    auto it = fp32.initializers.find(name);
    if (it == fp32.initializers.end() || it->second.dtype != DType::kFloat || it->second.dims.size() != 2) return nullptr;
    return &it->second;
  };

  Graph q;
  q.name = fp32.name;
  q.producer = "imi";
  q.inputs = fp32.inputs;
  q.outputs = fp32.outputs;
  q.opsets = fp32.opsets;
  q.metadata = fp32.metadata;
  GraphBuilder b(&q);
  std::set<std::string> replaced;  // initializers not copied over
  QuantizeReport r;

  for (const Node& n : fp32.nodes) {
    const bool plain = n.domain.empty() || n.domain == "ai.onnx";
    if (plain && n.op_type == "MatMul" && n.inputs.size() == 2 && float_matrix(n.inputs[1]) != nullptr &&
        fp32.initializers.count(n.inputs[0]) == 0) {
      const Tensor& w = *float_matrix(n.inputs[1]);
      const int64_t k = w.dims[0], cols = w.dims[1];
      std::vector<uint8_t> wq;
      std::vector<float> scales;
      QuantizeColumns(w.floats(), k, cols, target.unsigned_weights, &wq, &scales);
      const std::string& wname = n.inputs[1];
      Tensor wt;
      wt.dtype = target.unsigned_weights ? DType::kUint8 : DType::kInt8;
      wt.dims = w.dims;
      wt.data = std::move(wq);
      const std::string wq_name = b.Weight(wname + "_quantized", std::move(wt));
      Tensor zp = Tensor::Zeros(target.unsigned_weights ? DType::kUint8 : DType::kInt8, {cols});
      if (target.unsigned_weights) std::fill(zp.data.begin(), zp.data.end(), 128);
      const std::string wz_name = b.Weight(wname + "_zero_point", std::move(zp));
      const std::string ws_name = b.Weight(wname + "_scale", Tensor::Floats({cols}, scales));
      if (uses[wname] <= 1) replaced.insert(wname);

      const std::string& x = n.inputs[0];
      std::string acc, row_scale;
      if (options.activations == ActivationQuant::kPerTensor) {
        const auto dq = b.OpN("DynamicQuantizeLinear", {x}, 3, {}, "imiq_dql");
        acc = b.Op("MatMulInteger", {dq[0], wq_name, dq[2], wz_name}, {}, "imiq_matmulinteger");
        row_scale = dq[1];
      } else {
        // Per-row: flatten to [rows, K], one symmetric scale per row, one
        // QuantizeLinear along axis 0 (zero point 128), integer MatMul,
        // rescale per row and per column, restore the leading dims.
        const std::string x_shape = b.Op("Shape", {x}, {}, "imiq_shape");
        const std::string x2 = b.Op("Reshape", {x, b.Const(Tensor::Int64s({-1, k}), "imiq_flat")}, {}, "imiq_rows");
        const std::string absmax = RowAbsMax(&b, opset, x2);
        const std::string floor = b.Const(Tensor::ScalarFloat(std::numeric_limits<float>::min()), "imiq_tiny");
        row_scale = b.Op("Div", {b.Op("Max", {absmax, floor}, {}, "imiq_max"),
                                 b.Const(Tensor::ScalarFloat(127.0f), "imiq_127")},
                         {}, "imiq_rowscale");  // [rows]
        const std::string zp = b.Op("Expand", {b.Const(Tensor::ScalarUint8(128), "imiq_zp128"),
                                               b.Op("Shape", {row_scale}, {}, "imiq_rows_shape")},
                                    {}, "imiq_zp");
        const std::string xq = b.Op("QuantizeLinear", {x2, row_scale, zp}, {IntAttr("axis", 0)}, "imiq_xq");
        acc = b.Op("MatMulInteger", {xq, wq_name, b.Const(Tensor::ScalarUint8(128), "imiq_zp128"), wz_name}, {},
                   "imiq_matmulinteger");
        const std::string accf = b.Op("Cast", {acc}, {IntAttr("to", static_cast<int64_t>(DType::kFloat))}, "imiq_cast");
        const std::string by_row = b.Op("Mul", {accf, Unsqueeze(&b, opset, row_scale, 1)}, {}, "imiq_rowmul");
        const std::string y2 = b.Op("Mul", {by_row, ws_name}, {}, "imiq_colmul");
        const std::string lead = b.Op("Slice", {x_shape, b.Const(Tensor::Int64s({0}), "imiq_s0"),
                                                b.Const(Tensor::Int64s({-1}), "imiq_s1")},
                                      {}, "imiq_lead");
        const std::string out_shape =
            b.Op("Concat", {lead, b.Const(Tensor::Int64s({cols}), "imiq_n")}, {IntAttr("axis", 0)}, "imiq_outshape");
        Node out;
        out.op_type = "Reshape";
        out.name = b.Fresh("imiq_restore");
        out.inputs = {y2, out_shape};
        out.outputs = n.outputs;
        q.nodes.push_back(std::move(out));
        ++r.matmuls;
        continue;
      }
      const std::string accf = b.Op("Cast", {acc}, {IntAttr("to", static_cast<int64_t>(DType::kFloat))}, "imiq_cast");
      const std::string scale = b.Op("Mul", {row_scale, ws_name}, {}, "imiq_scale");
      Node out;
      out.op_type = "Mul";
      out.name = b.Fresh("imiq_dequant");
      out.inputs = {accf, scale};
      out.outputs = n.outputs;
      q.nodes.push_back(std::move(out));
      ++r.matmuls;
      continue;
    }
    const Attribute* axis = n.FindAttribute("axis");
    const bool axis0 = axis == nullptr || (std::holds_alternative<int64_t>(axis->value) && std::get<int64_t>(axis->value) == 0);
    if (options.quantize_embeddings && plain && n.op_type == "Gather" && n.inputs.size() == 2 && axis0 &&
        float_matrix(n.inputs[0]) != nullptr && graph_inputs.count(n.inputs[1]) > 0 && uses[n.inputs[0]] <= 1) {
      // Per-row symmetric int8 table: row = int8 values * the row's scale.
      const Tensor& table = *float_matrix(n.inputs[0]);
      const int64_t rows = table.dims[0], width = table.dims[1];
      Tensor tq = Tensor::Zeros(DType::kInt8, table.dims);
      std::vector<float> scales(static_cast<size_t>(rows), 1.0f);
      const float* t = table.floats();
      for (int64_t i = 0; i < rows; ++i) {
        float m = 0;
        for (int64_t j = 0; j < width; ++j) m = std::max(m, std::fabs(t[i * width + j]));
        if (m > 0) scales[i] = m / 127.0f;
        for (int64_t j = 0; j < width; ++j) {
          const int8_t v = static_cast<int8_t>(std::clamp(std::nearbyint(t[i * width + j] / scales[i]), -127.0f, 127.0f));
          std::memcpy(&tq.data[static_cast<size_t>(i * width + j)], &v, 1);
        }
      }
      const std::string& name = n.inputs[0];
      replaced.insert(name);
      const std::string tq_name = b.Weight(name + "_quantized", std::move(tq));
      const std::string ts_name = b.Weight(name + "_row_scale", Tensor::Floats({rows}, scales));
      const std::string rows_q = b.Op("Gather", {tq_name, n.inputs[1]}, {}, "imiq_gather");
      const std::string rows_f = b.Op("Cast", {rows_q}, {IntAttr("to", static_cast<int64_t>(DType::kFloat))}, "imiq_cast");
      const std::string row_scales = Unsqueeze(&b, opset, b.Op("Gather", {ts_name, n.inputs[1]}, {}, "imiq_gather"), -1);
      Node out;
      out.op_type = "Mul";
      out.name = b.Fresh("imiq_dequant");
      out.inputs = {rows_f, row_scales};
      out.outputs = n.outputs;
      q.nodes.push_back(std::move(out));
      ++r.embeddings;
      continue;
    }
    q.nodes.push_back(n);
  }
  if (r.matmuls == 0) {
    return Status::InvalidArgument("the graph has no MatMul with a constant weight matrix to quantise");
  }
  for (const auto& [name, t] : fp32.initializers) {
    if (replaced.count(name) == 0) {
      if (q.initializers.count(name) > 0) return Status::Internal("quantised graph reuses the name " + name);
      q.initializers[name] = t;
    }
  }
  // Generated names must not collide with the original graph's values.
  std::set<std::string> produced;
  for (const auto& node : q.nodes) {
    for (const auto& o : node.outputs) {
      if (!produced.insert(o).second) return Status::Internal("quantised graph produces '" + o + "' twice");
    }
  }
  q.metadata["imi.quantization"] =
      std::string("target=") + target.name + " weights=" + (target.unsigned_weights ? "uint8" : "int8") +
      " symmetric per-channel; activations=" +
      (options.activations == ActivationQuant::kPerTensor ? "uint8 per-tensor dynamic" : "uint8 per-row symmetric") +
      "; embeddings=" + (r.embeddings > 0 ? "int8 per-row" : "float32");
  if (report != nullptr) *report = r;
  return q;
}

}  // namespace imi::convert
