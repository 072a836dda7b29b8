#ifndef IMI_MODEL_M3_HEADS_H_
#define IMI_MODEL_M3_HEADS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "model/m3.h"

namespace imi::model {

// bge-m3's two linear heads as its repository ships them beside the encoder:
// sparse_linear.pt (Linear hidden -> 1) and colbert_linear.pt (Linear
// hidden -> C), PyTorch state dicts with "weight" [out, in] and "bias" [out].
// Immutable after Load; thread-safe.
class M3Heads {
 public:
  // Reads `root`/sparse_linear.pt and `root`/colbert_linear.pt; either may be
  // absent (that output is then unavailable), not both (NotFound). A file
  // whose tensors do not fit `hidden` is InvalidArgument naming it.
  static Result<M3Heads> Load(const std::string& root, size_t hidden);

  bool has_sparse() const { return !sparse_weight_.empty(); }
  bool has_colbert() const { return !colbert_weight_.empty(); }
  size_t colbert_dim() const { return colbert_bias_.size(); }

  // relu(h_i . w + b) for each of `length` token rows of `hidden` floats.
  std::vector<float> TokenWeights(const float* tokens, size_t length) const;
  // colbert_linear of token rows 1..length-1, each row L2-normalised.
  MultiVector Colbert(const float* tokens, size_t length) const;

 private:
  size_t hidden_ = 0;
  std::vector<float> sparse_weight_;  // [hidden]
  float sparse_bias_ = 0;
  std::vector<float> colbert_weight_;  // [C, hidden]
  std::vector<float> colbert_bias_;    // [C]
};

// Lexical weights from per-token weights: the largest weight per id, ids in
// `unused` (CLS, EOS, PAD, UNK) left out, only weights > 0 kept.
SparseEmbedding SparseFromTokenWeights(const float* weights, const int64_t* ids, size_t length,
                                       const std::unordered_set<int64_t>& unused);

// Copies `rows` rows of `dim` floats and L2-normalises each (a zero row stays
// zero, as torch's normalize).
MultiVector NormalizedRows(const float* rows, size_t count, size_t dim);

}  // namespace imi::model

#endif  // IMI_MODEL_M3_HEADS_H_
