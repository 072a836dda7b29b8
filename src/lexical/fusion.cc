#include "lexical/fusion.h"

#include <algorithm>
#include <unordered_map>

namespace imi::lexical {

Result<FusionMethod> ParseFusionMethod(std::string_view name) {
  if (name == "rrf") return FusionMethod::kRrf;
  if (name == "weighted") return FusionMethod::kWeighted;
  return Status::InvalidArgument("unknown fusion method \"" + std::string(name) + "\"; use \"rrf\" or \"weighted\"");
}

std::string_view FusionMethodName(FusionMethod method) {
  return method == FusionMethod::kRrf ? "rrf" : "weighted";
}

double ComponentWeight(const FusionSpec& spec, const std::string& name) {
  auto it = spec.weights.find(name);
  if (it != spec.weights.end()) return it->second;
  if (name.rfind("lexical:", 0) == 0) {
    it = spec.weights.find("lexical");
    if (it != spec.weights.end()) return it->second;
  }
  return 1.0;
}

std::vector<FusedDocument> Fuse(const std::vector<ComponentList>& lists, const FusionSpec& spec, size_t k) {
  std::unordered_map<std::string, size_t> index;
  std::vector<FusedDocument> docs;
  for (const ComponentList& list : lists) {
    const double weight = ComponentWeight(spec, list.name);
    double lo = 0, hi = 0;
    if (!list.ranked.empty()) {
      auto [mn, mx] = std::minmax_element(list.ranked.begin(), list.ranked.end(),
                                          [](const auto& a, const auto& b) { return a.second < b.second; });
      lo = mn->second;
      hi = mx->second;
    }
    for (size_t r = 0; r < list.ranked.size(); ++r) {
      const auto& [id, score] = list.ranked[r];
      auto [it, inserted] = index.emplace(id, docs.size());
      if (inserted) docs.push_back(FusedDocument{id, 0.0, {}});
      FusedDocument& doc = docs[it->second];
      const int rank = static_cast<int>(r) + 1;
      doc.components[list.name] = ComponentRank{score, rank};
      if (spec.method == FusionMethod::kRrf) {
        doc.score += weight / (spec.rrf_k + rank);
      } else {
        double normalized = 1.0;
        if (hi > lo) normalized = list.higher_is_better ? (score - lo) / (hi - lo) : (hi - score) / (hi - lo);
        doc.score += weight * normalized;
      }
    }
  }
  const size_t n = std::min(k, docs.size());
  std::partial_sort(docs.begin(), docs.begin() + static_cast<std::ptrdiff_t>(n), docs.end(),
                    [](const FusedDocument& a, const FusedDocument& b) {
                      if (a.score != b.score) return a.score > b.score;
                      return a.id < b.id;
                    });
  docs.resize(n);
  return docs;
}

}  // namespace imi::lexical
