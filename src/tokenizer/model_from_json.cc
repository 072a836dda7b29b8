// ModelFromJson: dispatch on "type", or recognise an untagged model by its
// fields in the reference's order (BPE, WordPiece, WordLevel, Unigram).
#include <nlohmann/json.hpp>

#include "tokenizer/bpe.h"
#include "tokenizer/model.h"
#include "tokenizer/unigram.h"
#include "tokenizer/wordlevel.h"
#include "tokenizer/wordpiece.h"

namespace imi::tokenizer {
namespace {

template <typename T>
Result<std::unique_ptr<Model>> Upcast(Result<std::unique_ptr<T>> built) {
  if (!built.ok()) return built.status();
  return std::unique_ptr<Model>(std::move(built).value());
}

Result<std::unique_ptr<Model>> BuildTyped(const std::string& type, const nlohmann::json& model) {
  if (type == "BPE") return Upcast(BpeModel::FromJson(model));
  if (type == "WordPiece") return Upcast(WordPieceModel::FromJson(model));
  if (type == "WordLevel") return Upcast(WordLevelModel::FromJson(model));
  if (type == "Unigram") return Upcast(UnigramModel::FromJson(model));
  return Status::Unsupported("model type \"" + type +
                             "\" is not supported (supported: BPE, WordPiece, WordLevel, Unigram)");
}

}  // namespace

Result<std::unique_ptr<Model>> ModelFromJson(const nlohmann::json& model) {
  if (!model.is_object()) return Status::InvalidArgument("\"model\" must be an object");
  auto type = model.find("type");
  if (type != model.end()) {
    if (!type->is_string()) return Status::InvalidArgument("model \"type\" must be a string");
    return BuildTyped(type->get<std::string>(), model);
  }
  // Untagged (older files): the first variant whose fields parse wins.
  const auto& vocab = model.contains("vocab") ? model["vocab"] : nlohmann::json();
  if (vocab.is_object() && model.contains("merges")) {
    auto bpe = Upcast(BpeModel::FromJson(model));
    if (bpe.ok()) return bpe;
  }
  if (vocab.is_object() && model.contains("unk_token") && model.contains("continuing_subword_prefix") &&
      model.contains("max_input_chars_per_word")) {
    auto wordpiece = Upcast(WordPieceModel::FromJson(model));
    if (wordpiece.ok()) return wordpiece;
  }
  if (vocab.is_object() && model.contains("unk_token")) {
    auto wordlevel = Upcast(WordLevelModel::FromJson(model));
    if (wordlevel.ok()) return wordlevel;
  }
  if (vocab.is_array()) return Upcast(UnigramModel::FromJson(model));
  return Status::InvalidArgument(
      "\"model\" has no \"type\" and its fields match no known model (BPE, WordPiece, WordLevel, "
      "Unigram)");
}

}  // namespace imi::tokenizer
