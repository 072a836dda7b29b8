#include "store/embedded/embedded_store.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>

#include "store/lexical_analysis.h"

namespace imi::store {

namespace {

constexpr int kSchemaVersion = 3;
constexpr int kBusyTimeoutMs = 10000;
// WAL pages after which a commit waits for the readers of older snapshots
// and truncates the WAL (16 MiB of 4 KiB pages): readers that always
// overlap would otherwise keep SQLite's own checkpoints from ever restarting
// it, and it grows without bound.
constexpr int kWalTruncateFrames = 4096;

// A new store's id: 16 random bytes as 32 lowercase hex digits.
std::string NewStoreId() {
  std::random_device random;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 4; ++i) {
    uint32_t bits = random();
    for (int j = 0; j < 8; ++j) {
      id += kHex[bits & 0xf];
      bits >>= 4;
    }
  }
  return id;
}

// The 16 bytes of a hex store id, or "" when it is not 32 hex digits.
std::string StoreIdBytes(const std::string& hex) {
  if (hex.size() != 32) return "";
  std::string bytes;
  for (size_t i = 0; i < 32; i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return "";
    bytes += static_cast<char>(hi * 16 + lo);
  }
  return bytes;
}

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS imi_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS collections(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  model_id TEXT NOT NULL,
  model_revision TEXT NOT NULL,
  dimension INTEGER NOT NULL,
  metric TEXT NOT NULL,
  document_count INTEGER NOT NULL DEFAULT 0,
  chunk_count INTEGER NOT NULL DEFAULT 0,
  data_version INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));
CREATE TABLE IF NOT EXISTS documents(
  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  text TEXT NOT NULL,
  metadata TEXT NOT NULL,
  PRIMARY KEY(collection_id, id));
CREATE TABLE IF NOT EXISTS chunks(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  collection_id INTEGER NOT NULL,
  document_id TEXT NOT NULL,
  ordinal INTEGER NOT NULL,
  text TEXT NOT NULL,
  start_offset INTEGER NOT NULL,
  end_offset INTEGER NOT NULL,
  vector BLOB NOT NULL,
  FOREIGN KEY(collection_id, document_id) REFERENCES documents(collection_id, id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(collection_id, document_id);
)sql";

// Version 2 (docs/store-format.md): lexical settings per collection, term
// lists and sparse vectors per chunk.
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE collections ADD COLUMN lexical TEXT NOT NULL DEFAULT '{}';
ALTER TABLE collections ADD COLUMN lexical_version INTEGER NOT NULL DEFAULT 0;
CREATE TABLE chunk_terms(
  chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
  field INTEGER NOT NULL,
  terms BLOB NOT NULL,
  PRIMARY KEY(chunk_id, field)) WITHOUT ROWID;
CREATE TABLE chunk_sparse(
  chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
  vector BLOB NOT NULL);
UPDATE imi_meta SET value = '2' WHERE key = 'schema_version';
)sql";

// Version 3 (docs/store-format.md): ColBERT token vectors per chunk (bge-m3),
// stored in the collection's encoding.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE collections ADD COLUMN colbert TEXT NOT NULL DEFAULT 'none';
CREATE TABLE chunk_colbert(
  chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
  vectors BLOB NOT NULL);
UPDATE imi_meta SET value = '3' WHERE key = 'schema_version';
)sql";

constexpr const char* kCollectionColumns =
    "id, name, model_id, model_revision, dimension, metric, document_count, chunk_count, data_version, lexical, "
    "lexical_version, colbert";

bool SameLexical(const LexicalSpec& a, const LexicalSpec& b) {
  return a.analyzers == b.analyzers && a.bm25.k1 == b.bm25.k1 && a.bm25.b == b.bm25.b;
}

std::string DescribeLexical(const LexicalSpec& spec) {
  std::string names;
  for (const std::string& a : spec.analyzers) names += (names.empty() ? "" : ",") + a;
  return "analyzers [" + names + "], BM25 k1 " + std::to_string(spec.bm25.k1) + " b " + std::to_string(spec.bm25.b);
}

}  // namespace

