#ifndef IMI_SERVER_JSON_IO_H_
#define IMI_SERVER_JSON_IO_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "server/memory_budget.h"

namespace imi::server {

// Deepest nesting of arrays/objects a request body may have.
inline constexpr size_t kMaxJsonDepth = 32;

// How a request body is turned into JSON.
struct JsonBodyOptions {
  // Charged, as the tree is built, with an estimate of its size (see
  // docs/limits.md); null: not charged. Its errors (413 over the whole
  // budget, 503 when others hold it) end the parse.
  MemoryLease* memory = nullptr;
  // When the body is an object and this is not empty: only these top-level
  // fields are built. Other fields are checked as JSON but never built, so
  // a body full of fields the route does not read costs no memory.
  std::vector<std::string_view> fields;
  // Receives the names of the top-level fields skipped (the first 16, each
  // cut to 64 bytes); may be null.
  std::vector<std::string>* skipped = nullptr;
};

// Parses a request body. InvalidArgument (naming what is wrong, with the byte
// offset) for an empty body, nesting deeper than kMaxJsonDepth (checked before
// parsing, so the parser never recurses deeper), malformed JSON, invalid
// UTF-8 in strings, and NaN/Infinity (not JSON); the memory lease's error
// when the tree does not fit. Never throws.
Result<nlohmann::json> ParseJsonBody(std::string_view body, const JsonBodyOptions& options = {});

// `s` as a JSON string literal; invalid UTF-8 is replaced by U+FFFD.
std::string JsonString(std::string_view s);

// Serialises `value` compactly; invalid UTF-8 is replaced. Never throws.
std::string DumpJson(const nlohmann::json& value);

// Appends a float in the shortest form that reads back to the same float32.
void AppendFloat(std::string* out, float value);
// Appends [v0,v1,...].
void AppendFloatArray(std::string* out, const std::vector<float>& values);
// Base64 of the little-endian float32 bytes (OpenAI's encoding_format=base64).
std::string Base64Float32(const std::vector<float>& values);

}  // namespace imi::server

#endif  // IMI_SERVER_JSON_IO_H_
