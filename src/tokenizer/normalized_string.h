#ifndef IMI_TOKENIZER_NORMALIZED_STRING_H_
#define IMI_TOKENIZER_NORMALIZED_STRING_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imi::tokenizer {

// [start, end) byte range.
using ByteRange = std::pair<size_t, size_t>;

// One piece of a pattern search over a string: a byte range and whether it
// is a match (true) or the text between matches (false). Pieces cover the
// searched string in order.
struct PatternPiece {
  ByteRange range;
  bool is_match = false;
};

// How Split keeps the delimiters it finds (the reference's
// SplitDelimiterBehavior).
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// One character of a transformation: `c` replaces the next character of the
// input (change == 0), is inserted (change > 0), or replaces the next
// character and removes -change more (change < 0). This is the reference's
// (char, isize) protocol and decides how offsets are tracked.
struct CharChange {
  char32_t c;
  int change;
};

// A piece of text under normalization that remembers, for every byte of the
// normalized text, the byte range of the original input it came from
// (absolute offsets into the whole input, so slices share one frame).
// Follows the reference's NormalizedString operation by operation so offsets
// agree. A value type; not thread-safe for concurrent mutation.
class NormalizedString {
 public:
  NormalizedString() = default;
  // A string whose normalized form equals `original` (valid UTF-8).
  explicit NormalizedString(std::string_view original);

  const std::string& get() const { return normalized_; }
  bool empty() const { return normalized_.empty(); }
  size_t size() const { return normalized_.size(); }
  // [start, end) of the original bytes this string covers.
  ByteRange OffsetsOriginal() const { return {original_shift_, original_shift_ + original_len_}; }
  const std::vector<ByteRange>& alignments() const { return alignments_; }

  // Maps a normalized byte range to absolute original bytes (the reference's
  // convert_offsets(Range::Normalized)); nullopt when out of range.
  std::optional<ByteRange> NormalizedToOriginal(size_t start, size_t end) const;

  // Replaces the normalized bytes [start, end) by `dest` (see CharChange),
  // skipping `initial_offset` characters of the range first.
  void TransformRange(size_t start, size_t end, const std::vector<CharChange>& dest,
                      size_t initial_offset);
  // TransformRange over the whole string as the reference's transform() does
  // (the range is derived from the original span).
  void Transform(const std::vector<CharChange>& dest, size_t initial_offset);

  void Filter(const std::function<bool(char32_t)>& keep);
  void Map(const std::function<char32_t(char32_t)>& map);
  void Lowercase();
  void Nfd();
  void Nfkd();
  void Nfc();
  void Nfkc();
  void Prepend(std::string_view s);
  void Append(std::string_view s);
  // Replaces every matching piece by `content`.
  void Replace(const std::vector<PatternPiece>& pieces, std::string_view content);
  void Strip(bool left, bool right);

  // The sub-string over normalized bytes [start, end) (char boundaries).
  NormalizedString Slice(size_t start, size_t end) const;
  // Splits on the match pieces of a pattern search over get().
  std::vector<NormalizedString> Split(const std::vector<PatternPiece>& pieces,
                                      SplitBehavior behavior) const;

 private:
  void Decompose(bool compat);
  void Compose(bool compat);
  std::optional<ByteRange> WholeRange() const;

  std::string normalized_;
  std::vector<ByteRange> alignments_;
  size_t original_shift_ = 0;
  size_t original_len_ = 0;
};

// Pattern searches producing PatternPiece lists with the reference's rules.
// Every character for which `pred` holds is a one-character match.
std::vector<PatternPiece> FindCharMatches(std::string_view s,
                                          const std::function<bool(char32_t)>& pred);
// Non-overlapping occurrences of a literal string.
std::vector<PatternPiece> FindLiteralMatches(std::string_view s, std::string_view literal);
// Flips every piece's is_match (the reference's Invert).
void InvertPieces(std::vector<PatternPiece>* pieces);

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_NORMALIZED_STRING_H_
