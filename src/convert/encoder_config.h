#ifndef IMI_CONVERT_ENCODER_CONFIG_H_
#define IMI_CONVERT_ENCODER_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace imi::convert {

enum class Architecture { kBert, kXlmRoberta, kModernBert };

// What config.json says about an encoder imi can convert. Field names follow
// transformers' configuration classes.
struct EncoderConfig {
  Architecture arch = Architecture::kBert;
  std::string model_type;  // as written in config.json
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t intermediate_size = 0;
  int64_t max_position_embeddings = 0;
  int64_t pad_token_id = 0;
  double layer_norm_eps = 1e-12;  // ModernBERT: norm_eps
  std::string hidden_act = "gelu";

  // BERT / XLM-R.
  int64_t type_vocab_size = 2;

  // ModernBERT. A layer i uses the sliding window when
  // i % global_attn_every_n_layers != 0 (transformers decides the window
  // that way); its rotary theta follows layer_types ("sliding_attention":
  // local theta, "full_attention": global theta).
  int64_t local_attention = 128;  // total window; tokens within local_attention / 2 are seen
  int64_t global_attn_every_n_layers = 3;
  double global_rope_theta = 160000.0;
  double local_rope_theta = 10000.0;
  std::vector<bool> sliding_rope;  // per layer: true when layer_types says sliding_attention
  bool norm_bias = false;
  bool attention_bias = false;
  bool mlp_bias = false;

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  bool IsLocalLayer(int64_t layer) const { return layer % global_attn_every_n_layers != 0; }
};

// Reads config.json. Unsupported names an unknown model_type or a setting
// imi does not convert (another position type or activation, rope scaling);
// InvalidArgument names a missing or inconsistent key.
Result<EncoderConfig> ReadEncoderConfig(const std::string& config_path);

}  // namespace imi::convert

#endif  // IMI_CONVERT_ENCODER_CONFIG_H_
