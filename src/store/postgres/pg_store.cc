#include "store/postgres/pg_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <unordered_map>

#include "store/lexical_analysis.h"
#include "store/postgres/pg_colbert.h"
#include "store/postgres/pg_lexical.h"
#include "store/postgres/pg_transaction.h"
#include "store/rank.h"

namespace imi::store {

namespace {

constexpr int kSchemaVersion = 3;
// Serialises schema changes between imi processes sharing a database.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7243911)";
// pgvector indexes at most 2000 dimensions; larger collections scan exactly.
constexpr int kMaxIndexedDimension = 2000;
constexpr size_t kGrowth = 4;
constexpr size_t kMaxAnnCandidates = 8192;
constexpr size_t kDocsPerStatement = 500;

using Params = std::vector<std::optional<std::string>>;

const char* Operator(Metric metric) {
  switch (metric) {
    case Metric::kCosine: return "<=>";
    case Metric::kL2: return "<->";
    case Metric::kIp: return "<#>";
    case Metric::kL1: return "<+>";
  }
  return "<=>";
}

const char* OperatorClass(Metric metric) {
  switch (metric) {
    case Metric::kCosine: return "vector_cosine_ops";
    case Metric::kL2: return "vector_l2_ops";
    case Metric::kIp: return "vector_ip_ops";
    case Metric::kL1: return "vector_l1_ops";
  }
  return "vector_cosine_ops";
}

// pgvector returns distances; imi reports scores (docs/store-format.md).
double ScoreFromDistance(Metric metric, double distance) {
  switch (metric) {
    case Metric::kCosine: return 1.0 - distance;
    case Metric::kIp: return -distance;
    case Metric::kL2:
    case Metric::kL1: return distance;
  }
  return distance;
}

std::string VectorLiteral(const std::vector<float>& v) {
  std::string out = "[";
  char buf[32];
  for (size_t i = 0; i < v.size(); ++i) {
    std::snprintf(buf, sizeof(buf), i ? ",%.9g" : "%.9g", static_cast<double>(v[i]));
    out += buf;
  }
  out += "]";
  return out;
}

std::vector<float> ParseVector(const std::string& text) {
  std::vector<float> out;
  const char* p = text.c_str();
  if (*p == '[') ++p;
  while (*p && *p != ']') {
    char* end = nullptr;
    float x = std::strtof(p, &end);
    if (end == p) break;
    out.push_back(x);
    p = end;
    if (*p == ',') ++p;
  }
  return out;
}

// A Postgres array literal of text elements, each quoted and escaped.
std::string ArrayLiteral(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char ch : items[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string DocsTable(int64_t id) { return QuoteIdentifier("imi_docs_" + std::to_string(id)); }
std::string ChunksTable(int64_t id) { return QuoteIdentifier("imi_chunks_" + std::to_string(id)); }

Params ToParams(const std::vector<SqlParam>& params) {
  Params out;
  for (const SqlParam& p : params) out.emplace_back(p.text);
  return out;
}

std::string ParamRef(size_t index) {
  std::string out = "$";
  out += std::to_string(index);
  return out;
}

// The chunks of one collection that pass a search's filter, with their
// distance to the query vector: the part the ANN and the exact query share.
// Their select lists give the columns PgStore::ReadCandidates reads.
struct CandidateQuery {
  std::string columns;   // "c.id, c.document_id, c.ordinal, <distance> AS dist"
  std::string from;      // "FROM <chunks> c WHERE <filter>"
  std::string distance;  // "c.embedding <op> $N::vector"
  std::string limit;     // the LIMIT parameter reference
  Params params;         // filter values, query vector, LIMIT (last; the caller sets it)
};

CandidateQuery BuildCandidateQuery(int64_t collection_id, Metric metric, const SearchRequest& request) {
  CandidateQuery q;
  std::vector<SqlParam> filter_params;
  const std::string where = request.filter.ToSql(SqlDialect::kPostgres, "c.metadata", &filter_params);
  q.params = ToParams(filter_params);
  q.params.emplace_back(VectorLiteral(request.vector));
  q.distance = std::string("c.embedding ") + Operator(metric) + " " + ParamRef(q.params.size()) + "::vector";
  q.params.emplace_back();
  q.limit = ParamRef(q.params.size());
  q.columns = "c.id, c.document_id, c.ordinal, " + q.distance + " AS dist";
  q.from = "FROM " + ChunksTable(collection_id) + " c WHERE " + where;
  return q;
}

}  // namespace

Result<std::unique_ptr<VectorStore>> OpenPostgresStore(const PostgresOptions& options) {
  IMI_ASSIGN_OR_RETURN(std::unique_ptr<PgStore> store, PgStore::Open(options));
  return std::unique_ptr<VectorStore>(std::move(store));
}

Result<std::unique_ptr<VectorStore>> OpenPostgresStore(const std::string& dsn) {
  PostgresOptions options;
  options.dsn = dsn;
  return OpenPostgresStore(options);
}

PgStore::PgStore(const PostgresOptions& options) : options_(options) {
  deadlines_.connect_timeout_ms =
      options.connect_timeout_ms > 0 ? options.connect_timeout_ms : DsnConnectTimeoutMs(options.dsn).value_or(5000);
  deadlines_.statement_timeout_ms = std::max(1, options.statement_timeout_ms);
  options_.pool_size = std::max(1, options.pool_size);
}

Result<std::unique_ptr<PgStore>> PgStore::Open(const PostgresOptions& options) {
  if (options.dsn.empty()) return Status::InvalidArgument("empty PostgreSQL DSN; pass --pg or set IMI_PG_DSN");
  auto store = std::make_unique<PgStore>(options);
  IMI_RETURN_IF_ERROR(store->Migrate());
  return store;
}

void PgStore::Interrupt() {
  interrupt_.Fire();
  std::lock_guard<std::mutex> lock(pool_mu_);
  pool_cv_.notify_all();
}

Result<std::unique_ptr<PgConnection>> PgStore::Acquire() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadlines_.statement_timeout_ms);
  std::unique_lock<std::mutex> lock(pool_mu_);
  for (;;) {
    if (interrupt_.fired()) return Status::Unavailable("the store is shutting down");
    if (!idle_.empty()) {
      std::unique_ptr<PgConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    if (open_ < options_.pool_size) {
      ++open_;
      lock.unlock();
      Result<std::unique_ptr<PgConnection>> conn = PgConnection::Connect(options_.dsn, deadlines_, &interrupt_);
      if (!conn.ok()) {
        lock.lock();
        --open_;
        pool_cv_.notify_one();
      }
      return conn;
    }
    if (pool_cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.pool_size)
      return Status::Unavailable("all " + std::to_string(options_.pool_size) +
                                 " PostgreSQL connections stayed busy for " +
                                 std::to_string(deadlines_.statement_timeout_ms) + " ms");
  }
}

void PgStore::Release(std::unique_ptr<PgConnection> conn) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (conn && !conn->broken() && !interrupt_.fired()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  pool_cv_.notify_one();
}

Status PgStore::WithConnection(const std::function<Status(PgConnection&)>& body) {
  IMI_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Acquire());
  struct GiveBack {
    PgStore* store;
    std::unique_ptr<PgConnection>* conn;
    ~GiveBack() { store->Release(std::move(*conn)); }
  } give_back{this, &conn};
  Status status = body(*conn);
  if (status.code() == StatusCode::kUnavailable && conn->broken() && !conn->gave_up() && !interrupt_.fired()) {
    // The server restarted or the socket dropped; the transaction was rolled
    // back, so running the body again is safe. A server that did not answer
    // in time is not asked again: that would double the wait.
    IMI_RETURN_IF_ERROR(conn->Reconnect());
    status = body(*conn);
  }
  return status;
}

Status PgStore::Migrate() {
  return WithConnection([](PgConnection& conn) -> Status {
    PgTransaction txn(conn);
    IMI_RETURN_IF_ERROR(txn.Begin());
    IMI_RETURN_IF_ERROR(conn.Run(kMigrationLock));
    Status ext = conn.Run("CREATE EXTENSION IF NOT EXISTS vector");
    if (!ext.ok())
      return Status::FailedPrecondition("the pgvector extension is not available in this database: " + ext.message());
    IMI_RETURN_IF_ERROR(conn.Run("CREATE TABLE IF NOT EXISTS imi_schema (version integer NOT NULL)"));
    IMI_ASSIGN_OR_RETURN(PgResult have, conn.Exec("SELECT coalesce(max(version), 0) FROM imi_schema"));
    int64_t version = have.Int(0, 0);
    if (version > kSchemaVersion)
      return Status::FailedPrecondition("database schema version " + std::to_string(version) +
                                        " is newer than this imi (" + std::to_string(kSchemaVersion) + ")");
    if (version < 1) {
      IMI_RETURN_IF_ERROR(conn.Run(
          "CREATE TABLE imi_collections ("
          " id bigserial PRIMARY KEY,"
          " name text NOT NULL UNIQUE,"
          " model_id text NOT NULL,"
          " model_revision text NOT NULL,"
          " dimension integer NOT NULL,"
          " metric text NOT NULL,"
          " created_at timestamptz NOT NULL DEFAULT now())"));
      IMI_RETURN_IF_ERROR(conn.Run("INSERT INTO imi_schema VALUES (1)"));
    }
    if (version < 2) IMI_RETURN_IF_ERROR(pg_lexical::Migrate(conn));
    if (version < 3) IMI_RETURN_IF_ERROR(pg_colbert::Migrate(conn));
    return txn.Commit();
  });
}

Result<PgStore::Row> PgStore::FindCollection(PgConnection& conn, const std::string& name) {
  IMI_RETURN_IF_ERROR(ValidateCollectionName(name));
  IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT id, name, model_id, model_revision, dimension, metric, "
                                             "lexical::text, lexical_version, colbert FROM imi_collections WHERE name = $1",
                                             {name}));
  if (r.rows() == 0) return Status::NotFound("no collection named \"" + name + "\"");
  Row row;
  row.id = r.Int(0, 0);
  row.spec.name = r.Text(0, 1);
  row.spec.model_id = r.Text(0, 2);
  row.spec.model_revision = r.Text(0, 3);
  row.spec.dimension = static_cast<int>(r.Int(0, 4));
  IMI_ASSIGN_OR_RETURN(row.spec.metric, ParseMetric(r.Text(0, 5)));
  IMI_ASSIGN_OR_RETURN(row.spec.lexical, LexicalSpecFromJson(r.Text(0, 6)));
  row.lexical_version = r.Int(0, 7);
  IMI_ASSIGN_OR_RETURN(row.spec.colbert, ParseMultiVectorEncoding(r.Text(0, 8)));
  return row;
}

