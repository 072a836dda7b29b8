#include "convert/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "base/utf8.h"

namespace imi::convert {
namespace {

using Json = nlohmann::json;
// The safetensors reference implementation refuses headers above 100 MB.
constexpr uint64_t kMaxHeaderBytes = 100ull * 1000 * 1000;

bool ParseDType(const std::string& s, StDType* out) {
  static const std::pair<const char*, StDType> kNames[] = {
      {"F64", StDType::kF64}, {"F32", StDType::kF32}, {"F16", StDType::kF16},
      {"BF16", StDType::kBF16}, {"I64", StDType::kI64}, {"I32", StDType::kI32},
      {"I16", StDType::kI16}, {"I8", StDType::kI8},   {"U8", StDType::kU8},
      {"BOOL", StDType::kBool}};
  for (const auto& [name, t] : kNames) {
    if (s == name) {
      *out = t;
      return true;
    }
  }
  return false;
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  float f;
  if (exp == 0) {
    f = std::ldexp(static_cast<float>(mant), -24);  // zero or subnormal
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    bits |= sign;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  uint32_t bits;
  if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf / nan
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

size_t StDTypeSize(StDType t) {
  switch (t) {
    case StDType::kF64:
    case StDType::kI64:
      return 8;
    case StDType::kF32:
    case StDType::kI32:
      return 4;
    case StDType::kF16:
    case StDType::kBF16:
    case StDType::kI16:
      return 2;
    case StDType::kI8:
    case StDType::kU8:
    case StDType::kBool:
      return 1;
  }
  return 1;
}

std::string_view StDTypeName(StDType t) {
  switch (t) {
    case StDType::kF64: return "F64";
    case StDType::kF32: return "F32";
    case StDType::kF16: return "F16";
    case StDType::kBF16: return "BF16";
    case StDType::kI64: return "I64";
    case StDType::kI32: return "I32";
    case StDType::kI16: return "I16";
    case StDType::kI8: return "I8";
    case StDType::kU8: return "U8";
    case StDType::kBool: return "BOOL";
  }
  return "?";
}

SafetensorsFile::~SafetensorsFile() {
  if (map_ != nullptr) munmap(map_, map_size_);
}

const StTensor* SafetensorsFile::Find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no safetensors file at " + path);
    return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Status::IoError(path + " is not a regular file");
  }
  std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = path;
  f->map_size_ = static_cast<size_t>(st.st_size);
  if (f->map_size_ > 0) {
    void* m = mmap(nullptr, f->map_size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      close(fd);
      return Status::IoError("cannot map " + path + ": " + std::strerror(errno));
    }
    f->map_ = m;
  }
  close(fd);
  const auto* base = static_cast<const uint8_t*>(f->map_);
  const size_t size = f->map_size_;
  return Parse(std::move(f), base, size);
}

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::FromBuffer(std::string_view bytes,
                                                                     const std::string& label) {
  std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = label;
  return Parse(std::move(f), reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Parse(std::unique_ptr<SafetensorsFile> f,
                                                                const uint8_t* base, size_t size) {
  const std::string& p = f->path_;
  auto bad = [&](const std::string& why) { return Status::DataLoss(p + ": not a valid safetensors file: " + why); };
  if (size < 8) return bad("shorter than its 8-byte header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | base[i];
  if (header_len > kMaxHeaderBytes) return bad("header length " + std::to_string(header_len) + " exceeds 100 MB");
  if (header_len > size - 8) return bad("header length " + std::to_string(header_len) + " runs past the end of the file");
  const std::string_view header(reinterpret_cast<const char*>(base + 8), header_len);
  if (header.empty() || header[0] != '{') return bad("the header does not start with '{'");
  if (utf8::FindInvalid(header) != std::string_view::npos) return bad("the header is not valid UTF-8");

  // Duplicate keys at the top level would silently shadow a tensor.
  std::set<std::string> seen;
  bool duplicate = false;
  std::string duplicate_name;
  Json::parser_callback_t cb = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth == 1 && event == Json::parse_event_t::key) {
      const std::string key = parsed.get<std::string>();
      if (!seen.insert(key).second && !duplicate) {
        duplicate = true;
        duplicate_name = key;
      }
    }
    return true;
  };
  Json j = Json::parse(header.begin(), header.end(), cb, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("the header is not a JSON object");
  if (duplicate) return bad("tensor '" + duplicate_name + "' appears twice in the header");

  const uint64_t data_size = size - 8 - header_len;
  const uint8_t* data = base + 8 + header_len;
  struct Span {
    uint64_t begin, end;
    std::string name;
  };
  std::vector<Span> spans;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    const Json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) return bad("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) return bad("__metadata__ value '" + m.key() + "' is not a string");
        f->metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string what = "tensor '" + name + "'";
    if (!v.is_object()) return bad(what + " is not an object");
    for (auto k = v.begin(); k != v.end(); ++k) {
      if (k.key() != "dtype" && k.key() != "shape" && k.key() != "data_offsets") {
        return bad(what + " has an unknown field '" + k.key() + "'");
      }
    }
    StTensor t;
    t.name = name;
    auto dt = v.find("dtype");
    if (dt == v.end() || !dt->is_string()) return bad(what + " has no string dtype");
    if (!ParseDType(dt->get<std::string>(), &t.dtype)) {
      return bad(what + " has dtype '" + dt->get<std::string>() + "', which imi does not read");
    }
    auto shape = v.find("shape");
    if (shape == v.end() || !shape->is_array()) return bad(what + " has no shape array");
    uint64_t count = 1;
    for (const auto& d : *shape) {
      if (!d.is_number_unsigned()) return bad(what + " has a shape entry that is not a non-negative integer");
      const uint64_t n = d.get<uint64_t>();
      if (n > 0 && count > (std::numeric_limits<uint64_t>::max() / 16) / n) return bad(what + " has an impossibly large shape");
      count *= n;
      t.shape.push_back(static_cast<int64_t>(n));
    }
    auto off = v.find("data_offsets");
    if (off == v.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned()) {
      return bad(what + " has no data_offsets [begin, end]");
    }
    const uint64_t begin = (*off)[0].get<uint64_t>();
    const uint64_t end = (*off)[1].get<uint64_t>();
    if (begin > end || end > data_size) {
      return bad(what + " has data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                 "] outside the data area of " + std::to_string(data_size) + " bytes");
    }
    const uint64_t bytes = count * StDTypeSize(t.dtype);
    if (end - begin != bytes) {
      return bad(what + " has " + std::to_string(end - begin) + " bytes of data but its shape needs " +
                 std::to_string(bytes));
    }
    t.data = data + begin;
    t.bytes = static_cast<size_t>(bytes);
    spans.push_back({begin, end, name});
    f->tensors_[name] = std::move(t);
  }
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t at = 0;
  for (const auto& s : spans) {
    if (s.begin != at) {
      return bad(s.begin < at ? "tensor '" + s.name + "' overlaps another tensor"
                              : "a gap of unused bytes precedes tensor '" + s.name + "'");
    }
    at = s.end;
  }
  if (at != data_size) return bad(std::to_string(data_size - at) + " bytes after the last tensor belong to none");
  return f;
}

Result<std::vector<float>> ToFloat32(const StTensor& t) {
  const size_t n = t.bytes / StDTypeSize(t.dtype);
  std::vector<float> out(n);
  switch (t.dtype) {
    case StDType::kF32:
      std::memcpy(out.data(), t.data, n * 4);
      break;
    case StDType::kF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, t.data + 2 * i, 2);
        out[i] = HalfToFloat(h);
      }
      break;
    case StDType::kBF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, t.data + 2 * i, 2);
        const uint32_t bits = static_cast<uint32_t>(h) << 16;
        std::memcpy(&out[i], &bits, 4);
      }
      break;
    case StDType::kF64:
      for (size_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, t.data + 8 * i, 8);
        out[i] = static_cast<float>(d);
      }
      break;
    default:
      return Status::Unsupported("tensor '" + t.name + "' has dtype " + std::string(StDTypeName(t.dtype)) +
                                 "; a float type (F32, F16, BF16, F64) is needed");
  }
  return out;
}

}  // namespace imi::convert
