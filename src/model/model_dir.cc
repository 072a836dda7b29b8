#include "model/model_dir.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/file.h"

namespace imi::model {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

bool IsFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// Parses a JSON file; nullopt when it does not exist.
Result<std::optional<Json>> ReadJsonIfPresent(const fs::path& p) {
  if (!IsFile(p)) return std::optional<Json>();
  IMI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(p.string()));
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument(p.string() + " is not valid JSON");
  return std::optional<Json>(std::move(j));
}

template <typename T>
T Get(const Json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if constexpr (std::is_same_v<T, bool>) {
    return it->is_boolean() ? it->template get<bool>() : fallback;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return it->is_string() ? it->template get<std::string>() : fallback;
  } else {
    return it->is_number() ? it->template get<T>() : fallback;
  }
}

Status ReadPooling(const Json& j, const std::string& where, ModelDir* dir) {
  dir->include_prompt = Get(j, "include_prompt", true);
  if (j.contains("pooling_mode") && j["pooling_mode"].is_string()) {
    auto mode = ParsePoolingMode(j["pooling_mode"].get<std::string>());
    if (!mode.ok()) return Status::Unsupported(where + ": " + mode.status().message());
    dir->pooling = *mode;
    return Status::Ok();
  }
  struct Flag {
    const char* key;
    std::optional<PoolingMode> mode;
  };
  const Flag flags[] = {{"pooling_mode_cls_token", PoolingMode::kCls},
                        {"pooling_mode_mean_tokens", PoolingMode::kMean},
                        {"pooling_mode_max_tokens", PoolingMode::kMax},
                        {"pooling_mode_mean_sqrt_len_tokens", PoolingMode::kMeanSqrtLen},
                        {"pooling_mode_lasttoken", PoolingMode::kLastToken},
                        {"pooling_mode_weightedmean_tokens", std::nullopt}};
  int count = 0;
  for (const auto& f : flags) {
    if (!Get(j, f.key, false)) continue;
    if (!f.mode) return Status::Unsupported(where + ": weighted-mean pooling is not supported");
    dir->pooling = *f.mode;
    ++count;
  }
  if (count > 1) {
    return Status::Unsupported(where + ": several pooling modes at once (concatenated) are not supported");
  }
  return Status::Ok();
}

void CollectOnnx(const fs::path& root, const fs::path& sub, std::vector<std::string>* out) {
  std::error_code ec;
  fs::path dir = root / sub;
  if (!fs::is_directory(dir, ec)) return;
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec) && e.path().extension() == ".onnx") {
      found.push_back((sub / e.path().filename()).lexically_normal().string());
    }
  }
  std::sort(found.begin(), found.end());
  out->insert(out->end(), found.begin(), found.end());
}

}  // namespace

size_t ModelDir::PositionLimit() const {
  if (max_position_embeddings <= 0) return 0;
  if (model_type == "xlm-roberta" || model_type == "roberta" || model_type == "camembert") {
    return static_cast<size_t>(std::max<int64_t>(0, max_position_embeddings - pad_token_id - 1));
  }
  return static_cast<size_t>(max_position_embeddings);
}

