// The embedded store's lexical and sparse search: term lists and sparse
// vectors live in SQLite (chunk_terms, chunk_sparse; written in the same
// transaction as their chunks), the inverted index that ranks them lives in
// memory (LexicalIndex), built from SQLite on first use and kept current by
// this process's writes. A search only ever ranks with an index that
// reflects exactly its own read snapshot, so BM25's statistics are exact.
#include <chrono>

#include "store/embedded/embedded_store.h"
#include "store/lexical_analysis.h"

namespace imi::store {

namespace {

// How long a search waits for this process's in-flight write to reach the
// index before it rebuilds the index itself.
constexpr auto kApplyWait = std::chrono::seconds(5);

}  // namespace

std::shared_ptr<EmbeddedStore::LexicalState> EmbeddedStore::LexicalStateFor(int64_t collection_id) {
  std::lock_guard<std::mutex> lock(states_mu_);
  auto& slot = lexical_states_[collection_id];
  if (!slot) slot = std::make_shared<LexicalState>();
  return slot;
}

Result<std::vector<EmbeddedStore::RemovedChunk>> EmbeddedStore::ReadTermLists(SqliteDb* db, const Row& row,
                                                                              const std::vector<int64_t>& chunk_ids) {
  std::vector<RemovedChunk> out;
  const size_t fields = row.info.spec.lexical.analyzers.size();
  if (fields == 0 || chunk_ids.empty()) {
    for (int64_t id : chunk_ids) out.push_back(RemovedChunk{id, {}});
    return out;
  }
  IMI_ASSIGN_OR_RETURN(SqliteStatement st,
                       SqliteStatement::Prepare(db, "SELECT field, terms FROM chunk_terms WHERE chunk_id = ?1"));
  for (int64_t id : chunk_ids) {
    RemovedChunk r{id, std::vector<lexical::TermCounts>(fields)};
    st.Reset();
    st.BindInt(1, id);
    while (true) {
      IMI_ASSIGN_OR_RETURN(bool more, st.Step());
      if (!more) break;
      const int64_t field = st.Int(0);
      size_t bytes = 0;
      const void* blob = st.Blob(1, &bytes);
      if (field < 0 || static_cast<size_t>(field) >= fields) {
        return Status::DataLoss("chunk " + std::to_string(id) + " has terms of an unknown analyzer");
      }
      IMI_RETURN_IF_ERROR(lexical::DecodeTermCounts(std::string_view(static_cast<const char*>(blob), bytes),
                                                    &r.terms[static_cast<size_t>(field)])
                              .WithContext("chunk " + std::to_string(id)));
    }
    out.push_back(std::move(r));
  }
  return out;
}

Status EmbeddedStore::WriteLexicalRows(SqliteDb* db, int64_t chunk_id, const std::vector<lexical::TermCounts>& terms,
                                       const lexical::SparseVector& sparse) {
  for (size_t f = 0; f < terms.size(); ++f) {
    if (terms[f].length == 0) continue;
    IMI_ASSIGN_OR_RETURN(SqliteStatement st, SqliteStatement::Prepare(
                                                 db, "INSERT INTO chunk_terms(chunk_id, field, terms) VALUES(?1, ?2, ?3)"));
    const std::string blob = lexical::EncodeTermCounts(terms[f]);
    st.BindInt(1, chunk_id);
    st.BindInt(2, static_cast<int64_t>(f));
    st.BindBlob(3, blob.data(), blob.size());
    IMI_RETURN_IF_ERROR(st.Run());
  }
  if (!sparse.empty()) {
    IMI_ASSIGN_OR_RETURN(SqliteStatement st, SqliteStatement::Prepare(
                                                 db, "INSERT INTO chunk_sparse(chunk_id, vector) VALUES(?1, ?2)"));
    const std::string blob = lexical::EncodeSparse(sparse);
    st.BindInt(1, chunk_id);
    st.BindBlob(2, blob.data(), blob.size());
    IMI_RETURN_IF_ERROR(st.Run());
  }
  return Status::Ok();
}

void EmbeddedStore::ApplyToLexical(const Row& row, uint64_t new_version, const std::vector<RemovedChunk>& removed,
                                   const std::vector<AddedChunk>& added) {
  std::shared_ptr<LexicalState> state = LexicalStateFor(row.id);
  {
    std::unique_lock<std::shared_mutex> lock(state->mu);
    if (state->index && (state->data_version >= new_version && state->lexical_version == row.lexical_version)) {
      // A search rebuilt the index from a snapshot that already held this write.
    } else if (!state->index || state->data_version != row.data_version ||
               state->lexical_version != row.lexical_version) {
      state->index.reset();  // another process wrote in between: the next search rebuilds
    } else {
      for (const RemovedChunk& r : removed) state->index->Remove(r.chunk_id, r.terms);
      for (const AddedChunk& a : added) state->index->Add(a.ref, *a.terms, *a.sparse);
      state->data_version = new_version;
    }
  }
  state->cv.notify_all();
}

Status EmbeddedStore::BuildLexical(SqliteDb* db, const Row& row, LexicalState* state) {
  const size_t fields = row.info.spec.lexical.analyzers.size();
  auto index = std::make_unique<LexicalIndex>(fields);
  IMI_ASSIGN_OR_RETURN(
      SqliteStatement st,
      SqliteStatement::Prepare(db, "SELECT c.id, c.document_id, c.ordinal, t.field, t.terms, s.vector FROM chunks c "
                                   "LEFT JOIN chunk_terms t ON t.chunk_id = c.id LEFT JOIN chunk_sparse s ON "
                                   "s.chunk_id = c.id WHERE c.collection_id = ?1 ORDER BY c.id"));
  st.BindInt(1, row.id);
  LexicalIndex::ChunkRef ref;
  std::vector<lexical::TermCounts> terms(fields);
  lexical::SparseVector sparse;
  bool pending = false, has_data = false;
  auto flush = [&] {
    if (pending && has_data) index->Add(ref, terms, sparse);
    for (auto& t : terms) t = lexical::TermCounts{};
    sparse = lexical::SparseVector{};
    pending = has_data = false;
  };
  while (true) {
    IMI_ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) break;
    const int64_t id = st.Int(0);
    if (!pending || id != ref.chunk_id) {
      flush();
      ref.chunk_id = id;
      ref.document_id = st.Text(1);
      ref.ordinal = static_cast<int>(st.Int(2));
      pending = true;
      if (!st.IsNull(5)) {
        size_t bytes = 0;
        const void* blob = st.Blob(5, &bytes);
        IMI_RETURN_IF_ERROR(lexical::DecodeSparse(std::string_view(static_cast<const char*>(blob), bytes), &sparse)
                                .WithContext("chunk " + std::to_string(id)));
        has_data = true;
      }
    }
    if (st.IsNull(3)) continue;
    const int64_t field = st.Int(3);
    if (field < 0 || static_cast<size_t>(field) >= fields) continue;  // left by analysers since dropped
    size_t bytes = 0;
    const void* blob = st.Blob(4, &bytes);
    IMI_RETURN_IF_ERROR(lexical::DecodeTermCounts(std::string_view(static_cast<const char*>(blob), bytes),
                                                  &terms[static_cast<size_t>(field)])
                            .WithContext("chunk " + std::to_string(id)));
    has_data = true;
  }
  flush();
  state->index = std::move(index);
  state->data_version = row.data_version;
  state->lexical_version = row.lexical_version;
  return Status::Ok();
}

