#include "model/zip_archive.h"

#include <array>
#include <cstring>

namespace imi::model {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndOfCentralDirectory = 0x06054b50;
constexpr uint32_t kZip64End = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr size_t kEndSize = 22;
constexpr size_t kCentralSize = 46;
constexpr size_t kLocalSize = 30;
constexpr size_t kMaxComment = 0xffff;
// More records than any torch state dict has; bounds work on hostile input.
constexpr uint64_t kMaxRecords = 1 << 16;

// Little-endian reads at an offset already checked against the size.
uint16_t U16(std::string_view b, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(b[at]) | static_cast<uint8_t>(b[at + 1]) << 8);
}
uint32_t U32(std::string_view b, size_t at) { return U16(b, at) | static_cast<uint32_t>(U16(b, at + 2)) << 16; }
uint64_t U64(std::string_view b, size_t at) { return U32(b, at) | static_cast<uint64_t>(U32(b, at + 4)) << 32; }

bool Fits(std::string_view b, uint64_t at, uint64_t size) { return at <= b.size() && size <= b.size() - at; }

// Sizes and offset of one central directory entry, widened by its zip64
// extra field (header id 1) where the 32-bit fields are saturated.
struct Entry {
  uint64_t compressed = 0;
  uint64_t size = 0;
  uint64_t offset = 0;
};

Status ReadZip64Extra(std::string_view extra, Entry* e, bool need_size, bool need_compressed, bool need_offset,
                      const std::string& where) {
  size_t at = 0;
  while (at + 4 <= extra.size()) {
    const uint16_t id = U16(extra, at);
    const uint16_t len = U16(extra, at + 2);
    if (at + 4 + len > extra.size()) break;
    if (id == 1) {
      std::string_view field = extra.substr(at + 4, len);
      size_t p = 0;
      auto take = [&](uint64_t* v) {
        if (p + 8 > field.size()) return false;
        *v = U64(field, p);
        p += 8;
        return true;
      };
      if ((need_size && !take(&e->size)) || (need_compressed && !take(&e->compressed)) ||
          (need_offset && !take(&e->offset))) {
        return Status::DataLoss(where + ": zip64 extra field too short");
      }
      return Status::Ok();
    }
    at += 4 + len;
  }
  return Status::DataLoss(where + ": sizes say zip64 but the zip64 extra field is missing");
}

}  // namespace

