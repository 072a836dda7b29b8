#ifndef IMI_BATCH_EMBEDDER_BACKEND_H_
#define IMI_BATCH_EMBEDDER_BACKEND_H_

#include <memory>
#include <string>

#include "base/result.h"
#include "batch/embedding_backend.h"
#include "model/cross_encoder.h"
#include "model/embedder.h"

namespace imi::tokenizer {
class Tokenizer;
}

namespace imi::batch {

// Adapts model::Embedder to EmbeddingBackend: the one place that knows both.
// Per-request normalisation is applied after inference (L2) when the model
// does not normalise; a request for raw vectors from a model with a
// Normalize module is Unprocessable. Left truncation is Unsupported.
class EmbedderBackend : public EmbeddingBackend {
 public:
  // Takes ownership of `embedder`; Tokenize uses the embedder's own
  // (untruncated) tokenizer. Infer runs a batch in ONNX Runtime calls of at
  // most `max_run_tokens` padded tokens each (at least one input per call):
  // on CPUs, small runs are faster per token.
  static Result<std::unique_ptr<EmbedderBackend>> Create(std::unique_ptr<model::Embedder> embedder,
                                                         size_t max_run_tokens = 1024);
  ~EmbedderBackend() override;

  // Serves `reranker` beside the embedding model (EncodePair, and Infer with
  // options.rerank). Call before the backend is shared; not thread-safe.
  void AttachReranker(std::unique_ptr<model::CrossEncoder> reranker);

  Result<std::unique_ptr<PreparedInput>> Encode(std::string_view text, const EmbedOptions& options) const override;
  Result<std::unique_ptr<PreparedInput>> EncodeTokens(const std::vector<int32_t>& ids,
                                                      const EmbedOptions& options) const override;
  Result<std::unique_ptr<PreparedInput>> EncodePair(std::string_view query, std::string_view text,
                                                    const EmbedOptions& options) const override;
  Result<std::vector<InferOutput>> Infer(const std::vector<const PreparedInput*>& batch,
                                         const EmbedOptions& options) const override;
  Result<std::vector<TokenInfo>> Tokenize(std::string_view text, bool add_special_tokens) const override;
  const BackendInfo& info() const override { return info_; }
  const RerankerInfo* reranker() const override { return reranker_ ? &reranker_info_ : nullptr; }

  const model::Embedder& embedder() const { return *embedder_; }

 private:
  EmbedderBackend() = default;
  Status CheckNormalize(const EmbedOptions& options) const;

  std::unique_ptr<model::Embedder> embedder_;
  std::unique_ptr<model::CrossEncoder> reranker_;
  RerankerInfo reranker_info_;
  BackendInfo info_;
  size_t max_run_tokens_ = 1024;
  // Ids the post-processor puts around a text, learnt by encoding "".
  std::vector<int64_t> prefix_ids_;
  std::vector<int64_t> suffix_ids_;
  bool token_inputs_supported_ = false;
};

}  // namespace imi::batch

#endif  // IMI_BATCH_EMBEDDER_BACKEND_H_
