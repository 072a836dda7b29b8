#include "tokenizer/wordlevel.h"

#include <nlohmann/json.hpp>

namespace imi::tokenizer {

Result<std::unique_ptr<WordLevelModel>> WordLevelModel::FromJson(const nlohmann::json& model) {
  constexpr std::string_view kWhat = "WordLevel model";
  auto result = std::make_unique<WordLevelModel>();
  if (!model.contains("vocab") || !model.contains("unk_token") || !model["unk_token"].is_string()) {
    return Status::InvalidArgument(std::string(kWhat) +
                                   ": needs \"vocab\" and a string \"unk_token\"");
  }
  IMI_RETURN_IF_ERROR(ReadVocabObject(model["vocab"], kWhat, &result->vocab_));
  result->vocab_r_.Build(result->vocab_);
  result->unk_token_ = model["unk_token"].get<std::string>();
  return result;
}

Status WordLevelModel::Tokenize(std::string_view word, std::vector<Token>* out) const {
  if (auto id = FindId(vocab_, word)) {
    out->push_back(Token{*id, std::string(word), 0, word.size()});
    return Status::Ok();
  }
  auto unk = FindId(vocab_, unk_token_);
  if (!unk) {
    return Status::InvalidArgument("WordLevel: unk token \"" + unk_token_ +
                                   "\" is not in the vocabulary");
  }
  out->push_back(Token{*unk, unk_token_, 0, word.size()});
  return Status::Ok();
}

std::optional<int32_t> WordLevelModel::TokenToId(std::string_view token) const {
  return FindId(vocab_, token);
}

std::optional<std::string_view> WordLevelModel::IdToToken(int32_t id) const {
  const std::string* token = vocab_r_.Find(id);
  if (token == nullptr) return std::nullopt;
  return std::string_view(*token);
}

}  // namespace imi::tokenizer
