#ifndef IMI_ANALYSIS_MECAB_TAGGER_H_
#define IMI_ANALYSIS_MECAB_TAGGER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace imi::analysis {

// One word MeCab found: its surface is input[begin, end) (bytes); `feature`
// is the dictionary's CSV feature string (part of speech, base form, reading,
// ... in the dictionary's own layout, see dictionary.h).
struct Morpheme {
  uint32_t begin = 0;
  uint32_t end = 0;
  std::string feature;
  bool unknown = false;  // not in the dictionary (MeCab's unknown-word model)
};

// What MeCab reports about a loaded system dictionary.
struct DictionaryFacts {
  std::string directory;  // as opened
  std::string charset;    // "utf8", "UTF-8", ...
  uint32_t entries = 0;   // lexicon size
  uint32_t version = 0;   // dictionary format version
};

// The MeCab adapter: the only code that includes mecab.h. A loaded dictionary
// parses texts on any thread (MeCab's model is shared; taggers and lattices
// come from a small pool). Construction through Open only.
class MecabTagger {
 public:
  // Texts are parsed in pieces of at most this many bytes, cut after a
  // sentence end (。．！？!? or a newline) where possible, else at a space,
  // else at a character boundary; one lattice per piece bounds MeCab's memory.
  static constexpr size_t kMaxPieceBytes = 8192;

  // Loads the compiled dictionary in `dicdir` (sys.dic, matrix.bin, char.bin,
  // unk.dic, dicrc). No mecabrc is read, so the result does not depend on the
  // machine's MeCab configuration. NotFound when the directory or sys.dic is
  // missing; FailedPrecondition with MeCab's reason when it refuses the files
  // or their charset is not UTF-8.
  static Result<std::unique_ptr<MecabTagger>> Open(const std::string& dicdir);
  ~MecabTagger();
  MecabTagger(const MecabTagger&) = delete;
  MecabTagger& operator=(const MecabTagger&) = delete;

  // The words of `text` in order, whitespace skipped as MeCab skips it.
  // `text` must be valid UTF-8 (callers replace invalid bytes first); NUL
  // bytes are treated as spaces. Internal when MeCab fails. Thread-safe.
  Result<std::vector<Morpheme>> Parse(std::string_view text) const;

  const DictionaryFacts& facts() const { return facts_; }

 private:
  struct Impl;
  explicit MecabTagger(std::unique_ptr<Impl> impl, DictionaryFacts facts);
  Status ParsePiece(std::string_view piece, uint32_t offset, std::vector<Morpheme>* out) const;

  std::unique_ptr<Impl> impl_;
  DictionaryFacts facts_;
};

// The cut points Parse uses: byte offsets where pieces end (the last is
// text.size()), each piece at most `max_bytes` (>= 4) long. Exposed for tests.
std::vector<size_t> SplitIntoPieces(std::string_view text, size_t max_bytes);

}  // namespace imi::analysis

#endif  // IMI_ANALYSIS_MECAB_TAGGER_H_