Result<std::unique_ptr<VectorStore>> OpenEmbeddedStore(const EmbeddedOptions& options) {
  IMI_ASSIGN_OR_RETURN(std::unique_ptr<EmbeddedStore> store, EmbeddedStore::Open(options));
  return std::unique_ptr<VectorStore>(std::move(store));
}

EmbeddedStore::EmbeddedStore(const EmbeddedOptions& options) : options_(options) {}

EmbeddedStore::~EmbeddedStore() { (void)Flush(); }

Result<std::unique_ptr<EmbeddedStore>> EmbeddedStore::Open(const EmbeddedOptions& options) {
  if (options.directory.empty()) return Status::InvalidArgument("the store directory is empty");
  auto store = std::make_unique<EmbeddedStore>(options);
  IMI_RETURN_IF_ERROR(store->Init());
  return store;
}

Status EmbeddedStore::Init() {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(options_.directory) / "index", ec);
  if (ec) return Status::IoError("cannot create store directory " + options_.directory + ": " + ec.message());
  db_path_ = (std::filesystem::path(options_.directory) / "imi.sqlite3").string();
  IMI_ASSIGN_OR_RETURN(writer_, SqliteDb::Open(db_path_, kBusyTimeoutMs));
  writer_->CheckpointWhenWalExceeds(kWalTruncateFrames);
  // Several processes may open a new store at once: one write transaction
  // makes the schema, its version and the store id appear together (or
  // migrates a version 1 file), and every statement in it is idempotent or
  // guarded by the version read inside it, so the ones that wait find them made.
  {
    IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(writer_.get(), true));
    IMI_RETURN_IF_ERROR(writer_->Exec(kSchema).WithContext("cannot create the store schema in " + db_path_));
    IMI_ASSIGN_OR_RETURN(SqliteStatement put, SqliteStatement::Prepare(
                                                  writer_.get(), "INSERT OR IGNORE INTO imi_meta VALUES(?1, ?2)"));
    // A new store: version 1's tables were just created; migrated below.
    put.BindText(1, "schema_version");
    put.BindText(2, "1");
    IMI_RETURN_IF_ERROR(put.Run());
    put.Reset();
    // Stores written before store ids existed get one now.
    put.BindText(1, "store_id");
    put.BindText(2, NewStoreId());
    IMI_RETURN_IF_ERROR(put.Run());
    IMI_ASSIGN_OR_RETURN(SqliteStatement version, SqliteStatement::Prepare(
                                                      writer_.get(), "SELECT value FROM imi_meta WHERE key='schema_version'"));
    IMI_ASSIGN_OR_RETURN(bool have, version.Step());
    const std::string found_version = have ? version.Text(0) : "";
    version.Reset();
    if (found_version == "1") {
      IMI_RETURN_IF_ERROR(writer_->Exec(kSchemaV2).WithContext("cannot migrate " + db_path_ + " to schema version 2"));
    }
    if (found_version == "1" || found_version == "2") {
      IMI_RETURN_IF_ERROR(writer_->Exec(kSchemaV3).WithContext("cannot migrate " + db_path_ + " to schema version 3"));
    }
    IMI_RETURN_IF_ERROR(txn->Commit());
  }
  IMI_ASSIGN_OR_RETURN(SqliteStatement get, SqliteStatement::Prepare(writer_.get(),
                                                                    "SELECT value FROM imi_meta WHERE key = ?1"));
  get.BindText(1, "schema_version");
  IMI_ASSIGN_OR_RETURN(bool found, get.Step());
  if (!found || get.Text(0) != std::to_string(kSchemaVersion)) {
    return Status::FailedPrecondition("store " + options_.directory + " has schema version " +
                                      (found ? get.Text(0) : std::string("(none)")) + "; this imi reads versions 1 to " +
                                      std::to_string(kSchemaVersion));
  }
  get.Reset();
  get.BindText(1, "store_id");
  IMI_ASSIGN_OR_RETURN(found, get.Step());
  store_id_ = found ? StoreIdBytes(get.Text(0)) : std::string();
  if (store_id_.size() != 16) return Status::DataLoss("store " + db_path_ + " has a damaged store id");
  return Status::Ok();
}

