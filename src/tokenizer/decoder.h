#ifndef IMI_TOKENIZER_DECODER_H_
#define IMI_TOKENIZER_DECODER_H_

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"

namespace imi::tokenizer {

// A decoder as Hugging Face `tokenizers` defines it: it rewrites the list of
// token strings (decode_chain); the tokenizer concatenates the result.
// Immutable and thread-safe after construction.
class Decoder {
 public:
  virtual ~Decoder() = default;

  // Returns the transformed token strings (same semantics as the
  // reference's decode_chain for this decoder type).
  virtual std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const = 0;
};

// Builds the decoder described by the "decoder" object of a tokenizer.json
// (WordPiece, Metaspace, ByteLevel, ByteFallback, Fuse, Strip, Replace,
// Sequence, ...). Unsupported types are Unsupported errors naming the type.
Result<std::unique_ptr<Decoder>> DecoderFromJson(const nlohmann::json& decoder);

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_DECODER_H_
