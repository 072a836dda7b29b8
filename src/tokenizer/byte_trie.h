#ifndef IMI_TOKENIZER_BYTE_TRIE_H_
#define IMI_TOKENIZER_BYTE_TRIE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace imi::tokenizer {

// A read-only byte trie mapping keys to non-negative values, built once.
// Root edges use a dense table; other nodes keep their edges sorted.
// Immutable after Build; thread-safe for look-ups. Its arrays are its own,
// or borrowed from storage it keeps alive (AssignBorrowed: a mapped cache
// file). Movable, not copyable.
class ByteTrie {
 public:
  // One node: the value of the key ending here (-1: none) and its edges
  // edges()[edges_begin, edges_begin + edges_count), sorted by byte. The
  // root (node 0) keeps its edges in root_next() instead.
  struct Node {
    int32_t value = -1;
    uint32_t edges_begin = 0;
    uint32_t edges_count = 0;
  };
  struct Edge {
    uint8_t byte;
    int32_t child;
  };

  ByteTrie() { PointAtOwned(); }
  ByteTrie(ByteTrie&&) noexcept = default;
  ByteTrie& operator=(ByteTrie&&) noexcept = default;
  ByteTrie(const ByteTrie&) = delete;
  ByteTrie& operator=(const ByteTrie&) = delete;

  // Adds `key` with `value` (a later Insert of the same key overwrites).
  // Only valid before Build().
  void Insert(std::string_view key, int32_t value);

  // Freezes the trie into its compact look-up form: sorts the keys and lays
  // the nodes out in one pass (no hashing; linear in the key bytes after
  // the sort).
  void Build();

  // A built trie from its arrays (a cache's copy of nodes(), edges() and
  // root_next() of a built trie). Checks every index, so that look-ups stay
  // inside the arrays whatever the input: values must be below
  // `value_limit`, children point at nodes other than the root, edge ranges
  // lie inside `edges`. False (and the trie untouched) when a check fails.
  bool AssignBuilt(std::vector<Node> nodes, std::vector<Edge> edges, const std::array<int32_t, 256>& root_next,
                   int32_t value_limit);
  // The same checks, but the arrays are used where they are (not copied):
  // `keep` owns the storage they live in and is held as long as the trie.
  bool AssignBorrowed(std::span<const Node> nodes, std::span<const Edge> edges,
                      const std::array<int32_t, 256>& root_next, int32_t value_limit, std::shared_ptr<const void> keep);

  // The built trie's arrays (for a cache; see AssignBuilt).
  std::span<const Node> nodes() const { return {node_data_, node_count_}; }
  std::span<const Edge> edges() const { return {edge_data_, edge_count_}; }
  const std::array<int32_t, 256>& root_next() const { return root_next_; }

  // The value of exactly `key` (the last Insert of it), if any. After Build.
  std::optional<int32_t> Find(std::string_view key) const {
    if (key.empty()) return node_data_[0].value >= 0 ? std::optional<int32_t>(node_data_[0].value) : std::nullopt;
    int32_t node = root_next_[static_cast<unsigned char>(key[0])];
    for (size_t i = 1; node >= 0 && i < key.size(); ++i) {
      node = Child(node_data_[node], static_cast<unsigned char>(key[i]));
    }
    if (node < 0 || node_data_[node].value < 0) return std::nullopt;
    return node_data_[node].value;
  }

  // Calls fn(length, value) for every key that is a prefix of `text`, in
  // increasing length, as the reference's common_prefix_search does.
  template <typename Fn>
  void ForEachPrefix(std::string_view text, Fn&& fn) const {
    if (text.empty()) return;
    int32_t node = root_next_[static_cast<unsigned char>(text[0])];
    size_t i = 1;
    while (node >= 0) {
      const Node& n = node_data_[node];
      if (n.value >= 0) fn(i, n.value);
      if (i == text.size()) return;
      node = Child(n, static_cast<unsigned char>(text[i]));
      ++i;
    }
  }

 private:
  int32_t Child(const Node& n, uint8_t byte) const {
    const Edge* e = edge_data_ + n.edges_begin;
    const Edge* end = e + n.edges_count;
    if (n.edges_count <= 8) {
      for (; e != end; ++e) {
        if (e->byte == byte) return e->child;
      }
      return -1;
    }
    while (e < end) {  // binary search over sorted edges
      const Edge* mid = e + (end - e) / 2;
      if (mid->byte < byte) {
        e = mid + 1;
      } else {
        end = mid;
      }
    }
    return (e != edge_data_ + n.edges_begin + n.edges_count && e->byte == byte) ? e->child : -1;
  }

  static bool Valid(std::span<const Node> nodes, std::span<const Edge> edges,
                    const std::array<int32_t, 256>& root_next, int32_t value_limit);
  void PointAtOwned() {
    node_data_ = nodes_.data();
    node_count_ = nodes_.size();
    edge_data_ = edges_.data();
    edge_count_ = edges_.size();
    borrowed_from_.reset();
  }

  // Build-time: the keys in insertion order, their bytes in one arena.
  struct PendingKey {
    size_t offset;
    uint32_t length;
    int32_t value;
  };
  std::string key_bytes_;
  std::vector<PendingKey> pending_;
  std::vector<Node> nodes_{Node{}};  // node 0 is the root
  std::vector<Edge> edges_;
  std::array<int32_t, 256> root_next_{};
  // What look-ups read: nodes_/edges_, or borrowed arrays (moving a vector
  // keeps its buffer, so the defaulted moves keep these valid).
  const Node* node_data_ = nullptr;
  size_t node_count_ = 0;
  const Edge* edge_data_ = nullptr;
  size_t edge_count_ = 0;
  std::shared_ptr<const void> borrowed_from_;
};

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_BYTE_TRIE_H_
