#include "tokenizer/json_fields.h"

namespace imi::tokenizer {

Result<bool> BoolField(const nlohmann::json& j, std::string_view key, bool fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return Status::InvalidArgument("field \"" + std::string(key) + "\" must be a boolean");
  return it->get<bool>();
}

Result<std::string> StringField(const nlohmann::json& j, std::string_view key,
                                std::string_view fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string(fallback);
  if (!it->is_string()) return Status::InvalidArgument("field \"" + std::string(key) + "\" must be a string");
  return it->get<std::string>();
}

Result<std::string> RequiredString(const nlohmann::json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    return Status::InvalidArgument("missing string field \"" + std::string(key) + "\"");
  }
  return it->get<std::string>();
}

std::string TypeOf(const nlohmann::json& j) {
  if (!j.is_object()) return "";
  auto it = j.find("type");
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

}  // namespace imi::tokenizer
