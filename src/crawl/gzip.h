#ifndef IMI_CRAWL_GZIP_H_
#define IMI_CRAWL_GZIP_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace imi::crawl {

// Whether `data` starts with the gzip magic bytes 1f 8b.
bool LooksGzipped(std::string_view data);

// Decompresses gzip (or zlib) `data`, concatenated members included.
// TooLarge when the output would exceed `max_bytes` (a "gzip bomb" stops
// there); InvalidArgument for corrupt or truncated data. Thread-safe.
Result<std::string> Gunzip(std::string_view data, size_t max_bytes);

}  // namespace imi::crawl

#endif  // IMI_CRAWL_GZIP_H_
