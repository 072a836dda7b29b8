#ifndef IMI_STORE_EMBEDDED_CRC32C_H_
#define IMI_STORE_EMBEDDED_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace imi::store {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of `size` bytes,
// continuing from `crc` (0 to start). Thread-safe.
uint32_t Crc32c(const void* data, size_t size, uint32_t crc = 0);

}  // namespace imi::store

#endif  // IMI_STORE_EMBEDDED_CRC32C_H_
