#ifndef IMI_TOKENIZER_MODEL_H_
#define IMI_TOKENIZER_MODEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "tokenizer/token.h"

namespace imi::tokenizer {

// A subword model (WordPiece, Unigram, BPE) as Hugging Face `tokenizers`
// defines it: it turns one normalized, pre-tokenized word into tokens.
// Implementations are immutable after construction and safe to call from
// many threads at once.
class Model {
 public:
  virtual ~Model() = default;

  // Appends the tokens of `word` (UTF-8, already normalized) to *out. Token
  // offsets are byte offsets into `word`. An empty word yields no tokens.
  // Fails only where the reference fails (e.g. an unknown piece with no unk
  // token configured).
  virtual Status Tokenize(std::string_view word, std::vector<Token>* out) const = 0;

  // Id of a vocabulary entry, if present.
  virtual std::optional<int32_t> TokenToId(std::string_view token) const = 0;

  // Vocabulary entry of an id, if present. The view stays valid for the
  // model's lifetime.
  virtual std::optional<std::string_view> IdToToken(int32_t id) const = 0;

  // Number of entries in the model's own vocabulary (no added tokens).
  virtual size_t VocabSize() const = 0;
};

// Builds the model described by the "model" object of a tokenizer.json.
// Objects without a "type" key are recognised by their fields as the
// reference does (e.g. WordPiece with "vocab" + "continuing_subword_prefix").
// Unsupported types are Unsupported errors naming the type.
Result<std::unique_ptr<Model>> ModelFromJson(const nlohmann::json& model);

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_MODEL_H_
