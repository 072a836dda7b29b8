// ByteTrie: prefix look-ups after a build from unsorted keys, duplicates,
// bytes above 0x7f and many children (the binary-search path).
#include "tokenizer/byte_trie.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace imi::tokenizer {
namespace {

std::vector<std::pair<size_t, int32_t>> Prefixes(const ByteTrie& trie, std::string_view text) {
  std::vector<std::pair<size_t, int32_t>> out;
  trie.ForEachPrefix(text, [&](size_t length, int32_t value) { out.emplace_back(length, value); });
  return out;
}

TEST(ByteTrieTest, FindsEveryKeyThatIsAPrefixInIncreasingLength) {
  ByteTrie trie;
  trie.Insert("東京都", 3);
  trie.Insert("a", 0);
  trie.Insert("東京", 2);
  trie.Insert("ab", 1);
  trie.Insert("東", 4);
  trie.Build();
  using V = std::vector<std::pair<size_t, int32_t>>;
  EXPECT_EQ(Prefixes(trie, "東京都に住む"), (V{{3, 4}, {6, 2}, {9, 3}}));
  EXPECT_EQ(Prefixes(trie, "abc"), (V{{1, 0}, {2, 1}}));
  EXPECT_EQ(Prefixes(trie, "b"), V{});
  EXPECT_EQ(Prefixes(trie, ""), V{});
}

TEST(ByteTrieTest, ALaterInsertOfTheSameKeyWins) {
  ByteTrie trie;
  trie.Insert("ab", 1);
  trie.Insert("a", 5);
  trie.Insert("ab", 7);
  trie.Build();
  EXPECT_EQ(Prefixes(trie, "ab"), (std::vector<std::pair<size_t, int32_t>>{{1, 5}, {2, 7}}));
}

TEST(ByteTrieTest, MatchesAMapOnRandomKeysWithManyChildren) {
  std::mt19937 rng(20261205);
  std::map<std::string, int32_t> reference;
  ByteTrie trie;
  for (int32_t i = 0; i < 20000; ++i) {
    std::string key(1 + rng() % 5, '\0');
    for (char& c : key) c = static_cast<char>(rng() % 40 + (rng() % 2 ? 0x61 : 0xe0));
    trie.Insert(key, i);
    reference[key] = i;
  }
  trie.Build();
  for (int probe = 0; probe < 2000; ++probe) {
    std::string text(6, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 40 + (rng() % 2 ? 0x61 : 0xe0));
    std::vector<std::pair<size_t, int32_t>> want;
    for (size_t n = 1; n <= text.size(); ++n) {
      auto it = reference.find(text.substr(0, n));
      if (it != reference.end()) want.emplace_back(n, it->second);
    }
    ASSERT_EQ(Prefixes(trie, text), want) << probe;
  }
}

}  // namespace
}  // namespace imi::tokenizer