EmbeddedStore::Reader::~Reader() {
  std::lock_guard<std::mutex> lock(store_->pool_mu_);
  store_->readers_.push_back(std::move(db_));
}

Result<std::unique_ptr<EmbeddedStore::Reader>> EmbeddedStore::AcquireReader() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!readers_.empty()) {
      auto db = std::move(readers_.back());
      readers_.pop_back();
      return std::make_unique<Reader>(this, std::move(db));
    }
  }
  IMI_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(db_path_, kBusyTimeoutMs));
  return std::make_unique<Reader>(this, std::move(db));
}

Result<EmbeddedStore::Row> EmbeddedStore::FindCollection(SqliteDb* db, const std::string& name) {
  IMI_RETURN_IF_ERROR(ValidateCollectionName(name));
  IMI_ASSIGN_OR_RETURN(SqliteStatement st, SqliteStatement::Prepare(
                                               db, std::string("SELECT ") + kCollectionColumns +
                                                       " FROM collections WHERE name = ?1"));
  st.BindText(1, name);
  IMI_ASSIGN_OR_RETURN(bool found, st.Step());
  if (!found) return Status::NotFound("no collection named \"" + name + "\"");
  Row row;
  row.id = st.Int(0);
  row.info.spec.name = st.Text(1);
  row.info.spec.model_id = st.Text(2);
  row.info.spec.model_revision = st.Text(3);
  row.info.spec.dimension = static_cast<int>(st.Int(4));
  IMI_ASSIGN_OR_RETURN(row.info.spec.metric, ParseMetric(st.Text(5)));
  row.info.document_count = st.Int(6);
  row.info.chunk_count = st.Int(7);
  row.data_version = static_cast<uint64_t>(st.Int(8));
  IMI_ASSIGN_OR_RETURN(row.info.spec.lexical, LexicalSpecFromJson(st.Text(9)));
  row.lexical_version = static_cast<uint64_t>(st.Int(10));
  IMI_ASSIGN_OR_RETURN(row.info.spec.colbert, ParseMultiVectorEncoding(st.Text(11)));
  return row;
}

std::shared_ptr<EmbeddedStore::IndexState> EmbeddedStore::StateFor(int64_t collection_id) {
  std::lock_guard<std::mutex> lock(states_mu_);
  auto& slot = states_[collection_id];
  if (!slot) slot = std::make_shared<IndexState>();
  return slot;
}

std::string EmbeddedStore::IndexPath(int64_t collection_id) const {
  return (std::filesystem::path(options_.directory) / "index" / (std::to_string(collection_id) + ".hnsw")).string();
}

HnswIndex::Params EmbeddedStore::IndexParams(const CollectionSpec& spec) const {
  return HnswIndex::Params{spec.metric, spec.dimension, options_.hnsw_m, options_.hnsw_ef_construction};
}

