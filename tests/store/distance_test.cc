#include "store/embedded/distance.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace imi::store {
namespace {

TEST(DistanceTest, KernelsAgreeWithDoublePrecisionForEveryLength) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-2, 2);
  for (size_t n : {1u, 7u, 8u, 15u, 16u, 17u, 33u, 384u, 1027u}) {
    std::vector<float> a(n), b(n);
    for (size_t i = 0; i < n; ++i) {
      a[i] = dist(rng);
      b[i] = dist(rng);
    }
    double dot = 0, l2 = 0, l1 = 0;
    for (size_t i = 0; i < n; ++i) {
      dot += double(a[i]) * b[i];
      l2 += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
      l1 += std::fabs(double(a[i]) - b[i]);
    }
    double tol = 1e-5 * static_cast<double>(n) + 1e-6;
    EXPECT_NEAR(DotProduct(a.data(), b.data(), n), dot, tol) << n;
    EXPECT_NEAR(SquaredL2(a.data(), b.data(), n), l2, tol) << n;
    EXPECT_NEAR(ManhattanL1(a.data(), b.data(), n), l1, tol) << n;
  }
  std::string name = DistanceKernelName();
  EXPECT_TRUE(name == "avx2-fma" || name == "portable") << name;
}

}  // namespace
}  // namespace imi::store
