#ifndef IMI_SERVER_EMBED_SERVICE_H_
#define IMI_SERVER_EMBED_SERVICE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "batch/batcher.h"
#include "batch/embedding_backend.h"
#include "server/metrics.h"

namespace imi::server {

// Vectors of one request plus what the routes report about it.
struct EmbedOutcome {
  std::vector<std::vector<float>> vectors;     // dense (options.outputs has kDenseOutput)
  std::vector<batch::SparseVector> sparse;     // options.outputs has kSparseOutput
  std::vector<batch::TokenVectors> colbert;    // options.outputs has kColbertOutput
  std::vector<float> scores;                   // Rerank: raw scores in the texts' order
  size_t prompt_tokens = 0;     // tokens fed to the model, specials included
  size_t truncated_inputs = 0;  // inputs cut to the model's maximum length
  double tokenize_seconds = 0;
  double queue_seconds = 0;
  double infer_seconds = 0;
};

// Validates, tokenises (on the calling worker thread) and embeds through the
// shared Batcher. Thread-safe. Errors name the request field: e.g.
// `texts[3]: input is not valid UTF-8`.
class EmbedService {
 public:
  // `backend` and `metrics` must outlive the service.
  EmbedService(const batch::EmbeddingBackend& backend, batch::BatcherOptions options, Metrics* metrics);

  // `field` names the input in messages ("texts", "input", ...). Empty list
  // or an empty text: Unprocessable; bad `dimensions`: Unprocessable.
  Result<EmbedOutcome> EmbedTexts(const std::vector<std::string>& texts, const batch::EmbedOptions& options,
                                  std::string_view field);
  // Same for pre-tokenised inputs (OpenAI's [int] / [[int]]).
  Result<EmbedOutcome> EmbedTokens(const std::vector<std::vector<int32_t>>& inputs,
                                   const batch::EmbedOptions& options, std::string_view field);

  // Scores (query, texts[i]) with the reranker through the same queue;
  // outcome.scores holds the raw scores. Unsupported without a reranker;
  // Unprocessable for an empty list or text.
  Result<EmbedOutcome> Rerank(const std::string& query, const std::vector<std::string>& texts,
                              const batch::EmbedOptions& options, std::string_view field);

  // Checks options against the model (dimensions in 1..dimension; outputs it has).
  Status CheckOptions(const batch::EmbedOptions& options) const;

  const batch::EmbeddingBackend& backend() const { return backend_; }
  size_t queued_inputs() const { return batcher_.queued_inputs(); }
  // Finishes queued work and refuses new work (Unavailable).
  void Stop() { batcher_.Stop(); }

 private:
  Result<EmbedOutcome> Run(std::vector<std::unique_ptr<batch::PreparedInput>> inputs,
                           const batch::EmbedOptions& options, double tokenize_seconds);

  const batch::EmbeddingBackend& backend_;
  Metrics* const metrics_;
  batch::Batcher batcher_;
};

}  // namespace imi::server

#endif  // IMI_SERVER_EMBED_SERVICE_H_