Result<CollectionInfo> PgStore::Info(PgConnection& conn, const Row& row) {
  IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT (SELECT count(*) FROM " + DocsTable(row.id) +
                                             "), (SELECT count(*) FROM " + ChunksTable(row.id) + ")"));
  CollectionInfo info;
  info.spec = row.spec;
  info.document_count = r.Int(0, 0);
  info.chunk_count = r.Int(0, 1);
  return info;
}

Status PgStore::CreateCollection(const CollectionSpec& requested) {
  IMI_RETURN_IF_ERROR(ValidateCollectionSpec(requested));
  CollectionSpec spec = requested;
  IMI_RETURN_IF_ERROR(ValidateLexicalSpec(&spec.lexical));
  IMI_ASSIGN_OR_RETURN(std::string lexical, LexicalSpecToJson(spec.lexical));
  return WithConnection([&](PgConnection& conn) -> Status {
    PgTransaction txn(conn);
    IMI_RETURN_IF_ERROR(txn.Begin());
    IMI_RETURN_IF_ERROR(conn.Run(kMigrationLock));
    Result<Row> existing = FindCollection(conn, spec.name);
    if (existing.ok()) {
      const CollectionSpec& have = existing->spec;
      const bool same_lexical = have.lexical.analyzers == spec.lexical.analyzers &&
                                have.lexical.bm25.k1 == spec.lexical.bm25.k1 && have.lexical.bm25.b == spec.lexical.bm25.b;
      if (have.model_id == spec.model_id && have.model_revision == spec.model_revision &&
          have.dimension == spec.dimension && have.metric == spec.metric && same_lexical && have.colbert == spec.colbert)
        return Status::Ok();
      std::string analyzers;
      for (const std::string& a : have.lexical.analyzers) analyzers += (analyzers.empty() ? "" : ",") + a;
      return Status::AlreadyExists("collection \"" + spec.name + "\" exists with model " + have.model_id + "@" +
                                   have.model_revision + ", dimension " + std::to_string(have.dimension) +
                                   ", metric " + std::string(MetricName(have.metric)) + ", analyzers [" + analyzers +
                                   "], BM25 k1 " + std::to_string(have.lexical.bm25.k1) + " b " +
                                   std::to_string(have.lexical.bm25.b) + ", ColBERT " +
                                   std::string(MultiVectorEncodingName(have.colbert)));
    }
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec("INSERT INTO imi_collections (name, model_id, model_revision, "
                                               "dimension, metric, lexical, colbert) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) "
                                               "RETURNING id",
                                               {spec.name, spec.model_id, spec.model_revision,
                                                std::to_string(spec.dimension), std::string(MetricName(spec.metric)),
                                                lexical, std::string(MultiVectorEncodingName(spec.colbert))}));
    int64_t id = r.Int(0, 0);
    std::string docs = DocsTable(id), chunks = ChunksTable(id);
    IMI_RETURN_IF_ERROR(conn.Run("CREATE TABLE " + docs +
                                 " (id text PRIMARY KEY, text text NOT NULL, metadata jsonb NOT NULL)"));
    // The dimension is a validated integer, not user text.
    IMI_RETURN_IF_ERROR(conn.Run("CREATE TABLE " + chunks + " (id bigserial PRIMARY KEY, document_id text NOT NULL REFERENCES " +
                                 docs + " (id) ON DELETE CASCADE, ordinal integer NOT NULL, text text NOT NULL, "
                                 "start_offset bigint NOT NULL, end_offset bigint NOT NULL, metadata jsonb NOT NULL, "
                                 "embedding vector(" + std::to_string(spec.dimension) + ") NOT NULL, sparse sparsevec, colbert bytea)"));
    IMI_RETURN_IF_ERROR(conn.Run("CREATE INDEX ON " + chunks + " (document_id)"));
    if (spec.dimension <= kMaxIndexedDimension) {
      IMI_RETURN_IF_ERROR(conn.Run("CREATE INDEX ON " + chunks + " USING hnsw (embedding " +
                                   OperatorClass(spec.metric) + ") WITH (m = " + std::to_string(kHnswM) +
                                   ", ef_construction = " + std::to_string(kHnswEfConstruction) + ")"));
    }
    IMI_RETURN_IF_ERROR(pg_lexical::CreateTables(conn, id, spec.lexical.analyzers.size()));
    return txn.Commit();
  });
}

