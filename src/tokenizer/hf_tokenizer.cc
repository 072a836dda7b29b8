#include "tokenizer/hf_tokenizer.h"

#include <utility>

#include "base/utf8.h"
#include "tokenizer/encoding_ops.h"

namespace imi::tokenizer {
namespace {

// Byte offsets of the original input -> code point offsets, with the
// reference's fallbacks for offsets at or past the end.
class CharOffsetConverter {
 public:
  explicit CharOffsetConverter(std::string_view text) : char_of_byte_(text.size()) {
    size_t index = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t start = pos;
      utf8::Decode(text, &pos);
      for (size_t b = start; b < pos; ++b) char_of_byte_[b] = index;
      ++index;
    }
  }

  std::pair<size_t, size_t> Convert(std::pair<size_t, size_t> offsets) const {
    const size_t n = char_of_byte_.size();
    if (offsets.first >= n) return offsets;
    const size_t start = char_of_byte_[offsets.first];
    if (offsets.second < n) return {start, char_of_byte_[offsets.second]};
    size_t last = offsets.second >= 1 && offsets.second - 1 < n ? char_of_byte_[offsets.second - 1] : start + 1;
    return {start, last + 1};
  }

 private:
  std::vector<size_t> char_of_byte_;
};

}  // namespace

Result<Encoding> HfTokenizer::EncodeSequence(std::string_view text, int32_t type_id) const {
  if (size_t bad = utf8::FindInvalid(text); bad != std::string_view::npos) {
    return Status::InvalidArgument("input is not valid UTF-8 at byte offset " + std::to_string(bad));
  }
  IMI_ASSIGN_OR_RETURN(PreTokenizedString pre,
                       parts_->added.ExtractAndNormalize(parts_->normalizer.get(), text));
  if (parts_->pre_tokenizer) IMI_RETURN_IF_ERROR(parts_->pre_tokenizer->PreTokenize(&pre));

  Encoding out;
  CharOffsetConverter converter(text);
  std::vector<Token> tokens;
  for (PreTokenSplit& split : pre.splits) {
    if (!split.tokens) {
      tokens.clear();
      IMI_RETURN_IF_ERROR(parts_->model->Tokenize(split.normalized.get(), &tokens));
      split.tokens = std::move(tokens);
      tokens = std::vector<Token>();
    }
    for (Token& token : *split.tokens) {
      std::pair<size_t, size_t> offsets{token.start, token.end};
      if (auto original = split.normalized.NormalizedToOriginal(token.start, token.end)) {
        offsets = *original;
      }
      out.ids.push_back(token.id);
      out.tokens.push_back(std::move(token.value));
      out.offsets.push_back(converter.Convert(offsets));
    }
  }
  out.type_ids.assign(out.ids.size(), type_id);
  out.special_tokens_mask.assign(out.ids.size(), 0);
  out.attention_mask.assign(out.ids.size(), 1);
  return out;
}

Result<Encoding> HfTokenizer::Finish(Encoding encoding, std::optional<Encoding> pair,
                                     bool add_special_tokens) const {
  if (truncation_) {
    TruncationParams params = *truncation_;
    const size_t added = NumSpecialTokensToAdd(pair.has_value());
    if (add_special_tokens && added > 0) {
      if (params.max_length < added) {
        return Status::InvalidArgument("truncation max_length " + std::to_string(params.max_length) +
                                       " is smaller than the " + std::to_string(added) +
                                       " special tokens the post-processor adds");
      }
      params.max_length -= added;
    }
    IMI_RETURN_IF_ERROR(TruncateEncodings(&encoding, pair ? &*pair : nullptr, params));
  }
  return PostProcess(parts_->post_processor.get(), std::move(encoding), std::move(pair),
                     add_special_tokens);
}

std::unique_ptr<Tokenizer> HfTokenizer::Clone() const { return std::make_unique<HfTokenizer>(*this); }

Result<Encoding> HfTokenizer::Encode(std::string_view text, bool add_special_tokens) const {
  IMI_ASSIGN_OR_RETURN(Encoding encoding, EncodeSequence(text, 0));
  return Finish(std::move(encoding), std::nullopt, add_special_tokens);
}

Result<Encoding> HfTokenizer::EncodePair(std::string_view first, std::string_view second,
                                         bool add_special_tokens) const {
  IMI_ASSIGN_OR_RETURN(Encoding a, EncodeSequence(first, 0));
  IMI_ASSIGN_OR_RETURN(Encoding b, EncodeSequence(second, 1));
  return Finish(std::move(a), std::move(b), add_special_tokens);
}

Result<std::vector<Encoding>> HfTokenizer::EncodeBatch(const std::vector<std::string>& texts,
                                                       bool add_special_tokens) const {
  std::vector<Encoding> out;
  out.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    Result<Encoding> e = Encode(texts[i], add_special_tokens);
    if (!e.ok()) return e.status().WithContext("input " + std::to_string(i));
    out.push_back(std::move(e).value());
  }
  if (padding_) PadEncodings(&out, *padding_);
  return out;
}

Result<std::string> HfTokenizer::Decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    std::optional<std::string> token = parts_->added.IdToToken(id);
    if (!token) {
      if (std::optional<std::string_view> t = parts_->model->IdToToken(id)) token = std::string(*t);
    }
    if (!token) continue;
    if (skip_special_tokens && parts_->added.IsSpecial(*token)) continue;
    tokens.push_back(std::move(*token));
  }
  std::string out;
  if (parts_->decoder) {
    for (const std::string& piece : parts_->decoder->DecodeChain(std::move(tokens))) out += piece;
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) out += ' ';
      out += tokens[i];
    }
  }
  return out;
}

std::optional<int32_t> HfTokenizer::TokenToId(std::string_view token) const {
  if (auto id = parts_->added.TokenToId(token)) return id;
  return parts_->model->TokenToId(token);
}

std::optional<std::string> HfTokenizer::IdToToken(int32_t id) const {
  if (auto token = parts_->added.IdToToken(id)) return token;
  if (auto token = parts_->model->IdToToken(id)) return std::string(*token);
  return std::nullopt;
}

size_t HfTokenizer::VocabSize() const {
  const size_t model_size = parts_->model->VocabSize();
  return model_size + parts_->added.CountIdsFrom(static_cast<int32_t>(model_size));
}

size_t HfTokenizer::NumSpecialTokensToAdd(bool pair) const {
  return parts_->post_processor ? parts_->post_processor->AddedTokens(pair) : 0;
}

}  // namespace imi::tokenizer