Status EmbeddedStore::CreateCollection(const CollectionSpec& requested) {
  IMI_RETURN_IF_ERROR(ValidateCollectionSpec(requested));
  CollectionSpec spec = requested;
  IMI_RETURN_IF_ERROR(ValidateLexicalSpec(&spec.lexical));
  IMI_ASSIGN_OR_RETURN(std::string lexical, LexicalSpecToJson(spec.lexical));
  std::lock_guard<std::mutex> lock(write_mu_);
  // Look and insert in one write transaction: another process creating the
  // same collection at once is either seen or waits.
  IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(writer_.get(), true));
  Result<Row> existing = FindCollection(writer_.get(), spec.name);
  if (existing.ok()) {
    const CollectionSpec& have = existing->info.spec;
    if (have.model_id == spec.model_id && have.model_revision == spec.model_revision &&
        have.dimension == spec.dimension && have.metric == spec.metric && SameLexical(have.lexical, spec.lexical) &&
        have.colbert == spec.colbert)
      return Status::Ok();
    return Status::AlreadyExists("collection \"" + spec.name + "\" exists with model " + have.model_id + "@" +
                                 have.model_revision + ", dimension " + std::to_string(have.dimension) +
                                 ", metric " + std::string(MetricName(have.metric)) + ", " +
                                 DescribeLexical(have.lexical) + ", ColBERT " +
                                 std::string(MultiVectorEncodingName(have.colbert)));
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  IMI_ASSIGN_OR_RETURN(SqliteStatement st,
                       SqliteStatement::Prepare(writer_.get(),
                                                "INSERT INTO collections(name, model_id, model_revision, dimension, "
                                                "metric, lexical, colbert) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  st.BindText(1, spec.name);
  st.BindText(2, spec.model_id);
  st.BindText(3, spec.model_revision);
  st.BindInt(4, spec.dimension);
  st.BindText(5, MetricName(spec.metric));
  st.BindText(6, lexical);
  st.BindText(7, MultiVectorEncodingName(spec.colbert));
  IMI_RETURN_IF_ERROR(st.Run());
  return txn->Commit();
}

Status EmbeddedStore::DeleteCollection(const std::string& name) {
  std::lock_guard<std::mutex> lock(write_mu_);
  IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(writer_.get(), true));
  IMI_ASSIGN_OR_RETURN(Row row, FindCollection(writer_.get(), name));
  for (const char* sql : {"DELETE FROM chunks WHERE collection_id = ?1", "DELETE FROM documents WHERE collection_id = ?1",
                          "DELETE FROM collections WHERE id = ?1"}) {
    IMI_ASSIGN_OR_RETURN(SqliteStatement st, SqliteStatement::Prepare(writer_.get(), sql));
    st.BindInt(1, row.id);
    IMI_RETURN_IF_ERROR(st.Run());
  }
  IMI_RETURN_IF_ERROR(txn->Commit());
  {
    std::lock_guard<std::mutex> states_lock(states_mu_);
    states_.erase(row.id);
    lexical_states_.erase(row.id);
  }
  std::error_code ec;
  std::filesystem::remove(IndexPath(row.id), ec);
  return Status::Ok();
}

Result<CollectionInfo> EmbeddedStore::GetCollection(const std::string& name) {
  IMI_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  IMI_ASSIGN_OR_RETURN(Row row, FindCollection(reader->get(), name));
  return row.info;
}

Result<std::vector<CollectionInfo>> EmbeddedStore::ListCollections() {
  IMI_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  IMI_ASSIGN_OR_RETURN(SqliteStatement st, SqliteStatement::Prepare(reader->get(),
                                                                    "SELECT name FROM collections ORDER BY name"));
  std::vector<std::string> names;
  while (true) {
    IMI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    names.push_back(st.Text(0));
  }
  std::vector<CollectionInfo> out;
  for (const std::string& name : names) {
    Result<Row> row = FindCollection(reader->get(), name);
    if (row.ok()) out.push_back(row->info);
  }
  return out;
}

Result<UpsertResult> EmbeddedStore::Upsert(const std::string& collection, std::vector<Document> docs) {
  // Chunk texts are analysed before the write lock is taken (MeCab is the
  // slow part); the lexical version says whether the analysers are still
  // the collection's when the write begins.
  std::vector<std::vector<std::vector<lexical::TermCounts>>> terms;
  uint64_t analysed_version = 0;
  {
    IMI_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    IMI_ASSIGN_OR_RETURN(Row first, FindCollection(reader->get(), collection));
    IMI_RETURN_IF_ERROR(PrepareBatch(first.info.spec, &docs));
    IMI_ASSIGN_OR_RETURN(terms, AnalyzeDocuments(first.info.spec.lexical, docs));
    analysed_version = first.lexical_version;
  }
  std::lock_guard<std::mutex> lock(write_mu_);
  writes_in_flight_.fetch_add(1);
  struct InFlight {
    std::atomic<int>* n;
    ~InFlight() { n->fetch_sub(1); }
  } in_flight{&writes_in_flight_};
  // The collection row is read inside the write transaction, so its
  // data_version is the one this write bumps (ApplyToIndex relies on it).
  IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(writer_.get(), true));
  SqliteDb* db = writer_.get();
  IMI_ASSIGN_OR_RETURN(Row row, FindCollection(db, collection));
  IMI_RETURN_IF_ERROR(PrepareBatch(row.info.spec, &docs));
  if (row.lexical_version != analysed_version) {
    IMI_ASSIGN_OR_RETURN(terms, AnalyzeDocuments(row.info.spec.lexical, docs));
  }
  IMI_ASSIGN_OR_RETURN(SqliteStatement old_chunks,
                       SqliteStatement::Prepare(db, "SELECT id FROM chunks WHERE collection_id = ?1 AND document_id = ?2"));
  IMI_ASSIGN_OR_RETURN(SqliteStatement del_chunks,
                       SqliteStatement::Prepare(db, "DELETE FROM chunks WHERE collection_id = ?1 AND document_id = ?2"));
  IMI_ASSIGN_OR_RETURN(SqliteStatement upsert_doc,
                       SqliteStatement::Prepare(db, "INSERT INTO documents(collection_id, id, text, metadata) "
                                                    "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(collection_id, id) DO UPDATE "
                                                    "SET text = excluded.text, metadata = excluded.metadata"));
  IMI_ASSIGN_OR_RETURN(SqliteStatement exists_doc,
                       SqliteStatement::Prepare(db, "SELECT 1 FROM documents WHERE collection_id = ?1 AND id = ?2"));
  IMI_ASSIGN_OR_RETURN(SqliteStatement add_chunk,
                       SqliteStatement::Prepare(db, "INSERT INTO chunks(collection_id, document_id, ordinal, text, "
                                                    "start_offset, end_offset, vector) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  IMI_ASSIGN_OR_RETURN(SqliteStatement add_colbert,
                       SqliteStatement::Prepare(db, "INSERT INTO chunk_colbert(chunk_id, vectors) VALUES(?1, ?2)"));
  std::vector<int64_t> removed;
  std::vector<std::pair<int64_t, const float*>> added;
  std::vector<AddedChunk> added_lexical;
  std::vector<RemovedChunk> removed_lexical;
  const std::vector<lexical::TermCounts> no_terms;
  const bool lexical = !row.info.spec.lexical.analyzers.empty();
  int64_t new_docs = 0;
  UpsertResult result;
  for (size_t d = 0; d < docs.size(); ++d) {
    const Document& doc = docs[d];
    exists_doc.Reset();
    exists_doc.BindInt(1, row.id);
    exists_doc.BindText(2, doc.id);
    IMI_ASSIGN_OR_RETURN(bool existed, exists_doc.Step());
    if (existed) {
      old_chunks.Reset();
      old_chunks.BindInt(1, row.id);
      old_chunks.BindText(2, doc.id);
      const size_t first_removed = removed.size();
      while (true) {
        IMI_ASSIGN_OR_RETURN(bool more, old_chunks.Step());
        if (!more) break;
        removed.push_back(old_chunks.Int(0));
      }
      // Their term lists go with them; the in-memory index needs them to
      // keep document frequencies exact.
      IMI_ASSIGN_OR_RETURN(std::vector<RemovedChunk> lists,
                           ReadTermLists(db, row, std::vector<int64_t>(removed.begin() + static_cast<std::ptrdiff_t>(first_removed),
                                                                       removed.end())));
      for (RemovedChunk& r : lists) removed_lexical.push_back(std::move(r));
      del_chunks.Reset();
      del_chunks.BindInt(1, row.id);
      del_chunks.BindText(2, doc.id);
      IMI_RETURN_IF_ERROR(del_chunks.Run());
    } else {
      ++new_docs;
    }
    upsert_doc.Reset();
    upsert_doc.BindInt(1, row.id);
    upsert_doc.BindText(2, doc.id);
    upsert_doc.BindText(3, doc.text);
    upsert_doc.BindText(4, doc.metadata.dump());
    IMI_RETURN_IF_ERROR(upsert_doc.Run());
    for (size_t c = 0; c < doc.chunks.size(); ++c) {
      const Chunk& chunk = doc.chunks[c];
      add_chunk.Reset();
      add_chunk.BindInt(1, row.id);
      add_chunk.BindText(2, doc.id);
      add_chunk.BindInt(3, chunk.ordinal);
      add_chunk.BindText(4, chunk.text);
      add_chunk.BindInt(5, chunk.start_offset);
      add_chunk.BindInt(6, chunk.end_offset);
      add_chunk.BindBlob(7, chunk.vector.data(), chunk.vector.size() * sizeof(float));
      IMI_RETURN_IF_ERROR(add_chunk.Run());
      const int64_t chunk_id = db->LastInsertRowid();
      added.emplace_back(chunk_id, chunk.vector.data());
      if (!chunk.colbert.empty()) {
        const std::string blob = EncodeMultiVector(chunk.colbert, row.info.spec.colbert);
        add_colbert.Reset();
        add_colbert.BindInt(1, chunk_id);
        add_colbert.BindBlob(2, blob.data(), blob.size());
        IMI_RETURN_IF_ERROR(add_colbert.Run());
      }
      const std::vector<lexical::TermCounts>& chunk_terms = lexical ? terms[d][c] : no_terms;
      IMI_RETURN_IF_ERROR(WriteLexicalRows(db, chunk_id, chunk_terms, chunk.sparse));
      added_lexical.push_back(AddedChunk{{chunk_id, doc.id, chunk.ordinal}, &chunk_terms, &chunk.sparse});
    }
    result.ids.push_back(doc.id);
  }
  int64_t chunk_delta = static_cast<int64_t>(added.size()) - static_cast<int64_t>(removed.size());
  IMI_ASSIGN_OR_RETURN(SqliteStatement bump,
                       SqliteStatement::Prepare(db, "UPDATE collections SET data_version = data_version + 1, "
                                                    "document_count = document_count + ?2, chunk_count = chunk_count + ?3 "
                                                    "WHERE id = ?1"));
  bump.BindInt(1, row.id);
  bump.BindInt(2, new_docs);
  bump.BindInt(3, chunk_delta);
  IMI_RETURN_IF_ERROR(bump.Run());
  IMI_RETURN_IF_ERROR(txn->Commit());
  ApplyToIndex(row.id, row.data_version, row.data_version + 1, removed, added);
  ApplyToLexical(row, row.data_version + 1, removed_lexical, added_lexical);
  return result;
}

Result<Document> EmbeddedStore::GetDocument(const std::string& collection, const std::string& id) {
  IMI_RETURN_IF_ERROR(ValidateDocumentId(id));
  IMI_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  SqliteDb* db = reader->get();
  IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db, false));
  IMI_ASSIGN_OR_RETURN(Row row, FindCollection(db, collection));
  IMI_ASSIGN_OR_RETURN(SqliteStatement st,
                       SqliteStatement::Prepare(db, "SELECT text, metadata FROM documents WHERE collection_id = ?1 AND id = ?2"));
  st.BindInt(1, row.id);
  st.BindText(2, id);
  IMI_ASSIGN_OR_RETURN(bool found, st.Step());
  if (!found) return Status::NotFound("no document \"" + id + "\" in collection \"" + collection + "\"");
  Document doc;
  doc.id = id;
  doc.text = st.Text(0);
  doc.metadata = nlohmann::json::parse(st.Text(1), nullptr, false);
  if (doc.metadata.is_discarded()) return Status::DataLoss("stored metadata of \"" + id + "\" is not JSON");
  IMI_ASSIGN_OR_RETURN(SqliteStatement chunks,
                       SqliteStatement::Prepare(db, "SELECT c.ordinal, c.text, c.start_offset, c.end_offset, c.vector, "
                                                    "s.vector FROM chunks c LEFT JOIN chunk_sparse s ON s.chunk_id = c.id "
                                                    "WHERE c.collection_id = ?1 AND c.document_id = ?2 ORDER BY c.ordinal"));
  chunks.BindInt(1, row.id);
  chunks.BindText(2, id);
  while (true) {
    IMI_ASSIGN_OR_RETURN(bool more, chunks.Step());
    if (!more) break;
    Chunk chunk;
    chunk.ordinal = static_cast<int>(chunks.Int(0));
    chunk.text = chunks.Text(1);
    chunk.start_offset = chunks.Int(2);
    chunk.end_offset = chunks.Int(3);
    size_t bytes = 0;
    const void* blob = chunks.Blob(4, &bytes);
    chunk.vector.resize(bytes / sizeof(float));
    if (bytes) std::memcpy(chunk.vector.data(), blob, chunk.vector.size() * sizeof(float));
    if (!chunks.IsNull(5)) {
      const void* sparse = chunks.Blob(5, &bytes);
      IMI_RETURN_IF_ERROR(lexical::DecodeSparse(std::string_view(static_cast<const char*>(sparse), bytes), &chunk.sparse)
                              .WithContext("document \"" + id + "\""));
    }
    doc.chunks.push_back(std::move(chunk));
  }
  return doc;
}