Status PgStore::DeleteCollection(const std::string& name) {
  return WithConnection([&](PgConnection& conn) -> Status {
    PgTransaction txn(conn);
    IMI_RETURN_IF_ERROR(txn.Begin());
    IMI_RETURN_IF_ERROR(conn.Run(kMigrationLock));
    IMI_ASSIGN_OR_RETURN(Row row, FindCollection(conn, name));
    IMI_RETURN_IF_ERROR(pg_lexical::DropTables(conn, row.id));
    IMI_RETURN_IF_ERROR(conn.Run("DROP TABLE IF EXISTS " + ChunksTable(row.id)));
    IMI_RETURN_IF_ERROR(conn.Run("DROP TABLE IF EXISTS " + DocsTable(row.id)));
    IMI_RETURN_IF_ERROR(conn.Run("DELETE FROM imi_collections WHERE id = $1", {std::to_string(row.id)}));
    return txn.Commit();
  });
}

Result<CollectionInfo> PgStore::GetCollection(const std::string& name) {
  CollectionInfo info;
  IMI_RETURN_IF_ERROR(WithConnection([&](PgConnection& conn) -> Status {
    IMI_ASSIGN_OR_RETURN(Row row, FindCollection(conn, name));
    IMI_ASSIGN_OR_RETURN(info, Info(conn, row));
    return Status::Ok();
  }));
  return info;
}