Result<SearchResponse> EmbeddedStore::WithLexicalIndex(
    const std::string& collection,
    const std::function<Result<SearchResponse>(SqliteDb*, const Row&, const LexicalIndex&)>& search) {
  IMI_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  SqliteDb* db = reader->get();
  IMI_ASSIGN_OR_RETURN(Row first, FindCollection(db, collection));
  std::shared_ptr<LexicalState> state = LexicalStateFor(first.id);
  for (int attempt = 0;; ++attempt) {
    uint64_t want_data = 0, want_lexical = 0;
    {
      // The lock comes before the snapshot: no write can reach the index
      // while it is held, so the index is never ahead of the snapshot.
      std::shared_lock<std::shared_mutex> shared(state->mu);
      IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db, false));
      IMI_ASSIGN_OR_RETURN(Row row, FindCollection(db, collection));
      if (row.id != first.id) return Status::NotFound("collection \"" + collection + "\" was replaced during the search");
      if (state->index && state->data_version == row.data_version && state->lexical_version == row.lexical_version) {
        return search(db, row, *state->index);
      }
      want_data = row.data_version;
      want_lexical = row.lexical_version;
    }
    // The snapshot is ahead of the index. A write of this process that has
    // committed but not yet reached the index will do so in a moment; after
    // that (or for another process's write) the index is rebuilt.
    std::unique_lock<std::shared_mutex> exclusive(state->mu);
    if (attempt == 0 && writes_in_flight_.load() > 0 && state->index) {
      state->cv.wait_for(exclusive, kApplyWait, [&] {
        return !state->index || state->data_version >= want_data || writes_in_flight_.load() == 0;
      });
      if (state->index && state->data_version == want_data && state->lexical_version == want_lexical) continue;
    }
    IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db, false));
    IMI_ASSIGN_OR_RETURN(Row row, FindCollection(db, collection));
    if (!state->index || state->data_version != row.data_version || state->lexical_version != row.lexical_version) {
      IMI_RETURN_IF_ERROR(BuildLexical(db, row, state.get()));
    }
    if (attempt >= 8) return Status::Unavailable("the collection changed during every attempt to search it; retry");
  }
}

