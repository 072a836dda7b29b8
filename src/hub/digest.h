#ifndef IMI_HUB_DIGEST_H_
#define IMI_HUB_DIGEST_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace imi::hub {

// Incremental SHA-256 (FIPS 180-4). Feed bytes with Update, read the digest
// once with HexDigest. Not thread-safe; cheap to copy.
class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  // Lowercase hex of the 32-byte digest; ends the computation.
  std::string HexDigest();

 private:
  void Compress(const uint8_t* block);
  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// Incremental SHA-1, used only to check a git blob id (the hub's ETag for
// files stored in git rather than LFS). Same contract as Sha256.
class Sha1 {
 public:
  Sha1();
  void Update(std::string_view data);
  // Lowercase hex of the 20-byte digest; ends the computation.
  std::string HexDigest();

 private:
  void Compress(const uint8_t* block);
  std::array<uint32_t, 5> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace imi::hub

#endif  // IMI_HUB_DIGEST_H_
