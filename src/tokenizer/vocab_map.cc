#include "tokenizer/vocab_map.h"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

namespace imi::tokenizer {

void IdTable::Build(const VocabMap& vocab) {
  int64_t max_id = -1;
  for (const auto& [token, id] : vocab) max_id = std::max<int64_t>(max_id, id);
  is_dense_ = max_id < static_cast<int64_t>(vocab.size()) * 2 + 1024;
  if (is_dense_) {
    dense_.assign(static_cast<size_t>(max_id + 1), std::string());
    present_.assign(static_cast<size_t>(max_id + 1), 0);
    for (const auto& [token, id] : vocab) {
      dense_[id] = token;
      present_[id] = 1;
    }
  } else {
    for (const auto& [token, id] : vocab) sparse_[id] = token;
  }
}

const std::string* IdTable::Find(int32_t id) const {
  if (is_dense_) {
    if (id < 0 || static_cast<size_t>(id) >= dense_.size() || !present_[id]) return nullptr;
    return &dense_[id];
  }
  auto it = sparse_.find(id);
  return it == sparse_.end() ? nullptr : &it->second;
}

Status ReadVocabObject(const nlohmann::json& value, std::string_view what, VocabMap* vocab) {
  if (!value.is_object()) {
    return Status::InvalidArgument(std::string(what) +
                                   ": \"vocab\" must be an object of token -> id");
  }
  vocab->reserve(value.size());
  for (auto it = value.begin(); it != value.end(); ++it) {
    const nlohmann::json& id = it.value();
    if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
        id.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      return Status::InvalidArgument(std::string(what) + ": vocab entry \"" + it.key() +
                                     "\" must have a non-negative integer id");
    }
    const auto id32 = static_cast<int32_t>(id.get<int64_t>());
    (*vocab)[it.key()] = id32;
  }
  return Status::Ok();
}

Result<std::optional<std::string>> OptionalStringField(const nlohmann::json& object,
                                                       std::string_view key,
                                                       std::string_view what) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return Status::InvalidArgument(std::string(what) + ": \"" + std::string(key) +
                                   "\" must be a string");
  }
  return std::optional<std::string>(it->get<std::string>());
}

Result<bool> BoolField(const nlohmann::json& object, std::string_view key, bool fallback,
                       std::string_view what) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) {
    return Status::InvalidArgument(std::string(what) + ": \"" + std::string(key) +
                                   "\" must be true or false");
  }
  return it->get<bool>();
}

}  // namespace imi::tokenizer