Result<std::vector<CollectionInfo>> PgStore::ListCollections() {
  std::vector<CollectionInfo> out;
  IMI_RETURN_IF_ERROR(WithConnection([&](PgConnection& conn) -> Status {
    out.clear();
    IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT name FROM imi_collections ORDER BY name COLLATE \"C\""));
    for (int i = 0; i < r.rows(); ++i) {
      Result<Row> row = FindCollection(conn, r.Text(i, 0));
      if (!row.ok()) continue;
      IMI_ASSIGN_OR_RETURN(CollectionInfo info, Info(conn, *row));
      out.push_back(std::move(info));
    }
    return Status::Ok();
  }));
  return out;
}

Result<UpsertResult> PgStore::Upsert(const std::string& collection, std::vector<Document> docs) {
  // Chunk texts are analysed before the connection is taken (MeCab is the
  // slow part); the lexical version says whether the analysers are still the
  // collection's once the write holds its locks.
  Row first;
  IMI_RETURN_IF_ERROR(WithConnection([&](PgConnection& conn) -> Status {
    IMI_ASSIGN_OR_RETURN(first, FindCollection(conn, collection));
    return Status::Ok();
  }));
  // Generated ids are kept in `docs`, so a retry after reconnecting writes
  // the same ids.
  IMI_RETURN_IF_ERROR(PrepareBatch(first.spec, &docs));
  IMI_ASSIGN_OR_RETURN(auto terms, AnalyzeDocuments(first.spec.lexical, docs));
  int64_t analysed_version = first.lexical_version;
  UpsertResult result;
  IMI_RETURN_IF_ERROR(WithConnection([&](PgConnection& conn) -> Status {
    IMI_ASSIGN_OR_RETURN(Row row, FindCollection(conn, collection));
    IMI_RETURN_IF_ERROR(PrepareBatch(row.spec, &docs));
    std::string docs_table = DocsTable(row.id), chunks_table = ChunksTable(row.id);
    PgTransaction txn(conn);
    IMI_RETURN_IF_ERROR(txn.Begin());
    IMI_ASSIGN_OR_RETURN(int64_t version, pg_lexical::LockForWrite(conn, row.id));
    if (version != row.lexical_version) {
      IMI_ASSIGN_OR_RETURN(row, FindCollection(conn, collection));
    }
    if (version != analysed_version) {
      IMI_ASSIGN_OR_RETURN(terms, AnalyzeDocuments(row.spec.lexical, docs));
      analysed_version = version;
    }
    const bool lexical = !row.spec.lexical.analyzers.empty();
    // Rows travel as array parameters unnested by the server: one round
    // trip per slice instead of one per row.
    for (size_t begin = 0; begin < docs.size(); begin += kDocsPerStatement) {
      size_t end = std::min(docs.size(), begin + kDocsPerStatement);
      std::vector<std::string> ids, texts, metadata;
      std::vector<std::string> c_doc, c_ordinal, c_text, c_start, c_end, c_metadata, c_vector;
      std::vector<const lexical::SparseVector*> c_sparse;
      std::vector<const MultiVector*> c_colbert;
      for (size_t i = begin; i < end; ++i) {
        const Document& doc = docs[i];
        ids.push_back(doc.id);
        texts.push_back(doc.text);
        metadata.push_back(doc.metadata.dump());
        for (const Chunk& chunk : doc.chunks) {
          c_doc.push_back(doc.id);
          c_ordinal.push_back(std::to_string(chunk.ordinal));
          c_text.push_back(chunk.text);
          c_start.push_back(std::to_string(chunk.start_offset));
          c_end.push_back(std::to_string(chunk.end_offset));
          c_metadata.push_back(metadata.back());
          c_vector.push_back(VectorLiteral(chunk.vector));
          c_sparse.push_back(&chunk.sparse);
          c_colbert.push_back(&chunk.colbert);
        }
      }
      IMI_RETURN_IF_ERROR(conn.Run("INSERT INTO " + docs_table + " (id, text, metadata) SELECT * FROM "
                                   "unnest($1::text[], $2::text[], $3::jsonb[]) ON CONFLICT (id) DO UPDATE "
                                   "SET text = EXCLUDED.text, metadata = EXCLUDED.metadata",
                                   {ArrayLiteral(ids), ArrayLiteral(texts), ArrayLiteral(metadata)}));
      IMI_RETURN_IF_ERROR(conn.Run("DELETE FROM " + chunks_table + " WHERE document_id = ANY($1::text[])",
                                   {ArrayLiteral(ids)}));
      IMI_ASSIGN_OR_RETURN(
          PgResult inserted,
          conn.Exec("INSERT INTO " + chunks_table +
                        " (document_id, ordinal, text, start_offset, end_offset, metadata, embedding, sparse, colbert) "
                        "SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::bigint[], "
                        "$5::bigint[], $6::jsonb[], $7::vector[], $8::sparsevec[], $9::bytea[]) "
                        "RETURNING id, document_id, ordinal",
                    {ArrayLiteral(c_doc), ArrayLiteral(c_ordinal), ArrayLiteral(c_text), ArrayLiteral(c_start),
                     ArrayLiteral(c_end), ArrayLiteral(c_metadata), ArrayLiteral(c_vector),
                     pg_lexical::SparseArrayLiteral(c_sparse),
                     pg_colbert::ByteaArrayLiteral(c_colbert, row.spec.colbert)}));
      if (!lexical) continue;
      std::map<std::pair<std::string, int>, int64_t> chunk_ids;
      for (int r = 0; r < inserted.rows(); ++r) {
        chunk_ids[{inserted.Text(r, 1), static_cast<int>(inserted.Int(r, 2))}] = inserted.Int(r, 0);
      }
      std::vector<int64_t> written;
      std::vector<const std::vector<lexical::TermCounts>*> lists;
      for (size_t i = begin; i < end; ++i) {
        for (size_t c = 0; c < docs[i].chunks.size(); ++c) {
          written.push_back(chunk_ids[{docs[i].id, docs[i].chunks[c].ordinal}]);
          lists.push_back(&terms[i][c]);
        }
      }
      IMI_RETURN_IF_ERROR(pg_lexical::WriteTerms(conn, row.id, written, lists));
    }
    IMI_RETURN_IF_ERROR(txn.Commit());
    result.ids.clear();
    for (const Document& doc : docs) result.ids.push_back(doc.id);
    return Status::Ok();
  }));
  return result;
}

