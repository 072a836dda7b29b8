#include "convert/encoder_config.h"

#include <nlohmann/json.hpp>

#include "base/file.h"

namespace imi::convert {
namespace {

using Json = nlohmann::json;

class Reader {
 public:
  Reader(const Json& j, std::string path) : j_(j), path_(std::move(path)) {}

  Status Int(const char* key, int64_t* out, bool required = true, int64_t min = 1) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      return required ? Status::InvalidArgument(path_ + ": missing \"" + std::string(key) + "\"") : Status::Ok();
    }
    if (!it->is_number_integer()) return Status::InvalidArgument(path_ + ": \"" + std::string(key) + "\" is not an integer");
    const int64_t v = it->get<int64_t>();
    if (v < min) {
      return Status::InvalidArgument(path_ + ": \"" + std::string(key) + "\" is " + std::to_string(v) +
                                     ", expected at least " + std::to_string(min));
    }
    *out = v;
    return Status::Ok();
  }
  Status Double(const char* key, double* out) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return Status::Ok();
    if (!it->is_number()) return Status::InvalidArgument(path_ + ": \"" + std::string(key) + "\" is not a number");
    *out = it->get<double>();
    return Status::Ok();
  }
  Status Bool(const char* key, bool* out) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return Status::Ok();
    if (!it->is_boolean()) return Status::InvalidArgument(path_ + ": \"" + std::string(key) + "\" is not true or false");
    *out = it->get<bool>();
    return Status::Ok();
  }
  Status String(const char* key, std::string* out) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return Status::Ok();
    if (!it->is_string()) return Status::InvalidArgument(path_ + ": \"" + std::string(key) + "\" is not a string");
    *out = it->get<std::string>();
    return Status::Ok();
  }

 private:
  const Json& j_;
  std::string path_;
};

// rope_parameters[layer_type]: {"rope_type": "default", "rope_theta": x}.
Status ReadRope(const Json& j, const std::string& path, const char* layer_type, double* theta) {
  auto rp = j.find("rope_parameters");
  if (rp == j.end() || rp->is_null()) return Status::Ok();
  if (!rp->is_object()) return Status::InvalidArgument(path + ": \"rope_parameters\" is not an object");
  auto entry = rp->find(layer_type);
  if (entry == rp->end() || entry->is_null()) return Status::Ok();
  if (!entry->is_object()) return Status::InvalidArgument(path + ": rope_parameters." + layer_type + " is not an object");
  auto type = entry->find("rope_type");
  if (type != entry->end() && !(type->is_string() && type->get<std::string>() == "default")) {
    return Status::Unsupported(path + ": rope_parameters." + layer_type + ".rope_type " + type->dump() +
                               " (imi converts default rotary embeddings only)");
  }
  auto t = entry->find("rope_theta");
  if (t != entry->end()) {
    if (!t->is_number()) return Status::InvalidArgument(path + ": rope_parameters." + layer_type + ".rope_theta is not a number");
    *theta = t->get<double>();
  }
  return Status::Ok();
}

}  // namespace

