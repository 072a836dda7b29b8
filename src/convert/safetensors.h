#ifndef IMI_CONVERT_SAFETENSORS_H_
#define IMI_CONVERT_SAFETENSORS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace imi::convert {

// Element types of the safetensors format.
enum class StDType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };

size_t StDTypeSize(StDType t);
std::string_view StDTypeName(StDType t);

// One tensor of a mapped file: a view that lives as long as its file.
struct StTensor {
  std::string name;
  StDType dtype = StDType::kF32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  size_t bytes = 0;
};

// A safetensors file (8-byte little-endian header length, JSON header,
// raw little-endian data), memory-mapped read-only. The header is validated
// strictly: at most 100 MB, a JSON object of tensors with a known dtype, a
// shape of non-negative sizes and data_offsets that agree with the shape and
// tile the data area exactly (no gaps, no overlaps, nothing past the end),
// an optional "__metadata__" of string values, no duplicate names.
// Immutable after Open; const methods are thread-safe.
class SafetensorsFile {
 public:
  // NotFound for a missing file; DataLoss naming the file and the problem
  // for anything malformed; IoError when it cannot be mapped.
  static Result<std::unique_ptr<SafetensorsFile>> Open(const std::string& path);
  // Validates an in-memory image (the fuzzer's entry point); `bytes` must
  // outlive the result.
  static Result<std::unique_ptr<SafetensorsFile>> FromBuffer(std::string_view bytes,
                                                             const std::string& label);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  // Every tensor of the file, by name.
  const std::map<std::string, StTensor>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const StTensor* Find(const std::string& name) const;

 private:
  SafetensorsFile() = default;
  static Result<std::unique_ptr<SafetensorsFile>> Parse(std::unique_ptr<SafetensorsFile> f,
                                                        const uint8_t* base, size_t size);

  std::string path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  std::map<std::string, StTensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Converts a float tensor (F32, F16, BF16 or F64) to float32 values
// (F64 rounds to nearest). Unsupported names the tensor for other types.
Result<std::vector<float>> ToFloat32(const StTensor& t);

}  // namespace imi::convert

#endif  // IMI_CONVERT_SAFETENSORS_H_