Result<Document> PgStore::GetDocument(const std::string& collection, const std::string& id) {
  IMI_RETURN_IF_ERROR(ValidateDocumentId(id));
  Document doc;
  IMI_RETURN_IF_ERROR(WithConnection([&](PgConnection& conn) -> Status {
    IMI_ASSIGN_OR_RETURN(Row row, FindCollection(conn, collection));
    PgTransaction txn(conn);
    IMI_RETURN_IF_ERROR(txn.Begin());
    IMI_RETURN_IF_ERROR(conn.Run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
    IMI_ASSIGN_OR_RETURN(PgResult d, conn.Exec("SELECT text, metadata::text FROM " + DocsTable(row.id) +
                                               " WHERE id = $1", {id}));
    if (d.rows() == 0) return Status::NotFound("no document \"" + id + "\" in collection \"" + collection + "\"");
    doc = Document();
    doc.id = id;
    doc.text = d.Text(0, 0);
    doc.metadata = nlohmann::json::parse(d.Text(0, 1), nullptr, false);
    if (doc.metadata.is_discarded()) return Status::DataLoss("stored metadata of \"" + id + "\" is not JSON");
    IMI_ASSIGN_OR_RETURN(PgResult c, conn.Exec("SELECT ordinal, text, start_offset, end_offset, embedding::text, "
                                               "sparse::text FROM " +
                                               ChunksTable(row.id) + " WHERE document_id = $1 ORDER BY ordinal",
                                               {id}));
    for (int i = 0; i < c.rows(); ++i) {
      Chunk chunk;
      chunk.ordinal = static_cast<int>(c.Int(i, 0));
      chunk.text = c.Text(i, 1);
      chunk.start_offset = c.Int(i, 2);
      chunk.end_offset = c.Int(i, 3);
      chunk.vector = ParseVector(c.Text(i, 4));
      if (!c.IsNull(i, 5)) {
        IMI_ASSIGN_OR_RETURN(chunk.sparse, pg_lexical::ParseSparse(c.Text(i, 5)));
      }
      doc.chunks.push_back(std::move(chunk));
    }
    return txn.Commit();
  }));
  return doc;
}

Status PgStore::DeleteDocument(const std::string& collection, const std::string& id) {
  IMI_RETURN_IF_ERROR(ValidateDocumentId(id));
  return WithConnection([&](PgConnection& conn) -> Status {
    IMI_ASSIGN_OR_RETURN(Row row, FindCollection(conn, collection));
    PgTransaction txn(conn);
    IMI_RETURN_IF_ERROR(txn.Begin());
    // The deleted chunks' lengths leave the statistics rows through a
    // trigger; lock them first, in the order every writer does.
    IMI_RETURN_IF_ERROR(pg_lexical::LockForWrite(conn, row.id).status());
    IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec("DELETE FROM " + DocsTable(row.id) + " WHERE id = $1 RETURNING id", {id}));
    if (r.rows() == 0) return Status::NotFound("no document \"" + id + "\" in collection \"" + collection + "\"");
    return txn.Commit();
  });
}

