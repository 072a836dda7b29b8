// Search for the embedded backend: exact scans over SQLite, HNSW candidates
// re-scored exactly, filters evaluated in SQL (exact) or in memory (HNSW).
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <thread>
#include <unordered_map>

#include "store/embedded/embedded_store.h"
#include "store/rank.h"

namespace imi::store {

namespace {

// Chunk candidates fetched from HNSW grow by this factor until k documents pass.
constexpr size_t kGrowth = 4;
// Beyond this many HNSW candidates an exact filtered scan is cheaper.
constexpr size_t kMaxAnnCandidates = 8192;

// The float32 vector in `column`, or nullptr when its size is not `dimension`.
const float* VectorColumn(const SqliteStatement& st, int column, int dimension) {
  size_t bytes = 0;
  const void* blob = st.Blob(column, &bytes);
  if (bytes != static_cast<size_t>(dimension) * sizeof(float)) return nullptr;
  return static_cast<const float*>(blob);
}

}  // namespace

Result<SearchResponse> EmbeddedStore::Search(const std::string& collection, const SearchRequest& request) {
  IMI_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  SqliteDb* db = reader->get();
  // One read transaction: every lookup sees the same committed snapshot.
  IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db, false));
  IMI_ASSIGN_OR_RETURN(Row row, FindCollection(db, collection));
  IMI_RETURN_IF_ERROR(ValidateSearch(row.info.spec, request));
  SearchResponse response;
  response.metric = request.metric.value_or(row.info.spec.metric);
  bool exact = request.exact || response.metric != row.info.spec.metric ||
               row.info.chunk_count < options_.exact_threshold;
  std::vector<Candidate> ranked;
  if (!exact) {
    IMI_ASSIGN_OR_RETURN(bool complete, AnnCandidates(db, row, request, &ranked));
    exact = !complete;
  }
  if (exact) {
    IMI_ASSIGN_OR_RETURN(ranked, ExactCandidates(db, row, response.metric, request));
  }
  response.exact = exact;
  IMI_ASSIGN_OR_RETURN(response.hits, FillHits(db, row, ranked, request.include));
  return response;
}