Result<EncoderConfig> ReadEncoderConfig(const std::string& path) {
  IMI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument(path + " is not a JSON object");
  EncoderConfig c;
  Reader r(j, path);
  IMI_RETURN_IF_ERROR(r.String("model_type", &c.model_type));
  if (c.model_type == "bert") {
    c.arch = Architecture::kBert;
  } else if (c.model_type == "xlm-roberta") {
    c.arch = Architecture::kXlmRoberta;
  } else if (c.model_type == "modernbert") {
    c.arch = Architecture::kModernBert;
  } else {
    return Status::Unsupported(path + ": model_type \"" + c.model_type +
                               "\" cannot be converted (imi converts modernbert, bert and xlm-roberta)");
  }
  IMI_RETURN_IF_ERROR(r.Int("vocab_size", &c.vocab_size));
  IMI_RETURN_IF_ERROR(r.Int("hidden_size", &c.hidden_size));
  IMI_RETURN_IF_ERROR(r.Int("num_hidden_layers", &c.num_hidden_layers));
  IMI_RETURN_IF_ERROR(r.Int("num_attention_heads", &c.num_attention_heads));
  IMI_RETURN_IF_ERROR(r.Int("intermediate_size", &c.intermediate_size));
  IMI_RETURN_IF_ERROR(r.Int("max_position_embeddings", &c.max_position_embeddings));
  IMI_RETURN_IF_ERROR(r.Int("pad_token_id", &c.pad_token_id, false, 0));
  if (c.hidden_size % c.num_attention_heads != 0) {
    return Status::InvalidArgument(path + ": hidden_size " + std::to_string(c.hidden_size) +
                                   " is not a multiple of num_attention_heads " + std::to_string(c.num_attention_heads));
  }
  if (c.pad_token_id >= c.vocab_size) return Status::InvalidArgument(path + ": pad_token_id is beyond vocab_size");

  if (c.arch == Architecture::kModernBert) {
    c.layer_norm_eps = 1e-5;
    IMI_RETURN_IF_ERROR(r.Double("norm_eps", &c.layer_norm_eps));
    IMI_RETURN_IF_ERROR(r.String("hidden_activation", &c.hidden_act));
    IMI_RETURN_IF_ERROR(r.Int("local_attention", &c.local_attention, false, 0));
    IMI_RETURN_IF_ERROR(r.Int("global_attn_every_n_layers", &c.global_attn_every_n_layers, false));
    IMI_RETURN_IF_ERROR(r.Bool("norm_bias", &c.norm_bias));
    IMI_RETURN_IF_ERROR(r.Bool("attention_bias", &c.attention_bias));
    IMI_RETURN_IF_ERROR(r.Bool("mlp_bias", &c.mlp_bias));
    // Older configs: global_rope_theta / local_rope_theta; newer ones:
    // rope_parameters per layer type (which win, as in transformers).
    IMI_RETURN_IF_ERROR(r.Double("global_rope_theta", &c.global_rope_theta));
    IMI_RETURN_IF_ERROR(r.Double("local_rope_theta", &c.local_rope_theta));
    IMI_RETURN_IF_ERROR(ReadRope(j, path, "full_attention", &c.global_rope_theta));
    IMI_RETURN_IF_ERROR(ReadRope(j, path, "sliding_attention", &c.local_rope_theta));
    auto scaling = j.find("rope_scaling");
    if (scaling != j.end() && !scaling->is_null()) {
      return Status::Unsupported(path + ": rope_scaling " + scaling->dump() + " is not supported");
    }
    auto types = j.find("layer_types");
    if (types != j.end() && !types->is_null()) {
      if (!types->is_array() || static_cast<int64_t>(types->size()) != c.num_hidden_layers) {
        return Status::InvalidArgument(path + ": \"layer_types\" must list one type per layer");
      }
      for (const auto& t : *types) {
        const std::string s = t.is_string() ? t.get<std::string>() : "";
        if (s != "full_attention" && s != "sliding_attention") {
          return Status::Unsupported(path + ": layer type " + t.dump() + " (expected full_attention or sliding_attention)");
        }
        c.sliding_rope.push_back(s == "sliding_attention");
      }
    } else {
      for (int64_t i = 0; i < c.num_hidden_layers; ++i) c.sliding_rope.push_back(c.IsLocalLayer(i));
    }
  } else {
    IMI_RETURN_IF_ERROR(r.Double("layer_norm_eps", &c.layer_norm_eps));
    IMI_RETURN_IF_ERROR(r.String("hidden_act", &c.hidden_act));
    IMI_RETURN_IF_ERROR(r.Int("type_vocab_size", &c.type_vocab_size, false));
    std::string position_type = "absolute";
    IMI_RETURN_IF_ERROR(r.String("position_embedding_type", &position_type));
    if (position_type != "absolute") {
      return Status::Unsupported(path + ": position_embedding_type \"" + position_type + "\" (imi converts absolute only)");
    }
    bool is_decoder = false;
    IMI_RETURN_IF_ERROR(r.Bool("is_decoder", &is_decoder));
    if (is_decoder) return Status::Unsupported(path + ": is_decoder is true (imi converts encoders)");
    if (c.arch == Architecture::kXlmRoberta && c.max_position_embeddings <= c.pad_token_id + 1) {
      return Status::InvalidArgument(path + ": max_position_embeddings must exceed pad_token_id + 1 for xlm-roberta");
    }
  }
  if (c.hidden_act != "gelu") {
    return Status::Unsupported(path + ": activation \"" + c.hidden_act + "\" (imi converts the exact erf \"gelu\")");
  }
  return c;
}

}  // namespace imi::convert
