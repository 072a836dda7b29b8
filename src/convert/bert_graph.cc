// BERT and XLM-RoBERTa encoders (transformers' BertModel / XLMRobertaModel):
// word + position + token-type embeddings, LayerNorm, post-norm layers of
// self-attention and an erf-GELU feed-forward. XLM-R counts positions over
// non-padding tokens from padding_idx + 1 and has no token_type_ids input
// (its single token type is added to every token).
#include "convert/encoder_graph.h"

namespace imi::convert {

Result<EncoderGraph> BuildBertEncoder(const EncoderConfig& c, const Checkpoint& ckpt) {
  EncoderGraph enc;
  Graph& g = enc.graph;
  g.name = c.arch == Architecture::kBert ? "imi_bert" : "imi_xlm_roberta";
  GraphBuilder b(&g);
  const bool bert = c.arch == Architecture::kBert;
  const int64_t h = c.hidden_size;
  auto input = [&](const std::string& name) {
    ValueInfo v;
    v.name = name;
    v.dtype = DType::kInt64;
    v.dims = {std::string("batch"), std::string("sequence")};
    g.inputs.push_back(v);
    return name;
  };
  const std::string ids = input("input_ids");
  const std::string mask = input("attention_mask");
  enc.attention_mask = mask;
  const std::string types_in = bert ? input("token_type_ids") : "";

  IMI_ASSIGN_OR_RETURN(Tensor word, ckpt.Float("embeddings.word_embeddings.weight", {c.vocab_size, h}));
  std::string x = b.Op("Gather", {b.Weight("embeddings.word_embeddings.weight", std::move(word)), ids}, {}, "word");
  IMI_ASSIGN_OR_RETURN(Tensor pos_table,
                       ckpt.Float("embeddings.position_embeddings.weight", {c.max_position_embeddings, h}));
  const std::string pos_w = b.Weight("embeddings.position_embeddings.weight", std::move(pos_table));
  std::string pos;
  if (bert) {
    const std::string shape = b.Op("Shape", {ids});
    const std::string seq = b.Op("Gather", {shape, b.Const(Tensor::ScalarInt64(1))});
    const std::string positions =
        b.Op("Range", {b.Const(Tensor::ScalarInt64(0)), seq, b.Const(Tensor::ScalarInt64(1))}, {}, "positions");
    pos = b.Op("Gather", {pos_w, positions}, {}, "position");  // [S, H] broadcasts over the batch
  } else {
    const std::string pad = b.Const(Tensor::ScalarInt64(c.pad_token_id));
    const std::string not_pad =
        b.Op("Cast", {b.Op("Not", {b.Op("Equal", {ids, pad})})}, {IntAttr("to", static_cast<int64_t>(DType::kInt64))});
    const std::string cum = b.Op("CumSum", {not_pad, b.Const(Tensor::ScalarInt64(1))});
    const std::string positions = b.Op("Add", {b.Op("Mul", {cum, not_pad}), pad}, {}, "positions");
    pos = b.Op("Gather", {pos_w, positions}, {}, "position");
  }
  IMI_ASSIGN_OR_RETURN(Tensor type_table,
                       ckpt.Float("embeddings.token_type_embeddings.weight", {c.type_vocab_size, h}));
  const std::string type_w = b.Weight("embeddings.token_type_embeddings.weight", std::move(type_table));
  const std::string types = bert ? b.Op("Gather", {type_w, types_in}, {}, "token_type")
                                 : b.Op("Gather", {type_w, b.Const(Tensor::ScalarInt64(0))}, {}, "token_type");
  x = b.Op("Add", {b.Op("Add", {x, pos}), types}, {}, "embeddings_sum");
  IMI_ASSIGN_OR_RETURN(x, LayerNorm(&b, ckpt, x, "embeddings.LayerNorm", h, c.layer_norm_eps, true));

  const std::string bias = KeyMaskBias(&b, mask);
  const int64_t heads = c.num_attention_heads;
  const int64_t d = c.head_dim();
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    IMI_ASSIGN_OR_RETURN(std::string q, Linear(&b, ckpt, x, p + "attention.self.query", h, h, true));
    IMI_ASSIGN_OR_RETURN(std::string k, Linear(&b, ckpt, x, p + "attention.self.key", h, h, true));
    IMI_ASSIGN_OR_RETURN(std::string v, Linear(&b, ckpt, x, p + "attention.self.value", h, h, true));
    const std::string ctx = Attention(&b, SplitHeads(&b, q, heads, d, false), SplitHeads(&b, k, heads, d, true),
                                      SplitHeads(&b, v, heads, d, false), bias, heads, d);
    IMI_ASSIGN_OR_RETURN(std::string attn, Linear(&b, ckpt, ctx, p + "attention.output.dense", h, h, true));
    IMI_ASSIGN_OR_RETURN(x, LayerNorm(&b, ckpt, b.Op("Add", {attn, x}), p + "attention.output.LayerNorm", h,
                                      c.layer_norm_eps, true));
    IMI_ASSIGN_OR_RETURN(std::string inter,
                         Linear(&b, ckpt, x, p + "intermediate.dense", c.intermediate_size, h, true));
    IMI_ASSIGN_OR_RETURN(std::string out,
                         Linear(&b, ckpt, Gelu(&b, inter), p + "output.dense", h, c.intermediate_size, true));
    IMI_ASSIGN_OR_RETURN(x, LayerNorm(&b, ckpt, b.Op("Add", {out, x}), p + "output.LayerNorm", h,
                                      c.layer_norm_eps, true));
  }
  enc.hidden_state = x;
  return enc;
}

}  // namespace imi::convert
