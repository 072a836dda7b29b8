#include "store/rescore.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace imi::store {

namespace {

constexpr int kDefaultCandidates = 100;
constexpr int kMaxCandidates = 1000;
// Candidates whose chunks are read and scored at once: memory holds their
// decoded token vectors only.
constexpr size_t kReadSlice = 8;

double DenseDot(const std::vector<float>& q, const std::vector<float>& v) {
  const size_t n = std::min(q.size(), v.size());
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(q[i]) * v[i];
  return sum;
}

double SparseProduct(const lexical::SparseVector& a, const lexical::SparseVector& b) {
  double sum = 0;
  size_t i = 0, j = 0;
  while (i < a.indices.size() && j < b.indices.size()) {
    if (a.indices[i] < b.indices[j]) {
      ++i;
    } else if (a.indices[i] > b.indices[j]) {
      ++j;
    } else {
      sum += static_cast<double>(a.values[i++]) * b.values[j++];
    }
  }
  return sum;
}

// 1-based ranks of `scores` (higher first; ties by position).
std::vector<int> Ranks(const std::vector<double>& scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  std::vector<int> ranks(scores.size());
  for (size_t r = 0; r < order.size(); ++r) ranks[order[r]] = static_cast<int>(r) + 1;
  return ranks;
}

}  // namespace

M3ChunkScores ScoreM3Chunk(const std::vector<float>& query_dense, const lexical::SparseVector& query_sparse,
                           const MultiVector& query_colbert, const Chunk& chunk, const M3Weights& w) {
  M3ChunkScores s;
  s.dense = DenseDot(query_dense, chunk.vector);
  s.sparse = SparseProduct(query_sparse, chunk.sparse);
  s.has_colbert = !query_colbert.empty() && !chunk.colbert.empty() && query_colbert.dim == chunk.colbert.dim;
  double num = w.dense * s.dense + w.sparse * s.sparse, den = w.dense + w.sparse;
  if (s.has_colbert) {
    s.colbert = MaxSim(query_colbert, chunk.colbert);
    num += w.colbert * s.colbert;
    den += w.colbert;
  }
  s.combined = den > 0 ? num / den : 0;
  return s;
}

