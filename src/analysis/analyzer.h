#ifndef IMI_ANALYSIS_ANALYZER_H_
#define IMI_ANALYSIS_ANALYZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace imi::analysis {

// One indexing term and the bytes of the analysed text it came from.
struct Token {
  std::string term;
  uint32_t begin = 0;  // byte offsets into the text given to Analyze
  uint32_t end = 0;
};

// Turns text into the terms a lexical index stores and a query matches:
// text -> neologdn normalisation -> words -> folded terms. Named and stored
// with a collection (docs/lexical.md); the same name must always give the
// same terms, so an analyser's definition never changes once released.
// Implementations are immutable and thread-safe.
class Analyzer {
 public:
  virtual ~Analyzer() = default;

  // Canonical name: "ja-mecab", "ja-mecab:unidic", "ja-bigram", "simple".
  const std::string& name() const { return name_; }
  // What the terms depend on besides the name (the MeCab dictionary), stored
  // with a collection so a changed dictionary can be noticed; "" for none.
  virtual std::string Fingerprint() const { return std::string(); }

  // The terms of `text` in order of appearance. Invalid UTF-8 bytes are
  // treated as U+FFFD. Internal only if MeCab fails. Thread-safe.
  virtual Result<std::vector<Token>> Analyze(std::string_view text) const = 0;

 protected:
  explicit Analyzer(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

// The canonical form of an analyser name without loading anything:
// "ja-mecab" and "ja-mecab:ipadic" -> "ja-mecab" (ipadic is the default
// dictionary), "ja-mecab:unidic", "ja-mecab:/dir", "ja-bigram", "simple".
// InvalidArgument listing the accepted names otherwise.
Result<std::string> CanonicalAnalyzerName(std::string_view name);

// The analyser called `name` (any accepted spelling), loaded once per
// process and shared. NotFound when its MeCab dictionary is not installed.
// Thread-safe.
Result<std::shared_ptr<const Analyzer>> GetAnalyzer(std::string_view name);

// The analyser new collections get unless told otherwise.
inline constexpr std::string_view kDefaultAnalyzer = "ja-mecab";

}  // namespace imi::analysis

#endif  // IMI_ANALYSIS_ANALYZER_H_