Result<SearchResponse> EmbeddedStore::LexicalHits(SqliteDb* db, const Row& row,
                                                  const std::vector<LexicalIndex::Scored>& ranked,
                                                  const Include& include) {
  std::vector<Candidate> candidates;
  candidates.reserve(ranked.size());
  for (const LexicalIndex::Scored& s : ranked) {
    candidates.push_back(Candidate{s.chunk_id, *s.document_id, s.ordinal, s.score});
  }
  SearchResponse response;
  response.metric = row.info.spec.metric;
  response.exact = true;
  IMI_ASSIGN_OR_RETURN(response.hits, FillHits(db, row, candidates, include));
  return response;
}

namespace {

// The filter of a search as a per-document test over the snapshot `db`.
Result<LexicalIndex::Accept> MakeAccept(SqliteDb* db, int64_t collection_id, const Filter& filter,
                                        std::shared_ptr<SqliteStatement>* holder) {
  if (filter.empty()) return LexicalIndex::Accept();
  IMI_ASSIGN_OR_RETURN(SqliteStatement st, SqliteStatement::Prepare(
                                               db, "SELECT metadata FROM documents WHERE collection_id = ?1 AND id = ?2"));
  *holder = std::make_shared<SqliteStatement>(std::move(st));
  SqliteStatement* lookup = holder->get();
  return LexicalIndex::Accept([lookup, collection_id, &filter](const std::string& id) -> Result<bool> {
    lookup->Reset();
    lookup->BindInt(1, collection_id);
    lookup->BindText(2, id);
    IMI_ASSIGN_OR_RETURN(bool found, lookup->Step());
    if (!found) return Status::Internal("document \"" + id + "\" vanished inside a snapshot");
    nlohmann::json metadata = nlohmann::json::parse(lookup->Text(0), nullptr, false);
    return !metadata.is_discarded() && filter.Matches(metadata);
  });
}

}  // namespace