Result<SearchResponse> PgStore::Search(const std::string& collection, const SearchRequest& request) {
  SearchResponse response;
  IMI_RETURN_IF_ERROR(WithConnection([&](PgConnection& conn) -> Status {
    IMI_ASSIGN_OR_RETURN(Row row, FindCollection(conn, collection));
    IMI_RETURN_IF_ERROR(ValidateSearch(row.spec, request));
    response = SearchResponse();
    response.metric = request.metric.value_or(row.spec.metric);
    // Another metric than the index's cannot use the index: scan exactly.
    bool exact = request.exact || response.metric != row.spec.metric || row.spec.dimension > kMaxIndexedDimension;
    PgTransaction txn(conn);
    IMI_RETURN_IF_ERROR(txn.Begin());
    IMI_RETURN_IF_ERROR(conn.Run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
    std::vector<Candidate> ranked;
    if (!exact) {
      bool complete = false;
      IMI_ASSIGN_OR_RETURN(ranked, AnnCandidates(conn, row, response.metric, request, &complete));
      exact = !complete;
    }
    if (exact) {
      IMI_ASSIGN_OR_RETURN(ranked, ExactCandidates(conn, row, response.metric, request));
    }
    response.exact = exact;
    IMI_ASSIGN_OR_RETURN(response.hits, FillHits(conn, row, ranked, request.include));
    return txn.Commit();
  }));
  return response;
}

Result<std::vector<PgStore::Candidate>> PgStore::AnnCandidates(PgConnection& conn, const Row& row, Metric metric,
                                                               const SearchRequest& request, bool* complete) {
  const size_t k = static_cast<size_t>(request.k);
  int ef = request.ef_search > 0 ? request.ef_search : kHnswEfSearch;
  ef = std::min(ef, 1000);  // pgvector's upper bound for hnsw.ef_search
  // Integers formatted here, not user text: SET takes no parameters.
  IMI_RETURN_IF_ERROR(conn.Run("SET LOCAL hnsw.ef_search = " + std::to_string(ef)));
  IMI_RETURN_IF_ERROR(conn.Run("SET LOCAL hnsw.iterative_scan = relaxed_order"));
  CandidateQuery q = BuildCandidateQuery(row.id, metric, request);
  const std::string sql = "SELECT " + q.columns + " " + q.from + " ORDER BY " + q.distance + " LIMIT " + q.limit;
  size_t count = k * (request.filter.empty() ? 2 : 8);
  while (true) {
    q.params.back() = std::to_string(count);
    IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec(sql, q.params));
    const std::vector<Candidate> chunks = ReadCandidates(r, metric);
    std::vector<Candidate> top = TopDocuments(chunks, metric, k);
    if (top.size() >= k) {
      *complete = true;
      return top;
    }
    if (static_cast<size_t>(r.rows()) < count || count >= kMaxAnnCandidates) {
      *complete = false;
      return top;
    }
    count *= kGrowth;
  }
}

