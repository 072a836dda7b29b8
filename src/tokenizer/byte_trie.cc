#include "tokenizer/byte_trie.h"

#include <algorithm>

namespace imi::tokenizer {

void ByteTrie::Insert(std::string_view key, int32_t value) {
  int32_t node = 0;
  for (unsigned char c : key) {
    const uint64_t k = (static_cast<uint64_t>(node) << 8) | c;
    auto it = build_index_.find(k);
    if (it == build_index_.end()) {
      const auto child = static_cast<int32_t>(nodes_.size());
      nodes_.push_back(Node{});
      build_index_.emplace(k, child);
      pending_.push_back(PendingEdge{node, c, child});
      node = child;
    } else {
      node = it->second;
    }
  }
  nodes_[node].value = value;
}

void ByteTrie::Build() {
  std::sort(pending_.begin(), pending_.end(), [](const PendingEdge& a, const PendingEdge& b) {
    return a.parent != b.parent ? a.parent < b.parent : a.byte < b.byte;
  });
  root_next_.fill(-1);
  edges_.clear();
  edges_.reserve(pending_.size());
  for (const PendingEdge& e : pending_) {
    if (e.parent == 0) {
      root_next_[e.byte] = e.child;
      continue;
    }
    Node& parent = nodes_[e.parent];
    if (parent.edges_count == 0) parent.edges_begin = static_cast<uint32_t>(edges_.size());
    edges_.push_back(Edge{e.byte, e.child});
    ++parent.edges_count;
  }
  pending_.clear();
  pending_.shrink_to_fit();
  build_index_.clear();
  build_index_.rehash(0);
}

}  // namespace imi::tokenizer
