#ifndef IMI_STORE_RESCORE_H_
#define IMI_STORE_RESCORE_H_

#include <string>
#include <vector>

#include "base/result.h"
#include "lexical/sparse_vector.h"
#include "store/multivector.h"
#include "store/search_modes.h"
#include "store/vector_store.h"

namespace imi::store {

// Second-stage scoring of search candidates (docs/models.md, "Search mode
// m3" and "Reranking search results").

// bge-m3's scores of one chunk for a query: dense = q . v (inner product),
// sparse = sum over shared ids of w_q w_p, colbert = MaxSim (has_colbert
// false when either side has no token vectors), combined as M3Weights says.
struct M3ChunkScores {
  double dense = 0;
  double sparse = 0;
  double colbert = 0;
  bool has_colbert = false;
  double combined = 0;
};
M3ChunkScores ScoreM3Chunk(const std::vector<float>& query_dense, const lexical::SparseVector& query_sparse,
                           const MultiVector& query_colbert, const Chunk& chunk, const M3Weights& weights);

// Search mode m3: fuses dense and sparse retrieval (request.fusion; each
// component's and the fused list's depth is request.depth, default
// max(k, 100)), reads every chunk of those candidate documents and ranks
// each document by its best chunk's combined score. Components of every hit:
// "dense", "sparse" and (with query token vectors) "colbert", each with that
// chunk's score and the document's rank among the candidates by it.
// InvalidArgument without request.vector or with bad weights.
Result<ModeSearchResponse> SearchM3(VectorStore* store, const std::string& collection,
                                    const ModeSearchRequest& request);

// Reorders the first `top` hits of `response` by `scores` (one per hit
// among them, higher first; ties keep their order), keeps the rest after
// them, and cuts the list to `k`. Each reordered hit's score becomes its
// reranker score and it gains the component "rerank" (score, rank);
// response->reranked = number reordered. InvalidArgument when `scores` has
// the wrong size.
Status ApplyRerank(ModeSearchResponse* response, const std::vector<double>& scores, size_t top, size_t k);

// Most candidates one search may rerank with a cross-encoder.
inline constexpr int kMaxRerankTop = 1000;

}  // namespace imi::store

#endif  // IMI_STORE_RESCORE_H_