Status EmbeddedStore::DeleteDocument(const std::string& collection, const std::string& id) {
  IMI_RETURN_IF_ERROR(ValidateDocumentId(id));
  std::lock_guard<std::mutex> lock(write_mu_);
  writes_in_flight_.fetch_add(1);
  struct InFlight {
    std::atomic<int>* n;
    ~InFlight() { n->fetch_sub(1); }
  } in_flight{&writes_in_flight_};
  SqliteDb* db = writer_.get();
  IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db, true));
  IMI_ASSIGN_OR_RETURN(Row row, FindCollection(db, collection));
  IMI_ASSIGN_OR_RETURN(SqliteStatement old_chunks,
                       SqliteStatement::Prepare(db, "SELECT id FROM chunks WHERE collection_id = ?1 AND document_id = ?2"));
  old_chunks.BindInt(1, row.id);
  old_chunks.BindText(2, id);
  std::vector<int64_t> removed;
  while (true) {
    IMI_ASSIGN_OR_RETURN(bool more, old_chunks.Step());
    if (!more) break;
    removed.push_back(old_chunks.Int(0));
  }
  IMI_ASSIGN_OR_RETURN(std::vector<RemovedChunk> removed_lexical, ReadTermLists(db, row, removed));
  IMI_ASSIGN_OR_RETURN(SqliteStatement del, SqliteStatement::Prepare(
                                                db, "DELETE FROM documents WHERE collection_id = ?1 AND id = ?2"));
  del.BindInt(1, row.id);
  del.BindText(2, id);
  IMI_RETURN_IF_ERROR(del.Run());
  if (db->Changes() == 0) return Status::NotFound("no document \"" + id + "\" in collection \"" + collection + "\"");
  IMI_ASSIGN_OR_RETURN(SqliteStatement bump,
                       SqliteStatement::Prepare(db, "UPDATE collections SET data_version = data_version + 1, "
                                                    "document_count = document_count - 1, chunk_count = chunk_count - ?2 "
                                                    "WHERE id = ?1"));
  bump.BindInt(1, row.id);
  bump.BindInt(2, static_cast<int64_t>(removed.size()));
  IMI_RETURN_IF_ERROR(bump.Run());
  IMI_RETURN_IF_ERROR(txn->Commit());
  ApplyToIndex(row.id, row.data_version, row.data_version + 1, removed, {});
  ApplyToLexical(row, row.data_version + 1, removed_lexical, {});
  return Status::Ok();
}

}  // namespace imi::store
