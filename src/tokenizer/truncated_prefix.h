#ifndef IMI_TOKENIZER_TRUNCATED_PREFIX_H_
#define IMI_TOKENIZER_TRUNCATED_PREFIX_H_

#include <cstddef>
#include <string_view>

#include "base/result.h"
#include "tokenizer/tokenizer.h"

namespace imi::tokenizer {

// An encoding cut to a maximum length, and whether anything was cut.
struct TruncatedEncoding {
  Encoding encoding;  // without overflowing windows
  bool truncated = false;
  size_t whole_length = 0;  // tokens of the untruncated text when it was encoded whole, else 0
};

// How EncodeTruncatedPrefix searches. The defaults suit long inputs; tests
// lower whole_below_bytes to stress the prefix logic on short lines.
struct PrefixSearch {
  size_t whole_below_bytes = 64 * 1024;  // inputs up to this size are encoded whole
  size_t window_code_points = 128;       // the prefixes compared end at every code point of this window
  size_t first_prefix_bytes = 0;         // the first prefix tried; 0: 16 bytes per kept token and window code point
};

// `truncating.Encode(text)` (with special tokens) without its overflowing
// windows, computed from a prefix of `text` instead of all of it. A prefix P
// is accepted when every prefix ending at one of the last
// window_code_points code point boundaries of P encodes (with `plain`, a
// tokenizer without truncation) to the same first max_length + 1 tokens,
// special tokens aside; otherwise P doubles, up to the whole text. Why that
// suffices: the subword models cut a word into pieces shorter than the
// window (Unigram's longest pieces are a few dozen characters), so the
// tokenisation of any longer text passes through one of those end points,
// and its tokens before that point are those of the prefix ending there
// (Unigram's best path to that point; WordPiece's greedy longest match,
// whose whole-word [UNK] for words over 100 characters is why the window is
// 128). Memory and time follow what truncation keeps, not the length of
// `text`: a 20 MB line costs about what 128 encodings of a few KB do. Text
// yielding fewer tokens than kept (e.g. whitespace) is encoded whole. Falls
// back to encoding all of `text` when `truncating` truncates otherwise than
// from the right without stride. Parity with encoding the whole text is
// tested on every shared tokenizer and the live corpora
// (tests/tokenizer/truncated_prefix_test.cc). Thread-safe as Encode is.
Result<TruncatedEncoding> EncodeTruncatedPrefix(const Tokenizer& plain, const Tokenizer& truncating,
                                                std::string_view text, const PrefixSearch& search = {});

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_TRUNCATED_PREFIX_H_
