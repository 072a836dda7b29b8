#ifndef IMI_MODEL_ZIP_ARCHIVE_H_
#define IMI_MODEL_ZIP_ARCHIVE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace imi::model {

// A read-only view of a zip archive whose records are all stored
// (uncompressed), the container torch.save writes (PKWARE APPNOTE 6.3:
// central directory, zip64 end records and extra fields supported; one disk).
// Compressed, encrypted or split archives are DataLoss/Unsupported with the
// record named. Every record's CRC-32 is checked when the archive is opened.
// The archive does not own `bytes`: they must outlive it. Thread-safe (const).
class ZipArchive {
 public:
  // Parses the central directory and checks every record. `source` names the
  // file in messages. DataLoss for a damaged or truncated archive,
  // Unsupported for compression, encryption or several disks.
  static Result<ZipArchive> Open(std::string_view bytes, std::string source);

  // Every record by name.
  const std::map<std::string, std::string_view>& records() const { return records_; }
  // The bytes of one record; NotFound names the record and the file.
  Result<std::string_view> Read(const std::string& name) const;

 private:
  ZipArchive() = default;

  std::string source_;
  std::map<std::string, std::string_view> records_;
};

// The CRC-32 of zip (ISO 3309 / ITU-T V.42 polynomial 0xEDB88320).
uint32_t Crc32(std::string_view bytes);

}  // namespace imi::model

#endif  // IMI_MODEL_ZIP_ARCHIVE_H_
