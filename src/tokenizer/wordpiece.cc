#include "tokenizer/wordpiece.h"

#include <nlohmann/json.hpp>

#include "base/utf8.h"

namespace imi::tokenizer {
namespace {

constexpr std::string_view kWhat = "WordPiece model";

// Start of the last code point of s[0, end): steps back over continuation bytes.
size_t LastCharStart(std::string_view s, size_t begin, size_t end) {
  size_t i = end - 1;
  while (i > begin && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

}  // namespace

Result<std::unique_ptr<WordPieceModel>> WordPieceModel::FromJson(const nlohmann::json& model) {
  auto result = std::make_unique<WordPieceModel>();
  // The reference requires all four fields (the "type" key is optional).
  for (const char* key : {"vocab", "unk_token", "continuing_subword_prefix",
                          "max_input_chars_per_word"}) {
    if (!model.contains(key)) {
      return Status::InvalidArgument(std::string(kWhat) + ": missing field \"" + key + "\"");
    }
  }
  IMI_RETURN_IF_ERROR(ReadVocabObject(model["vocab"], kWhat, &result->vocab_));
  result->vocab_r_.Build(result->vocab_);
  const auto& unk = model["unk_token"];
  const auto& prefix = model["continuing_subword_prefix"];
  const auto& max_chars = model["max_input_chars_per_word"];
  if (!unk.is_string() || !prefix.is_string()) {
    return Status::InvalidArgument(std::string(kWhat) +
                                   ": \"unk_token\" and \"continuing_subword_prefix\" must be strings");
  }
  if (!max_chars.is_number_unsigned()) {
    return Status::InvalidArgument(std::string(kWhat) +
                                   ": \"max_input_chars_per_word\" must be a non-negative integer");
  }
  result->unk_token_ = unk.get<std::string>();
  result->prefix_ = prefix.get<std::string>();
  result->max_input_chars_per_word_ = max_chars.get<size_t>();
  return result;
}

Status WordPieceModel::AppendUnk(std::string_view word, std::vector<Token>* out) const {
  auto id = FindId(vocab_, unk_token_);
  if (!id) {
    return Status::InvalidArgument("WordPiece: unk token \"" + unk_token_ +
                                   "\" is not in the vocabulary");
  }
  out->push_back(Token{*id, unk_token_, 0, word.size()});
  return Status::Ok();
}

Status WordPieceModel::Tokenize(std::string_view word, std::vector<Token>* out) const {
  if (word.empty()) return Status::Ok();
  if (utf8::CountCodePoints(word) > max_input_chars_per_word_) return AppendUnk(word, out);

  const size_t first_new = out->size();
  std::string candidate;
  size_t start = 0;
  while (start < word.size()) {
    size_t end = word.size();
    bool found = false;
    while (start < end) {
      std::string_view piece = word.substr(start, end - start);
      std::optional<int32_t> id;
      if (start > 0) {
        candidate.assign(prefix_);
        candidate.append(piece);
        id = FindId(vocab_, candidate);
      } else {
        id = FindId(vocab_, piece);
      }
      if (id) {
        out->push_back(Token{*id, start > 0 ? candidate : std::string(piece), start, end});
        found = true;
        break;
      }
      end = LastCharStart(word, start, end);
    }
    if (!found) {
      out->resize(first_new);
      return AppendUnk(word, out);
    }
    start = end;
  }
  return Status::Ok();
}

std::optional<int32_t> WordPieceModel::TokenToId(std::string_view token) const {
  return FindId(vocab_, token);
}

std::optional<std::string_view> WordPieceModel::IdToToken(int32_t id) const {
  const std::string* token = vocab_r_.Find(id);
  if (token == nullptr) return std::nullopt;
  return std::string_view(*token);
}

}  // namespace imi::tokenizer
