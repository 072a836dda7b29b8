// ModernBERT encoder (transformers' ModernBertModel): token embeddings and a
// LayerNorm, pre-norm layers (the first without attention norm) of rotary
// self-attention from one fused Wqkv projection and a GeGLU feed-forward
// (Wi's output halves: gelu(input) * gate), a final LayerNorm. Every
// global_attn_every_n_layers-th layer (from 0) attends globally; the others
// see only tokens within local_attention / 2 positions. Rotary embeddings
// rotate the two halves of each head (rotate_half) with the global theta on
// full-attention layers and the local theta on sliding ones.
#include <cmath>
#include <limits>

#include "convert/encoder_graph.h"

namespace imi::convert {
namespace {

// cos/sin tables [sequence, head_dim] for one theta, computed in the graph
// from the run's sequence length (float32, as transformers computes them).
struct Rotary {
  std::string cos, sin;
};

Rotary BuildRotary(GraphBuilder* b, const std::string& positions_f, int64_t dim, double theta) {
  std::vector<float> inv(static_cast<size_t>(dim / 2));
  for (int64_t i = 0; i < dim / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(dim);
    inv[static_cast<size_t>(i)] = 1.0f / std::pow(static_cast<float>(theta), exponent);
  }
  const std::string inv_freq = b->Const(Tensor::Floats({1, dim / 2}, inv), "inv_freq");
  const std::string freqs = b->Op("Mul", {positions_f, inv_freq}, {}, "rope_freqs");  // [S, d/2]
  const std::string emb = b->Op("Concat", {freqs, freqs}, {IntAttr("axis", -1)}, "rope_emb");
  return {b->Op("Cos", {emb}, {}, "rope_cos"), b->Op("Sin", {emb}, {}, "rope_sin")};
}

// x * cos + rotate_half(x) * sin for x [batch, heads, sequence, dim].
std::string ApplyRotary(GraphBuilder* b, const std::string& x, const Rotary& r) {
  const auto halves = b->OpN("Split", {x}, 2, {IntAttr("axis", -1)});
  const std::string rotated = b->Op("Concat", {b->Op("Neg", {halves[1]}), halves[0]}, {IntAttr("axis", -1)});
  return b->Op("Add", {b->Op("Mul", {x, r.cos}), b->Op("Mul", {rotated, r.sin})}, {}, "rope");
}

}  // namespace

Result<EncoderGraph> BuildModernBertEncoder(const EncoderConfig& c, const Checkpoint& ckpt) {
  EncoderGraph enc;
  Graph& g = enc.graph;
  g.name = "imi_modernbert";
  GraphBuilder b(&g);
  for (const char* name : {"input_ids", "attention_mask"}) {
    ValueInfo v;
    v.name = name;
    v.dtype = DType::kInt64;
    v.dims = {std::string("batch"), std::string("sequence")};
    g.inputs.push_back(v);
  }
  const std::string ids = "input_ids";
  const std::string mask = "attention_mask";
  enc.attention_mask = mask;
  const int64_t h = c.hidden_size;
  const int64_t heads = c.num_attention_heads;
  const int64_t d = c.head_dim();
  const double eps = c.layer_norm_eps;

  IMI_ASSIGN_OR_RETURN(Tensor tok, ckpt.Float("embeddings.tok_embeddings.weight", {c.vocab_size, h}));
  std::string x = b.Op("Gather", {b.Weight("embeddings.tok_embeddings.weight", std::move(tok)), ids}, {}, "tok");
  IMI_ASSIGN_OR_RETURN(x, LayerNorm(&b, ckpt, x, "embeddings.norm", h, eps, c.norm_bias));

  // Positions 0..S-1 (transformers' default position_ids), as int64 and float.
  const std::string shape = b.Op("Shape", {ids});
  const std::string seq = b.Op("Gather", {shape, b.Const(Tensor::ScalarInt64(1))});
  const std::string positions =
      b.Op("Range", {b.Const(Tensor::ScalarInt64(0)), seq, b.Const(Tensor::ScalarInt64(1))}, {}, "positions");
  const std::string positions_col = b.Op("Unsqueeze", {positions, b.Const(Tensor::Int64s({1}))});  // [S, 1]
  const std::string positions_f = b.Op("Cast", {positions_col}, {IntAttr("to", static_cast<int64_t>(DType::kFloat))});

  bool any_global_rope = false, any_local_rope = false, any_local_window = false;
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    (c.sliding_rope[static_cast<size_t>(i)] ? any_local_rope : any_global_rope) = true;
    any_local_window = any_local_window || c.IsLocalLayer(i);
  }
  Rotary global_rope, local_rope;
  if (any_global_rope) global_rope = BuildRotary(&b, positions_f, d, c.global_rope_theta);
  if (any_local_rope) local_rope = BuildRotary(&b, positions_f, d, c.local_rope_theta);

