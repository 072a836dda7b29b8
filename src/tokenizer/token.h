#ifndef IMI_TOKENIZER_TOKEN_H_
#define IMI_TOKENIZER_TOKEN_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace imi::tokenizer {

// One token produced by a Model for one pre-tokenized word.
// `start`/`end` are byte offsets into the word the model was given
// ([start, end)); the pipeline maps them back to the original text.
struct Token {
  int32_t id = 0;
  std::string value;
  size_t start = 0;
  size_t end = 0;
};

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_TOKEN_H_
