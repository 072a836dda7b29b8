#ifndef IMI_LEXICAL_SPARSE_VECTOR_H_
#define IMI_LEXICAL_SPARSE_VECTOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace imi::lexical {

// A sparse vector given by the user (or a model such as bge-m3): dimension
// indices and their weights, like Qdrant's and pgvector's sparsevec. Stored
// sorted by index, without zeros; empty means "none".
struct SparseVector {
  std::vector<uint32_t> indices;
  std::vector<float> values;

  bool empty() const { return indices.empty(); }
  size_t size() const { return indices.size(); }
};

// pgvector's limits, which both backends apply: indices below 10^9 and at
// most 16000 non-zero entries; imi also bounds |value| by 1e15 so that no
// float32 dot product overflows.
inline constexpr uint32_t kSparseMaxIndex = 999999999;
inline constexpr size_t kSparseMaxNonZero = 16000;
inline constexpr float kSparseMaxAbsValue = 1e15f;

// Checks and canonicalises: equal lengths, indices <= kSparseMaxIndex and
// unique, values finite with |v| <= kSparseMaxAbsValue; sorts by index and drops zero values. InvalidArgument
// naming `field` and the offending entry otherwise, or TooLarge for more than
// kSparseMaxNonZero entries.
Status CanonicalizeSparse(SparseVector* v, std::string_view field);

// Parses {"indices":[…],"values":[…]} and canonicalises it.
Result<SparseVector> SparseFromJson(const nlohmann::json& value, std::string_view field);
nlohmann::json SparseToJson(const SparseVector& v);

// The dot product exactly as pgvector 0.8 computes it for sparsevec: float
// products summed in float in ascending index order, so both backends agree
// bit for bit. Both vectors must be canonical.
float SparseDot(const SparseVector& a, const SparseVector& b);

// pgvector's text form "{i+1:v,...}/1000000000" (1-based indices, floats
// printed to round-trip).
std::string SparseLiteral(const SparseVector& v);

// Little-endian (uint32 index, float32 value) pairs, as the embedded store
// keeps them; DataLoss when the blob is malformed.
std::string EncodeSparse(const SparseVector& v);
Status DecodeSparse(std::string_view blob, SparseVector* out);

}  // namespace imi::lexical

#endif  // IMI_LEXICAL_SPARSE_VECTOR_H_