Result<ModeSearchResponse> SearchM3(VectorStore* store, const std::string& collection,
                                    const ModeSearchRequest& request) {
  if (request.vector.empty()) {
    return Status::InvalidArgument("m3 search needs the query's dense vector: a query text embedded by a bge-m3 "
                                   "model, or 'vector'");
  }
  if (request.k < 1 || request.k > kMaxCandidates) {
    return Status::InvalidArgument("m3 search returns at most " + std::to_string(kMaxCandidates) + " documents (k)");
  }
  if (request.depth < 0 || request.depth > kMaxCandidates) {
    return Status::InvalidArgument("m3 candidates must be between 1 and " + std::to_string(kMaxCandidates));
  }
  IMI_RETURN_IF_ERROR(ValidateM3Weights(request.m3_weights));
  if (!request.colbert.empty()) IMI_RETURN_IF_ERROR(ValidateMultiVector(request.colbert, "query colbert"));
  const int candidates = std::max(request.k, request.depth > 0 ? request.depth : kDefaultCandidates);

  // Candidates: dense + sparse, fused.
  ModeSearchRequest retrieval;
  retrieval.mode = SearchMode::kHybrid;
  retrieval.vector = request.vector;
  retrieval.sparse = request.sparse;
  retrieval.k = candidates;
  retrieval.depth = candidates;
  retrieval.filter = request.filter;
  retrieval.include = request.include;
  retrieval.include.vector = false;
  retrieval.include.score = true;
  retrieval.metric = request.metric;
  retrieval.exact = request.exact;
  retrieval.ef_search = request.ef_search;
  retrieval.fusion = request.fusion;
  retrieval.highlights = false;
  IMI_ASSIGN_OR_RETURN(ModeSearchResponse found, SearchByMode(store, collection, retrieval));

  // Each candidate's best chunk, read a few documents at a time.
  struct Scored {
    size_t hit = 0;
    Chunk chunk;  // without its token vectors
    M3ChunkScores scores;
  };
  std::vector<Scored> scored;
  for (size_t begin = 0; begin < found.hits.size(); begin += kReadSlice) {
    const size_t end = std::min(found.hits.size(), begin + kReadSlice);
    std::vector<std::string> ids;
    for (size_t i = begin; i < end; ++i) ids.push_back(found.hits[i].hit.document_id);
    IMI_ASSIGN_OR_RETURN(std::vector<Document> docs, store->GetChunks(collection, ids));
    std::map<std::string, Document*> by_id;
    for (Document& d : docs) by_id[d.id] = &d;
    for (size_t i = begin; i < end; ++i) {
      auto it = by_id.find(found.hits[i].hit.document_id);
      if (it == by_id.end()) continue;  // deleted between the two reads
      Chunk* best = nullptr;
      M3ChunkScores best_scores;
      for (Chunk& chunk : it->second->chunks) {
        const M3ChunkScores s = ScoreM3Chunk(request.vector, request.sparse, request.colbert, chunk, request.m3_weights);
        if (best == nullptr || s.combined > best_scores.combined) {
          best = &chunk;
          best_scores = s;
        }
      }
      if (best == nullptr) continue;
      best->colbert = MultiVector{};
      scored.push_back(Scored{i, std::move(*best), best_scores});
    }
  }
  std::vector<double> dense, sparse, colbert, combined;
  for (const Scored& s : scored) {
    dense.push_back(s.scores.dense);
    sparse.push_back(s.scores.sparse);
    colbert.push_back(s.scores.has_colbert ? s.scores.colbert : -1e300);
    combined.push_back(s.scores.combined);
  }
  const std::vector<int> dense_rank = Ranks(dense), sparse_rank = Ranks(sparse), colbert_rank = Ranks(colbert),
                         order_rank = Ranks(combined);
  std::vector<size_t> order(scored.size());
  for (size_t i = 0; i < scored.size(); ++i) order[static_cast<size_t>(order_rank[i] - 1)] = i;

  ModeSearchResponse response;
  response.mode = SearchMode::kM3;
  response.metric = found.metric;
  response.exact = found.exact;
  response.components = {"dense", "sparse"};
  if (!request.colbert.empty()) response.components.push_back("colbert");
  for (size_t r = 0; r < order.size() && r < static_cast<size_t>(request.k); ++r) {
    const size_t i = order[r];
    const Scored& s = scored[i];
    ModeSearchHit hit;
    hit.hit = std::move(found.hits[s.hit].hit);
    Chunk chunk = s.chunk;
    if (!request.include.vector) {
      chunk.vector.clear();
      chunk.sparse = lexical::SparseVector{};
    }
    if (!request.include.text) chunk.text.clear();
    hit.hit.chunk = std::move(chunk);
    hit.hit.score = request.include.score ? s.scores.combined : 0;
    hit.components["dense"] = lexical::ComponentRank{s.scores.dense, dense_rank[i]};
    hit.components["sparse"] = lexical::ComponentRank{s.scores.sparse, sparse_rank[i]};
    if (s.scores.has_colbert) hit.components["colbert"] = lexical::ComponentRank{s.scores.colbert, colbert_rank[i]};
    response.hits.push_back(std::move(hit));
  }
  return response;
}

Status ApplyRerank(ModeSearchResponse* response, const std::vector<double>& scores, size_t top, size_t k) {
  const size_t n = std::min(top, response->hits.size());
  if (scores.size() != n) {
    return Status::InvalidArgument("rerank: " + std::to_string(scores.size()) + " scores for " + std::to_string(n) +
                                   " candidates");
  }
  const std::vector<int> ranks = Ranks(scores);
  std::vector<ModeSearchHit> reordered(n);
  for (size_t i = 0; i < n; ++i) {
    ModeSearchHit& hit = response->hits[i];
    hit.hit.score = scores[i];
    hit.components["rerank"] = lexical::ComponentRank{scores[i], ranks[i]};
    reordered[static_cast<size_t>(ranks[i] - 1)] = std::move(hit);
  }
  for (size_t i = 0; i < n; ++i) response->hits[i] = std::move(reordered[i]);
  if (response->hits.size() > k) response->hits.resize(k);
  response->components.push_back("rerank");
  response->reranked = static_cast<int>(n);
  return Status::Ok();
}

}  // namespace imi::store