Result<std::vector<EmbeddedStore::Candidate>> EmbeddedStore::ExactCandidates(SqliteDb* db, const Row& row,
                                                                             Metric metric,
                                                                             const SearchRequest& request) {
  // Pass 1 scores every chunk, keeping only (score, chunk id): no strings per
  // row. Pass 2 looks up the document of the best chunks only.
  std::vector<SqlParam> params;
  std::string sql = "SELECT c.id, c.vector FROM chunks c";
  std::string where;
  if (!request.filter.empty()) {
    sql += " JOIN documents d ON d.collection_id = c.collection_id AND d.id = c.document_id";
    where = " AND " + request.filter.ToSql(SqlDialect::kSqlite, "d.metadata", &params);
  }
  sql += " WHERE c.collection_id = ?" + std::to_string(params.size() + 1) + where;
  IMI_ASSIGN_OR_RETURN(SqliteStatement st, SqliteStatement::Prepare(db, sql));
  st.BindParams(params);
  st.BindInt(static_cast<int>(params.size()) + 1, row.id);
  const int dim = row.info.spec.dimension;
  const QueryScorer scorer(metric, request.vector.data(), static_cast<size_t>(dim));
  std::vector<std::pair<double, int64_t>> scored;
  while (true) {
    IMI_ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) break;
    const float* vector = VectorColumn(st, 1, dim);
    if (vector == nullptr) {
      // A damaged row costs its own chunk, not the collection's searches.
      size_t bytes = 0;
      st.Blob(1, &bytes);
      ReportBadVector(db, row, st.Int(0), bytes);
      continue;
    }
    scored.emplace_back(scorer.Score(vector), st.Int(0));
  }

  IMI_ASSIGN_OR_RETURN(SqliteStatement lookup,
                       SqliteStatement::Prepare(db, "SELECT document_id, ordinal FROM chunks WHERE id = ?1"));
  auto better = [metric](const std::pair<double, int64_t>& a, const std::pair<double, int64_t>& b) {
    return RanksBefore(metric, a.first, b.first);
  };
  const size_t k = static_cast<size_t>(request.k);
  size_t resolved = 0;  // scored[0, resolved) are sorted best first and in `chunks`
  std::vector<Candidate> chunks;
  for (size_t want = std::min(scored.size(), 4 * k);; want = std::min(scored.size(), want * 4)) {
    // The best `want` scores, extended by every chunk tied with the last one:
    // then every chunk outside scores strictly worse, so if the selected chunks
    // span k documents they hold each top-k document's best chunk.
    if (want > resolved) {
      std::nth_element(scored.begin() + static_cast<std::ptrdiff_t>(resolved),
                       scored.begin() + static_cast<std::ptrdiff_t>(want - 1), scored.end(), better);
      const double boundary = scored[want - 1].first;
      auto rest = std::partition(scored.begin() + static_cast<std::ptrdiff_t>(want), scored.end(),
                                 [boundary](const auto& c) { return c.first == boundary; });
      const size_t end = static_cast<size_t>(rest - scored.begin());
      std::sort(scored.begin() + static_cast<std::ptrdiff_t>(resolved), scored.begin() + static_cast<std::ptrdiff_t>(end),
                better);
      for (size_t i = resolved; i < end; ++i) {
        lookup.Reset();
        lookup.BindInt(1, scored[i].second);
        IMI_ASSIGN_OR_RETURN(bool found, lookup.Step());
        if (!found)
          return Status::Internal("chunk " + std::to_string(scored[i].second) + " vanished inside a snapshot");
        Candidate c;
        c.chunk_id = scored[i].second;
        c.document_id = lookup.Text(0);
        c.ordinal = static_cast<int>(lookup.Int(1));
        c.score = scored[i].first;
        chunks.push_back(std::move(c));
      }
      resolved = end;
    }
    std::vector<Candidate> top = TopDocuments(chunks, metric, k);
    if (top.size() >= k || resolved >= scored.size()) return top;
  }
}

