#ifndef IMI_TOKENIZER_HF_TOKENIZER_H_
#define IMI_TOKENIZER_HF_TOKENIZER_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/added_vocabulary.h"
#include "tokenizer/decoder.h"
#include "tokenizer/model.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace imi::tokenizer {

// The components of a tokenizer.json, assembled by the loader.
struct TokenizerParts {
  std::unique_ptr<Normalizer> normalizer;      // may be null
  std::unique_ptr<PreTokenizer> pre_tokenizer;  // may be null
  std::unique_ptr<Model> model;                 // never null
  std::unique_ptr<PostProcessor> post_processor;  // may be null
  std::unique_ptr<Decoder> decoder;             // may be null
  AddedVocabulary added;
  std::optional<TruncationParams> truncation;
  std::optional<PaddingParams> padding;
};

// The Tokenizer implementation: added tokens -> normalizer -> pre-tokenizer
// -> model -> truncation -> post-processor (-> padding in batches), as the
// reference's TokenizerImpl. Thread safety as Tokenizer.
class HfTokenizer final : public Tokenizer {
 public:
  explicit HfTokenizer(TokenizerParts parts)
      : truncation_(parts.truncation),
        padding_(std::move(parts.padding)),
        parts_(std::make_shared<const TokenizerParts>(std::move(parts))) {}

  std::unique_ptr<Tokenizer> Clone() const override;

  Result<Encoding> Encode(std::string_view text, bool add_special_tokens) const override;
  Result<Encoding> EncodePair(std::string_view first, std::string_view second,
                              bool add_special_tokens) const override;
  Result<std::vector<Encoding>> EncodeBatch(const std::vector<std::string>& texts,
                                            bool add_special_tokens) const override;
  Result<std::string> Decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override;
  void SetTruncation(std::optional<TruncationParams> params) override { truncation_ = params; }
  void SetPadding(std::optional<PaddingParams> params) override { padding_ = std::move(params); }
  const std::optional<TruncationParams>& truncation() const override { return truncation_; }
  const std::optional<PaddingParams>& padding() const override { return padding_; }
  std::optional<int32_t> TokenToId(std::string_view token) const override;
  std::optional<std::string> IdToToken(int32_t id) const override;
  size_t VocabSize() const override;
  size_t NumSpecialTokensToAdd(bool pair) const override;

  // The subword model (shared by clones; what the tokenizer cache stores).
  const Model& model() const { return *parts_->model; }

  // Tokens of one sequence before truncation and post-processing.
  Result<Encoding> EncodeSequence(std::string_view text, int32_t type_id) const;

 private:
  Result<Encoding> Finish(Encoding encoding, std::optional<Encoding> pair, bool add_special_tokens) const;

  // This tokenizer's own settings (parts_'s are the file's, read once).
  std::optional<TruncationParams> truncation_;
  std::optional<PaddingParams> padding_;
  // The loaded components: immutable, shared by clones.
  std::shared_ptr<const TokenizerParts> parts_;
};

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_HF_TOKENIZER_H_