uint32_t Crc32(std::string_view bytes) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xffffffffu;
  for (char ch : bytes) crc = table[(crc ^ static_cast<uint8_t>(ch)) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

Result<ZipArchive> ZipArchive::Open(std::string_view bytes, std::string source) {
  if (bytes.size() < kEndSize) return Status::DataLoss(source + " is too short to be a zip archive");
  // The end record sits in the last 22 + comment bytes; search backwards.
  size_t end = std::string_view::npos;
  const size_t lowest = bytes.size() > kEndSize + kMaxComment ? bytes.size() - kEndSize - kMaxComment : 0;
  for (size_t at = bytes.size() - kEndSize + 1; at-- > lowest;) {
    if (U32(bytes, at) == kEndOfCentralDirectory && at + kEndSize + U16(bytes, at + 20) == bytes.size()) {
      end = at;
      break;
    }
  }
  if (end == std::string_view::npos) {
    return Status::DataLoss(source + " is not a zip archive (no end of central directory record)");
  }
  if (U16(bytes, end + 4) != 0 || U16(bytes, end + 6) != 0) {
    return Status::Unsupported(source + " is a zip archive split over several disks");
  }
  uint64_t count = U16(bytes, end + 10);
  uint64_t directory_size = U32(bytes, end + 12);
  uint64_t directory_offset = U32(bytes, end + 16);
  if (count == 0xffff || directory_size == 0xffffffffu || directory_offset == 0xffffffffu) {
    // Zip64: a locator right before the end record points at the zip64 end record.
    if (end < 20 || U32(bytes, end - 20) != kZip64Locator) {
      return Status::DataLoss(source + ": zip64 sizes without a zip64 end locator");
    }
    const uint64_t at = U64(bytes, end - 20 + 8);
    if (!Fits(bytes, at, 56) || U32(bytes, at) != kZip64End) {
      return Status::DataLoss(source + ": the zip64 end record is missing or damaged");
    }
    count = U64(bytes, at + 32);
    directory_size = U64(bytes, at + 40);
    directory_offset = U64(bytes, at + 48);
  }
  if (count > kMaxRecords || count * kCentralSize > directory_size || !Fits(bytes, directory_offset, directory_size)) {
    return Status::DataLoss(source + ": the central directory lies outside the file or is damaged");
  }

  ZipArchive archive;
  archive.source_ = std::move(source);
  const std::string& src = archive.source_;
  uint64_t at = directory_offset;
  const uint64_t directory_end = directory_offset + directory_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (at + kCentralSize > directory_end || U32(bytes, at) != kCentralHeader) {
      return Status::DataLoss(src + ": central directory entry " + std::to_string(i) + " is damaged");
    }
    const uint16_t flags = U16(bytes, at + 8);
    const uint16_t method = U16(bytes, at + 10);
    const uint32_t crc = U32(bytes, at + 16);
    Entry e{U32(bytes, at + 20), U32(bytes, at + 24), U32(bytes, at + 42)};
    const uint16_t name_len = U16(bytes, at + 28);
    const uint16_t extra_len = U16(bytes, at + 30);
    const uint16_t comment_len = U16(bytes, at + 32);
    if (at + kCentralSize + name_len + extra_len + comment_len > directory_end) {
      return Status::DataLoss(src + ": central directory entry " + std::to_string(i) + " runs past the directory");
    }
    std::string name(bytes.substr(at + kCentralSize, name_len));
    const std::string where = src + ": record '" + name + "'";
    const bool need_size = e.size == 0xffffffffu;
    const bool need_compressed = e.compressed == 0xffffffffu;
    const bool need_offset = e.offset == 0xffffffffu;
    if (need_size || need_compressed || need_offset) {
      IMI_RETURN_IF_ERROR(ReadZip64Extra(bytes.substr(at + kCentralSize + name_len, extra_len), &e, need_size,
                                         need_compressed, need_offset, where));
    }
    if (flags & 0x41) return Status::Unsupported(where + " is encrypted");
    if (method != 0) {
      return Status::Unsupported(where + " is compressed (method " + std::to_string(method) +
                                 "); torch.save writes stored records only");
    }
    if (e.compressed != e.size) return Status::DataLoss(where + ": stored record with two different sizes");
    if (!Fits(bytes, e.offset, kLocalSize) || U32(bytes, e.offset) != kLocalHeader) {
      return Status::DataLoss(where + ": local header missing");
    }
    const uint16_t local_name = U16(bytes, e.offset + 26);
    const uint16_t local_extra = U16(bytes, e.offset + 28);
    const uint64_t data = e.offset + kLocalSize + local_name + local_extra;
    if (!Fits(bytes, e.offset + kLocalSize, local_name) ||
        bytes.substr(e.offset + kLocalSize, local_name) != name) {
      return Status::DataLoss(where + ": local header names another record");
    }
    if (!Fits(bytes, data, e.size)) return Status::DataLoss(where + " runs past the end of the file");
    std::string_view contents = bytes.substr(data, e.size);
    if (Crc32(contents) != crc) return Status::DataLoss(where + " fails its CRC-32 check");
    if (!archive.records_.emplace(std::move(name), contents).second) {
      return Status::DataLoss(where + " appears twice");
    }
    at += kCentralSize + name_len + extra_len + comment_len;
  }
  return archive;
}

Result<std::string_view> ZipArchive::Read(const std::string& name) const {
  auto it = records_.find(name);
  if (it == records_.end()) return Status::NotFound(source_ + " has no record '" + name + "'");
  return it->second;
}

}  // namespace imi::model
