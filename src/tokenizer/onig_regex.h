#ifndef IMI_TOKENIZER_ONIG_REGEX_H_
#define IMI_TOKENIZER_ONIG_REGEX_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "tokenizer/normalized_string.h"

namespace imi::tokenizer {

// A compiled Oniguruma regular expression with the syntax and options the
// reference uses (the onig crate defaults, UTF-8). The only file that
// includes Oniguruma. Immutable; searching is thread-safe (each search uses
// its own match region).
class OnigRegex {
 public:
  // Use Compile/Literal; the key keeps construction inside this class.
  class Key {
    friend class OnigRegex;
    Key() = default;
  };
  OnigRegex(Key, void* regex) : regex_(regex) {}
  ~OnigRegex();
  OnigRegex(const OnigRegex&) = delete;
  OnigRegex& operator=(const OnigRegex&) = delete;

  // Compiles `pattern`; InvalidArgument with Oniguruma's message on error.
  static Result<std::unique_ptr<OnigRegex>> Compile(std::string_view pattern);
  // A pattern matching `literal` exactly.
  static Result<std::unique_ptr<OnigRegex>> Literal(std::string_view literal);

  // Pieces of `s` as the reference's find_matches over onig find_iter:
  // matches and the gaps between them, in order; empty input gives one
  // non-match piece (0, 0). `s` must be valid UTF-8.
  std::vector<PatternPiece> FindMatches(std::string_view s) const;

  // Whether `s` contains a match.
  bool Search(std::string_view s) const;

 private:
  void* regex_;  // OnigRegex (regex_t*), owned
};

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_ONIG_REGEX_H_
