#ifndef IMI_ANALYSIS_ICU_TEXT_H_
#define IMI_ANALYSIS_ICU_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imi::analysis {

// The ICU adapter (the only file that includes ICU): Unicode case folding,
// NFKC and word boundaries. All functions take and give valid UTF-8 and are
// thread-safe.

// How terms are folded before they are indexed or matched.
enum class Folding {
  kCase,         // Unicode full case folding (ABC -> abc, ß -> ss)
  kNfkcCasefold  // NFKC_Casefold: also compatibility forms (㈱ -> (株), ｶ -> カ)
};

// `utf8` folded as a whole.
std::string FoldTerm(std::string_view utf8, Folding folding);

// Simple (one code point to one) case folding of one code point.
char32_t FoldCodePoint(char32_t cp);

// Whether a code point belongs inside a word: letters, marks and numbers
// (general categories L*, M*, N*); spaces, punctuation and symbols do not.
bool IsWordCodePoint(char32_t cp);

// Byte ranges [begin, end) of the words of `utf8` by ICU's word break rules
// (UAX #29, with ICU's dictionary segmentation of Chinese and Japanese),
// keeping only ranges that contain a letter, number, kana or ideograph.
std::vector<std::pair<uint32_t, uint32_t>> WordRanges(std::string_view utf8);

}  // namespace imi::analysis

#endif  // IMI_ANALYSIS_ICU_TEXT_H_
