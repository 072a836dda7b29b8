#ifndef IMI_STORE_MULTIVECTOR_H_
#define IMI_STORE_MULTIVECTOR_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace imi::store {

// Multi-vectors (bge-m3's ColBERT token vectors) as a collection keeps them,
// and MaxSim, the score that ranks with them (docs/models.md, "bge-m3 in a
// collection"; the blob format is in docs/store-format.md).

// How a collection stores each chunk's token vectors: not at all, or as
// float32, float16 (IEEE binary16, rounded to nearest even) or int8 with one
// float32 scale per token vector (value = q * scale, scale = max|x| / 127).
enum class MultiVectorEncoding { kNone, kFloat32, kFloat16, kInt8 };

// "none", "float32", "float16", "int8"; InvalidArgument otherwise.
Result<MultiVectorEncoding> ParseMultiVectorEncoding(std::string_view name);
std::string_view MultiVectorEncodingName(MultiVectorEncoding encoding);

// The encoding used when a collection asks for ColBERT vectors without
// naming one (measured in bench/README.md, "bge-m3 in the store").
inline constexpr MultiVectorEncoding kDefaultMultiVectorEncoding = MultiVectorEncoding::kFloat16;

// Bounds of one chunk's token vectors: bge-m3 reads at most 8192 tokens.
inline constexpr size_t kMaxMultiVectorRows = 8192;
inline constexpr size_t kMaxMultiVectorDim = 4096;

// rows() x dim floats, row-major; empty = none.
struct MultiVector {
  size_t dim = 0;
  std::vector<float> values;

  bool empty() const { return values.empty(); }
  size_t rows() const { return dim == 0 ? 0 : values.size() / dim; }
  const float* row(size_t i) const { return values.data() + i * dim; }
};

// Checks shape (dim in 1..kMaxMultiVectorDim, values a whole number of rows,
// at most kMaxMultiVectorRows) and that every value is finite.
// InvalidArgument naming `field` otherwise.
Status ValidateMultiVector(const MultiVector& v, std::string_view field);

// The stored form: a 12-byte little-endian header (format 1, encoding,
// 2 reserved zero bytes, uint32 rows, uint32 dim) and the rows. `encoding`
// must not be kNone.
std::string EncodeMultiVector(const MultiVector& v, MultiVectorEncoding encoding);
// Decodes any encoding back to float32 (the values as stored, so float16
// and int8 come back rounded). DataLoss for a malformed blob or a value that
// is not finite.
Status DecodeMultiVector(std::string_view blob, MultiVector* out);
// Bytes EncodeMultiVector writes for `rows` x `dim`.
size_t EncodedMultiVectorBytes(size_t rows, size_t dim, MultiVectorEncoding encoding);

// MaxSim (ColBERT's late interaction, bge-m3's colbert_score): the mean over
// the query's rows of the largest dot product with a row of `doc`. 0 when
// either is empty or their dimensions differ.
double MaxSim(const MultiVector& query, const MultiVector& doc);

// bge-m3's compute_score weights (FlagEmbedding's weights_for_different_modes):
// search mode m3 combines a chunk's scores as
// (dense w_d d + w_s s + w_c c) / (w_d + w_s + w_c), leaving out the ColBERT
// term (and its weight) where the chunk or query has no ColBERT vectors.
struct M3Weights {
  double dense = 0.4;
  double sparse = 0.2;
  double colbert = 0.4;
};
// Each finite, in [0, 1e6], their sum > 0; InvalidArgument otherwise.
Status ValidateM3Weights(const M3Weights& weights);

// IEEE binary16 conversions (round to nearest even; overflow to infinity).
uint16_t FloatToHalf(float value);
float HalfToFloat(uint16_t half);

}  // namespace imi::store

#endif  // IMI_STORE_MULTIVECTOR_H_
