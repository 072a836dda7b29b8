#ifndef IMI_TESTS_BATCH_TEST_BACKEND_H_
#define IMI_TESTS_BATCH_TEST_BACKEND_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "batch/embedding_backend.h"

namespace imi::testing {

// A deterministic stand-in for the embedding engine, for tests of code that
// sits above it: one token per code point (id = code point % 1000 + 5)
// between [CLS]=1 and [SEP]=2, and a vector that is a fixed function of the
// ids alone, so any batching must give the same answer. A text containing
// "__fail__" makes its whole batch fail; infer_delay_ms slows every call.
// It also gives bge-m3-like outputs: sparse weights (ExpectedSparse) and
// 4-dimensional token vectors of the tokens after [CLS] (ExpectedColbert),
// and, once EnableReranker() was called, rerank scores (ExpectedScore).
class TestBackend : public batch::EmbeddingBackend {
 public:
  explicit TestBackend(size_t dimension = 8, size_t max_seq_length = 32);

  Result<std::unique_ptr<batch::PreparedInput>> Encode(std::string_view text,
                                                       const batch::EmbedOptions& options) const override;
  Result<std::unique_ptr<batch::PreparedInput>> EncodeTokens(const std::vector<int32_t>& ids,
                                                             const batch::EmbedOptions& options) const override;
  Result<std::unique_ptr<batch::PreparedInput>> EncodePair(std::string_view query, std::string_view text,
                                                           const batch::EmbedOptions& options) const override;
  Result<std::vector<batch::InferOutput>> Infer(const std::vector<const batch::PreparedInput*>& batch,
                                                const batch::EmbedOptions& options) const override;
  Result<std::vector<batch::TokenInfo>> Tokenize(std::string_view text, bool add_special_tokens) const override;
  const batch::BackendInfo& info() const override { return info_; }
  const batch::RerankerInfo* reranker() const override { return reranker_ ? &reranker_info_ : nullptr; }

  // Serves rerank pairs from now on (call before sharing the backend).
  void EnableReranker(bool sigmoid = true);

  // The vector the backend gives `text` with default options, computed
  // directly (no batching) for comparisons.
  std::vector<float> ExpectedVector(std::string_view text, const batch::EmbedOptions& options = {}) const;

  // The sparse weights and token vectors of `text` (default options).
  batch::SparseVector ExpectedSparse(std::string_view text) const;
  batch::TokenVectors ExpectedColbert(std::string_view text) const;
  // The raw rerank score of (query, text): the count of the text's tokens
  // that occur in the query, less 0.001 per text token.
  float ExpectedScore(std::string_view query, std::string_view text) const;

  // Sizes of every Infer call so far, in call order.
  std::vector<size_t> BatchSizes() const;
  // Longest input of every Infer call times its size (padded tokens).
  std::vector<size_t> PaddedTokens() const;

  std::atomic<int> infer_delay_ms{0};

 private:
  std::vector<float> VectorFor(const std::vector<int32_t>& ids, const batch::EmbedOptions& options) const;

  batch::BackendInfo info_;
  bool reranker_ = false;
  batch::RerankerInfo reranker_info_;
  mutable std::mutex mutex_;
  mutable std::vector<size_t> batch_sizes_;
  mutable std::vector<size_t> padded_tokens_;
};

}  // namespace imi::testing

#endif  // IMI_TESTS_BATCH_TEST_BACKEND_H_
