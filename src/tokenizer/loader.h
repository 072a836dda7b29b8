#ifndef IMI_TOKENIZER_LOADER_H_
#define IMI_TOKENIZER_LOADER_H_

// The loader's steps, inside the tokenizer component: Tokenizer::FromFile
// and the binary tokenizer cache (tokenizer/tokenizer_cache.h) share them.

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "tokenizer/model.h"
#include "tokenizer/tokenizer.h"

namespace imi::tokenizer {

// Parses tokenizer.json text. InvalidArgument naming `source_name` when it
// is not JSON.
Result<nlohmann::json> ParseTokenizerJson(std::string_view json, std::string_view source_name);

// Builds a tokenizer from a parsed tokenizer.json. A non-null `model` is
// used instead of building one from the "model" object (which must still
// be there). Errors name `source_name`; the JSON library's exceptions
// become InvalidArgument.
Result<std::unique_ptr<Tokenizer>> BuildTokenizer(const nlohmann::json& root, std::unique_ptr<Model> model,
                                                  std::string_view source_name);

// The tokenizer.json that `path` names: the file itself or
// `<directory>/tokenizer.json`. NotFound says what was expected.
Result<std::string> ResolveTokenizerFile(const std::string& path);

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_LOADER_H_
