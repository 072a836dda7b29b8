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

bool RanksBefore(Metric metric, double a, double b) { return HigherIsBetter(metric) ? a > b : a < b; }

namespace {

// Sums of eight lanes, lane j taking elements i + j: the AVX2 kernels keep two
// registers of four doubles in exactly this layout, so both give the same bits.
constexpr size_t kLanes = 8;

double AddLanes(const double* lanes) {
  double sum = 0;
  for (size_t j = 0; j < kLanes; ++j) sum += lanes[j];
  return sum;
}

// sum a[i] * b[i]
double DotPortable(const float* a, const float* b, size_t n) {
  double lanes[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (size_t j = 0; j < kLanes; ++j) lanes[j] += static_cast<double>(a[i + j]) * b[i + j];
  double sum = AddLanes(lanes);
  for (; i < n; ++i) sum += static_cast<double>(a[i]) * b[i];
  return sum;
}

// sum (a[i] - b[i])^2
double SquaredL2Portable(const float* a, const float* b, size_t n) {
  double lanes[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (size_t j = 0; j < kLanes; ++j) {
      double d = static_cast<double>(a[i + j]) - b[i + j];
      lanes[j] += d * d;
    }
  double sum = AddLanes(lanes);
  for (; i < n; ++i) {
    double d = static_cast<double>(a[i]) - b[i];
    sum += d * d;
  }
  return sum;
}

// sum |a[i] - b[i]|
double L1Portable(const float* a, const float* b, size_t n) {
  double lanes[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (size_t j = 0; j < kLanes; ++j) lanes[j] += std::fabs(static_cast<double>(a[i + j]) - b[i + j]);
  double sum = AddLanes(lanes);
  for (; i < n; ++i) sum += std::fabs(static_cast<double>(a[i]) - b[i]);
  return sum;
}

#if defined(__x86_64__)
// Multiply and add stay separate instructions (no FMA) so every rounding
// matches the portable loops.
__attribute__((target("avx2"))) double Finish(__m256d lo, __m256d hi, const float* a, const float* b, size_t i,
                                              size_t n, int kind) {
  alignas(32) double lanes[kLanes];
  _mm256_store_pd(lanes, lo);
  _mm256_store_pd(lanes + 4, hi);
  double sum = AddLanes(lanes);
  for (; i < n; ++i) {
    double d = static_cast<double>(a[i]) - b[i];
    if (kind == 0) sum += static_cast<double>(a[i]) * b[i];
    if (kind == 1) sum += d * d;
    if (kind == 2) sum += std::fabs(d);
  }
  return sum;
}

// kind: 0 dot, 1 squared L2, 2 L1.
__attribute__((target("avx2"))) double SumAvx2(const float* a, const float* b, size_t n, int kind) {
  __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
  const __m256d sign = _mm256_set1_pd(-0.0);
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    __m256 va = _mm256_loadu_ps(a + i), vb = _mm256_loadu_ps(b + i);
    __m256d a_lo = _mm256_cvtps_pd(_mm256_castps256_ps128(va)), a_hi = _mm256_cvtps_pd(_mm256_extractf128_ps(va, 1));
    __m256d b_lo = _mm256_cvtps_pd(_mm256_castps256_ps128(vb)), b_hi = _mm256_cvtps_pd(_mm256_extractf128_ps(vb, 1));
    if (kind == 0) {
      lo = _mm256_add_pd(lo, _mm256_mul_pd(a_lo, b_lo));
      hi = _mm256_add_pd(hi, _mm256_mul_pd(a_hi, b_hi));
    } else {
      __m256d d_lo = _mm256_sub_pd(a_lo, b_lo), d_hi = _mm256_sub_pd(a_hi, b_hi);
      if (kind == 1) {
        lo = _mm256_add_pd(lo, _mm256_mul_pd(d_lo, d_lo));
        hi = _mm256_add_pd(hi, _mm256_mul_pd(d_hi, d_hi));
      } else {
        lo = _mm256_add_pd(lo, _mm256_andnot_pd(sign, d_lo));
        hi = _mm256_add_pd(hi, _mm256_andnot_pd(sign, d_hi));
      }
    }
  }
  return Finish(lo, hi, a, b, i, n, kind);
}

const bool kHaveAvx2 = __builtin_cpu_supports("avx2");
#endif

double Sum(const float* a, const float* b, size_t n, int kind) {
#if defined(__x86_64__)
  if (kHaveAvx2) return SumAvx2(a, b, n, kind);
#endif
  if (kind == 0) return DotPortable(a, b, n);
  if (kind == 1) return SquaredL2Portable(a, b, n);
  return L1Portable(a, b, n);
}

}  // namespace

QueryScorer::QueryScorer(Metric metric, const float* query, size_t dim)
    : metric_(metric), query_(query), dim_(dim) {
  if (metric_ == Metric::kCosine) query_norm_squared_ = Sum(query_, query_, dim_, 0);
}

double QueryScorer::Score(const float* vector) const {
  switch (metric_) {
    case Metric::kCosine: {
      double dot = Sum(query_, vector, dim_, 0);
      double norm_squared = Sum(vector, vector, dim_, 0);
      if (query_norm_squared_ == 0 || norm_squared == 0) return 0;
      return dot / std::sqrt(query_norm_squared_ * norm_squared);
    }
    case Metric::kL2: return std::sqrt(Sum(query_, vector, dim_, 1));
    case Metric::kIp: return Sum(query_, vector, dim_, 0);
    case Metric::kL1: return Sum(query_, vector, dim_, 2);
  }
  return 0;
}

double Score(Metric metric, const float* a, const float* b, size_t dim) {
  return QueryScorer(metric, a, dim).Score(b);
}

}  // namespace imi::store
