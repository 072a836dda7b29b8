#ifndef IMI_STORE_VECTOR_STORE_H_
#define IMI_STORE_VECTOR_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "lexical/bm25.h"
#include "lexical/sparse_vector.h"
#include "store/filter.h"
#include "store/metric.h"
#include "store/multivector.h"

namespace imi::store {

// The lexical index of a collection (docs/lexical.md): the analysers whose
// terms of every chunk are indexed for BM25 (canonical names, see
// analysis/analyzer.h; empty = no lexical index) and BM25's parameters.
struct LexicalSpec {
  std::vector<std::string> analyzers;
  lexical::Bm25Params bm25;
};

// A collection: a named set of documents whose chunk vectors all have
// `dimension` floats produced by one model. Name: [A-Za-z0-9_-]{1,64}.
struct CollectionSpec {
  std::string name;
  std::string model_id;
  std::string model_revision;
  int dimension = 0;
  Metric metric = Metric::kCosine;  // default metric of searches
  LexicalSpec lexical;              // set at creation; changed by SetLexical
  // Whether and how chunks keep ColBERT token vectors (bge-m3); set at
  // creation. kNone: chunks carrying them are refused.
  MultiVectorEncoding colbert = MultiVectorEncoding::kNone;
};

// A collection as stored, with its current sizes.
struct CollectionInfo {
  CollectionSpec spec;
  int64_t document_count = 0;
  int64_t chunk_count = 0;
};

// One chunk of a document's text with its vector. Offsets are byte offsets
// into the document text, [start_offset, end_offset).
struct Chunk {
  int ordinal = 0;
  std::string text;
  int64_t start_offset = 0;
  int64_t end_offset = 0;
  std::vector<float> vector;
  lexical::SparseVector sparse;  // optional user-given sparse vector (empty = none)
  MultiVector colbert;           // optional token vectors, stored in the collection's encoding
};

// A document to upsert or as read back. An empty id on upsert asks the store
// to generate one (32 lowercase hex digits). Metadata is a JSON object.
struct Document {
  std::string id;
  std::string text;
  nlohmann::json metadata = nlohmann::json::object();
  std::vector<Chunk> chunks;
};

// What a search result carries besides the document id and rank.
struct Include {
  bool text = true;
  bool metadata = true;
  bool score = true;
  bool vector = false;
};

// A nearest-neighbour query. k counts documents: chunks are ranked and
// grouped by document, each document represented by its best chunk.
struct SearchRequest {
  std::vector<float> vector;
  int k = 10;
  std::optional<Metric> metric;  // default: the collection's metric
  Filter filter;                 // empty filter matches everything
  Include include;
  bool exact = false;            // force an exhaustive scan
  int ef_search = 0;             // ANN breadth; 0 = the backend's default
};

// A keyword query ranked by BM25 over the collection's lexical index. The
// query text is analysed by `analyzer` (one of the collection's; empty = its
// first). k counts documents as for SearchRequest.
struct LexicalSearchRequest {
  std::string query;
  std::string analyzer;
  int k = 10;
  Filter filter;
  Include include;
};

// A sparse-vector query ranked by the dot product with the chunks' sparse
// vectors (chunks without one, or sharing no index, do not match).
struct SparseSearchRequest {
  lexical::SparseVector vector;
  int k = 10;
  Filter filter;
  Include include;
};

// One ranked document: its best chunk and that chunk's score (see
// docs/store-format.md for score definitions). Fields not included are empty.
struct SearchHit {
  std::string document_id;
  double score = 0;
  std::string text;                                   // the document text
  nlohmann::json metadata = nlohmann::json::object();
  Chunk chunk;                                        // best chunk (vector if included)
};

struct SearchResponse {
  Metric metric = Metric::kCosine;
  bool exact = false;  // whether an exhaustive scan produced the ranking
  std::vector<SearchHit> hits;
};

// A page of documents in id order (bytewise), for listing and paging.
struct ListRequest {
  Filter filter;             // empty: every document
  int limit = 100;           // documents per page, 1..kMaxListLimit
  std::string after;         // keyset cursor: only ids bytewise greater; "" = from the first
  bool with_text = true;
  bool with_metadata = true;
};
inline constexpr int kMaxListLimit = 1000;

// Documents without their chunks; `next_after` is the cursor of the next
// page ("" when this page is the last).
struct DocumentPage {
  std::vector<Document> documents;
  std::string next_after;
};

// Per-document result of an upsert batch, in input order.
struct UpsertResult {
  std::vector<std::string> ids;
};

// The storage interface shared by the embedded (SQLite + HNSW) and the
// postgres (pgvector) backends. All methods are thread-safe. Errors: unknown
// collection NotFound; bad names/vectors/filters InvalidArgument; vector of
// the wrong dimension FailedPrecondition; database unreachable Unavailable.
class VectorStore {
 public:
  virtual ~VectorStore() = default;

