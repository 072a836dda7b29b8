// tokenizer.json -> HfTokenizer. The JSON library's exceptions are caught
// here, at the one boundary where untrusted JSON enters the pipeline.
#include <filesystem>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/json_fields.h"
#include "tokenizer/loader.h"
#include "tokenizer/tokenizer.h"

namespace imi::tokenizer {
namespace {

Result<std::optional<TruncationParams>> ParseTruncation(const nlohmann::json& j) {
  if (j.is_null()) return std::optional<TruncationParams>();
  if (!j.is_object()) return Status::InvalidArgument("\"truncation\" must be an object or null");
  TruncationParams p;
  if (auto it = j.find("max_length"); it != j.end()) {
    if (!it->is_number_unsigned()) return Status::InvalidArgument("truncation max_length must be a non-negative integer");
    p.max_length = it->get<size_t>();
  }
  if (auto it = j.find("stride"); it != j.end()) {
    if (!it->is_number_unsigned()) return Status::InvalidArgument("truncation stride must be a non-negative integer");
    p.stride = it->get<size_t>();
  }
  IMI_ASSIGN_OR_RETURN(std::string direction, StringField(j, "direction", "Right"));
  if (direction == "Right") {
    p.direction = TruncationDirection::kRight;
  } else if (direction == "Left") {
    p.direction = TruncationDirection::kLeft;
  } else {
    return Status::InvalidArgument("unknown truncation direction \"" + direction + "\"");
  }
  IMI_ASSIGN_OR_RETURN(std::string strategy, StringField(j, "strategy", "LongestFirst"));
  if (strategy == "LongestFirst") {
    p.strategy = TruncationStrategy::kLongestFirst;
  } else if (strategy == "OnlyFirst") {
    p.strategy = TruncationStrategy::kOnlyFirst;
  } else if (strategy == "OnlySecond") {
    p.strategy = TruncationStrategy::kOnlySecond;
  } else {
    return Status::InvalidArgument("unknown truncation strategy \"" + strategy + "\"");
  }
  return std::optional<TruncationParams>(p);
}

Result<std::optional<PaddingParams>> ParsePadding(const nlohmann::json& j) {
  if (j.is_null()) return std::optional<PaddingParams>();
  if (!j.is_object()) return Status::InvalidArgument("\"padding\" must be an object or null");
  PaddingParams p;
  if (auto it = j.find("strategy"); it != j.end()) {
    if (it->is_object() && it->contains("Fixed") && (*it)["Fixed"].is_number_unsigned()) {
      p.fixed_length = (*it)["Fixed"].get<size_t>();
    } else if (!(it->is_string() && it->get<std::string>() == "BatchLongest")) {
      return Status::InvalidArgument("padding strategy must be \"BatchLongest\" or {\"Fixed\": n}");
    }
  }
  IMI_ASSIGN_OR_RETURN(std::string direction, StringField(j, "direction", "Right"));
  if (direction == "Right") {
    p.direction = PaddingDirection::kRight;
  } else if (direction == "Left") {
    p.direction = PaddingDirection::kLeft;
  } else {
    return Status::InvalidArgument("unknown padding direction \"" + direction + "\"");
  }
  if (auto it = j.find("pad_to_multiple_of"); it != j.end() && !it->is_null()) {
    if (!it->is_number_unsigned()) return Status::InvalidArgument("pad_to_multiple_of must be a non-negative integer");
    p.pad_to_multiple_of = it->get<size_t>();
  }
  if (auto it = j.find("pad_id"); it != j.end() && it->is_number_integer()) p.pad_id = it->get<int32_t>();
  if (auto it = j.find("pad_type_id"); it != j.end() && it->is_number_integer()) {
    p.pad_type_id = it->get<int32_t>();
  }
  IMI_ASSIGN_OR_RETURN(p.pad_token, StringField(j, "pad_token", "[PAD]"));
  return std::optional<PaddingParams>(std::move(p));
}

Result<std::vector<AddedToken>> ParseAddedTokens(const nlohmann::json& j) {
  std::vector<AddedToken> out;
  if (j.is_null()) return out;
  if (!j.is_array()) return Status::InvalidArgument("\"added_tokens\" must be an array");
  for (const auto& entry : j) {
    if (!entry.is_object()) return Status::InvalidArgument("every added token must be an object");
    AddedToken t;
    IMI_ASSIGN_OR_RETURN(t.content, RequiredString(entry, "content"));
    IMI_ASSIGN_OR_RETURN(t.special, BoolField(entry, "special", false));
    IMI_ASSIGN_OR_RETURN(t.single_word, BoolField(entry, "single_word", false));
    IMI_ASSIGN_OR_RETURN(t.lstrip, BoolField(entry, "lstrip", false));
    IMI_ASSIGN_OR_RETURN(t.rstrip, BoolField(entry, "rstrip", false));
    IMI_ASSIGN_OR_RETURN(t.normalized, BoolField(entry, "normalized", !t.special));
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::unique_ptr<Tokenizer>> Build(const nlohmann::json& root, std::unique_ptr<Model> built_model) {
  if (!root.is_object()) return Status::InvalidArgument("the top level must be a JSON object");
  TokenizerParts parts;
  auto model_it = root.find("model");
  if (model_it == root.end() || model_it->is_null()) {
    return Status::InvalidArgument("no \"model\" object");
  }
  if (built_model != nullptr) {
    parts.model = std::move(built_model);
  } else {
    Result<std::unique_ptr<Model>> model = ModelFromJson(*model_it);
    if (!model.ok()) return model.status().WithContext("model");
    parts.model = std::move(model).value();
  }
  if (auto it = root.find("normalizer"); it != root.end() && !it->is_null()) {
    Result<std::unique_ptr<Normalizer>> n = NormalizerFromJson(*it);
    if (!n.ok()) return n.status().WithContext("normalizer");
    parts.normalizer = std::move(n).value();
  }
  if (auto it = root.find("pre_tokenizer"); it != root.end() && !it->is_null()) {
    Result<std::unique_ptr<PreTokenizer>> p = PreTokenizerFromJson(*it);
    if (!p.ok()) return p.status().WithContext("pre_tokenizer");
    parts.pre_tokenizer = std::move(p).value();
  }
  if (auto it = root.find("post_processor"); it != root.end() && !it->is_null()) {
    Result<std::unique_ptr<PostProcessor>> p = PostProcessorFromJson(*it);
    if (!p.ok()) return p.status().WithContext("post_processor");
    parts.post_processor = std::move(p).value();
  }
  if (auto it = root.find("decoder"); it != root.end() && !it->is_null()) {
    Result<std::unique_ptr<Decoder>> d = DecoderFromJson(*it);
    if (!d.ok()) return d.status().WithContext("decoder");
    parts.decoder = std::move(d).value();
  }
  if (auto it = root.find("truncation"); it != root.end()) {
    IMI_ASSIGN_OR_RETURN(parts.truncation, ParseTruncation(*it));
  }
  if (auto it = root.find("padding"); it != root.end()) {
    IMI_ASSIGN_OR_RETURN(parts.padding, ParsePadding(*it));
  }
  if (auto it = root.find("added_tokens"); it != root.end()) {
    IMI_ASSIGN_OR_RETURN(std::vector<AddedToken> added, ParseAddedTokens(*it));
    IMI_RETURN_IF_ERROR(parts.added.Add(added, *parts.model, parts.normalizer.get()));
  }
  return std::unique_ptr<Tokenizer>(std::make_unique<HfTokenizer>(std::move(parts)));
}

}  // namespace

Result<nlohmann::json> ParseTokenizerJson(std::string_view json, std::string_view source_name) {
  nlohmann::json root = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return Status::InvalidArgument(std::string(source_name) +
                                   ": not valid JSON; expected a Hugging Face tokenizer.json");
  }
  return root;
}

Result<std::unique_ptr<Tokenizer>> BuildTokenizer(const nlohmann::json& root, std::unique_ptr<Model> model,
                                                  std::string_view source_name) {
  const std::string source(source_name);
  try {
    Result<std::unique_ptr<Tokenizer>> tokenizer = Build(root, std::move(model));
    if (!tokenizer.ok()) return tokenizer.status().WithContext(source);
    return tokenizer;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(source + ": malformed tokenizer.json: " + e.what());
  } catch (const std::exception& e) {
    return Status::InvalidArgument(source + ": cannot load tokenizer: " + e.what());
  }
}

Result<std::string> ResolveTokenizerFile(const std::string& path) {
  std::error_code ec;
  std::string file = path;
  if (std::filesystem::is_directory(path, ec)) file = (std::filesystem::path(path) / "tokenizer.json").string();
  if (!std::filesystem::exists(file, ec)) {
    return Status::NotFound(file + " not found: expected a tokenizer.json (Hugging Face tokenizers format) "
                            "or a directory containing one");
  }
  return file;
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromJson(std::string_view json,
                                                       std::string_view source_name) {
  IMI_ASSIGN_OR_RETURN(nlohmann::json root, ParseTokenizerJson(json, source_name));
  return BuildTokenizer(root, nullptr, source_name);
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromFile(const std::string& path) {
  IMI_ASSIGN_OR_RETURN(std::string file, ResolveTokenizerFile(path));
  IMI_ASSIGN_OR_RETURN(std::string contents, ReadFileToString(file));
  return FromJson(contents, file);
}

}  // namespace imi::tokenizer
