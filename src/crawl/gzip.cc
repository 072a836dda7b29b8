// zlib adapter: the only file that includes zlib.
#include "crawl/gzip.h"

#include <zlib.h>

namespace imi::crawl {

bool LooksGzipped(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f && static_cast<unsigned char>(data[1]) == 0x8b;
}

Result<std::string> Gunzip(std::string_view data, size_t max_bytes) {
  z_stream zs{};
  // 15 + 32: any window size, gzip or zlib header detected automatically.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Status::Internal("zlib could not start inflating");
  std::string out;
  char buffer[64 * 1024];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  Status status = Status::Ok();
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof(buffer);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t produced = sizeof(buffer) - zs.avail_out;
    if (out.size() + produced > max_bytes) {
      status = Status::TooLarge("decompressed data larger than " + std::to_string(max_bytes) + " bytes");
      break;
    }
    out.append(buffer, produced);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another gzip member follows (allowed by RFC 1952).
      if (inflateReset(&zs) != Z_OK) {
        status = Status::Internal("zlib could not restart inflating");
        break;
      }
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      status = Status::InvalidArgument("gzip data is truncated");
      break;
    }
    if (rc != Z_OK) {
      status = Status::InvalidArgument(std::string("gzip data is corrupt: ") + (zs.msg ? zs.msg : "inflate failed"));
      break;
    }
  }
  inflateEnd(&zs);
  if (!status.ok()) return status;
  return out;
}

}  // namespace imi::crawl
