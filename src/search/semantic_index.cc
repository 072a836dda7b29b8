#include "search/semantic_index.h"

#include "analysis/analyzer.h"

namespace imi::search {

namespace {

std::optional<std::string> PromptFor(const model::ModelInfo& info, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (info.prompts.count(name)) return std::string(name);
  return std::nullopt;
}

}  // namespace

Status CheckCollectionModel(const model::Embedder& embedder, store::VectorStore* store, const std::string& collection) {
  IMI_ASSIGN_OR_RETURN(store::CollectionInfo info, store->GetCollection(collection));
  const model::ModelInfo& model = embedder.info();
  if (info.spec.model_id != model.id || static_cast<size_t>(info.spec.dimension) != model.dimension)
    return Status::FailedPrecondition("collection \"" + collection + "\" holds " + std::to_string(info.spec.dimension) +
                                      "-dimensional vectors of model " + info.spec.model_id + "; the loaded model is " +
                                      model.id + " (" + std::to_string(model.dimension) + " dimensions)");
  return Status::Ok();
}

Result<std::unique_ptr<SemanticIndex>> SemanticIndex::Open(const model::Embedder& embedder,
                                                           const std::string& tokenizer_path, store::VectorStore* store,
                                                           const std::string& collection, store::Metric metric,
                                                           size_t chunk_tokens, size_t overlap_tokens,
                                                           const store::LexicalSpec* lexical,
                                                           store::MultiVectorEncoding colbert) {
  const model::ModelInfo& info = embedder.info();
  store::CollectionSpec spec{collection, info.id, info.revision.empty() ? "unknown" : info.revision,
                             static_cast<int>(info.dimension), metric, {}};
  spec.colbert = colbert;
  if (colbert != store::MultiVectorEncoding::kNone && !(info.outputs & model::kColbertOutput)) {
    return Status::FailedPrecondition("model " + info.id + " has no ColBERT vectors (bge-m3's colbert_linear head); "
                                      "index without --colbert");
  }
  if (lexical != nullptr) {
    spec.lexical = *lexical;
  } else {
    spec.lexical.analyzers = {std::string(analysis::kDefaultAnalyzer)};
  }
  Result<store::CollectionInfo> existing = store->GetCollection(collection);
  if (existing.ok()) {
    IMI_RETURN_IF_ERROR(CheckCollectionModel(embedder, store, collection));
  } else if (existing.status().code() == StatusCode::kNotFound) {
    IMI_RETURN_IF_ERROR(store->CreateCollection(spec));
  } else {
    return existing.status();
  }
  size_t max_tokens = chunk_tokens ? chunk_tokens : info.max_seq_length;
  if (max_tokens == 0) max_tokens = 512;
  IMI_ASSIGN_OR_RETURN(std::unique_ptr<Chunker> chunker, Chunker::Load(tokenizer_path, max_tokens, overlap_tokens));
  IMI_ASSIGN_OR_RETURN(store::CollectionInfo stored, store->GetCollection(collection));
  auto index = std::make_unique<SemanticIndex>(embedder, std::move(chunker), store, collection);
  index->outputs_ = model::kDenseOutput | (info.outputs & model::kSparseOutput);
  if (stored.spec.colbert != store::MultiVectorEncoding::kNone) {
    if (!(info.outputs & model::kColbertOutput)) {
      return Status::FailedPrecondition("collection \"" + collection + "\" keeps ColBERT vectors; model " + info.id +
                                        " has none");
    }
    index->outputs_ |= model::kColbertOutput;
  }
  return index;
}

SemanticIndex::SemanticIndex(const model::Embedder& embedder, std::unique_ptr<Chunker> chunker,
                             store::VectorStore* store, std::string collection)
    : embedder_(embedder), chunker_(std::move(chunker)), store_(store), collection_(std::move(collection)) {}

Result<IndexStats> SemanticIndex::Add(std::vector<SourceDocument> docs) {
  if (!chunker_) return Status::FailedPrecondition("this index was opened for searching only");
  IndexStats stats;
  std::vector<store::Document> batch;
  std::vector<std::string> texts;
  for (SourceDocument& source : docs) {
    if (source.text.empty()) continue;
    IMI_ASSIGN_OR_RETURN(std::vector<TextChunk> chunks, chunker_->Split(source.text));
    store::Document doc;
    doc.id = std::move(source.id);
    doc.metadata = std::move(source.metadata);
    int ordinal = 0;
    for (TextChunk& c : chunks) {
      store::Chunk chunk;
      chunk.ordinal = ordinal++;
      chunk.start_offset = c.start_offset;
      chunk.end_offset = c.end_offset;
      texts.push_back(c.text);
      chunk.text = std::move(c.text);
      stats.tokens += c.tokens;
      doc.chunks.push_back(std::move(chunk));
    }
    doc.text = std::move(source.text);
    stats.chunks += doc.chunks.size();
    batch.push_back(std::move(doc));
  }
  if (batch.empty()) return stats;
  model::EmbedOptions options;
  options.prompt_name = PromptFor(embedder_.info(), {"passage", "document"});
  IMI_ASSIGN_OR_RETURN(model::EmbedResult embedded, embedder_.Embed(texts, options, outputs_));
  size_t next = 0;
  for (store::Document& doc : batch) {
    for (store::Chunk& chunk : doc.chunks) {
      if (outputs_ & model::kSparseOutput) chunk.sparse = ToStoreSparse(embedded.sparse[next]);
      if (outputs_ & model::kColbertOutput) chunk.colbert = ToStoreMultiVector(std::move(embedded.colbert[next]));
      chunk.vector = std::move(embedded.vectors[next++]);
    }
  }
  stats.documents = batch.size();
  IMI_ASSIGN_OR_RETURN(store::UpsertResult result, store_->Upsert(collection_, std::move(batch)));
  (void)result;
  return stats;
}

lexical::SparseVector ToStoreSparse(const model::SparseEmbedding& sparse) {
  lexical::SparseVector out;
  for (size_t i = 0; i < sparse.ids.size(); ++i) {
    if (sparse.ids[i] < 0 || !(sparse.weights[i] > 0)) continue;
    out.indices.push_back(static_cast<uint32_t>(sparse.ids[i]));
    out.values.push_back(sparse.weights[i]);
  }
  return out;
}

store::MultiVector ToStoreMultiVector(model::MultiVector colbert) {
  store::MultiVector out;
  out.dim = colbert.dim;
  out.values = std::move(colbert.values);
  return out;
}

Result<std::vector<float>> EmbedQuery(const model::Embedder& embedder, std::string_view query) {
  model::EmbedOptions options;
  options.prompt_name = PromptFor(embedder.info(), {"query"});
  IMI_ASSIGN_OR_RETURN(model::EmbedResult embedded, embedder.Embed({std::string(query)}, options));
  return std::move(embedded.vectors[0]);
}

Result<store::SearchResponse> SemanticIndex::Search(std::string_view query, store::SearchRequest request) const {
  IMI_ASSIGN_OR_RETURN(request.vector, EmbedQuery(embedder_, query));
  return store_->Search(collection_, request);
}

}  // namespace imi::search
