#ifndef IMI_TOKENIZER_WORDLEVEL_H_
#define IMI_TOKENIZER_WORDLEVEL_H_

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/model.h"
#include "tokenizer/vocab_map.h"

namespace imi::tokenizer {

// WordLevel: the whole word is one vocabulary entry, else the unk token.
// Immutable; thread-safe.
class WordLevelModel final : public Model {
 public:
  // Builds from the "model" object ({"vocab", "unk_token"}).
  // InvalidArgument names the missing or malformed field.
  static Result<std::unique_ptr<WordLevelModel>> FromJson(const nlohmann::json& model);

  Status Tokenize(std::string_view word, std::vector<Token>* out) const override;
  std::optional<int32_t> TokenToId(std::string_view token) const override;
  std::optional<std::string_view> IdToToken(int32_t id) const override;
  size_t VocabSize() const override { return vocab_.size(); }

 private:
  VocabMap vocab_;
  IdTable vocab_r_;
  std::string unk_token_;
};

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_WORDLEVEL_H_
