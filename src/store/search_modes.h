#ifndef IMI_STORE_SEARCH_MODES_H_
#define IMI_STORE_SEARCH_MODES_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "lexical/fusion.h"
#include "lexical/highlight.h"
#include "lexical/sparse_vector.h"
#include "store/vector_store.h"

namespace imi::store {

// The four ways to search a collection (docs/lexical.md): by meaning
// (dense vector), by words (BM25), by a sparse vector, or all of them fused.
// m3: bge-m3's dense and sparse retrieval rescored with all three of its
// scores (store/rescore.h).
enum class SearchMode { kDense, kLexical, kSparse, kHybrid, kM3 };

// "dense", "lexical", "sparse", "hybrid", "m3"; InvalidArgument otherwise.
Result<SearchMode> ParseSearchMode(std::string_view name);
std::string_view SearchModeName(SearchMode mode);

// One search in any mode. Components: "dense" (needs `vector`),
// "lexical:<analyzer>" for each analyser (needs `query`), "sparse" (needs
// `sparse`). `analyzers` empty means: the collection's first analyser in
// lexical mode, all of them in hybrid mode.
struct ModeSearchRequest {
  SearchMode mode = SearchMode::kDense;
  std::vector<float> vector;            // dense query; empty = no dense component
  std::string query;                    // text for the lexical components
  lexical::SparseVector sparse;         // empty = no sparse component
  std::vector<std::string> analyzers;
  int k = 10;
  Filter filter;
  Include include;
  std::optional<Metric> metric;  // dense only
  bool exact = false;            // dense only
  int ef_search = 0;             // dense only
  lexical::FusionSpec fusion;    // hybrid only
  int depth = 0;                 // hybrid: documents taken from each component; 0 = max(k, 100)
                                 // m3: candidates rescored (each component's depth too); 0 = max(k, 100)
  MultiVector colbert;           // m3: the query's ColBERT vectors (empty: no colbert score)
  M3Weights m3_weights;          // m3 only
  bool highlights = true;        // with text included and a lexical query
};

// A ranked document with its place in every component that ranked it.
struct ModeSearchHit {
  SearchHit hit;   // hit.score is the fused score in hybrid mode
  std::map<std::string, lexical::ComponentRank> components;
  std::vector<lexical::Highlight> highlights;  // code points of hit.chunk.text
};

struct ModeSearchResponse {
  SearchMode mode = SearchMode::kDense;
  Metric metric = Metric::kCosine;
  bool exact = false;
  std::vector<std::string> components;  // in the order they ran
  int reranked = 0;                     // documents reordered by a cross-encoder (store/rescore.h)
  std::vector<ModeSearchHit> hits;
};

// Runs the request against `store`. InvalidArgument when a mode lacks its
// input (dense without a vector, lexical without a query, sparse without a
// vector, hybrid with fewer than one component) or k/depth is out of range;
// other errors as the store reports them. Thread-safe when the store is.
Result<ModeSearchResponse> SearchByMode(VectorStore* store, const std::string& collection,
                                        const ModeSearchRequest& request);

}  // namespace imi::store

#endif  // IMI_STORE_SEARCH_MODES_H_
