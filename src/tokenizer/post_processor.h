#ifndef IMI_TOKENIZER_POST_PROCESSOR_H_
#define IMI_TOKENIZER_POST_PROCESSOR_H_

#include <memory>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "tokenizer/tokenizer.h"

namespace imi::tokenizer {

// A post-processor as the reference defines it: adds special tokens, sets
// type ids, adjusts offsets. Immutable after construction; thread-safe.
class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Number of tokens it adds to a single input or a pair.
  virtual size_t AddedTokens(bool pair) const = 0;
  // Rewrites the 1 or 2 encodings (the reference's process_encodings).
  virtual Status ProcessEncodings(std::vector<Encoding>* encodings, bool add_special_tokens) const = 0;
};

// Applies `processor` (or the default when null) to an encoding and
// optional pair and merges the result into one encoding.
Result<Encoding> PostProcess(const PostProcessor* processor, Encoding encoding,
                             std::optional<Encoding> pair, bool add_special_tokens);

// Trims leading/trailing (byte-level) spaces out of token offsets, as the
// reference's ByteLevel process_offsets.
void TrimByteLevelOffsets(Encoding* e, bool add_prefix_space);

// Builds the post-processor of a tokenizer.json "post_processor" object
// (TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel,
// Sequence). Unsupported names the type.
Result<std::unique_ptr<PostProcessor>> PostProcessorFromJson(const nlohmann::json& j);

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_POST_PROCESSOR_H_
