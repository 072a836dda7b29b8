#ifndef IMI_BASE_MAPPED_FILE_H_
#define IMI_BASE_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/result.h"

namespace imi {

// A read-only, private memory mapping of a whole file (the caches of
// docs/deploy.md "Cold start" read their files through it). Movable, not
// copyable; the bytes stay valid until the object is destroyed.
class MappedFile {
 public:
  // NotFound when the file is missing; Internal when it is empty or cannot
  // be mapped. With `populate`, every page is mapped now (MAP_POPULATE: one
  // call instead of a page fault per page later, for files that will be
  // read throughout).
  static Result<MappedFile> Open(const std::string& path, bool populate = false);
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// A 64-bit content hash (not cryptographic; a cache key and a corruption
// check): four independent multiply-xor lanes over 8-byte words, about as
// fast as reading memory. The value is part of on-disk cache names and
// headers: changing the function needs new cache format versions.
uint64_t ContentHash64(const uint8_t* data, size_t size);

}  // namespace imi

#endif  // IMI_BASE_MAPPED_FILE_H_