Result<bool> EmbeddedStore::AnnCandidates(SqliteDb* db, const Row& row, const SearchRequest& request,
                                          std::vector<Candidate>* out) {
  std::shared_ptr<IndexState> state = StateFor(row.id);
  const size_t k = static_cast<size_t>(request.k);
  const size_t ef = static_cast<size_t>(request.ef_search > 0 ? request.ef_search : options_.hnsw_ef_search);
  const Metric metric = row.info.spec.metric;
  const int dim = row.info.spec.dimension;
  const QueryScorer scorer(metric, request.vector.data(), static_cast<size_t>(dim));
  size_t count = k * (request.filter.empty() ? 2 : 8);

  IMI_ASSIGN_OR_RETURN(SqliteStatement lookup,
                       SqliteStatement::Prepare(db, "SELECT c.document_id, c.ordinal, c.vector, d.metadata FROM chunks c "
                                                    "JOIN documents d ON d.collection_id = c.collection_id AND "
                                                    "d.id = c.document_id WHERE c.id = ?1 AND c.collection_id = ?2"));
  // chunk id -> candidate, or nullopt when absent from this snapshot or filtered out.
  std::unordered_map<int64_t, std::optional<Candidate>> seen;
  std::unordered_map<std::string, bool> doc_passes;
  while (true) {
    std::vector<std::pair<uint64_t, float>> labels;
    {
      std::shared_lock<std::shared_mutex> shared(state->mu);
      // The index may trail the snapshot only while this process is writing
      // (it catches up right after the commit); otherwise it must be rebuilt.
      bool usable = state->index && (state->index_version >= row.data_version || writes_in_flight_.load() > 0);
      if (!usable) {
        shared.unlock();
        std::unique_lock<std::shared_mutex> exclusive(state->mu);
        if (!state->index || (state->index_version < row.data_version && writes_in_flight_.load() == 0)) {
          IMI_RETURN_IF_ERROR(EnsureIndex(db, row, state.get()));
        }
        IMI_ASSIGN_OR_RETURN(labels, state->index->Search(request.vector.data(), count, std::max(ef, count)));
      } else {
        IMI_ASSIGN_OR_RETURN(labels, state->index->Search(request.vector.data(), count, std::max(ef, count)));
      }
    }
    std::vector<Candidate> passing;
    for (const auto& [label, distance] : labels) {
      int64_t chunk_id = static_cast<int64_t>(label);
      auto it = seen.find(chunk_id);
      if (it == seen.end()) {
        lookup.Reset();
        lookup.BindInt(1, chunk_id);
        lookup.BindInt(2, row.id);
        IMI_ASSIGN_OR_RETURN(bool found, lookup.Step());
        std::optional<Candidate> candidate;
        if (found) {
          std::string document_id = lookup.Text(0);
          bool passes = true;
          if (!request.filter.empty()) {
            auto cached = doc_passes.find(document_id);
            if (cached == doc_passes.end()) {
              nlohmann::json metadata = nlohmann::json::parse(lookup.Text(3), nullptr, false);
              passes = !metadata.is_discarded() && request.filter.Matches(metadata);
              doc_passes.emplace(document_id, passes);
            } else {
              passes = cached->second;
            }
          }
          const float* vector = passes ? VectorColumn(lookup, 2, dim) : nullptr;
          if (vector != nullptr) {
            Candidate c;
            c.chunk_id = chunk_id;
            c.document_id = std::move(document_id);
            c.ordinal = static_cast<int>(lookup.Int(1));
            c.score = scorer.Score(vector);
            candidate = std::move(c);
          }
        }
        it = seen.emplace(chunk_id, std::move(candidate)).first;
      }
      if (it->second) passing.push_back(*it->second);
    }
    std::vector<Candidate> top = TopDocuments(passing, metric, k);
    if (top.size() >= k) {
      *out = std::move(top);
      return true;
    }
    // Fewer than k documents: widen the search, or let the exact scan decide
    // once the index is exhausted or the candidate pool is too large.
    if (labels.size() < count || count >= kMaxAnnCandidates) return false;
    count *= kGrowth;
  }
}

Result<std::vector<SearchHit>> EmbeddedStore::FillHits(SqliteDb* db, const Row& row,
                                                       const std::vector<Candidate>& ranked, const Include& include) {
  IMI_ASSIGN_OR_RETURN(SqliteStatement st,
                       SqliteStatement::Prepare(db, "SELECT c.text, c.start_offset, c.end_offset, c.vector, d.text, "
                                                    "d.metadata FROM chunks c JOIN documents d ON d.collection_id = "
                                                    "c.collection_id AND d.id = c.document_id WHERE c.id = ?1"));
  std::vector<SearchHit> hits;
  for (const Candidate& c : ranked) {
    st.Reset();
    st.BindInt(1, c.chunk_id);
    IMI_ASSIGN_OR_RETURN(bool found, st.Step());
    if (!found) return Status::Internal("chunk " + std::to_string(c.chunk_id) + " vanished inside a snapshot");
    SearchHit hit;
    hit.document_id = c.document_id;
    hit.score = include.score ? c.score : 0;
    hit.chunk.ordinal = c.ordinal;
    hit.chunk.start_offset = st.Int(1);
    hit.chunk.end_offset = st.Int(2);
    if (include.text) {
      hit.chunk.text = st.Text(0);
      hit.text = st.Text(4);
    }
    if (include.vector) {
      size_t bytes = 0;
      const void* blob = st.Blob(3, &bytes);
      hit.chunk.vector.resize(bytes / sizeof(float));
      if (bytes) std::memcpy(hit.chunk.vector.data(), blob, hit.chunk.vector.size() * sizeof(float));
    }
    if (include.metadata) {
      hit.metadata = nlohmann::json::parse(st.Text(5), nullptr, false);
      if (hit.metadata.is_discarded()) return Status::DataLoss("stored metadata of \"" + c.document_id + "\" is not JSON");
    }
    hits.push_back(std::move(hit));
  }
  return hits;
}

}  // namespace imi::store
