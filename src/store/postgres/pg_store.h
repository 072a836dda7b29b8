#ifndef IMI_STORE_POSTGRES_PG_STORE_H_
#define IMI_STORE_POSTGRES_PG_STORE_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/postgres/pg_connection.h"
#include "store/vector_store.h"

namespace imi::store {

// The PostgreSQL + pgvector backend (schema in docs/sql-schema.md). The
// database computes similarity with <=>, <->, <#>, <+>. Thread-safe: each
// call borrows one connection of a pool of at most options.pool_size and
// waits at most the statement timeout for one to be free. A lost connection
// is re-established on the next call; while the server is down or does not
// answer, calls return Unavailable within the connect or statement timeout.
class PgStore : public VectorStore {
 public:
  static Result<std::unique_ptr<PgStore>> Open(const PostgresOptions& options);
  explicit PgStore(const PostgresOptions& options);

  Status CreateCollection(const CollectionSpec& spec) override;
  Status DeleteCollection(const std::string& name) override;
  Result<CollectionInfo> GetCollection(const std::string& name) override;
  Result<std::vector<CollectionInfo>> ListCollections() override;
  Result<UpsertResult> Upsert(const std::string& collection, std::vector<Document> docs) override;
  Result<Document> GetDocument(const std::string& collection, const std::string& id) override;
  Status DeleteDocument(const std::string& collection, const std::string& id) override;
  Result<SearchResponse> Search(const std::string& collection, const SearchRequest& request) override;
  // pg_colbert.cc
  Result<std::vector<Document>> GetChunks(const std::string& collection, const std::vector<std::string>& ids) override;
  // Lexical and sparse search and SetLexical live in pg_lexical.cc.
  Result<SearchResponse> SearchLexical(const std::string& collection, const LexicalSearchRequest& request) override;
  Result<SearchResponse> SearchSparse(const std::string& collection, const SparseSearchRequest& request) override;
  Status SetLexical(const std::string& collection, const LexicalSpec& lexical) override;
  Status Flush() override { return Status::Ok(); }
  // PostgreSQL maintains its own index: nothing to prepare.
  Status PrepareIndex(const std::string&) override { return Status::Ok(); }
  Result<DocumentPage> ListDocuments(const std::string& collection, const ListRequest& request) override;
  Result<int64_t> CountDocuments(const std::string& collection, const Filter& filter) override;
  Result<int64_t> DeleteDocuments(const std::string& collection, const Filter& filter) override;
  Result<nlohmann::json> PatchMetadata(const std::string& collection, const std::string& id,
                                       const nlohmann::json& patch) override;
  // Wakes every call waiting on the server or for a connection.
  void Interrupt() override;

 private:
  struct Row {
    int64_t id = 0;
    CollectionSpec spec;
    int64_t lexical_version = 0;
  };
  struct Candidate {
    int64_t chunk_id = 0;
    std::string document_id;
    int ordinal = 0;
    double score = 0;
  };

  Status Migrate();
  // Runs `body` on a borrowed connection; if the connection was lost (not
  // timed out), it reconnects and runs `body` once more (bodies are
  // idempotent transactions).
  Status WithConnection(const std::function<Status(PgConnection&)>& body);
  // An idle connection, a new one while the pool has room, or the first one
  // returned within the statement timeout.
  Result<std::unique_ptr<PgConnection>> Acquire();
  // Back to the pool; a broken connection is dropped.
  void Release(std::unique_ptr<PgConnection> conn);
  Result<Row> FindCollection(PgConnection& conn, const std::string& name);
  Result<CollectionInfo> Info(PgConnection& conn, const Row& row);
  Result<std::vector<Candidate>> AnnCandidates(PgConnection& conn, const Row& row, Metric metric,
                                               const SearchRequest& request, bool* complete);
  Result<std::vector<Candidate>> ExactCandidates(PgConnection& conn, const Row& row, Metric metric,
                                                 const SearchRequest& request);
  // Rows of (chunk id, document id, ordinal, distance) as scored candidates, in row order.
  static std::vector<Candidate> ReadCandidates(const PgResult& result, Metric metric);
  Result<std::vector<SearchHit>> FillHits(PgConnection& conn, const Row& row, const std::vector<Candidate>& ranked,
                                          const Include& include);

  PostgresOptions options_;
  PgDeadlines deadlines_;
  PgInterrupt interrupt_;
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;  // connections idle, lent out or being opened
};

}  // namespace imi::store

#endif  // IMI_STORE_POSTGRES_PG_STORE_H_
