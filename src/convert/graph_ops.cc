#include <cmath>
#include <limits>

#include "convert/encoder_graph.h"

namespace imi::convert {

Result<std::string> Linear(GraphBuilder* b, const Checkpoint& ckpt, const std::string& x,
                           const std::string& name, int64_t out, int64_t in, bool bias) {
  IMI_ASSIGN_OR_RETURN(Tensor w, ckpt.LinearWeight(name + ".weight", out, in));
  std::string y = b->Op("MatMul", {x, b->Weight(name + ".weight", std::move(w))}, {}, name + "_matmul");
  if (bias) {
    IMI_ASSIGN_OR_RETURN(Tensor bt, ckpt.Float(name + ".bias", {out}));
    y = b->Op("Add", {y, b->Weight(name + ".bias", std::move(bt))}, {}, name + "_bias");
  }
  return y;
}

Result<std::string> LayerNorm(GraphBuilder* b, const Checkpoint& ckpt, const std::string& x,
                              const std::string& name, int64_t hidden, double eps, bool bias) {
  const bool old_names = !ckpt.Has(name + ".weight") && ckpt.Has(name + ".gamma");
  IMI_ASSIGN_OR_RETURN(Tensor g, ckpt.Float(name + (old_names ? ".gamma" : ".weight"), {hidden}));
  std::vector<std::string> inputs = {x, b->Weight(name + ".weight", std::move(g))};
  if (bias) {
    IMI_ASSIGN_OR_RETURN(Tensor beta, ckpt.Float(name + (old_names ? ".beta" : ".bias"), {hidden}));
    inputs.push_back(b->Weight(name + ".bias", std::move(beta)));
  }
  return b->Op("LayerNormalization", std::move(inputs),
               {IntAttr("axis", -1), FloatAttr("epsilon", static_cast<float>(eps))}, name);
}

std::string Gelu(GraphBuilder* b, const std::string& x) {
  const std::string scaled = b->Op("Div", {x, b->Const(Tensor::ScalarFloat(static_cast<float>(std::sqrt(2.0))))});
  const std::string erf = b->Op("Erf", {scaled});
  const std::string one_plus = b->Op("Add", {erf, b->Const(Tensor::ScalarFloat(1.0f))});
  const std::string prod = b->Op("Mul", {x, one_plus});
  return b->Op("Mul", {prod, b->Const(Tensor::ScalarFloat(0.5f))}, {}, "gelu");
}

std::string KeyMaskBias(GraphBuilder* b, const std::string& attention_mask) {
  const std::string maskf = b->Op("Cast", {attention_mask}, {IntAttr("to", static_cast<int64_t>(DType::kFloat))});
  const std::string inv = b->Op("Sub", {b->Const(Tensor::ScalarFloat(1.0f)), maskf});
  const std::string scaled =
      b->Op("Mul", {inv, b->Const(Tensor::ScalarFloat(std::numeric_limits<float>::lowest()))});
  return b->Op("Unsqueeze", {scaled, b->Const(Tensor::Int64s({1, 2}))}, {}, "key_mask_bias");
}

std::string SplitHeads(GraphBuilder* b, const std::string& x, int64_t heads, int64_t dim, bool keys_transposed) {
  const std::string r = b->Op("Reshape", {x, b->Const(Tensor::Int64s({0, 0, heads, dim}))});
  return b->Op("Transpose", {r},
               {IntsAttr("perm", keys_transposed ? std::vector<int64_t>{0, 2, 3, 1}
                                                 : std::vector<int64_t>{0, 2, 1, 3})});
}

std::string Attention(GraphBuilder* b, const std::string& q, const std::string& k_transposed,
                      const std::string& v, const std::string& bias, int64_t heads, int64_t dim) {
  const std::string scores = b->Op("MatMul", {q, k_transposed});
  const std::string scaled =
      b->Op("Mul", {scores, b->Const(Tensor::ScalarFloat(static_cast<float>(1.0 / std::sqrt(static_cast<double>(dim)))))});
  const std::string masked = b->Op("Add", {scaled, bias});
  const std::string probs = b->Op("Softmax", {masked}, {IntAttr("axis", -1)});
  const std::string ctx = b->Op("MatMul", {probs, v});
  const std::string t = b->Op("Transpose", {ctx}, {IntsAttr("perm", {0, 2, 1, 3})});
  return b->Op("Reshape", {t, b->Const(Tensor::Int64s({0, 0, heads * dim}))}, {}, "context");
}

void AddOutput(EncoderGraph* encoder, const std::string& value, const std::string& name, int64_t width,
               bool per_token) {
  GraphBuilder b(&encoder->graph);
  Node n;
  n.op_type = "Identity";
  n.name = b.Fresh("output_" + name);
  n.inputs = {value};
  n.outputs = {name};
  encoder->graph.nodes.push_back(std::move(n));
  ValueInfo v;
  v.name = name;
  v.dtype = DType::kFloat;
  v.dims.emplace_back(std::string("batch"));
  if (per_token) v.dims.emplace_back(std::string("sequence"));
  v.dims.emplace_back(width);
  encoder->graph.outputs.push_back(std::move(v));
}

Result<EncoderGraph> BuildEncoderGraph(const EncoderConfig& config, Checkpoint* checkpoint) {
  switch (config.arch) {
    case Architecture::kBert:
      IMI_RETURN_IF_ERROR(checkpoint->ResolvePrefix({"", "bert.", "model."}, "embeddings.word_embeddings.weight"));
      return BuildBertEncoder(config, *checkpoint);
    case Architecture::kXlmRoberta:
      IMI_RETURN_IF_ERROR(checkpoint->ResolvePrefix({"", "roberta.", "model."}, "embeddings.word_embeddings.weight"));
      return BuildBertEncoder(config, *checkpoint);
    case Architecture::kModernBert:
      IMI_RETURN_IF_ERROR(checkpoint->ResolvePrefix({"", "model."}, "embeddings.tok_embeddings.weight"));
      return BuildModernBertEncoder(config, *checkpoint);
  }
  return Status::Internal("unknown architecture");
}

}  // namespace imi::convert