Result<std::vector<PgStore::Candidate>> PgStore::ExactCandidates(PgConnection& conn, const Row& row, Metric metric,
                                                                 const SearchRequest& request) {
  // Without index scans the planner computes every distance: exact results.
  IMI_RETURN_IF_ERROR(conn.Run("SET LOCAL enable_indexscan = off"));
  CandidateQuery q = BuildCandidateQuery(row.id, metric, request);
  q.params.back() = std::to_string(request.k);
  // Distances grow away from the query for every operator (<#> is the
  // negative inner product), so ascending order ranks best first.
  const std::string sql = "SELECT id, document_id, ordinal, dist FROM (SELECT DISTINCT ON (c.document_id) " +
                          q.columns + " " + q.from +
                          " ORDER BY c.document_id, dist, c.ordinal) best ORDER BY dist, document_id COLLATE \"C\", "
                          "ordinal LIMIT " + q.limit;
  IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec(sql, q.params));
  return ReadCandidates(r, metric);
}

std::vector<PgStore::Candidate> PgStore::ReadCandidates(const PgResult& result, Metric metric) {
  std::vector<Candidate> out;
  out.reserve(static_cast<size_t>(result.rows()));
  for (int i = 0; i < result.rows(); ++i) {
    Candidate c;
    c.chunk_id = result.Int(i, 0);
    c.document_id = result.Text(i, 1);
    c.ordinal = static_cast<int>(result.Int(i, 2));
    c.score = ScoreFromDistance(metric, result.Real(i, 3));
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<SearchHit>> PgStore::FillHits(PgConnection& conn, const Row& row,
                                                 const std::vector<Candidate>& ranked, const Include& include) {
  if (ranked.empty()) return std::vector<SearchHit>();
  std::string ids = "{";
  for (size_t i = 0; i < ranked.size(); ++i) {
    if (i) ids += ',';
    ids += std::to_string(ranked[i].chunk_id);
  }
  ids += "}";
  IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT c.id, c.text, c.start_offset, c.end_offset, " +
                                             std::string(include.vector ? "c.embedding::text" : "''") +
                                             ", d.text, d.metadata::text FROM " + ChunksTable(row.id) + " c JOIN " +
                                             DocsTable(row.id) + " d ON d.id = c.document_id WHERE c.id = ANY($1::bigint[])",
                                             {ids}));
  std::unordered_map<int64_t, int> by_id;
  for (int i = 0; i < r.rows(); ++i) by_id[r.Int(i, 0)] = i;
  std::vector<SearchHit> hits;
  for (const Candidate& c : ranked) {
    auto it = by_id.find(c.chunk_id);
    if (it == by_id.end()) return Status::Internal("chunk " + std::to_string(c.chunk_id) + " vanished inside a snapshot");
    int i = it->second;
    SearchHit hit;
    hit.document_id = c.document_id;
    hit.score = include.score ? c.score : 0;
    hit.chunk.ordinal = c.ordinal;
    hit.chunk.start_offset = r.Int(i, 2);
    hit.chunk.end_offset = r.Int(i, 3);
    if (include.text) {
      hit.chunk.text = r.Text(i, 1);
      hit.text = r.Text(i, 5);
    }
    if (include.vector) hit.chunk.vector = ParseVector(r.Text(i, 4));
    if (include.metadata) {
      hit.metadata = nlohmann::json::parse(r.Text(i, 6), nullptr, false);
      if (hit.metadata.is_discarded()) return Status::DataLoss("stored metadata of \"" + c.document_id + "\" is not JSON");
    }
    hits.push_back(std::move(hit));
  }
  return hits;
}

// --- Document listing, counting, deletion by filter, metadata patches -------
// Filters run on the documents table's metadata (d.metadata); a patch also
// rewrites the copy each chunk row keeps for filtered vector searches.

