#ifndef IMI_STORE_EMBEDDED_EMBEDDED_STORE_H_
#define IMI_STORE_EMBEDDED_EMBEDDED_STORE_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "store/embedded/hnsw_index.h"
#include "store/embedded/lexical_index.h"
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
  Result<std::vector<Document>> GetChunks(const std::string& collection, const std::vector<std::string>& ids) override;
  Result<SearchResponse> SearchLexical(const std::string& collection, const LexicalSearchRequest& request) override;
  Result<SearchResponse> SearchSparse(const std::string& collection, const SparseSearchRequest& request) override;
  Status SetLexical(const std::string& collection, const LexicalSpec& lexical) override;
  Status Flush() override;
  Status PrepareIndex(const std::string& collection) override;
  // embedded_documents.cc
  Result<DocumentPage> ListDocuments(const std::string& collection, const ListRequest& request) override;
  Result<int64_t> CountDocuments(const std::string& collection, const Filter& filter) override;
  Result<int64_t> DeleteDocuments(const std::string& collection, const Filter& filter) override;
  Result<nlohmann::json> PatchMetadata(const std::string& collection, const std::string& id,
                                       const nlohmann::json& patch) override;

 private:
  // Per-collection ANN state. `mu` guards everything in it.
  struct IndexState {
    std::shared_mutex mu;
    std::unique_ptr<HnswIndex> index;
    uint64_t index_version = 0;      // data_version the in-memory index reflects
    int64_t max_chunk_id = 0;        // highest chunk id taken in (chunk ids only grow)
    std::vector<int64_t> excluded;   // sorted ids of chunks whose vector has the wrong size
    bool dirty = false;              // differs from the file on disk
  };
  // Per-collection lexical state (embedded_lexical.cc): the in-memory
  // inverted index and the versions of the data it reflects. `mu` guards
  // all; `cv` signals that a write was applied.
  struct LexicalState {
    std::shared_mutex mu;
    std::condition_variable_any cv;
    std::unique_ptr<LexicalIndex> index;
    uint64_t data_version = 0;
    uint64_t lexical_version = 0;
  };
  // A chunk a write removed, with the term counts it had per analyser.
  struct RemovedChunk {
    int64_t chunk_id = 0;
    std::vector<lexical::TermCounts> terms;
  };
  // A chunk a write added, as the lexical index takes it.
  struct AddedChunk {
    LexicalIndex::ChunkRef ref;
    const std::vector<lexical::TermCounts>* terms = nullptr;
    const lexical::SparseVector* sparse = nullptr;
  };
  // A collection row.
  struct Row {
    int64_t id = 0;
    CollectionInfo info;
    uint64_t data_version = 0;
    uint64_t lexical_version = 0;
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
  // Makes the index reflect `row` (embedded_index.cc): catches a loaded
  // index up, else loads the file (catching it up), else rebuilds from
  // SQLite; a file that does not belong to this store and collection, or
  // does not match the database, is rebuilt with a log line.
  Status EnsureIndex(SqliteDb* db, const Row& row, IndexState* state);
  // Takes in chunks with ids above state->max_chunk_id and marks deleted
  // ones, so that the index reflects `row`. DataLoss when the result does
  // not match the database's chunk count.
  Status CatchUp(SqliteDb* db, const Row& row, IndexState* state);
  // Builds the index from every stored vector of the collection.
  Status BuildIndex(SqliteDb* db, const Row& row, IndexState* state);
  // What a saved index of `collection_id` is stamped with.
  IndexStamp StampOf(int64_t collection_id, const IndexState& state) const;
  // Logs (once per process and chunk) a chunk whose vector has the wrong
  // size; such chunks are left out of searches.
  void ReportBadVector(SqliteDb* db, const Row& row, int64_t chunk_id, size_t bytes);
  Result<std::vector<Candidate>> ExactCandidates(SqliteDb* db, const Row& row, Metric metric,
                                                 const SearchRequest& request);
  // Ok(false) when the ANN path could not produce k documents.
  Result<bool> AnnCandidates(SqliteDb* db, const Row& row, const SearchRequest& request,
                             std::vector<Candidate>* out);
  Result<std::vector<SearchHit>> FillHits(SqliteDb* db, const Row& row, const std::vector<Candidate>& ranked,
                                          const Include& include);

  // Lexical index (embedded_lexical.cc).
  std::shared_ptr<LexicalState> LexicalStateFor(int64_t collection_id);
  // Term lists of `chunk_ids` (stored ones; chunks without terms get empty lists).
  Result<std::vector<RemovedChunk>> ReadTermLists(SqliteDb* db, const Row& row, const std::vector<int64_t>& chunk_ids);
  // Writes a chunk's term lists and sparse vector.
  Status WriteLexicalRows(SqliteDb* db, int64_t chunk_id, const std::vector<lexical::TermCounts>& terms,
                          const lexical::SparseVector& sparse);
  // Applies a committed write to a loaded lexical index (or drops it).
  void ApplyToLexical(const Row& row, uint64_t new_version, const std::vector<RemovedChunk>& removed,
                      const std::vector<AddedChunk>& added);
  // Builds the index of `row` from SQLite (state->mu held exclusively, inside a snapshot).
  Status BuildLexical(SqliteDb* db, const Row& row, LexicalState* state);
  // Runs `search` on the collection's lexical index, current with a
  // snapshot of the database that `search` reads through.
  Result<SearchResponse> WithLexicalIndex(
      const std::string& collection,
      const std::function<Result<SearchResponse>(SqliteDb*, const Row&, const LexicalIndex&)>& search);
  // Ranked lexical candidates -> hits, applying `include`.
  Result<SearchResponse> LexicalHits(SqliteDb* db, const Row& row, const std::vector<LexicalIndex::Scored>& ranked,
                                     const Include& include);

  EmbeddedOptions options_;
  std::string db_path_;
  std::string store_id_;  // imi_meta.store_id as 16 raw bytes
  std::mutex bad_mu_;
  std::set<int64_t> reported_bad_chunks_;
  std::mutex write_mu_;
  std::unique_ptr<SqliteDb> writer_;
  std::atomic<int> writes_in_flight_{0};
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<SqliteDb>> readers_;
  std::mutex states_mu_;
  std::map<int64_t, std::shared_ptr<IndexState>> states_;
  std::map<int64_t, std::shared_ptr<LexicalState>> lexical_states_;  // guarded by states_mu_
};

}  // namespace imi::store

#endif  // IMI_STORE_EMBEDDED_EMBEDDED_STORE_H_
