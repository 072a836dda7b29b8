#include "model/m3.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace imi::model {

Result<OutputSet> ParseOutputSet(std::string_view text) {
  OutputSet set = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(start, end - start);
    if (word == "dense") {
      set |= kDenseOutput;
    } else if (word == "sparse") {
      set |= kSparseOutput;
    } else if (word == "colbert") {
      set |= kColbertOutput;
    } else if (word == "all") {
      set |= kAllOutputs;
    } else {
      return Status::InvalidArgument("unknown output '" + std::string(word) +
                                     "': use dense, sparse, colbert or all (several joined by ',')");
    }
    start = end + 1;
  }
  return set;
}

std::string OutputSetName(OutputSet set) {
  std::string out;
  for (auto [bit, word] : {std::pair{kDenseOutput, "dense"}, {kSparseOutput, "sparse"}, {kColbertOutput, "colbert"}}) {
    if ((set & bit) == 0) continue;
    if (!out.empty()) out += ',';
    out += word;
  }
  return out;
}

double DenseScore(const std::vector<float>& q, const std::vector<float>& p) {
  const size_t n = std::min(q.size(), p.size());
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(q[i]) * p[i];
  return sum;
}

double SparseScore(const SparseEmbedding& q, const SparseEmbedding& p) {
  // Both id lists ascend: one merge pass.
  double sum = 0;
  size_t i = 0, j = 0;
  while (i < q.ids.size() && j < p.ids.size()) {
    if (q.ids[i] < p.ids[j]) {
      ++i;
    } else if (q.ids[i] > p.ids[j]) {
      ++j;
    } else {
      sum += static_cast<double>(q.weights[i]) * p.weights[j];
      ++i;
      ++j;
    }
  }
  return sum;
}

double ColbertScore(const MultiVector& q, const MultiVector& p) {
  if (q.rows() == 0 || p.rows() == 0 || q.dim != p.dim) return 0;
  double total = 0;
  for (size_t i = 0; i < q.rows(); ++i) {
    const float* a = q.row(i);
    double best = -std::numeric_limits<double>::infinity();
    for (size_t j = 0; j < p.rows(); ++j) {
      const float* b = p.row(j);
      double dot = 0;
      for (size_t k = 0; k < q.dim; ++k) dot += static_cast<double>(a[k]) * b[k];
      best = std::max(best, dot);
    }
    total += best;
  }
  return total / static_cast<double>(q.rows());
}

Status ValidateM3Weights(const M3Weights& w) {
  for (double x : {w.dense, w.sparse, w.colbert}) {
    if (!std::isfinite(x) || x < 0) return Status::InvalidArgument("m3 weights must be finite and not negative");
  }
  if (w.dense + w.sparse + w.colbert <= 0) return Status::InvalidArgument("m3 weights must not all be 0");
  return Status::Ok();
}

M3Scores CombineM3Scores(double dense, double sparse, double colbert, const M3Weights& w) {
  M3Scores s;
  s.dense = dense;
  s.sparse = sparse;
  s.colbert = colbert;
  const double two = w.dense + w.sparse;
  s.sparse_dense = two > 0 ? (w.dense * dense + w.sparse * sparse) / two : 0;
  s.combined = (w.dense * dense + w.sparse * sparse + w.colbert * colbert) / (two + w.colbert);
  return s;
}

M3Scores ComputeM3Score(const TextOutputs& query, const TextOutputs& passage, const M3Weights& weights) {
  return CombineM3Scores(DenseScore(query.dense, passage.dense), SparseScore(query.sparse, passage.sparse),
                         ColbertScore(query.colbert, passage.colbert), weights);
}

}  // namespace imi::model
