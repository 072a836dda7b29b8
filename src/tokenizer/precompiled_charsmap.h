#ifndef IMI_TOKENIZER_PRECOMPILED_CHARSMAP_H_
#define IMI_TOKENIZER_PRECOMPILED_CHARSMAP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "tokenizer/normalized_string.h"

namespace imi::tokenizer {

// A SentencePiece `precompiled_charsmap` (the "Precompiled" normalizer): a
// darts-clone double-array trie over UTF-8 bytes whose values index a table
// of NUL-terminated replacement strings. Immutable; thread-safe.
class PrecompiledCharsmap {
 public:
  // Parses the base64 text of a tokenizer.json; InvalidArgument when the
  // blob is malformed (bad base64, truncated trie, non-UTF-8 table).
  static Result<PrecompiledCharsmap> FromBase64(std::string_view base64);

  // The replacement for `chunk` as the reference computes it: the value of
  // the FIRST (shortest) trie prefix of `chunk`, or nullopt.
  std::optional<std::string_view> Transform(std::string_view chunk) const;

  // Applies the charsmap grapheme by grapheme with offset tracking, exactly
  // as the reference's Precompiled normalizer.
  void Normalize(NormalizedString* s) const;

 private:
  std::vector<uint32_t> trie_;
  std::string normalized_;
};

// Decodes standard base64 (with or without padding); nullopt on bad input.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_PRECOMPILED_CHARSMAP_H_
