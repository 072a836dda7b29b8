#include "store/metric.h"

#include <cctype>
#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace imi::store {

Result<Metric> ParseMetric(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "cosine") return Metric::kCosine;
  if (lower == "l2" || lower == "euclidean") return Metric::kL2;
  if (lower == "ip" || lower == "dot" || lower == "inner_product") return Metric::kIp;
  if (lower == "l1" || lower == "manhattan") return Metric::kL1;
  return Status::InvalidArgument("unknown metric \"" + std::string(name) +
                                 "\"; use one of cosine, l2, ip, l1");
}

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kCosine: return "cosine";
    case Metric::kL2: return "l2";
    case Metric::kIp: return "ip";
    case Metric::kL1: return "l1";
  }
  return "cosine";
}

bool HigherIsBetter(Metric metric) { return metric == Metric::kCosine || metric == Metric::kIp; }

double PgvectorDistance(Metric metric, double score) {
  switch (metric) {
    case Metric::kCosine: return 1.0 - score;
    case Metric::kIp: return -score;
    case Metric::kL2:
    case Metric::kL1: return score;
  }
  return score;
}

bool RanksBefore(Metric metric, double a, double b) { return HigherIsBetter(metric) ? a > b : a < b; }

namespace {

// Sums of eight lanes, lane j taking elements i + j: the AVX2 kernels keep two
// registers of four doubles in exactly this layout, so both give the same bits.
constexpr size_t kLanes = 8;

enum class SumKind { kDot, kSquaredL2, kL1 };

// One element's contribution: a·b, (a-b)², |a-b|, all in double.
double Term(SumKind kind, float a, float b) {
  const double d = static_cast<double>(a) - b;
  switch (kind) {
    case SumKind::kDot: return static_cast<double>(a) * b;
    case SumKind::kSquaredL2: return d * d;
    case SumKind::kL1: return std::fabs(d);
  }
  return 0;
}

// Adds the lanes in order 0..7, then the elements from `i` on one by one.
double AddLanesAndTail(const double* lanes, SumKind kind, const float* a, const float* b, size_t i, size_t n) {
  double sum = 0;
  for (size_t j = 0; j < kLanes; ++j) sum += lanes[j];
  for (; i < n; ++i) sum += Term(kind, a[i], b[i]);
  return sum;
}

double SumPortable(const float* a, const float* b, size_t n, SumKind kind) {
  double lanes[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (size_t j = 0; j < kLanes; ++j) lanes[j] += Term(kind, a[i + j], b[i + j]);
  return AddLanesAndTail(lanes, kind, a, b, i, n);
}

#if defined(__x86_64__)
// Multiply and add stay separate instructions (no FMA) so every rounding
// matches Term.
__attribute__((target("avx2"))) double SumAvx2(const float* a, const float* b, size_t n, SumKind kind) {
  __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
  const __m256d sign = _mm256_set1_pd(-0.0);
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    __m256 va = _mm256_loadu_ps(a + i), vb = _mm256_loadu_ps(b + i);
    __m256d a_lo = _mm256_cvtps_pd(_mm256_castps256_ps128(va)), a_hi = _mm256_cvtps_pd(_mm256_extractf128_ps(va, 1));
    __m256d b_lo = _mm256_cvtps_pd(_mm256_castps256_ps128(vb)), b_hi = _mm256_cvtps_pd(_mm256_extractf128_ps(vb, 1));
    if (kind == SumKind::kDot) {
      lo = _mm256_add_pd(lo, _mm256_mul_pd(a_lo, b_lo));
      hi = _mm256_add_pd(hi, _mm256_mul_pd(a_hi, b_hi));
    } else {
      __m256d d_lo = _mm256_sub_pd(a_lo, b_lo), d_hi = _mm256_sub_pd(a_hi, b_hi);
      if (kind == SumKind::kSquaredL2) {
        lo = _mm256_add_pd(lo, _mm256_mul_pd(d_lo, d_lo));
        hi = _mm256_add_pd(hi, _mm256_mul_pd(d_hi, d_hi));
      } else {
        lo = _mm256_add_pd(lo, _mm256_andnot_pd(sign, d_lo));
        hi = _mm256_add_pd(hi, _mm256_andnot_pd(sign, d_hi));
      }
    }
  }
  alignas(32) double lanes[kLanes];
  _mm256_store_pd(lanes, lo);
  _mm256_store_pd(lanes + 4, hi);
  return AddLanesAndTail(lanes, kind, a, b, i, n);
}

const bool kHaveAvx2 = __builtin_cpu_supports("avx2");
#endif

double Sum(const float* a, const float* b, size_t n, SumKind kind) {
#if defined(__x86_64__)
  if (kHaveAvx2) return SumAvx2(a, b, n, kind);
#endif
  return SumPortable(a, b, n, kind);
}

}  // namespace

QueryScorer::QueryScorer(Metric metric, const float* query, size_t dim)
    : metric_(metric), query_(query), dim_(dim) {
  if (metric_ == Metric::kCosine) query_norm_squared_ = Sum(query_, query_, dim_, SumKind::kDot);
}

double QueryScorer::Score(const float* vector) const {
  switch (metric_) {
    case Metric::kCosine: {
      double dot = Sum(query_, vector, dim_, SumKind::kDot);
      double norm_squared = Sum(vector, vector, dim_, SumKind::kDot);
      if (query_norm_squared_ == 0 || norm_squared == 0) return 0;
      return dot / std::sqrt(query_norm_squared_ * norm_squared);
    }
    case Metric::kL2: return std::sqrt(Sum(query_, vector, dim_, SumKind::kSquaredL2));
    case Metric::kIp: return Sum(query_, vector, dim_, SumKind::kDot);
    case Metric::kL1: return Sum(query_, vector, dim_, SumKind::kL1);
  }
  return 0;
}

double Score(Metric metric, const float* a, const float* b, size_t dim) {
  return QueryScorer(metric, a, dim).Score(b);
}

}  // namespace imi::store
