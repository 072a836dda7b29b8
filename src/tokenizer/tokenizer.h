#ifndef IMI_TOKENIZER_TOKENIZER_H_
#define IMI_TOKENIZER_TOKENIZER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace imi::tokenizer {

// The output of encoding one input (or pair), as Hugging Face `tokenizers`
// reports it. All vectors have the same length.
struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
  std::vector<std::string> tokens;
  // [start, end) in Unicode code points of the original input; special
  // tokens added by the post-processor and padding have (0, 0).
  std::vector<std::pair<size_t, size_t>> offsets;
  std::vector<uint8_t> special_tokens_mask;
  std::vector<uint8_t> attention_mask;
  // Further windows produced by truncation with a stride, in order.
  std::vector<Encoding> overflowing;

  size_t size() const { return ids.size(); }
};

enum class TruncationDirection { kRight, kLeft };
enum class TruncationStrategy { kLongestFirst, kOnlyFirst, kOnlySecond };

struct TruncationParams {
  size_t max_length = 512;
  size_t stride = 0;
  TruncationStrategy strategy = TruncationStrategy::kLongestFirst;
  TruncationDirection direction = TruncationDirection::kRight;
};

enum class PaddingDirection { kRight, kLeft };

struct PaddingParams {
  // nullopt: pad to the longest encoding of the batch.
  std::optional<size_t> fixed_length;
  PaddingDirection direction = PaddingDirection::kRight;
  std::optional<size_t> pad_to_multiple_of;
  int32_t pad_id = 0;
  int32_t pad_type_id = 0;
  std::string pad_token = "[PAD]";
};

// A tokenizer loaded from a Hugging Face tokenizer.json: normalizer,
// pre-tokenizer, model, post-processor, decoder, added tokens, and the
// truncation/padding the file configures. It produces the same ids, tokens,
// offsets and type ids as the reference Rust library for the same file.
//
// Thread safety: Encode*/Decode/accessors are const and may be called from
// many threads at once; Set* must not race with them.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Loads a tokenizer.json (or a directory containing one). NotFound names
  // the path and what was expected there; Unsupported names the component
  // type and the file; InvalidArgument for malformed JSON.
  static Result<std::unique_ptr<Tokenizer>> FromFile(const std::string& path);

  // Same, from the file's contents; `source_name` is used in messages.
  static Result<std::unique_ptr<Tokenizer>> FromJson(std::string_view json,
                                                     std::string_view source_name);

  // A tokenizer that shares this one's loaded vocabulary and components
  // (immutable; no second parse of tokenizer.json) with its own copy of the
  // truncation and padding settings, so that Set* on either does not affect
  // the other. Cheap: a few pointers. Thread-safe as the const methods.
  virtual std::unique_ptr<Tokenizer> Clone() const = 0;

  // Encodes one input. Applies the configured truncation (not padding).
  // `text` must be valid UTF-8 (InvalidArgument otherwise).
  virtual Result<Encoding> Encode(std::string_view text, bool add_special_tokens = true) const = 0;

  // Encodes a pair (type ids 0/1 as the post-processor says).
  virtual Result<Encoding> EncodePair(std::string_view first, std::string_view second,
                                      bool add_special_tokens = true) const = 0;

  // Encodes many inputs, applying truncation and then the configured padding.
  virtual Result<std::vector<Encoding>> EncodeBatch(const std::vector<std::string>& texts,
                                                    bool add_special_tokens = true) const = 0;

  // Decodes ids into text through the file's decoder.
  virtual Result<std::string> Decode(const std::vector<int32_t>& ids,
                                     bool skip_special_tokens = true) const = 0;

  // Replaces (or removes, with nullopt) the truncation / padding settings.
  virtual void SetTruncation(std::optional<TruncationParams> params) = 0;
  virtual void SetPadding(std::optional<PaddingParams> params) = 0;
  virtual const std::optional<TruncationParams>& truncation() const = 0;
  virtual const std::optional<PaddingParams>& padding() const = 0;

  // Vocabulary look-ups including added tokens.
  virtual std::optional<int32_t> TokenToId(std::string_view token) const = 0;
  virtual std::optional<std::string> IdToToken(int32_t id) const = 0;
  // Size of the model vocabulary plus added tokens not in it.
  virtual size_t VocabSize() const = 0;
  // Number of special tokens the post-processor adds to one input (pair=false)
  // or to a pair (pair=true).
  virtual size_t NumSpecialTokensToAdd(bool pair) const = 0;
};

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_TOKENIZER_H_
