#include "store/embedded/distance.h"

#include <cmath>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define IMI_STORE_X86 1
#endif

namespace imi::store {

namespace {

// Eight independent accumulators let the compiler vectorise without
// reassociating a single sum.
float DotPortable(const float* a, const float* b, size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  float sum = 0;
  for (float x : acc) sum += x;
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

float L2Portable(const float* a, const float* b, size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) {
      float d = a[i + j] - b[i + j];
      acc[j] += d * d;
    }
  float sum = 0;
  for (float x : acc) sum += x;
  for (; i < n; ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
  return sum;
}

float L1Portable(const float* a, const float* b, size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += std::fabs(a[i + j] - b[i + j]);
  float sum = 0;
  for (float x : acc) sum += x;
  for (; i < n; ++i) sum += std::fabs(a[i] - b[i]);
  return sum;
}

#ifdef IMI_STORE_X86
__attribute__((target("avx2,fma"))) float HorizontalSum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_hadd_ps(lo, lo);
  lo = _mm_hadd_ps(lo, lo);
  return _mm_cvtss_f32(lo);
}

__attribute__((target("avx2,fma"))) float DotAvx2(const float* a, const float* b, size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  float sum = HorizontalSum(_mm256_add_ps(s0, s1));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

__attribute__((target("avx2,fma"))) float L2Avx2(const float* a, const float* b, size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    s0 = _mm256_fmadd_ps(d0, d0, s0);
    s1 = _mm256_fmadd_ps(d1, d1, s1);
  }
  for (; i + 8 <= n; i += 8) {
    __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    s0 = _mm256_fmadd_ps(d, d, s0);
  }
  float sum = HorizontalSum(_mm256_add_ps(s0, s1));
  for (; i < n; ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
  return sum;
}

__attribute__((target("avx2,fma"))) float L1Avx2(const float* a, const float* b, size_t n) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 s0 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    s0 = _mm256_add_ps(s0, _mm256_andnot_ps(sign, d));
  }
  float sum = HorizontalSum(s0);
  for (; i < n; ++i) sum += std::fabs(a[i] - b[i]);
  return sum;
}
#endif

struct Kernels {
  float (*dot)(const float*, const float*, size_t);
  float (*l2)(const float*, const float*, size_t);
  float (*l1)(const float*, const float*, size_t);
  const char* name;
};

Kernels Choose() {
#ifdef IMI_STORE_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {DotAvx2, L2Avx2, L1Avx2, "avx2-fma"};
#endif
  return {DotPortable, L2Portable, L1Portable, "portable"};
}

const Kernels& Active() {
  static const Kernels kernels = Choose();
  return kernels;
}

}  // namespace

float DotProduct(const float* a, const float* b, size_t n) { return Active().dot(a, b, n); }
float SquaredL2(const float* a, const float* b, size_t n) { return Active().l2(a, b, n); }
float ManhattanL1(const float* a, const float* b, size_t n) { return Active().l1(a, b, n); }
const char* DistanceKernelName() { return Active().name; }

}  // namespace imi::store
