// Embedded backend: listing, counting, deleting by filter and metadata
// patches. Filters compile to SQLite SQL over documents.metadata, as in the
// exact search.
#include <cstring>

#include "store/embedded/embedded_store.h"

namespace imi::store {

namespace {

// "AND <filter>" over d.metadata with its parameters appended, or "".
std::string FilterClause(const Filter& filter, std::vector<SqlParam>* params) {
  if (filter.empty()) return "";
  return " AND " + filter.ToSql(SqlDialect::kSqlite, "d.metadata", params);
}

// A write that keeps writes_in_flight_ raised while it runs (see Search).
struct InFlight {
  explicit InFlight(std::atomic<int>* counter) : n(counter) { n->fetch_add(1); }
  ~InFlight() { n->fetch_sub(1); }
  std::atomic<int>* n;
};

}  // namespace

Result<DocumentPage> EmbeddedStore::ListDocuments(const std::string& collection, const ListRequest& request) {
  IMI_RETURN_IF_ERROR(ValidateListRequest(request));
  IMI_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  SqliteDb* db = reader->get();
  IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db, false));
  IMI_ASSIGN_OR_RETURN(Row row, FindCollection(db, collection));
  std::vector<SqlParam> params;
  const std::string where = FilterClause(request.filter, &params);
  const size_t n = params.size();
  // One row more than the page tells whether another page follows.
  const std::string sql = "SELECT d.id, d.text, d.metadata FROM documents d WHERE d.collection_id = ?" +
                          std::to_string(n + 1) + " AND d.id > ?" + std::to_string(n + 2) + where +
                          " ORDER BY d.id LIMIT ?" + std::to_string(n + 3);
  IMI_ASSIGN_OR_RETURN(SqliteStatement st, SqliteStatement::Prepare(db, sql));
  st.BindParams(params);
  st.BindInt(static_cast<int>(n) + 1, row.id);
  st.BindText(static_cast<int>(n) + 2, request.after);
  st.BindInt(static_cast<int>(n) + 3, request.limit + 1);
  DocumentPage page;
  while (true) {
    IMI_ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) break;
    if (page.documents.size() == static_cast<size_t>(request.limit)) {
      page.next_after = page.documents.back().id;
      break;
    }
    Document doc;
    doc.id = st.Text(0);
    if (request.with_text) doc.text = st.Text(1);
    if (request.with_metadata) {
      doc.metadata = nlohmann::json::parse(st.Text(2), nullptr, false);
      if (doc.metadata.is_discarded()) return Status::DataLoss("stored metadata of \"" + doc.id + "\" is not JSON");
    }
    page.documents.push_back(std::move(doc));
  }
  return page;
}

Result<int64_t> EmbeddedStore::CountDocuments(const std::string& collection, const Filter& filter) {
  IMI_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  SqliteDb* db = reader->get();
  IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db, false));
  IMI_ASSIGN_OR_RETURN(Row row, FindCollection(db, collection));
  if (filter.empty()) return row.info.document_count;
  std::vector<SqlParam> params;
  const std::string where = FilterClause(filter, &params);
  IMI_ASSIGN_OR_RETURN(SqliteStatement st,
                       SqliteStatement::Prepare(db, "SELECT count(*) FROM documents d WHERE d.collection_id = ?" +
                                                        std::to_string(params.size() + 1) + where));
  st.BindParams(params);
  st.BindInt(static_cast<int>(params.size()) + 1, row.id);
  IMI_ASSIGN_OR_RETURN(bool found, st.Step());
  return found ? st.Int(0) : int64_t{0};
}

Result<int64_t> EmbeddedStore::DeleteDocuments(const std::string& collection, const Filter& filter) {
  std::lock_guard<std::mutex> lock(write_mu_);
  InFlight in_flight(&writes_in_flight_);
  SqliteDb* db = writer_.get();
  // The collection row is read inside the write transaction, so its
  // data_version is the one this write bumps (ApplyToIndex relies on it).
  IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db, true));
  IMI_ASSIGN_OR_RETURN(Row row, FindCollection(db, collection));
  // The matching documents and their chunk ids (for the ANN index), first.
  std::vector<SqlParam> params;
  const std::string where = FilterClause(filter, &params);
  const std::string id_param = "?" + std::to_string(params.size() + 1);
  IMI_ASSIGN_OR_RETURN(SqliteStatement chunks,
                       SqliteStatement::Prepare(db, "SELECT c.id FROM chunks c JOIN documents d ON d.collection_id = "
                                                    "c.collection_id AND d.id = c.document_id WHERE d.collection_id = " +
                                                        id_param + where));
  chunks.BindParams(params);
  chunks.BindInt(static_cast<int>(params.size()) + 1, row.id);
  std::vector<int64_t> removed;
  while (true) {
    IMI_ASSIGN_OR_RETURN(bool more, chunks.Step());
    if (!more) break;
    removed.push_back(chunks.Int(0));
  }
  // Their term lists keep the lexical index's statistics exact.
  IMI_ASSIGN_OR_RETURN(std::vector<RemovedChunk> removed_lexical, ReadTermLists(db, row, removed));
  // Their chunks go with them (ON DELETE CASCADE, as in DeleteDocument).
  IMI_ASSIGN_OR_RETURN(SqliteStatement del_docs,
                       SqliteStatement::Prepare(db, "DELETE FROM documents AS d WHERE d.collection_id = " + id_param +
                                                        where));
  del_docs.BindParams(params);
  del_docs.BindInt(static_cast<int>(params.size()) + 1, row.id);
  IMI_RETURN_IF_ERROR(del_docs.Run());
  const int64_t deleted = db->Changes();
  if (deleted == 0) return int64_t{0};
  IMI_ASSIGN_OR_RETURN(SqliteStatement bump,
                       SqliteStatement::Prepare(db, "UPDATE collections SET data_version = data_version + 1, "
                                                    "document_count = document_count - ?2, chunk_count = chunk_count - ?3 "
                                                    "WHERE id = ?1"));
  bump.BindInt(1, row.id);
  bump.BindInt(2, deleted);
  bump.BindInt(3, static_cast<int64_t>(removed.size()));
  IMI_RETURN_IF_ERROR(bump.Run());
  IMI_RETURN_IF_ERROR(txn->Commit());
  ApplyToIndex(row.id, row.data_version, row.data_version + 1, removed, {});
  ApplyToLexical(row, row.data_version + 1, removed_lexical, {});
  return deleted;
}

