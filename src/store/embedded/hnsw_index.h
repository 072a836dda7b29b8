#ifndef IMI_STORE_EMBEDDED_HNSW_INDEX_H_
#define IMI_STORE_EMBEDDED_HNSW_INDEX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/metric.h"

namespace imi::store {

// An HNSW graph over float vectors keyed by 64-bit labels (chunk row ids),
// wrapping hnswlib (the only code that includes it). Thread safety: Search
// may run concurrently with Search; Add/MarkDeleted/Save need exclusive use.
// What an index file is bound to (docs/store-format.md, "HNSW index file"):
// the store and collection that wrote it and how far it reflects them.
struct IndexStamp {
  std::string store_id;          // imi_meta.store_id, 16 raw bytes
  int64_t collection_id = 0;
  uint64_t data_version = 0;     // collections.data_version the index reflects
  int64_t max_chunk_id = 0;      // highest chunk id the index has taken in
  std::vector<int64_t> excluded; // chunk ids left out (vector of the wrong size), sorted
};

class HnswIndex {
 public:
  struct Params {
    Metric metric = Metric::kCosine;
    int dimension = 0;
    int m = 16;
    int ef_construction = 200;
  };

  static Result<std::unique_ptr<HnswIndex>> Create(const Params& params, size_t capacity);

  // Loads a file written by Save (format in docs/store-format.md). DataLoss
  // when the magic, version, checksums, parameters or the live element count
  // do not match. *stamp receives what the file is bound to.
  static Result<std::unique_ptr<HnswIndex>> Load(const std::string& path, const Params& params, IndexStamp* stamp);

  struct Impl;
  // Used by Create and Load; Impl is internal.
  explicit HnswIndex(std::unique_ptr<Impl> impl);
  ~HnswIndex();
  HnswIndex(const HnswIndex&) = delete;
  HnswIndex& operator=(const HnswIndex&) = delete;

  // Writes the index atomically with `stamp` in its header.
  Status Save(const std::string& path, const IndexStamp& stamp) const;

  // Adds a vector of `dimension` floats (grows capacity as needed).
  Status Add(uint64_t label, const float* vector);
  // Adds labels[i] -> vectors[i * dimension ...] using `threads` threads
  // (hnswlib inserts concurrently). ResourceExhausted if memory runs out.
  Status AddBatch(const std::vector<uint64_t>& labels, const std::vector<float>& vectors, int threads);
  // Excludes a label from results; unknown labels are ignored.
  void MarkDeleted(uint64_t label);
  // Up to `count` nearest labels with their index distances (smaller is
  // nearer), exploring max(count, ef) candidates.
  Result<std::vector<std::pair<uint64_t, float>>> Search(const float* query, size_t count, size_t ef) const;

  // Live (not deleted) elements.
  size_t size() const;
  // Labels of the live elements, in no particular order.
  std::vector<uint64_t> Labels() const;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace imi::store

#endif  // IMI_STORE_EMBEDDED_HNSW_INDEX_H_