  const std::string global_bias = KeyMaskBias(&b, mask);  // [B, 1, 1, S]
  std::string local_bias;
  if (any_local_window) {
    // |i - j| <= local_attention / 2 stays; everything else gets the lowest float.
    const std::string rows = b.Op("Unsqueeze", {positions, b.Const(Tensor::Int64s({0}))});  // [1, S]
    const std::string distance = b.Op("Abs", {b.Op("Sub", {positions_col, rows})});      // [S, S]
    const std::string inside =
        b.Op("LessOrEqual", {distance, b.Const(Tensor::ScalarInt64(c.local_attention / 2))}, {}, "window");
    local_bias = b.Op("Where", {inside, global_bias, b.Const(Tensor::ScalarFloat(std::numeric_limits<float>::lowest()))},
                      {}, "local_bias");  // [B, 1, S, S]
  }

  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    std::string normed = x;
    if (i != 0) {
      IMI_ASSIGN_OR_RETURN(normed, LayerNorm(&b, ckpt, x, p + "attn_norm", h, eps, c.norm_bias));
    }
    IMI_ASSIGN_OR_RETURN(std::string qkv, Linear(&b, ckpt, normed, p + "attn.Wqkv", 3 * h, h, c.attention_bias));
    const auto parts = b.OpN("Split", {qkv}, 3, {IntAttr("axis", -1)}, "qkv_split");
    const Rotary& rope = c.sliding_rope[static_cast<size_t>(i)] ? local_rope : global_rope;
    const std::string q = ApplyRotary(&b, SplitHeads(&b, parts[0], heads, d, false), rope);
    const std::string k = ApplyRotary(&b, SplitHeads(&b, parts[1], heads, d, false), rope);
    const std::string kt = b.Op("Transpose", {k}, {IntsAttr("perm", {0, 1, 3, 2})});
    const std::string v = SplitHeads(&b, parts[2], heads, d, false);
    const std::string ctx = Attention(&b, q, kt, v, c.IsLocalLayer(i) ? local_bias : global_bias, heads, d);
    IMI_ASSIGN_OR_RETURN(std::string attn, Linear(&b, ckpt, ctx, p + "attn.Wo", h, h, c.attention_bias));
    x = b.Op("Add", {x, attn}, {}, "attn_residual");

    IMI_ASSIGN_OR_RETURN(std::string m, LayerNorm(&b, ckpt, x, p + "mlp_norm", h, eps, c.norm_bias));
    IMI_ASSIGN_OR_RETURN(std::string wi,
                         Linear(&b, ckpt, m, p + "mlp.Wi", 2 * c.intermediate_size, h, c.mlp_bias));
    const auto halves = b.OpN("Split", {wi}, 2, {IntAttr("axis", -1)}, "glu_split");
    const std::string act = b.Op("Mul", {Gelu(&b, halves[0]), halves[1]}, {}, "geglu");
    IMI_ASSIGN_OR_RETURN(std::string out, Linear(&b, ckpt, act, p + "mlp.Wo", h, c.intermediate_size, c.mlp_bias));
    x = b.Op("Add", {x, out}, {}, "mlp_residual");
  }
  IMI_ASSIGN_OR_RETURN(x, LayerNorm(&b, ckpt, x, "final_norm", h, eps, c.norm_bias));
  enc.hidden_state = x;
  return enc;
}

}  // namespace imi::convert
