#include "tokenizer/byte_trie.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <utility>

namespace imi::tokenizer {

void ByteTrie::Insert(std::string_view key, int32_t value) {
  pending_.push_back(PendingKey{key_bytes_.size(), static_cast<uint32_t>(key.size()), value});
  key_bytes_.append(key);
}

void ByteTrie::Build() {
  auto key_of = [this](const PendingKey& k) { return std::string_view(key_bytes_).substr(k.offset, k.length); };
  // Sorted by bytes (char_traits<char> compares as unsigned char), equal keys
  // in insertion order so that the last one wins.
  std::vector<uint32_t> order(pending_.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return key_of(pending_[a]) < key_of(pending_[b]); });

  // Keys in sorted order share their prefix with the previous key: `path`
  // holds the nodes of that prefix. Children of a node are therefore created
  // in increasing byte order; `parent_of` and `byte_of` record each node's
  // edge so the edge lists can be laid out per parent afterwards.
  // At most one node per key byte (plus the root): reserve once.
  const size_t max_nodes = key_bytes_.size() + 1;
  std::vector<int32_t> parent_of{-1};
  std::vector<uint8_t> byte_of{0};
  parent_of.reserve(max_nodes);
  byte_of.reserve(max_nodes);
  nodes_.assign(1, Node{});
  nodes_.reserve(max_nodes);
  std::vector<int32_t> path{0};
  std::string_view previous;
  for (size_t i = 0; i < order.size(); ++i) {
    const PendingKey& k = pending_[order[i]];
    const std::string_view key = key_of(k);
    if (i + 1 < order.size() && key_of(pending_[order[i + 1]]) == key) continue;  // a later insert wins
    size_t common = 0;
    const size_t limit = std::min(previous.size(), key.size());
    while (common < limit && previous[common] == key[common]) ++common;
    path.resize(common + 1);
    for (size_t d = common; d < key.size(); ++d) {
      const auto child = static_cast<int32_t>(nodes_.size());
      nodes_.push_back(Node{});
      parent_of.push_back(path.back());
      byte_of.push_back(static_cast<uint8_t>(key[d]));
      path.push_back(child);
    }
    nodes_[path.back()].value = k.value;
    previous = key;
  }

  // Edge lists: one counting pass per parent, children in creation order
  // (= byte order within a parent). Root edges go to the dense table.
  root_next_.fill(-1);
  std::vector<uint32_t> count(nodes_.size(), 0);
  for (size_t child = 1; child < nodes_.size(); ++child) {
    if (parent_of[child] == 0) {
      root_next_[byte_of[child]] = static_cast<int32_t>(child);
    } else {
      ++count[parent_of[child]];
    }
  }
  uint32_t next = 0;
  for (size_t n = 0; n < nodes_.size(); ++n) {
    nodes_[n].edges_begin = next;
    nodes_[n].edges_count = 0;
    next += count[n];
  }
  edges_.assign(next, Edge{});
  for (size_t child = 1; child < nodes_.size(); ++child) {
    const int32_t parent = parent_of[child];
    if (parent == 0) continue;
    Node& p = nodes_[parent];
    edges_[p.edges_begin + p.edges_count++] = Edge{byte_of[child], static_cast<int32_t>(child)};
  }
  nodes_.shrink_to_fit();
  PointAtOwned();
  pending_.clear();
  pending_.shrink_to_fit();
  key_bytes_.clear();
  key_bytes_.shrink_to_fit();
}

bool ByteTrie::Valid(std::span<const Node> nodes, std::span<const Edge> edges,
                     const std::array<int32_t, 256>& root_next, int32_t value_limit) {
  if (nodes.empty() || nodes.size() > static_cast<size_t>(INT32_MAX)) return false;
  const auto node_count = static_cast<int64_t>(nodes.size());
  for (int32_t next : root_next) {
    if (next < -1 || next == 0 || next >= node_count) return false;
  }
  for (const Node& n : nodes) {
    if (n.value < -1 || n.value >= value_limit) return false;
    if (static_cast<uint64_t>(n.edges_begin) + n.edges_count > edges.size()) return false;
  }
  for (const Edge& e : edges) {
    if (e.child <= 0 || e.child >= node_count) return false;
  }
  return true;
}

bool ByteTrie::AssignBuilt(std::vector<Node> nodes, std::vector<Edge> edges,
                           const std::array<int32_t, 256>& root_next, int32_t value_limit) {
  if (!Valid(nodes, edges, root_next, value_limit)) return false;
  nodes_ = std::move(nodes);
  edges_ = std::move(edges);
  root_next_ = root_next;
  pending_.clear();
  key_bytes_.clear();
  PointAtOwned();
  return true;
}

bool ByteTrie::AssignBorrowed(std::span<const Node> nodes, std::span<const Edge> edges,
                              const std::array<int32_t, 256>& root_next, int32_t value_limit,
                              std::shared_ptr<const void> keep) {
  if (!Valid(nodes, edges, root_next, value_limit)) return false;
  nodes_.clear();
  nodes_.shrink_to_fit();
  edges_.clear();
  edges_.shrink_to_fit();
  root_next_ = root_next;
  pending_.clear();
  key_bytes_.clear();
  node_data_ = nodes.data();
  node_count_ = nodes.size();
  edge_data_ = edges.data();
  edge_count_ = edges.size();
  borrowed_from_ = std::move(keep);
  return true;
}

}  // namespace imi::tokenizer
