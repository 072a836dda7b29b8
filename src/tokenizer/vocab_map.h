#ifndef IMI_TOKENIZER_VOCAB_MAP_H_
#define IMI_TOKENIZER_VOCAB_MAP_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"

namespace imi::tokenizer {

// Hash for string keys that also accepts string_view look-ups without a copy.
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// token -> id map with heterogeneous (string_view) look-up. Not synchronised;
// read-only use from many threads is safe.
using VocabMap = std::unordered_map<std::string, int32_t, StringViewHash, std::equal_to<>>;

// Id of `token` in `vocab`, if present.
inline std::optional<int32_t> FindId(const VocabMap& vocab, std::string_view token) {
  auto it = vocab.find(token);
  if (it == vocab.end()) return std::nullopt;
  return it->second;
}

// id -> token table: a dense vector when ids are (nearly) dense, else a map.
// Immutable after Build; thread-safe for look-ups.
class IdTable {
 public:
  // Builds the table from every (token, id) of `vocab`.
  void Build(const VocabMap& vocab);
  // Token of `id`, or nullptr when absent. The pointer lives as long as the table.
  const std::string* Find(int32_t id) const;

 private:
  std::vector<std::string> dense_;
  std::vector<uint8_t> present_;
  std::unordered_map<int32_t, std::string> sparse_;
  bool is_dense_ = true;
};

// Reads a {"token": id, ...} object into *vocab. InvalidArgument names
// `what` when the value is not an object of non-negative integer ids.
Status ReadVocabObject(const nlohmann::json& value, std::string_view what, VocabMap* vocab);

// Optional string field: nullopt when absent or null; InvalidArgument when of
// another type.
Result<std::optional<std::string>> OptionalStringField(const nlohmann::json& object,
                                                       std::string_view key,
                                                       std::string_view what);

// Optional boolean field with a default (absent or null -> `fallback`).
Result<bool> BoolField(const nlohmann::json& object, std::string_view key, bool fallback,
                       std::string_view what);

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_VOCAB_MAP_H_
