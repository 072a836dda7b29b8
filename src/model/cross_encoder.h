#ifndef IMI_MODEL_CROSS_ENCODER_H_
#define IMI_MODEL_CROSS_ENCODER_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/embedder.h"
#include "model/variant.h"

namespace imi::tokenizer {
class Tokenizer;
}

namespace imi::model {

class OnnxSession;

// What turns a cross-encoder's logit into its score (sentence-transformers'
// CrossEncoder activation_fn).
enum class ScoreActivation { kSigmoid, kIdentity };

// "sigmoid" or "identity" ("none" and "raw" too); InvalidArgument otherwise.
Result<ScoreActivation> ParseScoreActivation(std::string_view name);
std::string_view ScoreActivationName(ScoreActivation activation);

struct CrossEncoderConfig {
  std::string model_path;      // a model directory (config.json, tokenizer.json, onnx/*.onnx) or an .onnx file
  std::string tokenizer_path;  // bare layout: tokenizer.json or its directory
  VariantRequest variant;
  int threads = 0;
  std::optional<size_t> max_length;            // default: the model's (see CrossEncoderInfo)
  std::optional<ScoreActivation> activation;   // default: the model's configuration
  size_t max_batch_tokens = 1024;              // padded tokens per ONNX run inside Score
};

struct CrossEncoderInfo {
  std::string id;
  std::string revision;
  std::string root;
  std::string variant_file;
  std::string variant_reason;
  std::string architecture;  // config.json model_type
  std::string output_name;   // logits
  size_t max_length = 0;     // tokens per pair, special tokens included
  ScoreActivation activation = ScoreActivation::kSigmoid;
  std::string activation_source;  // where the activation came from, for messages
  int threads = 0;
  double load_ms = 0;
};

// Scores of one Score call, in the caller's order.
struct RerankResult {
  std::vector<float> logits;  // raw, before the activation
  std::vector<size_t> token_counts;
  std::vector<bool> truncated;
};

// A sequence-classification model with one label (a reranker such as
// bge-reranker-v2-m3 or japanese-reranker-cross-encoder), exported to ONNX
// with the output "logits" [batch, 1]. Query and text are encoded together
// with the tokenizer's pair template (e.g. <s> q </s></s> t </s>, or
// [CLS] q [SEP] t [SEP] with type ids 0/1) and truncated longest-first to the
// model's max length. Const methods are thread-safe.
class CrossEncoder {
 public:
  // Loads the tokenizer and session. Max length: --max-length, else
  // tokenizer_config.json model_max_length, else sentence_bert_config.json
  // max_seq_length, capped by the position table. Activation: config.json's
  // sentence_transformers.activation_fn (or sbert_ce_default_activation_function),
  // else sigmoid, as sentence-transformers does for one label. Unsupported
  // for more than one label or another activation; NotFound / InvalidArgument
  // as Embedder::Load.
  static Result<std::unique_ptr<CrossEncoder>> Load(const CrossEncoderConfig& config);
  ~CrossEncoder();
  CrossEncoder(const CrossEncoder&) = delete;
  CrossEncoder& operator=(const CrossEncoder&) = delete;

  // Encodes one pair. InvalidArgument for invalid UTF-8 or ids beyond the
  // vocabulary; Unprocessable when too long and `truncate` is false.
  Result<EncodedInput> EncodePair(std::string_view query, std::string_view text, bool truncate = true) const;

  // Runs one padded batch; the raw logit of each pair, in batch order.
  Result<std::vector<float>> Infer(const std::vector<const EncodedInput*>& batch) const;

  // Encodes (query, text) for every text, batches by length and returns the
  // raw logits in the texts' order.
  Result<RerankResult> Score(std::string_view query, const std::vector<std::string>& texts,
                             bool truncate = true) const;

  // The configured activation applied to a raw logit.
  float Activate(float logit) const;

  const CrossEncoderInfo& info() const { return info_; }

 private:
  CrossEncoder();

  CrossEncoderInfo info_;
  size_t max_batch_tokens_ = 1024;
  int64_t pad_id_ = 0;
  int64_t vocab_size_ = 0;
  bool feeds_token_types_ = false;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<tokenizer::Tokenizer> truncating_tokenizer_;
  std::unique_ptr<OnnxSession> session_;
};

}  // namespace imi::model

#endif  // IMI_MODEL_CROSS_ENCODER_H_
