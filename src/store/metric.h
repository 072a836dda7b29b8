#ifndef IMI_STORE_METRIC_H_
#define IMI_STORE_METRIC_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace imi::store {

// Similarity measures. Scores (docs/store-format.md):
//   cosine: cosine similarity = 1 - cosine distance   (higher is better)
//   l2:     Euclidean distance                          (lower is better)
//   ip:     inner product (pgvector's <#> is its NEGATIVE) (higher is better)
//   l1:     Manhattan (taxicab) distance                (lower is better)
enum class Metric { kCosine, kL2, kIp, kL1 };

// "cosine", "l2", "ip", "l1" (case-insensitive; also "euclidean", "dot",
// "inner_product", "manhattan"). InvalidArgument names the accepted values.
Result<Metric> ParseMetric(std::string_view name);
// Canonical lower-case name.
std::string_view MetricName(Metric metric);
// True for cosine and ip.
bool HigherIsBetter(Metric metric);
// pgvector's distance for a score: what `<=>`, `<->`, `<#>` and `<+>` return
// for the same vectors (1 - score, score, -score, score), lower is better
// for every metric.
double PgvectorDistance(Metric metric, double score);
// True when score `a` ranks strictly before score `b`.
bool RanksBefore(Metric metric, double a, double b);
// The score of `b` against query `a` (both `dim` floats), computed in double.
// Cosine of a zero vector is 0. Equals QueryScorer(metric, a, dim).Score(b).
double Score(Metric metric, const float* a, const float* b, size_t dim);

// Scores many vectors against one query (an exact scan): the query's norm is
// computed once and the double-precision sums run eight lanes wide (AVX2 when
// the CPU has it). Every CPU gives bit-identical scores: float products and
// differences are exact in double, and the lanes are added in a fixed order.
// Keeps a pointer to `query`, which must outlive it; Score is thread-safe.
class QueryScorer {
 public:
  QueryScorer(Metric metric, const float* query, size_t dim);
  // The score of `vector` (`dim` floats) against the query.
  double Score(const float* vector) const;

 private:
  Metric metric_;
  const float* query_;
  size_t dim_;
  double query_norm_squared_ = 0;
};

}  // namespace imi::store

#endif  // IMI_STORE_METRIC_H_
