#ifndef IMI_CONVERT_ENCODER_GRAPH_H_
#define IMI_CONVERT_ENCODER_GRAPH_H_

#include <string>

#include "base/result.h"
#include "convert/checkpoint.h"
#include "convert/encoder_config.h"
#include "convert/graph.h"

namespace imi::convert {

// An encoder as an ONNX graph (opset 17, plain ONNX operators): inputs
// declared (input_ids, attention_mask [batch, sequence] int64, plus
// token_type_ids for BERT), `hidden_state` the value holding the last hidden
// state [batch, sequence, hidden], and no outputs yet. A head (pooler,
// classifier) is appended by building on `hidden_state` with a
// GraphBuilder(&graph) and weights from the same Checkpoint; the caller then
// declares the outputs (AddOutput).
struct EncoderGraph {
  Graph graph;
  std::string hidden_state;
  std::string attention_mask;  // the mask input's name, for heads that pool
};

// Builds the encoder for config.arch from the checkpoint's weights (the
// checkpoint's name prefix is resolved here). NotFound names a missing
// tensor; InvalidArgument a tensor whose shape disagrees with the config.
Result<EncoderGraph> BuildEncoderGraph(const EncoderConfig& config, Checkpoint* checkpoint);

// Declares `value` a float output named `name` with dims [batch, sequence, width]
// (or [batch, width] when per_token is false).
void AddOutput(EncoderGraph* encoder, const std::string& value, const std::string& name, int64_t width,
               bool per_token = true);

// Architecture builders behind BuildEncoderGraph.
Result<EncoderGraph> BuildBertEncoder(const EncoderConfig& config, const Checkpoint& checkpoint);
Result<EncoderGraph> BuildModernBertEncoder(const EncoderConfig& config, const Checkpoint& checkpoint);

// Shared pieces (graph_ops.cc).
// x @ W (+ b): W [in, out] from a PyTorch Linear `name`.weight [out, in];
// the bias `name`.bias when `bias` is set.
Result<std::string> Linear(GraphBuilder* b, const Checkpoint& ckpt, const std::string& x,
                           const std::string& name, int64_t out, int64_t in, bool bias);
// LayerNormalization over the last axis; `bias` false for bias-free norms.
// Accepts the older gamma/beta names as well as weight/bias.
Result<std::string> LayerNorm(GraphBuilder* b, const Checkpoint& ckpt, const std::string& x,
                              const std::string& name, int64_t hidden, double eps, bool bias);
// Exact (erf) GELU written as x * 0.5 * (1 + erf(x / sqrt(2))), which ONNX
// Runtime fuses into its Gelu kernel.
std::string Gelu(GraphBuilder* b, const std::string& x);
// Additive key mask [batch, 1, 1, sequence]: 0 where attention_mask is 1,
// the lowest float where it is 0.
std::string KeyMaskBias(GraphBuilder* b, const std::string& attention_mask);
// [batch, sequence, heads*dim] -> [batch, heads, sequence, dim] (or
// [batch, heads, dim, sequence] when `keys_transposed`).
std::string SplitHeads(GraphBuilder* b, const std::string& x, int64_t heads, int64_t dim, bool keys_transposed);
// softmax(q k^T * scale + bias) v, merged back to [batch, sequence, hidden].
std::string Attention(GraphBuilder* b, const std::string& q, const std::string& k_transposed,
                      const std::string& v, const std::string& bias, int64_t heads, int64_t dim);

}  // namespace imi::convert

#endif  // IMI_CONVERT_ENCODER_GRAPH_H_