Result<ModelDir> LoadModelDir(const std::string& path, const std::string& tokenizer_path) {
  ModelDir dir;
  std::error_code ec;
  fs::path p(path);
  if (!fs::exists(p, ec)) return Status::NotFound("model path " + path + " does not exist");
  fs::path root;
  if (fs::is_directory(p, ec)) {
    root = p;
    CollectOnnx(root, "onnx", &dir.onnx_files);
    CollectOnnx(root, ".", &dir.onnx_files);
  } else {
    if (p.extension() != ".onnx") {
      return Status::InvalidArgument("model path " + path + " is neither a directory nor an .onnx file");
    }
    root = p.parent_path().empty() ? fs::path(".") : p.parent_path();
    dir.onnx_files.push_back(p.filename().string());
  }
  dir.root = root.string();
  if (dir.onnx_files.empty()) {
    return Status::NotFound("no ONNX file in " + path + " (looked for onnx/*.onnx and *.onnx)");
  }

  fs::path tok = tokenizer_path.empty() ? root / "tokenizer.json" : fs::path(tokenizer_path);
  if (fs::is_directory(tok, ec)) tok /= "tokenizer.json";
  if (!IsFile(tok)) {
    return Status::NotFound("no tokenizer.json at " + tok.string() +
                            " (a model needs the Hugging Face tokenizer.json; pass --tokenizer for a bare .onnx)");
  }
  dir.tokenizer_path = tok.string();

  IMI_ASSIGN_OR_RETURN(auto config, ReadJsonIfPresent(root / "config.json"));
  if (config) {
    dir.model_type = Get<std::string>(*config, "model_type", "");
    dir.vocab_size = Get<int64_t>(*config, "vocab_size", 0);
    dir.hidden_size = Get<int64_t>(*config, "hidden_size", 0);
    dir.max_position_embeddings = Get<int64_t>(*config, "max_position_embeddings", 0);
    dir.pad_token_id = Get<int64_t>(*config, "pad_token_id", 0);
  }

  IMI_ASSIGN_OR_RETURN(auto tok_config, ReadJsonIfPresent(root / "tokenizer_config.json"));
  if (tok_config) dir.pad_left = Get<std::string>(*tok_config, "padding_side", "right") == "left";
  // tokenizer.json's own "padding" is read by the Embedder from the loaded
  // tokenizer: parsing the file here as well would build a second JSON DOM
  // of a 19 MB vocabulary on every start.

  IMI_ASSIGN_OR_RETURN(auto modules, ReadJsonIfPresent(root / "modules.json"));
  if (modules && modules->is_array()) {
    for (const auto& m : *modules) {
      const std::string type = Get<std::string>(m, "type", "");
      const std::string sub = Get<std::string>(m, "path", "");
      if (type.find("Pooling") != std::string::npos) {
        const fs::path cfg = root / sub / "config.json";
        IMI_ASSIGN_OR_RETURN(auto pooling, ReadJsonIfPresent(cfg));
        if (pooling) IMI_RETURN_IF_ERROR(ReadPooling(*pooling, cfg.string(), &dir));
      } else if (type.find("Normalize") != std::string::npos) {
        dir.normalize = true;
      }
    }
  } else {
    // No modules.json: sentence-transformers' default for a plain model.
    IMI_ASSIGN_OR_RETURN(auto pooling, ReadJsonIfPresent(root / "1_Pooling" / "config.json"));
    if (pooling) IMI_RETURN_IF_ERROR(ReadPooling(*pooling, "1_Pooling/config.json", &dir));
  }

  IMI_ASSIGN_OR_RETURN(auto sbert, ReadJsonIfPresent(root / "sentence_bert_config.json"));
  if (sbert) {
    const int64_t max_len = Get<int64_t>(*sbert, "max_seq_length", 0);
    if (max_len > 0) dir.max_seq_length = static_cast<size_t>(max_len);
    dir.do_lower_case = Get(*sbert, "do_lower_case", false);
  }
  IMI_ASSIGN_OR_RETURN(auto st, ReadJsonIfPresent(root / "config_sentence_transformers.json"));
  if (st) {
    if (st->contains("prompts") && (*st)["prompts"].is_object()) {
      for (const auto& [name, text] : (*st)["prompts"].items()) {
        if (text.is_string()) dir.prompts[name] = text.get<std::string>();
      }
    }
    const std::string def = Get<std::string>(*st, "default_prompt_name", "");
    if (!def.empty()) dir.default_prompt_name = def;
  }

  // Special tokens by role; a value is a string or an AddedToken object.
  for (const char* file : {"special_tokens_map.json", "tokenizer_config.json"}) {
    IMI_ASSIGN_OR_RETURN(auto special, ReadJsonIfPresent(root / file));
    if (!special || !special->is_object()) continue;
    for (const char* role : {"bos_token", "cls_token", "eos_token", "sep_token", "pad_token", "unk_token",
                             "mask_token"}) {
      auto it = special->find(role);
      if (it == special->end()) continue;
      if (it->is_string()) {
        dir.special_tokens[role] = it->get<std::string>();
      } else if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
        dir.special_tokens[role] = (*it)["content"].get<std::string>();
      }
    }
    if (!dir.special_tokens.empty()) break;
  }

  // Provenance in the manifest `imi pull` writes (docs/pull.md), when present.
  IMI_ASSIGN_OR_RETURN(auto pulled, ReadJsonIfPresent(root / "imi-pull.json"));
  if (pulled) {
    dir.model_id = Get<std::string>(*pulled, "repo", "");
    dir.revision = Get<std::string>(*pulled, "revision", "");
  }
  if (dir.model_id.empty()) {
    dir.model_id = fs::absolute(root, ec).lexically_normal().filename().string();
    if (dir.model_id.empty()) dir.model_id = fs::absolute(root, ec).parent_path().filename().string();
  }
  return dir;
}

}  // namespace imi::model
