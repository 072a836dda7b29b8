#include "model/torch_state_dict.h"

#include <bit>
#include <cstring>
#include <filesystem>

#include "base/file.h"
#include "model/torch_pickle.h"
#include "model/zip_archive.h"

namespace imi::model {
namespace {

constexpr uint64_t kMaxFileBytes = uint64_t{1} << 30;
// Floats a state dict may expand to in total (1 GiB of float32).
constexpr uint64_t kMaxValues = uint64_t{1} << 28;

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf, NaN
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalise into a float exponent.
    int e = -1;
    do {
      ++e;
      mantissa <<= 1;
    } while ((mantissa & 0x400) == 0);
    bits = sign | (static_cast<uint32_t>(112 - e) << 23) | ((mantissa & 0x3ff) << 13);
  }
  return std::bit_cast<float>(bits);
}

float ElementAt(std::string_view data, TorchDtype dtype, uint64_t index) {
  const char* p = data.data() + index * TorchDtypeSize(dtype);
  switch (dtype) {
    case TorchDtype::kFloat32: {
      uint32_t bits;
      std::memcpy(&bits, p, 4);
      return std::bit_cast<float>(bits);
    }
    case TorchDtype::kFloat16: {
      uint16_t bits;
      std::memcpy(&bits, p, 2);
      return HalfToFloat(bits);
    }
    case TorchDtype::kBFloat16: {
      uint16_t bits;
      std::memcpy(&bits, p, 2);
      return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
    }
    case TorchDtype::kFloat64: {
      uint64_t bits;
      std::memcpy(&bits, p, 8);
      return static_cast<float>(std::bit_cast<double>(bits));
    }
  }
  return 0;
}

// Copies a strided view out of its storage, after checking that every
// element it addresses lies inside the storage.
Result<FloatTensor> Gather(const std::string& name, const PickledTensor& t, std::string_view storage,
                           uint64_t* budget) {
  const std::string where = "tensor '" + name + "'";
  if (t.offset < 0 || t.offset > t.storage_numel) return Status::DataLoss(where + " starts outside its storage");
  if (t.size.size() > 64) return Status::DataLoss(where + " has more than 64 dimensions");
  uint64_t numel = 1;
  uint64_t last = static_cast<uint64_t>(t.offset);  // highest element index addressed
  for (size_t d = 0; d < t.size.size(); ++d) {
    if (t.size[d] < 0 || t.stride[d] < 0) return Status::DataLoss(where + " has a negative size or stride");
    if (t.size[d] == 0) {
      numel = 0;
      continue;
    }
    const uint64_t size = static_cast<uint64_t>(t.size[d]);
    const uint64_t stride = static_cast<uint64_t>(t.stride[d]);
    if (size > kMaxValues || numel > kMaxValues / size) return Status::TooLarge(where + " is too large");
    numel *= size;
    if (stride > kMaxValues) return Status::DataLoss(where + " has strides beyond any storage");
    last += (size - 1) * stride;  // at most 64 * 2^56: no overflow
  }
  if (numel > *budget) return Status::TooLarge("the state dict holds more than " + std::to_string(kMaxValues) + " values");
  *budget -= numel;
  if (numel > 0 && last >= static_cast<uint64_t>(t.storage_numel)) {
    return Status::DataLoss(where + " reaches element " + std::to_string(last) + " of a storage of " +
                            std::to_string(t.storage_numel));
  }
  FloatTensor out;
  out.shape = t.size;
  out.values.resize(numel);
  if (numel == 0) return out;
  std::vector<int64_t> index(t.size.size(), 0);
  for (uint64_t i = 0; i < numel; ++i) {
    uint64_t at = static_cast<uint64_t>(t.offset);
    for (size_t d = 0; d < index.size(); ++d) at += static_cast<uint64_t>(index[d] * t.stride[d]);
    out.values[i] = ElementAt(storage, t.dtype, at);
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < t.size[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

}  // namespace

Result<std::map<std::string, FloatTensor>> ReadTorchStateDict(std::string_view bytes, const std::string& source) {
  if (bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x80 && bytes.substr(0, 4) != "PK\x03\x04") {
    return Status::Unsupported(source + " is in torch's legacy (pre-1.6) format; re-save it with a current torch "
                                        "(torch.save(torch.load(f), f))");
  }
  IMI_ASSIGN_OR_RETURN(ZipArchive zip, ZipArchive::Open(bytes, source));
  std::string prefix;
  for (const auto& [name, data] : zip.records()) {
    const size_t slash = name.find('/');
    if (slash != std::string::npos && name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      if (!prefix.empty()) return Status::InvalidArgument(source + " holds more than one pickled object");
      prefix = name.substr(0, slash + 1);
    }
  }
  if (prefix.empty()) {
    return Status::Unsupported(source + " is a zip archive without a <name>/data.pkl record: not a state dict "
                                        "written by torch.save");
  }
  for (const auto& [name, data] : zip.records()) {
    if (name.compare(0, prefix.size(), prefix) != 0) {
      return Status::InvalidArgument(source + ": record '" + name + "' is outside " + prefix);
    }
  }
  auto order = zip.records().find(prefix + "byteorder");
  if (order != zip.records().end() && order->second != "little") {
    return Status::Unsupported(source + " was saved on a big-endian machine (byteorder '" + std::string(order->second) +
                               "')");
  }
  IMI_ASSIGN_OR_RETURN(std::string_view pickle, zip.Read(prefix + "data.pkl"));
  auto tensors = ParseStateDictPickle(pickle);
  if (!tensors.ok()) return tensors.status().WithContext(source);
  std::map<std::string, FloatTensor> out;
  uint64_t budget = kMaxValues;
  for (const auto& [name, t] : *tensors) {
    auto storage = zip.Read(prefix + "data/" + t.storage_key);
    if (!storage.ok()) return Status::DataLoss(source + ": tensor '" + name + "' names a missing storage " + t.storage_key);
    const uint64_t want = static_cast<uint64_t>(t.storage_numel) * TorchDtypeSize(t.dtype);
    if (static_cast<uint64_t>(t.storage_numel) > kMaxValues || storage->size() != want) {
      return Status::DataLoss(source + ": storage " + t.storage_key + " has " + std::to_string(storage->size()) +
                              " bytes, its record says " + std::to_string(t.storage_numel) + " elements");
    }
    auto tensor = Gather(name, t, *storage, &budget);
    if (!tensor.ok()) return tensor.status().WithContext(source);
    out.emplace(name, std::move(tensor).value());
  }
  return out;
}

Result<std::map<std::string, FloatTensor>> ReadTorchStateDictFile(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::NotFound("cannot read " + path + ": " + ec.message());
  if (size > kMaxFileBytes) {
    return Status::TooLarge(path + " has " + std::to_string(size) + " bytes; imi reads state dicts up to 1 GiB");
  }
  IMI_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return ReadTorchStateDict(bytes, path);
}

}  // namespace imi::model
