#ifndef IMI_SEARCH_SEMANTIC_INDEX_H_
#define IMI_SEARCH_SEMANTIC_INDEX_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/embedder.h"
#include "search/chunker.h"
#include "search/document_reader.h"
#include "store/vector_store.h"

namespace imi::search {

struct IndexStats {
  size_t documents = 0;
  size_t chunks = 0;
  size_t tokens = 0;
};

// Text in, ranked documents out: chunks documents with the model's
// tokenizer, embeds them with the same model as the queries and lets the
// store rank. Holds references to the embedder and store (not owned);
// thread-safe when they are.
class SemanticIndex {
 public:
  // Creates (or checks) `collection` for the embedder's model. chunk_tokens 0
  // means the model's max_seq_length. A new collection gets `lexical` (null:
  // the default analyser, ja-mecab) and `colbert` (how it keeps bge-m3's
  // token vectors); an existing one keeps its own. FailedPrecondition when
  // the collection exists for another model or dimension, or `colbert` is
  // asked of a model without ColBERT vectors.
  static Result<std::unique_ptr<SemanticIndex>> Open(
      const model::Embedder& embedder, const std::string& tokenizer_path, store::VectorStore* store,
      const std::string& collection, store::Metric metric, size_t chunk_tokens, size_t overlap_tokens,
      const store::LexicalSpec* lexical = nullptr,
      store::MultiVectorEncoding colbert = store::MultiVectorEncoding::kNone);
  // `chunker` may be null for an index used only to Search.
  SemanticIndex(const model::Embedder& embedder, std::unique_ptr<Chunker> chunker, store::VectorStore* store,
                std::string collection);

  // Chunks, embeds and upserts `docs` as one atomic batch: with bge-m3's
  // heads each chunk also gets its sparse weights (always) and token vectors
  // (when the collection keeps them).
  Result<IndexStats> Add(std::vector<SourceDocument> docs);

  // Embeds `query` (with the model's "query" prompt when it has one) and
  // searches; `request.vector` is filled in here.
  Result<store::SearchResponse> Search(std::string_view query, store::SearchRequest request) const;

 private:
  const model::Embedder& embedder_;
  std::unique_ptr<Chunker> chunker_;
  store::VectorStore* store_;
  std::string collection_;
  model::OutputSet outputs_ = model::kDenseOutput;  // what Add computes
};

// bge-m3 outputs in the store's types (only positive weights kept).
lexical::SparseVector ToStoreSparse(const model::SparseEmbedding& sparse);
store::MultiVector ToStoreMultiVector(model::MultiVector colbert);

// The query vector of `query`: embedded with the model's "query" prompt
// when it has one, as Search does.
Result<std::vector<float>> EmbedQuery(const model::Embedder& embedder, std::string_view query);

// Checks that `collection` was indexed with the embedder's model.
Status CheckCollectionModel(const model::Embedder& embedder, store::VectorStore* store, const std::string& collection);

}  // namespace imi::search

#endif  // IMI_SEARCH_SEMANTIC_INDEX_H_
