#ifndef IMI_MODEL_M3_H_
#define IMI_MODEL_M3_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace imi::model {

// bge-m3's three outputs (FlagEmbedding's BGE-M3 definitions; docs/models.md
// "bge-m3: dense, sparse and multi-vector"). Plain values and pure functions.

// Which outputs an inference computes: a set of these bits.
enum OutputBits : unsigned { kDenseOutput = 1u, kSparseOutput = 2u, kColbertOutput = 4u };
using OutputSet = unsigned;
constexpr OutputSet kAllOutputs = kDenseOutput | kSparseOutput | kColbertOutput;

// "dense", "sparse", "colbert", "all", or several joined by ',' ("dense,sparse").
// InvalidArgument names the valid words.
Result<OutputSet> ParseOutputSet(std::string_view text);
// The words of a set, joined by ',' in the order dense, sparse, colbert.
std::string OutputSetName(OutputSet set);

// Lexical weights: token ids in ascending order, each with its largest
// relu(sparse_linear) weight over the text's tokens; only weights > 0; the
// ids of CLS, EOS, PAD and UNK are left out.
struct SparseEmbedding {
  std::vector<int32_t> ids;
  std::vector<float> weights;
};

// Token vectors, row-major rows() x dim: ColBERT's vectors of every token
// after CLS (the closing EOS included), each L2-normalised.
struct MultiVector {
  size_t dim = 0;
  std::vector<float> values;
  size_t rows() const { return dim == 0 ? 0 : values.size() / dim; }
  const float* row(size_t i) const { return values.data() + i * dim; }
};

// The outputs of one text; the ones not asked for are empty.
struct TextOutputs {
  std::vector<float> dense;
  SparseEmbedding sparse;
  MultiVector colbert;
};

// Dot product of two dense vectors (cosine for bge-m3's unit vectors);
// components beyond the shorter one are ignored.
double DenseScore(const std::vector<float>& q, const std::vector<float>& p);
// Sum over the ids both have of w_q * w_p.
double SparseScore(const SparseEmbedding& q, const SparseEmbedding& p);
// Mean over q's rows of the largest dot product with a row of p (0 when
// either is empty or their dimensions differ).
double ColbertScore(const MultiVector& q, const MultiVector& p);

// FlagEmbedding's weights_for_different_modes: dense, sparse, colbert.
struct M3Weights {
  double dense = 0.4;
  double sparse = 0.2;
  double colbert = 0.4;
};
// Each weight finite and >= 0, their sum > 0 (InvalidArgument otherwise).
Status ValidateM3Weights(const M3Weights& weights);

// compute_score's result for one pair: the three scores and the weighted
// means 'sparse+dense' = (wd d + ws s) / (wd + ws) and
// 'colbert+sparse+dense' = (wd d + ws s + wc c) / (wd + ws + wc).
struct M3Scores {
  double dense = 0;
  double sparse = 0;
  double colbert = 0;
  double sparse_dense = 0;
  double combined = 0;
};
M3Scores CombineM3Scores(double dense, double sparse, double colbert, const M3Weights& weights);
// All three scores of a query against a passage, combined.
M3Scores ComputeM3Score(const TextOutputs& query, const TextOutputs& passage, const M3Weights& weights);

}  // namespace imi::model

#endif  // IMI_MODEL_M3_H_
