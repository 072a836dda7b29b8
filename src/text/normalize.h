#ifndef IMI_TEXT_NORMALIZE_H_
#define IMI_TEXT_NORMALIZE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace imi::text {

// What happens to the tildes ~ ∼ ∾ 〜 〰 ～ (neologdn's `tilde` argument).
enum class TildeMode {
  kRemove,            // deleted (neologdn 'remove', the default)
  kNormalize,         // replaced by ASCII '~' ('normalize')
  kNormalizeZenkaku,  // replaced by U+301C '〜' ('normalize_zenkaku')
  kIgnore,            // left as they are ('ignore')
};

// Options of Normalize; the defaults are neologdn 0.5.6's defaults.
struct NormalizeOptions {
  // Substrings repeated more than `repeat` times are cut to `repeat` copies;
  // 0 (or any value <= 0) turns repeat shortening off.
  int repeat = 0;
  // Drops U+0020/U+3000 spaces at the edges, in runs and next to Japanese.
  bool remove_space = true;
  // Longest repeated unit (in code points) that `repeat` looks for; 0 = no cap.
  int max_repeat_substr_length = 8;
  TildeMode tilde = TildeMode::kRemove;
};

// Normalises Japanese text exactly like neologdn 0.5.6's
// normalize(text, repeat, remove_space, max_repeat_substr_length, tilde).
// `utf8` should be valid UTF-8 (embedded NULs are fine); an invalid byte is
// copied through unchanged and treated as an ordinary non-ASCII character, so
// callers wanting valid output run ReplaceInvalidUtf8 first. Like neologdn,
// one U+FEFF left at the very start of the result is dropped. Pure function,
// thread-safe, never fails.
std::string Normalize(std::string_view utf8, const NormalizeOptions& options = {});

// Same as Normalize but writes into *out (replacing its contents), reusing its
// capacity so a caller looping over lines allocates only when a line grows.
void NormalizeInto(std::string_view utf8, const NormalizeOptions& options, std::string* out);

// Input bytes [begin, end) behind one byte of normalised text.
struct SourceSpan {
  uint32_t begin = 0;
  uint32_t end = 0;
};

// Normalised text with, for each of its bytes, the input character(s) that
// produced it (a composed kana spans the kana and its voicing mark), so that
// words found in `text` can be pointed at in the input.
struct NormalizedText {
  std::string text;
  std::vector<SourceSpan> spans;  // spans.size() == text.size()
};

// Normalize (same text, same options) keeping the source spans. `repeat` is
// not applied (shortening has no one-to-one source); inputs must be shorter
// than 4 GiB. Thread-safe.
NormalizedText NormalizeWithSpans(std::string_view utf8, const NormalizeOptions& options = {});

// neologdn's shorten_repeat on code points: at each position, for unit lengths
// 1 .. min(remaining/2 - 1, max_repeat_substr_length) (no cap when it is 0), a
// run of more than `threshold` copies is cut to `threshold` copies. Returns
// `utf8` unchanged when threshold <= 0. Thread-safe; about O(n * cap) time
// (cap = n/2 when max_repeat_substr_length is 0).
std::string ShortenRepeat(std::string_view utf8, int threshold, int max_repeat_substr_length);

// Parses a tilde mode by its neologdn name: remove, normalize,
// normalize_zenkaku or ignore. InvalidArgument names the accepted values.
Result<TildeMode> ParseTildeMode(std::string_view name);

// The neologdn name of a tilde mode ("remove", ...).
std::string_view TildeModeName(TildeMode mode);

}  // namespace imi::text

#endif  // IMI_TEXT_NORMALIZE_H_
