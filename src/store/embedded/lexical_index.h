#ifndef IMI_STORE_EMBEDDED_LEXICAL_INDEX_H_
#define IMI_STORE_EMBEDDED_LEXICAL_INDEX_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "lexical/bm25.h"
#include "lexical/sparse_vector.h"

namespace imi::store {

// The embedded store's in-memory inverted index of one collection: for each
// analyser ("field") the postings of every term, and the postings of every
// sparse-vector index. Derived state like the HNSW graph: built from the
// term lists and sparse vectors SQLite holds (docs/store-format.md) and kept
// current by the writes of this process. Term statistics (chunks with terms,
// total length, document frequencies) are exact at all times.
// Not thread-safe: the store guards it with a shared mutex (searches are
// const).
class LexicalIndex {
 public:
  // A chunk as the index knows it.
  struct ChunkRef {
    int64_t chunk_id = 0;
    std::string document_id;
    int ordinal = 0;
  };
  // A ranked chunk; `document_id` points into the index (valid until it changes).
  struct Scored {
    int64_t chunk_id = 0;
    const std::string* document_id = nullptr;
    int ordinal = 0;
    double score = 0;
  };
  // Whether a document passes the search's filter (may fail, e.g. on I/O).
  using Accept = std::function<Result<bool>(const std::string& document_id)>;

  // Granularity of BM25's block-max pruning (docs/lexical.md): each term's
  // postings are cut into blocks of 2^block_shift postings, and a search
  // walks the chunks in windows of 2^window_shift slots. Search results do
  // not depend on them; tests shrink them to exercise many boundaries.
  struct Tuning {
    int block_shift = 7;
    int window_shift = 13;
  };

  explicit LexicalIndex(size_t fields) : LexicalIndex(fields, Tuning()) {}
  // block_shift in [1, 16], window_shift in [6, 20] (clamped).
  LexicalIndex(size_t fields, Tuning tuning);

  size_t fields() const { return fields_.size(); }

  // Adds a chunk: its term counts per field (fields() entries, empty for a
  // chunk without terms) and its sparse vector (canonical; may be empty).
  // The chunk id must not be in the index.
  void Add(const ChunkRef& chunk, const std::vector<lexical::TermCounts>& terms, const lexical::SparseVector& sparse);
  // Removes a chunk given the term counts it was added with (fields()
  // entries). Unknown chunk ids are ignored.
  void Remove(int64_t chunk_id, const std::vector<lexical::TermCounts>& terms);

  // The best `k` documents by BM25 in `field` for `query` (distinct terms in
  // bytewise order), each represented by its best chunk, ranked by score,
  // then document id, then ordinal. Exact: scores are summed in the query's
  // term order for every returned chunk. `accept` may be empty (no filter).
  Result<std::vector<Scored>> SearchBm25(size_t field, const std::vector<lexical::QueryTerm>& query,
                                         const lexical::Bm25Params& params, size_t k, const Accept& accept) const;
  // The best `k` documents by lexical::SparseDot (non-zero only).
  Result<std::vector<Scored>> SearchSparse(const lexical::SparseVector& query, size_t k, const Accept& accept) const;

  // Bytes held by the BM25 postings of all fields (slots and tfs) and by
  // their score bounds (block-max metadata), by capacity; for benchmarks.
  struct MemoryUse {
    size_t postings = 0;
    size_t bounds = 0;
  };
  MemoryUse Memory() const;

  // Statistics of `field`: chunks with at least one term, their total
  // length, and the number of chunks holding `term`.
  int64_t ChunkCount(size_t field) const { return fields_[field].chunks; }
  int64_t TotalLength(size_t field) const { return fields_[field].total_length; }
  int64_t DocumentFrequency(size_t field, const std::string& term) const;
  // Live chunks.
  size_t size() const { return slot_of_.size(); }

 private:
  struct Slot {
    int64_t chunk_id = 0;
    uint32_t document = 0;  // index into documents_
    int32_t ordinal = 0;
    bool alive = true;
  };
  template <typename V>
  struct Postings {
    std::vector<uint32_t> slots;  // ascending
    std::vector<V> values;        // term frequency or sparse weight
  };
  // What bounds BM25's term score over one block of a term's postings for
  // any N, avgdl, k1 and b: the score grows with tf and falls with the chunk
  // length, so the postings with tf = 1 score at most as tf 1 at their
  // smallest length, and the others at most as the largest tf at their
  // smallest length. Built from what was added; removals (dead slots stay in
  // the postings) only lower the true maximum, so the bound stays valid.
  struct BlockMax {
    uint32_t max_tf = 0;                   // largest tf (postings with tf > 1)
    uint32_t min_length_many = UINT32_MAX;  // smallest length among them
    uint32_t min_length_one = UINT32_MAX;   // smallest length with tf = 1
    void Update(uint32_t tf, uint32_t length);
  };
  struct Field {
    std::unordered_map<std::string, uint32_t> term_ids;
    std::vector<Postings<uint32_t>> postings;
    std::vector<int64_t> df;  // live chunks per term
    // Per term, one BlockMax over all its postings (the term's bound) and
    // one per block of 2^block_shift postings (block b covers postings
    // [b << block_shift, (b + 1) << block_shift)); terms with a single block
    // keep only the former.
    std::vector<BlockMax> term_max;
    std::vector<std::vector<BlockMax>> blocks;
    std::vector<uint32_t> length;  // per slot; 0 = no terms
    int64_t chunks = 0;            // live chunks with length > 0
    int64_t total_length = 0;
  };

  // Picks the best `k` documents among `candidates` (slot, score) and
  // returns them ranked; `rescore` (may be empty) recomputes a slot's exact
  // score for the final ordering.
  Result<std::vector<Scored>> TopDocuments(std::vector<std::pair<uint32_t, double>> candidates, size_t k,
                                           const Accept& accept,
                                           const std::function<double(uint32_t)>& rescore) const;
  void CompactIfNeeded();
  // Relative slack under which two sums of the same terms in different
  // orders may still differ (they differ by a few ulps; 1e-9 is far above
  // that); Below(x) is x lowered by it, for comparisons that must not drop
  // a tie.
  static constexpr double kSlack = 1e-9;
  static double Below(double x);
  // Appends posting (slot, tf) of `term` in `field`, keeping its bounds.
  void AddPosting(Field& field, uint32_t term, uint32_t slot, uint32_t tf, uint32_t length);
  // Recomputes every bound of `field` from its postings (after compaction).
  void RebuildBounds(Field& field);

  Tuning tuning_;

  std::vector<Slot> slots_;
  std::unordered_map<int64_t, uint32_t> slot_of_;
  std::vector<std::string> documents_;
  std::unordered_map<std::string, uint32_t> document_index_;
  std::vector<Field> fields_;
  std::unordered_map<uint32_t, Postings<float>> sparse_;
  size_t dead_ = 0;
};

}  // namespace imi::store

#endif  // IMI_STORE_EMBEDDED_LEXICAL_INDEX_H_