Result<SearchResponse> EmbeddedStore::SearchLexical(const std::string& collection,
                                                    const LexicalSearchRequest& request) {
  return WithLexicalIndex(collection, [&](SqliteDb* db, const Row& row, const LexicalIndex& index)
                                          -> Result<SearchResponse> {
    IMI_ASSIGN_OR_RETURN(size_t field, ValidateLexicalSearch(row.info.spec, request));
    IMI_ASSIGN_OR_RETURN(std::vector<lexical::QueryTerm> terms,
                         AnalyzeQuery(row.info.spec.lexical.analyzers[field], request.query));
    std::shared_ptr<SqliteStatement> holder;
    IMI_ASSIGN_OR_RETURN(LexicalIndex::Accept accept, MakeAccept(db, row.id, request.filter, &holder));
    IMI_ASSIGN_OR_RETURN(std::vector<LexicalIndex::Scored> ranked,
                         index.SearchBm25(field, terms, row.info.spec.lexical.bm25, static_cast<size_t>(request.k),
                                          accept));
    return LexicalHits(db, row, ranked, request.include);
  });
}

Result<SearchResponse> EmbeddedStore::SearchSparse(const std::string& collection, const SparseSearchRequest& request) {
  IMI_RETURN_IF_ERROR(ValidateSparseSearch(request));
  return WithLexicalIndex(collection, [&](SqliteDb* db, const Row& row, const LexicalIndex& index)
                                          -> Result<SearchResponse> {
    std::shared_ptr<SqliteStatement> holder;
    IMI_ASSIGN_OR_RETURN(LexicalIndex::Accept accept, MakeAccept(db, row.id, request.filter, &holder));
    IMI_ASSIGN_OR_RETURN(std::vector<LexicalIndex::Scored> ranked,
                         index.SearchSparse(request.vector, static_cast<size_t>(request.k), accept));
    return LexicalHits(db, row, ranked, request.include);
  });
}

Status EmbeddedStore::SetLexical(const std::string& collection, const LexicalSpec& requested) {
  LexicalSpec spec = requested;
  IMI_RETURN_IF_ERROR(ValidateLexicalSpec(&spec));
  IMI_ASSIGN_OR_RETURN(std::string json, LexicalSpecToJson(spec));
  std::lock_guard<std::mutex> lock(write_mu_);
  IMI_ASSIGN_OR_RETURN(Row row, FindCollection(writer_.get(), collection));
  SqliteDb* db = writer_.get();
  IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db, true));
  IMI_ASSIGN_OR_RETURN(SqliteStatement clear, SqliteStatement::Prepare(
                                                  db, "DELETE FROM chunk_terms WHERE chunk_id IN (SELECT id FROM "
                                                      "chunks WHERE collection_id = ?1)"));
  clear.BindInt(1, row.id);
  IMI_RETURN_IF_ERROR(clear.Run());
  if (!spec.analyzers.empty()) {
    IMI_ASSIGN_OR_RETURN(SqliteStatement chunks,
                         SqliteStatement::Prepare(db, "SELECT id, text FROM chunks WHERE collection_id = ?1"));
    chunks.BindInt(1, row.id);
    const lexical::SparseVector none;
    while (true) {
      IMI_ASSIGN_OR_RETURN(bool more, chunks.Step());
      if (!more) break;
      IMI_ASSIGN_OR_RETURN(std::vector<lexical::TermCounts> terms, AnalyzeChunkText(spec, chunks.Text(1)));
      IMI_RETURN_IF_ERROR(WriteLexicalRows(db, chunks.Int(0), terms, none));
    }
  }
  IMI_ASSIGN_OR_RETURN(SqliteStatement update,
                       SqliteStatement::Prepare(db, "UPDATE collections SET lexical = ?2, lexical_version = "
                                                    "lexical_version + 1 WHERE id = ?1"));
  update.BindInt(1, row.id);
  update.BindText(2, json);
  IMI_RETURN_IF_ERROR(update.Run());
  IMI_RETURN_IF_ERROR(txn->Commit());
  std::shared_ptr<LexicalState> state = LexicalStateFor(row.id);
  {
    std::unique_lock<std::shared_mutex> state_lock(state->mu);
    state->index.reset();
  }
  state->cv.notify_all();
  return Status::Ok();
}

}  // namespace imi::store
