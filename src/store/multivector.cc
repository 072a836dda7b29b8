#include "store/multivector.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "store/embedded/distance.h"

namespace imi::store {

namespace {

constexpr size_t kHeaderBytes = 12;
constexpr uint8_t kFormat = 1;

uint8_t EncodingByte(MultiVectorEncoding e) {
  switch (e) {
    case MultiVectorEncoding::kFloat32: return 1;
    case MultiVectorEncoding::kFloat16: return 2;
    case MultiVectorEncoding::kInt8: return 3;
    case MultiVectorEncoding::kNone: break;
  }
  return 0;
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t GetU32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

void PutFloat(std::string* out, float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  PutU32(out, bits);
}

float GetFloat(const unsigned char* p) {
  const uint32_t bits = GetU32(p);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

Result<MultiVectorEncoding> ParseMultiVectorEncoding(std::string_view name) {
  if (name == "none") return MultiVectorEncoding::kNone;
  if (name == "float32") return MultiVectorEncoding::kFloat32;
  if (name == "float16") return MultiVectorEncoding::kFloat16;
  if (name == "int8") return MultiVectorEncoding::kInt8;
  return Status::InvalidArgument("unknown ColBERT storage \"" + std::string(name) +
                                 "\"; use float16 (the default), int8, float32 or none");
}

std::string_view MultiVectorEncodingName(MultiVectorEncoding encoding) {
  switch (encoding) {
    case MultiVectorEncoding::kNone: return "none";
    case MultiVectorEncoding::kFloat32: return "float32";
    case MultiVectorEncoding::kFloat16: return "float16";
    case MultiVectorEncoding::kInt8: return "int8";
  }
  return "none";
}

Status ValidateMultiVector(const MultiVector& v, std::string_view field) {
  const std::string f(field);
  if (v.dim == 0 || v.dim > kMaxMultiVectorDim) {
    return Status::InvalidArgument("'" + f + "' vectors must have 1 to " + std::to_string(kMaxMultiVectorDim) +
                                   " dimensions, got " + std::to_string(v.dim));
  }
  if (v.values.size() % v.dim != 0) {
    return Status::InvalidArgument("'" + f + "' rows must all have " + std::to_string(v.dim) + " values");
  }
  if (v.rows() > kMaxMultiVectorRows) {
    return Status::InvalidArgument("'" + f + "' has " + std::to_string(v.rows()) + " vectors, more than " +
                                   std::to_string(kMaxMultiVectorRows));
  }
  for (size_t i = 0; i < v.values.size(); ++i) {
    if (!std::isfinite(v.values[i])) {
      return Status::InvalidArgument("'" + f + "' row " + std::to_string(i / v.dim) + " contains NaN or infinity");
    }
  }
  return Status::Ok();
}

uint16_t FloatToHalf(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u);  // inf, NaN
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // rounds past 65504: infinity
  if (abs < 0x38800000u) {
    // Below the smallest normal half (2^-14): a multiple of 2^-24, rounded
    // to nearest even (the default rounding mode); exact scaling by 2^24.
    float f;
    std::memcpy(&f, &abs, 4);
    return sign | static_cast<uint16_t>(std::nearbyint(f * 16777216.0f));
  }
  const uint32_t mantissa = abs & 0x7fffffu;
  uint32_t h = (((abs >> 23) - 127 + 15) << 10) | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // a carry moves into the exponent correctly
  return static_cast<uint16_t>(sign | h);
}

float HalfToFloat(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  const uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0) {
    const float f = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
    return sign ? -f : f;
  }
  uint32_t bits;
  if (exponent == 31) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent - 15 + 127) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

size_t EncodedMultiVectorBytes(size_t rows, size_t dim, MultiVectorEncoding encoding) {
  switch (encoding) {
    case MultiVectorEncoding::kFloat32: return kHeaderBytes + rows * dim * 4;
    case MultiVectorEncoding::kFloat16: return kHeaderBytes + rows * dim * 2;
    case MultiVectorEncoding::kInt8: return kHeaderBytes + rows * (4 + dim);
    case MultiVectorEncoding::kNone: break;
  }
  return 0;
}

std::string EncodeMultiVector(const MultiVector& v, MultiVectorEncoding encoding) {
  const size_t rows = v.rows();
  std::string out;
  out.reserve(EncodedMultiVectorBytes(rows, v.dim, encoding));
  out.push_back(static_cast<char>(kFormat));
  out.push_back(static_cast<char>(EncodingByte(encoding)));
  out.push_back('\0');
  out.push_back('\0');
  PutU32(&out, static_cast<uint32_t>(rows));
  PutU32(&out, static_cast<uint32_t>(v.dim));
  for (size_t r = 0; r < rows; ++r) {
    const float* row = v.row(r);
    switch (encoding) {
      case MultiVectorEncoding::kFloat32:
        for (size_t i = 0; i < v.dim; ++i) PutFloat(&out, row[i]);
        break;
      case MultiVectorEncoding::kFloat16:
        for (size_t i = 0; i < v.dim; ++i) {
          const uint16_t h = FloatToHalf(row[i]);
          out.push_back(static_cast<char>(h & 0xff));
          out.push_back(static_cast<char>(h >> 8));
        }
        break;
      case MultiVectorEncoding::kInt8: {
        float max_abs = 0;
        for (size_t i = 0; i < v.dim; ++i) max_abs = std::max(max_abs, std::fabs(row[i]));
        const float scale = max_abs / 127.0f;
        PutFloat(&out, scale);
        for (size_t i = 0; i < v.dim; ++i) {
          const float q = scale > 0 ? std::nearbyint(row[i] / scale) : 0.0f;
          out.push_back(static_cast<char>(static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f))));
        }
        break;
      }
      case MultiVectorEncoding::kNone: break;
    }
  }
  return out;
}