  // Creates a collection. AlreadyExists if the name is taken with another spec;
  // OK (no change) if it exists with the same spec.
  virtual Status CreateCollection(const CollectionSpec& spec) = 0;
  // Removes a collection and all its documents. NotFound if absent.
  virtual Status DeleteCollection(const std::string& name) = 0;
  virtual Result<CollectionInfo> GetCollection(const std::string& name) = 0;
  // All collections ordered by name.
  virtual Result<std::vector<CollectionInfo>> ListCollections() = 0;

  // Inserts or replaces documents (a replaced document loses its old chunks).
  // Atomic: either every document of the batch is stored or none is. The
  // batch is durable when this returns OK.
  virtual Result<UpsertResult> Upsert(const std::string& collection, std::vector<Document> docs) = 0;
  // The document with its chunks (vectors included). NotFound if absent.
  virtual Result<Document> GetDocument(const std::string& collection, const std::string& id) = 0;
  // NotFound if the document does not exist.
  virtual Status DeleteDocument(const std::string& collection, const std::string& id) = 0;

  virtual Result<SearchResponse> Search(const std::string& collection, const SearchRequest& request) = 0;

  // The chunks of the named documents (ordinal, text, offsets, vector,
  // sparse and ColBERT vectors, decoded to float32), for rescoring search
  // candidates: one Document per id found (id and chunks only), in the
  // order of `ids`; absent ids are left out. At most 10000 ids.
  virtual Result<std::vector<Document>> GetChunks(const std::string& collection, const std::vector<std::string>& ids) = 0;

  // Documents matching `request.filter` (text and metadata, no chunks), at
  // most `limit`, after the cursor, in bytewise id order. InvalidArgument for
  // a limit outside 1..kMaxListLimit. Backends that do not implement it
  // answer Unsupported.
  virtual Result<DocumentPage> ListDocuments(const std::string& collection, const ListRequest& request);
  // How many documents match `filter` (the empty filter counts all).
  virtual Result<int64_t> CountDocuments(const std::string& collection, const Filter& filter);
  // Deletes every document matching `filter` with its chunks, atomically,
  // and returns how many were deleted. The empty filter deletes every
  // document (the collection stays).
  virtual Result<int64_t> DeleteDocuments(const std::string& collection, const Filter& filter);
  // Applies a JSON merge patch (RFC 7386: null removes a key, objects merge,
  // anything else replaces) to one document's metadata in one transaction;
  // text, chunks and vectors stay as they are. Returns the new metadata.
  // NotFound if the document is absent; InvalidArgument unless `patch` is an
  // object.
  virtual Result<nlohmann::json> PatchMetadata(const std::string& collection, const std::string& id,
                                               const nlohmann::json& patch);

  // Ranks by BM25 (lexical::Bm25TermScore summed over the distinct query
  // terms in bytewise order; statistics over all chunks of the collection,
  // before the filter). Only chunks sharing a term with the query match.
  // FailedPrecondition when the collection has no lexical index or not the
  // named analyser; InvalidArgument for an empty query or bad k.
  virtual Result<SearchResponse> SearchLexical(const std::string& collection, const LexicalSearchRequest& request) = 0;
  // Ranks by lexical::SparseDot with the chunks' sparse vectors; chunks whose
  // dot product is 0 (no shared index) do not match. InvalidArgument for an
  // empty vector or bad k.
  virtual Result<SearchResponse> SearchSparse(const std::string& collection, const SparseSearchRequest& request) = 0;
  // Replaces the collection's lexical spec and re-analyses the text of every
  // chunk with it in one transaction (vectors untouched): how an existing
  // collection gains, changes or drops its lexical index. InvalidArgument for
  // unknown analysers or bad BM25 parameters; NotFound when their dictionary
  // is missing.
  virtual Status SetLexical(const std::string& collection, const LexicalSpec& lexical) = 0;

  // Persists derived state (ANN index files). Data is durable without it.
  virtual Status Flush() = 0;

  // Makes the collection's ANN index current now (loads its file, or builds it
  // when missing or stale), so that later writes through this store update it
  // in place and the next search pays for no build. Collections below the
  // exact-scan threshold have none. Embedded: NotFound if the collection is
  // absent. PostgreSQL maintains its own index: OK without a round trip.
  virtual Status PrepareIndex(const std::string& collection) = 0;

