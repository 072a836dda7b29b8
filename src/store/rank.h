#ifndef IMI_STORE_RANK_H_
#define IMI_STORE_RANK_H_

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/metric.h"

namespace imi::store {

// Total order of ranked chunks shared by every backend: score by the
// metric's direction, then document id (bytewise), then chunk ordinal.
// C has members score, document_id and ordinal.
template <typename C>
bool RankedBefore(Metric metric, const C& a, const C& b) {
  if (a.score != b.score) return RanksBefore(metric, a.score, b.score);
  if (a.document_id != b.document_id) return a.document_id < b.document_id;
  return a.ordinal < b.ordinal;
}

// Keeps each document's best chunk and returns the best k in rank order.
template <typename C>
std::vector<C> TopDocuments(const std::vector<C>& chunks, Metric metric, size_t k) {
  std::unordered_map<std::string, size_t> best;
  for (size_t i = 0; i < chunks.size(); ++i) {
    auto [it, inserted] = best.emplace(chunks[i].document_id, i);
    if (!inserted && RankedBefore(metric, chunks[i], chunks[it->second])) it->second = i;
  }
  std::vector<C> docs;
  docs.reserve(best.size());
  for (const auto& entry : best) docs.push_back(chunks[entry.second]);
  size_t n = std::min(k, docs.size());
  std::partial_sort(docs.begin(), docs.begin() + static_cast<std::ptrdiff_t>(n), docs.end(),
                    [metric](const C& a, const C& b) { return RankedBefore(metric, a, b); });
  docs.resize(n);
  return docs;
}

}  // namespace imi::store

#endif  // IMI_STORE_RANK_H_
