#ifndef IMI_TOKENIZER_UNIGRAM_H_
#define IMI_TOKENIZER_UNIGRAM_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/byte_trie.h"
#include "tokenizer/model.h"
#include "tokenizer/vocab_map.h"

namespace imi::tokenizer {

// SentencePiece Unigram: the best-scoring segmentation of a word (Viterbi
// over the pieces' log-probabilities, ties resolved as the reference does),
// unknown characters scored min_score - 10 and fused into one token, or
// spelled as <0xXX> byte pieces with byte_fallback. Immutable; thread-safe.
class UnigramModel final : public Model {
 public:
  // Builds from the "model" object ({"vocab": [[piece, score], ...],
  // "unk_id", "byte_fallback"}). InvalidArgument names the malformed field.
  static Result<std::unique_ptr<UnigramModel>> FromJson(const nlohmann::json& model);

  Status Tokenize(std::string_view word, std::vector<Token>* out) const override;
  std::optional<int32_t> TokenToId(std::string_view token) const override;
  std::optional<std::string_view> IdToToken(int32_t id) const override;
  size_t VocabSize() const override { return pieces_.size(); }

 private:
  // One piece of the best path: [start, end) of the word and its id
  // (unk_id_ for fused unknown characters).
  struct Segment {
    size_t start;
    size_t end;
    int32_t id;
  };
  // Fills *segments with the best path, unknowns fused.
  Status BestPath(std::string_view word, std::vector<Segment>* segments) const;

  std::vector<std::pair<std::string, double>> pieces_;
  VocabMap token_to_id_;
  ByteTrie trie_;
  double min_score_ = 0.0;
  std::optional<int32_t> unk_id_;
  bool byte_fallback_ = false;
  // Id of "<0xXX>" for every byte, -1 when absent (only with byte_fallback).
  std::vector<int32_t> byte_ids_;
};

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_UNIGRAM_H_
