#ifndef IMI_TOKENIZER_WORD_CACHE_H_
#define IMI_TOKENIZER_WORD_CACHE_H_

#include <array>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tokenizer/vocab_map.h"

namespace imi::tokenizer {

// A bounded word -> result memo shared by threads, like the reference's model
// cache: it only stores what a deterministic computation returned, so a hit
// and a miss give identical outputs. Entries are never evicted; once full,
// new words are simply not stored. Thread-safe (sharded mutexes).
template <typename Value>
class WordCache {
 public:
  // Words of this many bytes or more are never cached (as the reference).
  static constexpr size_t kMaxWordBytes = 256;

  explicit WordCache(size_t capacity = 10000) : per_shard_capacity_(capacity / kShards + 1) {}

  // Copies the cached value of `word` into *value; false on a miss.
  bool Get(std::string_view word, Value* value) const {
    if (word.size() >= kMaxWordBytes) return false;
    const Shard& shard = shards_[ShardOf(word)];
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.map.find(word);
    if (it == shard.map.end()) return false;
    *value = it->second;
    return true;
  }

  // Stores `value` for `word` unless the shard is full or the word too long.
  void Put(std::string_view word, const Value& value) const {
    if (word.size() >= kMaxWordBytes) return;
    Shard& shard = shards_[ShardOf(word)];
    std::lock_guard<std::mutex> lock(shard.mutex);
    if (shard.map.size() >= per_shard_capacity_) return;
    shard.map.emplace(std::string(word), value);
  }

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Value, StringViewHash, std::equal_to<>> map;
  };
  static size_t ShardOf(std::string_view word) {
    return (std::hash<std::string_view>{}(word) >> 7) % kShards;
  }

  size_t per_shard_capacity_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_WORD_CACHE_H_
