#ifndef IMI_SEARCH_CHUNKER_H_
#define IMI_SEARCH_CHUNKER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace imi::tokenizer {
class Tokenizer;
}

namespace imi::search {

// A window of a document: text[start_offset, end_offset) in bytes.
struct TextChunk {
  std::string text;
  int64_t start_offset = 0;
  int64_t end_offset = 0;
  size_t tokens = 0;  // without special tokens
};

// Splits texts into windows of at most `max_tokens` model tokens (special
// tokens included) overlapping by `overlap_tokens`, using the model's own
// tokenizer. Thread-safe after Load.
class Chunker {
 public:
  // NotFound/InvalidArgument from the tokenizer loader; InvalidArgument when
  // max_tokens leaves no room next to the special tokens.
  static Result<std::unique_ptr<Chunker>> Load(const std::string& tokenizer_path, size_t max_tokens,
                                               size_t overlap_tokens);
  explicit Chunker(std::unique_ptr<tokenizer::Tokenizer> tokenizer, size_t window, size_t overlap);
  ~Chunker();

  // Chunks in order; a text without tokens yields one chunk holding it.
  Result<std::vector<TextChunk>> Split(std::string_view text) const;

 private:
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  size_t window_;
  size_t overlap_;
};

}  // namespace imi::search

#endif  // IMI_SEARCH_CHUNKER_H_
