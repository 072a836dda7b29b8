#ifndef IMI_TOKENIZER_ADDED_VOCABULARY_H_
#define IMI_TOKENIZER_ADDED_VOCABULARY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "tokenizer/model.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pre_tokenizer.h"

namespace imi::tokenizer {

// One entry of tokenizer.json "added_tokens".
struct AddedToken {
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

// Leftmost-longest matcher over a fixed set of byte strings (a byte trie
// walked from every start position, with a first-byte filter).
// Immutable after Build; thread-safe.
class LiteralMatcher {
 public:
  struct Match {
    size_t start;
    size_t end;
    int32_t value;
  };
  void Add(std::string_view pattern, int32_t value);
  bool empty() const { return nodes_.size() <= 1; }
  // Non-overlapping leftmost-longest matches, left to right.
  std::vector<Match> FindAll(std::string_view text) const;

 private:
  struct Node {
    std::vector<std::pair<uint8_t, uint32_t>> children;  // sorted by byte
    int32_t value = -1;
  };
  std::vector<Node> nodes_{Node{}};
  bool first_byte_[256] = {};
};

// The added (and special) tokens of a tokenizer: matched in the raw input
// (normalized=false) or after normalization (normalized=true) before the
// model runs, as the reference's AddedVocabulary. Immutable after
// construction; thread-safe.
class AddedVocabulary {
 public:
  // Registers `tokens` in order with the reference's id assignment (the
  // model's id when the content is in its vocabulary, else the next free
  // id). `normalizer` may be null.
  Status Add(const std::vector<AddedToken>& tokens, const Model& model, const Normalizer* normalizer);

  // Splits `text` around added tokens, normalizes the rest, and returns the
  // pre-tokenized string (added tokens already carry their token).
  Result<PreTokenizedString> ExtractAndNormalize(const Normalizer* normalizer,
                                                 std::string_view text) const;

  std::optional<int32_t> TokenToId(std::string_view content) const;
  // The token string decode uses for `id` (normalized form when it differs).
  std::optional<std::string> IdToToken(int32_t id) const;
  bool IsSpecial(std::string_view content) const { return special_.count(std::string(content)) > 0; }
  size_t size() const { return by_content_.size(); }
  // Number of added ids >= `first` (ids beyond the model's vocabulary).
  size_t CountIdsFrom(int32_t first) const;
  // Largest id assigned, if any.
  std::optional<int32_t> MaxId() const;

 private:
  void SplitWithMatcher(NormalizedString&& s, const LiteralMatcher& matcher,
                        std::vector<PreTokenSplit>* out) const;

  std::unordered_map<std::string, int32_t> by_content_;
  std::unordered_map<int32_t, AddedToken> by_id_;
  std::unordered_map<int32_t, std::string> normalized_form_;
  std::unordered_set<std::string> special_;
  LiteralMatcher raw_matcher_;
  LiteralMatcher normalized_matcher_;
};

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_ADDED_VOCABULARY_H_