Status DecodeMultiVector(std::string_view blob, MultiVector* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(blob.data());
  if (blob.size() < kHeaderBytes || p[0] != kFormat || p[2] != 0 || p[3] != 0) {
    return Status::DataLoss("a stored ColBERT blob has no valid header");
  }
  MultiVectorEncoding encoding;
  switch (p[1]) {
    case 1: encoding = MultiVectorEncoding::kFloat32; break;
    case 2: encoding = MultiVectorEncoding::kFloat16; break;
    case 3: encoding = MultiVectorEncoding::kInt8; break;
    default: return Status::DataLoss("a stored ColBERT blob has unknown encoding " + std::to_string(p[1]));
  }
  const size_t rows = GetU32(p + 4), dim = GetU32(p + 8);
  if (dim == 0 || dim > kMaxMultiVectorDim || rows > kMaxMultiVectorRows ||
      blob.size() != EncodedMultiVectorBytes(rows, dim, encoding)) {
    return Status::DataLoss("a stored ColBERT blob has " + std::to_string(blob.size()) + " bytes, not what its header (" +
                            std::to_string(rows) + " x " + std::to_string(dim) + ") says");
  }
  out->dim = dim;
  out->values.resize(rows * dim);
  const unsigned char* d = p + kHeaderBytes;
  float* v = out->values.data();
  switch (encoding) {
    case MultiVectorEncoding::kFloat32:
      for (size_t i = 0; i < rows * dim; ++i) v[i] = GetFloat(d + 4 * i);
      break;
    case MultiVectorEncoding::kFloat16:
      for (size_t i = 0; i < rows * dim; ++i) {
        v[i] = HalfToFloat(static_cast<uint16_t>(d[2 * i] | (d[2 * i + 1] << 8)));
      }
      break;
    case MultiVectorEncoding::kInt8:
      for (size_t r = 0; r < rows; ++r) {
        const unsigned char* row = d + r * (4 + dim);
        const float scale = GetFloat(row);
        if (!std::isfinite(scale) || scale < 0) return Status::DataLoss("a stored ColBERT blob has a bad scale");
        for (size_t i = 0; i < dim; ++i) v[r * dim + i] = static_cast<float>(static_cast<int8_t>(row[4 + i])) * scale;
      }
      break;
    case MultiVectorEncoding::kNone: break;
  }
  for (float x : out->values) {
    if (!std::isfinite(x)) return Status::DataLoss("a stored ColBERT blob holds NaN or infinity");
  }
  return Status::Ok();
}

Status ValidateM3Weights(const M3Weights& w) {
  for (double x : {w.dense, w.sparse, w.colbert}) {
    if (!(x >= 0 && x <= 1e6)) return Status::InvalidArgument("m3 weights must be numbers from 0 to 1000000");
  }
  if (!(w.dense + w.sparse + w.colbert > 0)) return Status::InvalidArgument("m3 weights must not all be 0");
  return Status::Ok();
}

double MaxSim(const MultiVector& query, const MultiVector& doc) {
  if (query.empty() || doc.empty() || query.dim != doc.dim) return 0;
  double sum = 0;
  for (size_t q = 0; q < query.rows(); ++q) {
    float best = -std::numeric_limits<float>::infinity();
    for (size_t d = 0; d < doc.rows(); ++d) best = std::max(best, DotProduct(query.row(q), doc.row(d), query.dim));
    sum += best;
  }
  return sum / static_cast<double>(query.rows());
}

}  // namespace imi::store
