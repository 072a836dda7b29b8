#ifndef IMI_TOKENIZER_WORDPIECE_H_
#define IMI_TOKENIZER_WORDPIECE_H_

#include <memory>
#include <string>
#include <unordered_map>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/model.h"
#include "tokenizer/vocab_map.h"

namespace imi::tokenizer {

// WordPiece: greedy longest-match-first over the vocabulary, non-initial
// pieces looked up with `continuing_subword_prefix`; a word longer than
// `max_input_chars_per_word` code points, or with any unmatched rest, becomes
// one unk token. Immutable; thread-safe.
class WordPieceModel final : public Model {
 public:
  // Builds from the "model" object (with or without "type": "WordPiece").
  // InvalidArgument names the missing or malformed field.
  static Result<std::unique_ptr<WordPieceModel>> FromJson(const nlohmann::json& model);

  Status Tokenize(std::string_view word, std::vector<Token>* out) const override;
  std::optional<int32_t> TokenToId(std::string_view token) const override;
  std::optional<std::string_view> IdToToken(int32_t id) const override;
  size_t VocabSize() const override { return vocab_.size(); }

 private:
  Status AppendUnk(std::string_view word, std::vector<Token>* out) const;

  VocabMap vocab_;
  IdTable vocab_r_;
  std::string unk_token_;
  std::string prefix_;
  size_t max_input_chars_per_word_ = 100;
};

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_WORDPIECE_H_
