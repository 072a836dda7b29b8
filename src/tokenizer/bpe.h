#ifndef IMI_TOKENIZER_BPE_H_
#define IMI_TOKENIZER_BPE_H_

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/model.h"
#include "tokenizer/vocab_map.h"
#include "tokenizer/word_cache.h"

namespace imi::tokenizer {

// Byte-pair encoding: a word starts as its characters (with
// continuing_subword_prefix / end_of_word_suffix, unknowns as unk or <0xXX>
// bytes) and adjacent pairs are merged lowest rank first, leftmost first on
// equal rank, exactly as the reference. With dropout p > 0 each merge is
// skipped with probability p, as the reference does (so output is random).
// Immutable; thread-safe (the word cache is internally synchronised).
class BpeModel final : public Model {
 public:
  // Builds from the "model" object (vocab + merges as "a b" strings or
  // [a, b] pairs). InvalidArgument names the malformed field or merge.
  static Result<std::unique_ptr<BpeModel>> FromJson(const nlohmann::json& model);

  Status Tokenize(std::string_view word, std::vector<Token>* out) const override;
  std::optional<int32_t> TokenToId(std::string_view token) const override;
  std::optional<std::string_view> IdToToken(int32_t id) const override;
  size_t VocabSize() const override { return vocab_.size(); }

 private:
  // One symbol of a word being merged: its id and byte length.
  struct Piece {
    int32_t id;
    uint32_t len;
  };
  Status SplitIntoSymbols(std::string_view word, std::vector<Piece>* pieces) const;
  void MergeAll(std::vector<Piece>* pieces) const;
  Status AppendTokens(const std::vector<Piece>& pieces, std::vector<Token>* out) const;

  // (left id, right id) -> (rank, merged id).
  struct MergeTarget {
    int32_t rank;
    int32_t new_id;
  };
  const MergeTarget* FindMerge(int32_t left, int32_t right) const {
    auto it = merges_.find((static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
                           static_cast<uint32_t>(right));
    return it == merges_.end() ? nullptr : &it->second;
  }

  VocabMap vocab_;
  IdTable vocab_r_;
  std::unordered_map<uint64_t, MergeTarget> merges_;
  std::optional<float> dropout_;
  std::optional<std::string> unk_token_;
  std::optional<std::string> prefix_;
  std::optional<std::string> suffix_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  WordCache<std::vector<Piece>> cache_;
};

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_BPE_H_
