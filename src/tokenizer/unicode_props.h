#ifndef IMI_TOKENIZER_UNICODE_PROPS_H_
#define IMI_TOKENIZER_UNICODE_PROPS_H_

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace imi::tokenizer::unicode {

// Character predicates with the meaning the reference (Rust `char` methods
// and the unicode_categories crate) gives them. Backed by utf8proc; pure and
// thread-safe. The reference's general categories come from the
// unicode_categories crate (Unicode 8.0) and its normalization data from
// unicode-normalization-alignments (Unicode 9.0): characters assigned later
// have no category, mark, decomposition or combining class there.

// Rust char::is_whitespace (the White_Space property).
bool IsWhitespace(char32_t c);
// General category P* (any punctuation) in Unicode 8.0.
bool IsPunctuation(char32_t c);
// General category Cc, Cf or Co in Unicode 8.0 (unicode_categories'
// is_other: unassigned code points are not "other" there).
bool IsOther(char32_t c);
// General category Mn in Unicode 8.0.
bool IsMarkNonspacing(char32_t c);
// General category M* (Mn, Mc, Me) in Unicode 9.0.
bool IsCombiningMark(char32_t c);
// Rust char::is_numeric (Nd, Nl, No).
bool IsNumeric(char32_t c);
// A Rust-regex Unicode \w character (Alphabetic, marks, decimal digits,
// connector punctuation, Join_Control).
bool IsWordChar(char32_t c);

// Appends Rust char::to_lowercase(c) (one or more code points) to *out.
void AppendLowercase(char32_t c, std::vector<char32_t>* out);

// Appends the full canonical (or, with `compat`, compatibility)
// decomposition of `c` in Unicode 9.0 to *out, not yet canonically ordered.
void AppendDecomposition(char32_t c, bool compat, std::vector<char32_t>* out);

// Canonical combining class of `c` in Unicode 9.0 (0 for starters).
int CombiningClass(char32_t c);

// The primary composite of `first` + `second` in Unicode 9.0, if there is one.
std::optional<char32_t> ComposePair(char32_t first, char32_t second);

// Byte length of the extended grapheme cluster starting at s[pos]
// (s valid UTF-8, pos < s.size()).
size_t GraphemeLength(std::string_view s, size_t pos);

}  // namespace imi::tokenizer::unicode

#endif  // IMI_TOKENIZER_UNICODE_PROPS_H_
