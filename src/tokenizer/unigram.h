#ifndef IMI_TOKENIZER_UNIGRAM_H_
#define IMI_TOKENIZER_UNIGRAM_H_

#include <memory>
#include <optional>
#include <string>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/byte_trie.h"
#include "tokenizer/model.h"

namespace imi::tokenizer {

// SentencePiece Unigram: the best-scoring segmentation of a word (Viterbi
// over the pieces' log-probabilities, ties resolved as the reference does),
// unknown characters scored min_score - 10 and fused into one token, or
// spelled as <0xXX> byte pieces with byte_fallback. Immutable; thread-safe.
class UnigramModel final : public Model {
 public:
  // The vocabulary in flat arrays (no allocation per piece): piece i is
  // pieces[offsets[i], offsets[i + 1]) with score scores[i]; the trie maps
  // every piece to its id (the last of equal pieces, as the reference's
  // token -> id map) and answers both the Viterbi prefix search and the
  // exact look-ups of TokenToId. The binary tokenizer cache
  // (tokenizer/tokenizer_cache.h) stores exactly these arrays.
  // The arrays are the Vocab's own (Append, Assign) or borrowed from
  // storage a keeper owns (Borrow: a mapped cache file). Movable only.
  struct Vocab {
    std::string_view pieces;
    std::span<const uint32_t> offsets;
    std::span<const double> scores;
    ByteTrie trie;

    Vocab() { Sync(); }
    Vocab(Vocab&&) noexcept = default;
    Vocab& operator=(Vocab&&) noexcept = default;

    size_t size() const { return scores.size(); }
    std::string_view Piece(size_t id) const { return pieces.substr(offsets[id], offsets[id + 1] - offsets[id]); }
    // Room for `n` pieces of the vocabulary's own.
    void Reserve(size_t n);
    // Adds a piece to the vocabulary's own arrays (not to the trie).
    void Append(std::string_view piece, double score);
    // Takes these arrays as the vocabulary's own.
    void Assign(std::vector<char> pieces_bytes, std::vector<uint32_t> piece_offsets, std::vector<double> piece_scores);
    // Uses arrays that live elsewhere; `keep` owns them and is held.
    void Borrow(std::string_view pieces_bytes, std::span<const uint32_t> piece_offsets,
                std::span<const double> piece_scores, std::shared_ptr<const void> keep);

   private:
    // Points the views at the own arrays (a moved vector keeps its buffer,
    // so the defaulted moves keep the views valid).
    void Sync();
    std::vector<char> own_pieces_;
    std::vector<uint32_t> own_offsets_{0};
    std::vector<double> own_scores_;
    std::shared_ptr<const void> keep_;
  };

  // Builds from the "model" object ({"vocab": [[piece, score], ...],
  // "unk_id", "byte_fallback"}). InvalidArgument names the malformed field.
  static Result<std::unique_ptr<UnigramModel>> FromJson(const nlohmann::json& model);

  // Builds from a vocabulary already in flat arrays (a cache's) and the
  // "model" object's other fields ("vocab" itself is not read).
  // `vocab.offsets` must have size() + 1 non-decreasing entries ending at
  // pieces.size() and the trie be built (ByteTrie::AssignBuilt checks its
  // indices); InvalidArgument otherwise or for a malformed field.
  static Result<std::unique_ptr<UnigramModel>> FromVocab(const nlohmann::json& model, Vocab vocab);

  // The flat vocabulary (what the tokenizer cache writes).
  const Vocab& vocab() const { return vocab_; }

  Status Tokenize(std::string_view word, std::vector<Token>* out) const override;
  std::optional<int32_t> TokenToId(std::string_view token) const override;
  std::optional<std::string_view> IdToToken(int32_t id) const override;
  size_t VocabSize() const override { return vocab_.size(); }

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

  // unk_id, byte_fallback and what follows from the vocabulary.
  Status ReadOptions(const nlohmann::json& model);

  Vocab vocab_;
  double min_score_ = 0.0;
  std::optional<int32_t> unk_id_;
  bool byte_fallback_ = false;
  // Id of "<0xXX>" for every byte, -1 when absent (only with byte_fallback).
  std::vector<int32_t> byte_ids_;
};

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_UNIGRAM_H_
