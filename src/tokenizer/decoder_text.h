#ifndef IMI_TOKENIZER_DECODER_TEXT_H_
#define IMI_TOKENIZER_DECODER_TEXT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace imi::tokenizer {

// A pattern whose matches the Replace decoder rewrites. Immutable after
// construction; ReplaceAll is thread-safe.
class TextPattern {
 public:
  virtual ~TextPattern() = default;
  // Copy of `text` with every non-overlapping match (leftmost first, as the
  // reference's find_matches) replaced by `content`.
  virtual std::string ReplaceAll(std::string_view text, std::string_view content) const = 0;
};

// A literal string pattern (the reference escapes it into a regex; an empty
// literal matches between every pair of characters, as that regex would).
std::unique_ptr<TextPattern> LiteralPattern(std::string literal);

// An Oniguruma (Ruby syntax, UTF-8) pattern, as the reference compiles it.
// InvalidArgument carries Oniguruma's message for a bad pattern.
Result<std::unique_ptr<TextPattern>> RegexPattern(const std::string& pattern);

// Rust's String::from_utf8_lossy: each maximal invalid subsequence becomes
// one U+FFFD.
std::string Utf8Lossy(std::string_view bytes);

// The byte of a "<0xXX>" token (exactly 6 bytes, hex as Rust's
// u8::from_str_radix accepts), else nullopt.
std::optional<uint8_t> ParseByteToken(std::string_view token);

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_DECODER_TEXT_H_
