#ifndef IMI_TOKENIZER_NORMALIZER_H_
#define IMI_TOKENIZER_NORMALIZER_H_

#include <memory>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "tokenizer/normalized_string.h"

namespace imi::tokenizer {

// A normalizer as the reference defines it: rewrites a NormalizedString in
// place, keeping alignments. Immutable after construction; thread-safe.
class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // Normalizes *s; fails only on internal pattern errors.
  virtual Status Normalize(NormalizedString* s) const = 0;
};

// Builds the normalizer of a tokenizer.json "normalizer" object
// (BertNormalizer, Lowercase, StripAccents, Strip, Replace, Prepend,
// NFC/NFD/NFKC/NFKD, Precompiled, ByteLevel, Sequence). Unsupported names
// the type; InvalidArgument for malformed fields.
Result<std::unique_ptr<Normalizer>> NormalizerFromJson(const nlohmann::json& j);

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_NORMALIZER_H_