Result<nlohmann::json> EmbeddedStore::PatchMetadata(const std::string& collection, const std::string& id,
                                                    const nlohmann::json& patch) {
  IMI_RETURN_IF_ERROR(ValidateDocumentId(id));
  if (!patch.is_object()) return Status::InvalidArgument("a metadata patch must be a JSON object");
  std::lock_guard<std::mutex> lock(write_mu_);
  SqliteDb* db = writer_.get();
  IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db, true));
  IMI_ASSIGN_OR_RETURN(Row row, FindCollection(db, collection));
  IMI_ASSIGN_OR_RETURN(SqliteStatement get, SqliteStatement::Prepare(
                                                db, "SELECT metadata FROM documents WHERE collection_id = ?1 AND id = ?2"));
  get.BindInt(1, row.id);
  get.BindText(2, id);
  IMI_ASSIGN_OR_RETURN(bool found, get.Step());
  if (!found) return Status::NotFound("no document \"" + id + "\" in collection \"" + collection + "\"");
  nlohmann::json metadata = nlohmann::json::parse(get.Text(0), nullptr, false);
  if (metadata.is_discarded()) return Status::DataLoss("stored metadata of \"" + id + "\" is not JSON");
  IMI_ASSIGN_OR_RETURN(metadata, MergePatchMetadata(std::move(metadata), patch));
  IMI_ASSIGN_OR_RETURN(SqliteStatement put, SqliteStatement::Prepare(
                                                db, "UPDATE documents SET metadata = ?3 WHERE collection_id = ?1 AND id = ?2"));
  put.BindInt(1, row.id);
  put.BindText(2, id);
  put.BindText(3, metadata.dump());
  IMI_RETURN_IF_ERROR(put.Run());
  IMI_RETURN_IF_ERROR(txn->Commit());
  return metadata;
}

}  // namespace imi::store

namespace imi::store {

Result<std::vector<Document>> EmbeddedStore::GetChunks(const std::string& collection,
                                                       const std::vector<std::string>& ids) {
  if (ids.size() > 10000) return Status::InvalidArgument("at most 10000 documents per GetChunks");
  IMI_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  SqliteDb* db = reader->get();
  IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db, false));
  IMI_ASSIGN_OR_RETURN(Row row, FindCollection(db, collection));
  IMI_ASSIGN_OR_RETURN(SqliteStatement st,
                       SqliteStatement::Prepare(db, "SELECT c.ordinal, c.text, c.start_offset, c.end_offset, c.vector, "
                                                    "s.vector, b.vectors FROM chunks c "
                                                    "LEFT JOIN chunk_sparse s ON s.chunk_id = c.id "
                                                    "LEFT JOIN chunk_colbert b ON b.chunk_id = c.id "
                                                    "WHERE c.collection_id = ?1 AND c.document_id = ?2 ORDER BY c.ordinal"));
  std::vector<Document> out;
  for (const std::string& id : ids) {
    st.Reset();
    st.BindInt(1, row.id);
    st.BindText(2, id);
    Document doc;
    doc.id = id;
    while (true) {
      IMI_ASSIGN_OR_RETURN(bool more, st.Step());
      if (!more) break;
      Chunk chunk;
      chunk.ordinal = static_cast<int>(st.Int(0));
      chunk.text = st.Text(1);
      chunk.start_offset = st.Int(2);
      chunk.end_offset = st.Int(3);
      size_t bytes = 0;
      const void* blob = st.Blob(4, &bytes);
      chunk.vector.resize(bytes / sizeof(float));
      if (bytes) std::memcpy(chunk.vector.data(), blob, chunk.vector.size() * sizeof(float));
      const std::string where = "document \"" + id + "\" chunk " + std::to_string(chunk.ordinal);
      if (!st.IsNull(5)) {
        blob = st.Blob(5, &bytes);
        IMI_RETURN_IF_ERROR(lexical::DecodeSparse(std::string_view(static_cast<const char*>(blob), bytes), &chunk.sparse)
                                .WithContext(where));
      }
      if (!st.IsNull(6)) {
        blob = st.Blob(6, &bytes);
        IMI_RETURN_IF_ERROR(
            DecodeMultiVector(std::string_view(static_cast<const char*>(blob), bytes), &chunk.colbert).WithContext(where));
      }
      doc.chunks.push_back(std::move(chunk));
    }
    if (!doc.chunks.empty()) out.push_back(std::move(doc));
  }
  return out;
}

}  // namespace imi::store
