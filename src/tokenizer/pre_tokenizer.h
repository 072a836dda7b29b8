#ifndef IMI_TOKENIZER_PRE_TOKENIZER_H_
#define IMI_TOKENIZER_PRE_TOKENIZER_H_

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "tokenizer/normalized_string.h"
#include "tokenizer/token.h"

namespace imi::tokenizer {

// One piece of a pre-tokenized input: its normalized text and, once known,
// its tokens (added tokens get theirs before the model runs).
struct PreTokenSplit {
  NormalizedString normalized;
  std::optional<std::vector<Token>> tokens;
};

// The reference's PreTokenizedString: the splits of one input, in order.
// Splits that already have tokens are left alone by Split/Normalize.
struct PreTokenizedString {
  std::vector<PreTokenSplit> splits;

  // Replaces every untokenized split by the pieces `fn` returns, dropping
  // empty pieces.
  void Split(const std::function<std::vector<NormalizedString>(NormalizedString&&)>& fn);
  // Applies `fn` to every untokenized split.
  void Normalize(const std::function<void(NormalizedString*)>& fn);
};

// A pre-tokenizer as the reference defines it. Immutable after
// construction; thread-safe.
class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual Status PreTokenize(PreTokenizedString* s) const = 0;
};

// Builds the pre-tokenizer of a tokenizer.json "pre_tokenizer" object
// (BertPreTokenizer, Whitespace, WhitespaceSplit, Metaspace, ByteLevel,
// Split, Punctuation, Digits, CharDelimiterSplit, Sequence). Unsupported
// names the type.
Result<std::unique_ptr<PreTokenizer>> PreTokenizerFromJson(const nlohmann::json& j);

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_PRE_TOKENIZER_H_
