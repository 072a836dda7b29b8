#ifndef IMI_LEXICAL_FUSION_H_
#define IMI_LEXICAL_FUSION_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace imi::lexical {

// How hybrid search merges the ranked lists of its components
// (docs/lexical.md): reciprocal rank fusion, or a weighted sum of min-max
// normalised scores.
enum class FusionMethod { kRrf, kWeighted };

struct FusionSpec {
  FusionMethod method = FusionMethod::kRrf;
  double rrf_k = 60;                        // RRF's rank constant (> 0)
  std::map<std::string, double> weights;    // by component name; missing = 1
};

// "rrf" or "weighted"; InvalidArgument otherwise.
Result<FusionMethod> ParseFusionMethod(std::string_view name);
std::string_view FusionMethodName(FusionMethod method);

// One component's ranked documents, best first.
struct ComponentList {
  std::string name;               // "dense", "sparse", "lexical:ja-mecab", ...
  bool higher_is_better = true;   // false for distances (l2, l1)
  std::vector<std::pair<std::string, double>> ranked;  // (document id, score)
};

// A document's place in one component.
struct ComponentRank {
  double score = 0;
  int rank = 0;  // 1-based
};

struct FusedDocument {
  std::string id;
  double score = 0;                                // fused score, higher is better
  std::map<std::string, ComponentRank> components;  // the components that ranked it
};

// The weight `spec` gives component `name`: weights[name], else for
// "lexical:*" components weights["lexical"], else 1.
double ComponentWeight(const FusionSpec& spec, const std::string& name);

// Fuses `lists` and returns the best `k` documents, ties broken by id
// (bytewise). RRF: sum over components of weight / (rrf_k + rank). Weighted:
// sum of weight * (score - min) / (max - min) per list (reversed for
// distances; 1 when all scores are equal); a component that did not rank a
// document adds 0. Pure function.
std::vector<FusedDocument> Fuse(const std::vector<ComponentList>& lists, const FusionSpec& spec, size_t k);

}  // namespace imi::lexical

#endif  // IMI_LEXICAL_FUSION_H_
