#ifndef IMI_STORE_EMBEDDED_DISTANCE_H_
#define IMI_STORE_EMBEDDED_DISTANCE_H_

#include <cstddef>

namespace imi::store {

// float32 kernels for the ANN index, dispatched once at start-up to an
// AVX2+FMA version when the CPU has it (portable code otherwise).
// Thread-safe; results may differ from double precision in the last bits.
float DotProduct(const float* a, const float* b, size_t n);
float SquaredL2(const float* a, const float* b, size_t n);
float ManhattanL1(const float* a, const float* b, size_t n);

// Name of the kernel set in use: "avx2-fma" or "portable".
const char* DistanceKernelName();

}  // namespace imi::store

#endif  // IMI_STORE_EMBEDDED_DISTANCE_H_