Result<DocumentPage> PgStore::ListDocuments(const std::string& collection, const ListRequest& request) {
  IMI_RETURN_IF_ERROR(ValidateListRequest(request));
  DocumentPage page;
  IMI_RETURN_IF_ERROR(WithConnection([&](PgConnection& conn) -> Status {
    page = DocumentPage();
    IMI_ASSIGN_OR_RETURN(Row row, FindCollection(conn, collection));
    std::vector<SqlParam> filter_params;
    const std::string where = request.filter.ToSql(SqlDialect::kPostgres, "d.metadata", &filter_params);
    Params params = ToParams(filter_params);
    params.emplace_back(request.after);
    const std::string after = ParamRef(params.size());
    params.emplace_back(std::to_string(request.limit + 1));
    const std::string limit = ParamRef(params.size());
    // Bytewise order ("C"), like the embedded backend; one row more than the
    // page tells whether another page follows.
    IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT d.id, " + std::string(request.with_text ? "d.text" : "''") +
                                                   ", " + (request.with_metadata ? "d.metadata::text" : "'{}'") +
                                                   " FROM " + DocsTable(row.id) + " d WHERE " + where +
                                                   " AND d.id COLLATE \"C\" > " + after +
                                                   " ORDER BY d.id COLLATE \"C\" LIMIT " + limit,
                                               params));
    for (int i = 0; i < r.rows(); ++i) {
      if (page.documents.size() == static_cast<size_t>(request.limit)) {
        page.next_after = page.documents.back().id;
        break;
      }
      Document doc;
      doc.id = r.Text(i, 0);
      doc.text = r.Text(i, 1);
      doc.metadata = nlohmann::json::parse(r.Text(i, 2), nullptr, false);
      if (doc.metadata.is_discarded()) return Status::DataLoss("stored metadata of \"" + doc.id + "\" is not JSON");
      page.documents.push_back(std::move(doc));
    }
    return Status::Ok();
  }));
  return page;
}

Result<int64_t> PgStore::CountDocuments(const std::string& collection, const Filter& filter) {
  int64_t count = 0;
  IMI_RETURN_IF_ERROR(WithConnection([&](PgConnection& conn) -> Status {
    IMI_ASSIGN_OR_RETURN(Row row, FindCollection(conn, collection));
    std::vector<SqlParam> filter_params;
    const std::string where = filter.ToSql(SqlDialect::kPostgres, "d.metadata", &filter_params);
    IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT count(*) FROM " + DocsTable(row.id) + " d WHERE " + where,
                                               ToParams(filter_params)));
    count = r.Int(0, 0);
    return Status::Ok();
  }));
  return count;
}

Result<int64_t> PgStore::DeleteDocuments(const std::string& collection, const Filter& filter) {
  int64_t deleted = 0;
  IMI_RETURN_IF_ERROR(WithConnection([&](PgConnection& conn) -> Status {
    IMI_ASSIGN_OR_RETURN(Row row, FindCollection(conn, collection));
    std::vector<SqlParam> filter_params;
    const std::string where = filter.ToSql(SqlDialect::kPostgres, "d.metadata", &filter_params);
    PgTransaction txn(conn);
    IMI_RETURN_IF_ERROR(txn.Begin());
    // The lexical statistics rows change through a trigger; lock them first,
    // in the order every writer does (pg_lexical::LockForWrite).
    IMI_RETURN_IF_ERROR(pg_lexical::LockForWrite(conn, row.id).status());
    // Chunks go with their documents (ON DELETE CASCADE), in one statement.
    IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec("WITH gone AS (DELETE FROM " + DocsTable(row.id) + " d WHERE " + where +
                                                   " RETURNING 1) SELECT count(*) FROM gone",
                                               ToParams(filter_params)));
    deleted = r.Int(0, 0);
    return txn.Commit();
  }));
  return deleted;
}

Result<nlohmann::json> PgStore::PatchMetadata(const std::string& collection, const std::string& id,
                                              const nlohmann::json& patch) {
  IMI_RETURN_IF_ERROR(ValidateDocumentId(id));
  if (!patch.is_object()) return Status::InvalidArgument("a metadata patch must be a JSON object");
  nlohmann::json metadata;
  IMI_RETURN_IF_ERROR(WithConnection([&](PgConnection& conn) -> Status {
    IMI_ASSIGN_OR_RETURN(Row row, FindCollection(conn, collection));
    PgTransaction txn(conn);
    IMI_RETURN_IF_ERROR(txn.Begin());
    // FOR UPDATE: concurrent patches of one document apply one after the other.
    IMI_ASSIGN_OR_RETURN(PgResult d, conn.Exec("SELECT metadata::text FROM " + DocsTable(row.id) +
                                                   " WHERE id = $1 FOR UPDATE",
                                               {id}));
    if (d.rows() == 0) return Status::NotFound("no document \"" + id + "\" in collection \"" + collection + "\"");
    nlohmann::json stored = nlohmann::json::parse(d.Text(0, 0), nullptr, false);
    if (stored.is_discarded()) return Status::DataLoss("stored metadata of \"" + id + "\" is not JSON");
    IMI_ASSIGN_OR_RETURN(metadata, MergePatchMetadata(std::move(stored), patch));
    const std::string text = metadata.dump();
    IMI_RETURN_IF_ERROR(conn.Run("UPDATE " + DocsTable(row.id) + " SET metadata = $2::jsonb WHERE id = $1", {id, text}));
    IMI_RETURN_IF_ERROR(
        conn.Run("UPDATE " + ChunksTable(row.id) + " SET metadata = $2::jsonb WHERE document_id = $1", {id, text}));
    return txn.Commit();
  }));
  return metadata;
}

}  // namespace imi::store
