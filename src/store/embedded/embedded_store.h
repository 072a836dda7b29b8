#ifndef IMI_STORE_EMBEDDED_EMBEDDED_STORE_H_
#define IMI_STORE_EMBEDDED_EMBEDDED_STORE_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "store/embedded/hnsw_index.h"
#include "store/embedded/sqlite_db.h"
#include "store/vector_store.h"

namespace imi::store {

// The embedded backend: <dir>/imi.sqlite3 (WAL) is the source of truth;
// <dir>/index/<collection id>.hnsw holds each collection's ANN index, rebuilt
// from SQLite when missing, stale or corrupt (docs/store-format.md).
// Thread-safe: one writer at a time (serialised), readers run concurrently
// on their own connections and see only committed batches.
class EmbeddedStore : public VectorStore {
 public:
  static Result<std::unique_ptr<EmbeddedStore>> Open(const EmbeddedOptions& options);
  explicit EmbeddedStore(const EmbeddedOptions& options);
  ~EmbeddedStore() override;

  Status CreateCollection(const CollectionSpec& spec) override;
  Status DeleteCollection(const std::string& name) override;
  Result<CollectionInfo> GetCollection(const std::string& name) override;
  Result<std::vector<CollectionInfo>> ListCollections() override;
  Result<UpsertResult> Upsert(const std::string& collection, std::vector<Document> docs) override;
  Result<Document> GetDocument(const std::string& collection, const std::string& id) override;
  Status DeleteDocument(const std::string& collection, const std::string& id) override;
  Result<SearchResponse> Search(const std::string& collection, const SearchRequest& request) override;
  Status Flush() override;
  Status PrepareIndex(const std::string& collection) override;
  // embedded_documents.cc
  Result<DocumentPage> ListDocuments(const std::string& collection, const ListRequest& request) override;
  Result<int64_t> CountDocuments(const std::string& collection, const Filter& filter) override;
  Result<int64_t> DeleteDocuments(const std::string& collection, const Filter& filter) override;
  Result<nlohmann::json> PatchMetadata(const std::string& collection, const std::string& id,
                                       const nlohmann::json& patch) override;

 private:
  // Per-collection ANN state. `mu` guards `index` and `index_version`.
  struct IndexState {
    std::shared_mutex mu;
    std::unique_ptr<HnswIndex> index;
    uint64_t index_version = 0;  // data_version the in-memory index reflects
    bool dirty = false;          // differs from the file on disk
  };
  // A collection row.
  struct Row {
    int64_t id = 0;
    CollectionInfo info;
    uint64_t data_version = 0;
  };
  // A borrowed reader connection, returned to the pool on destruction.
  class Reader {
   public:
    Reader(EmbeddedStore* store, std::unique_ptr<SqliteDb> db) : store_(store), db_(std::move(db)) {}
    ~Reader();
    SqliteDb* get() { return db_.get(); }

   private:
    EmbeddedStore* store_;
    std::unique_ptr<SqliteDb> db_;
  };
  // A candidate chunk during ranking.
  struct Candidate {
    int64_t chunk_id = 0;
    std::string document_id;
    int ordinal = 0;
    double score = 0;
  };

  Status Init();
  Result<std::unique_ptr<Reader>> AcquireReader();
  Result<Row> FindCollection(SqliteDb* db, const std::string& name);
  std::shared_ptr<IndexState> StateFor(int64_t collection_id);
  std::string IndexPath(int64_t collection_id) const;
  HnswIndex::Params IndexParams(const CollectionSpec& spec) const;
  // Applies a committed write to a loaded in-memory index.
  void ApplyToIndex(int64_t collection_id, uint64_t old_version, uint64_t new_version,
                    const std::vector<int64_t>& removed, const std::vector<std::pair<int64_t, const float*>>& added);
  // Makes the index reflect `row`: loads the file or rebuilds from SQLite.
  Status EnsureIndex(SqliteDb* db, const Row& row, IndexState* state);
  Result<std::vector<Candidate>> ExactCandidates(SqliteDb* db, const Row& row, Metric metric,
                                                 const SearchRequest& request);
  // Ok(false) when the ANN path could not produce k documents.
  Result<bool> AnnCandidates(SqliteDb* db, const Row& row, const SearchRequest& request,
                             std::vector<Candidate>* out);
  Result<std::vector<SearchHit>> FillHits(SqliteDb* db, const Row& row, const std::vector<Candidate>& ranked,
                                          const Include& include);

  EmbeddedOptions options_;
  std::string db_path_;
  std::mutex write_mu_;
  std::unique_ptr<SqliteDb> writer_;
  std::atomic<int> writes_in_flight_{0};
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<SqliteDb>> readers_;
  std::mutex states_mu_;
  std::map<int64_t, std::shared_ptr<IndexState>> states_;
};

}  // namespace imi::store

#endif  // IMI_STORE_EMBEDDED_EMBEDDED_STORE_H_