  // For shutdown: calls waiting on the database give up with Unavailable,
  // and later calls fail at once. Irreversible; callable from any thread.
  virtual void Interrupt() {}
};

// HNSW parameters both backends give new collections, and the search breadth
// used when a request gives none. Measured in bench/README.md ("Vector
// store"): on 1M clustered 384-dim vectors, ef_construction 64 reached
// recall@10 0.95 only at ef_search 1024; 200 reaches 0.99 at 128.
inline constexpr int kHnswM = 16;
inline constexpr int kHnswEfConstruction = 200;
inline constexpr int kHnswEfSearch = 128;

// Options of the embedded backend (see embedded/embedded_store.h).
struct EmbeddedOptions {
  std::string directory;            // created if missing
  int64_t exact_threshold = 2048;   // collections with fewer chunks are scanned exactly
  int hnsw_m = kHnswM;
  int hnsw_ef_construction = kHnswEfConstruction;
  int hnsw_ef_search = kHnswEfSearch;
};

// Opens the embedded store in `options.directory`. IoError if the directory
// cannot be created; DataLoss if the database file is not an imi store.
Result<std::unique_ptr<VectorStore>> OpenEmbeddedStore(const EmbeddedOptions& options);

// Options of the postgres backend (see postgres/pg_store.h).
struct PostgresOptions {
  std::string dsn;                   // libpq DSN or URI
  int pool_size = 8;                 // connections at most; calls beyond wait for one
  int connect_timeout_ms = 0;        // 0: the DSN's connect_timeout, else 5000
  int statement_timeout_ms = 30000;  // per statement, and per wait for a free connection
};

// Connects to PostgreSQL, creates the pgvector extension and imi's schema if
// needed. Unavailable if the server cannot be reached within the connect
// timeout. A server that stops answering later makes calls Unavailable after
// the statement timeout.
Result<std::unique_ptr<VectorStore>> OpenPostgresStore(const PostgresOptions& options);
// The same with default options.
Result<std::unique_ptr<VectorStore>> OpenPostgresStore(const std::string& dsn);

// Where a store lives: PostgreSQL at `pg_dsn`, or the embedded store in
// `directory`; with neither, IMI_PG_DSN if set, else "./imi-data". Both set
// is InvalidArgument.
struct StoreLocation {
  std::string directory;
  std::string pg_dsn;
  int pg_pool_size = 0;             // 0: PostgresOptions' default
  int pg_connect_timeout_ms = 0;    // 0: PostgresOptions' default
  int pg_statement_timeout_ms = 0;  // 0: PostgresOptions' default
};
Result<std::unique_ptr<VectorStore>> OpenVectorStore(const StoreLocation& location);

// Limits on a document's metadata, the same for every way in (HTTP, imi
// index, the library): nesting depth (the object itself is level 1; the
// HTTP body's own limit is 32 levels too) and size serialised as compact
// JSON. Deeper metadata could not be filtered by SQLite's JSON functions nor
// serialised without deep recursion.
inline constexpr size_t kMaxMetadataDepth = 32;
inline constexpr size_t kMaxMetadataBytes = 64 * 1024;

// Checks metadata against the limits above (without recursion, so any
// parsed value is safe to pass). InvalidArgument names the limit.
Status ValidateMetadata(const nlohmann::json& metadata);
// Checks a collection name against [A-Za-z0-9_-]{1,64}.
Status ValidateCollectionName(const std::string& name);
// Checks a document id: 1..256 bytes of valid UTF-8 without control characters.
Status ValidateDocumentId(const std::string& id);
// A fresh random document id: 32 lowercase hex digits.
std::string GenerateDocumentId();
// Checks a spec (name, dimension 1..16000, model id present).
Status ValidateCollectionSpec(const CollectionSpec& spec);
// Puts analyser names in canonical form and checks them (known, no
// duplicates, at most 8) and the BM25 parameters. Backends call it on create.
Status ValidateLexicalSpec(LexicalSpec* lexical);
// Checks and completes a batch for `spec`: ids generated where empty, vectors
// of the right dimension, finite, non-zero for cosine; sparse vectors
// canonical; metadata an object within the metadata limits; chunk ordinals
// unique. Duplicate ids in one
// batch are InvalidArgument.
Status PrepareBatch(const CollectionSpec& spec, std::vector<Document>* docs);
// Checks a list request (limit in 1..kMaxListLimit, cursor a valid id or "").
Status ValidateListRequest(const ListRequest& request);
// `metadata` with the RFC 7386 merge patch `patch` applied. InvalidArgument
// unless both are objects.
Result<nlohmann::json> MergePatchMetadata(nlohmann::json metadata, const nlohmann::json& patch);
// Checks a search request against `spec` (dimension, k in 1..10000, vector).
Status ValidateSearch(const CollectionSpec& spec, const SearchRequest& request);
// Checks k (1..10000) and the query text (non-empty, at most 64 KiB) and
// resolves the analyser: its index in spec.lexical.analyzers.
Result<size_t> ValidateLexicalSearch(const CollectionSpec& spec, const LexicalSearchRequest& request);
// Checks k (1..10000) and that the vector is non-empty and canonical.
Status ValidateSparseSearch(const SparseSearchRequest& request);

}  // namespace imi::store

#endif  // IMI_STORE_VECTOR_STORE_H_
