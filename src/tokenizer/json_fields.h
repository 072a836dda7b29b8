#ifndef IMI_TOKENIZER_JSON_FIELDS_H_
#define IMI_TOKENIZER_JSON_FIELDS_H_

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace imi::tokenizer {

// Typed field readers for tokenizer.json components; a wrong type is an
// InvalidArgument naming the field, a missing field yields `fallback`.
Result<bool> BoolField(const nlohmann::json& j, std::string_view key, bool fallback);
Result<std::string> StringField(const nlohmann::json& j, std::string_view key,
                                std::string_view fallback);
// A required string field.
Result<std::string> RequiredString(const nlohmann::json& j, std::string_view key);
// The "type" of a component object ("" when absent).
std::string TypeOf(const nlohmann::json& j);

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_JSON_FIELDS_H_
