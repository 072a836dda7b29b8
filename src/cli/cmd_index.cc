// imi index: files (.txt, .md, .html, .jsonl, directories) -> chunks ->
// vectors -> a collection in the embedded store or PostgreSQL.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/lexical_flags.h"
#include "cli/commands.h"
#include "model/embedder.h"
#include "search/document_reader.h"
#include "search/semantic_index.h"
#include "store/vector_store.h"

namespace imi::cli {
namespace {

struct IndexFlags {
  std::string collection;
  std::string store;
  std::string pg;
  std::string model;
  std::string tokenizer;
  std::string metric = "cosine";
  size_t chunk_tokens = 0;
  size_t overlap_tokens = 32;
  size_t batch_documents = 32;
  std::string analyzers = "ja-mecab";
  double bm25_k1 = 1.2;
  double bm25_b = 0.75;
  std::vector<std::string> paths;
};

// Collections at least this large announce index work that takes seconds.
constexpr int64_t kAnnounceIndexChunks = 10000;

// Loads (or builds) the collection's ANN index so that writes update it in
// place and the next search does not rebuild it; announced when large.
Status PrepareIndex(store::VectorStore* store, const std::string& collection, const char* what) {
  IMI_ASSIGN_OR_RETURN(store::CollectionInfo info, store->GetCollection(collection));
  if (info.chunk_count >= kAnnounceIndexChunks)
    std::fprintf(stderr, "imi index: %s the search index of %lld chunks...\n", what,
                 static_cast<long long>(info.chunk_count));
  return store->PrepareIndex(collection);
}

void Progress(size_t done, size_t total, size_t chunks, double seconds, bool tty) {
  if (!tty) return;
  const int width = 30;
  int filled = total ? static_cast<int>(width * done / total) : width;
  std::string bar(static_cast<size_t>(filled), '=');
  bar.resize(width, ' ');
  std::fprintf(stderr, "\r[%s] %zu/%zu files, %zu chunks, %.1f s", bar.c_str(), done, total, chunks, seconds);
  std::fflush(stderr);
}

Status RunIndex(const IndexFlags& flags) {
  IMI_ASSIGN_OR_RETURN(store::Metric metric, store::ParseMetric(flags.metric));
  IMI_ASSIGN_OR_RETURN(store::LexicalSpec lexical, ParseLexicalFlags(flags.analyzers, flags.bm25_k1, flags.bm25_b));
  IMI_ASSIGN_OR_RETURN(std::vector<std::string> files, search::ListInputFiles(flags.paths));
  if (files.empty()) return Status::InvalidArgument("no .txt, .md, .html or .jsonl files under the given paths");
  IMI_ASSIGN_OR_RETURN(auto store, store::OpenVectorStore({flags.store, flags.pg}));
  model::EmbedderConfig config;
  config.model_path = flags.model;
  config.tokenizer_path = flags.tokenizer;
  IMI_ASSIGN_OR_RETURN(auto embedder, model::Embedder::Load(config));
  const model::ModelInfo& info = embedder->info();
  std::string tokenizer_path = flags.tokenizer.empty() ? info.root : flags.tokenizer;
  IMI_ASSIGN_OR_RETURN(auto index, search::SemanticIndex::Open(*embedder, tokenizer_path, store.get(), flags.collection,
                                                               metric, flags.chunk_tokens, flags.overlap_tokens,
                                                               &lexical));
  IMI_ASSIGN_OR_RETURN(store::CollectionInfo collection, store->GetCollection(flags.collection));
  const std::string analyzers = JoinAnalyzers(collection.spec.lexical.analyzers);
  if (collection.spec.lexical.analyzers != lexical.analyzers) {
    std::fprintf(stderr, "imi index: collection %s keeps its lexical analyzers (%s); change them with imi reindex "
                         "--lexical --analyzers ...\n", flags.collection.c_str(), analyzers.c_str());
  }
  std::fprintf(stderr, "imi index: %zu files -> collection %s (%s, %zu dimensions)\n", files.size(),
               flags.collection.c_str(), info.id.c_str(), info.dimension);
  // An index loaded now takes this run's writes incrementally; otherwise the
  // first search after them would rebuild it from every stored vector.
  IMI_RETURN_IF_ERROR(PrepareIndex(store.get(), flags.collection, "loading"));
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  search::IndexStats total;
  std::vector<search::SourceDocument> pending;
  auto flush = [&]() -> Status {
    IMI_ASSIGN_OR_RETURN(search::IndexStats stats, index->Add(std::move(pending)));
    pending.clear();
    total.documents += stats.documents;
    total.chunks += stats.chunks;
    total.tokens += stats.tokens;
    return Status::Ok();
  };
  for (size_t i = 0; i < files.size(); ++i) {
    IMI_ASSIGN_OR_RETURN(std::vector<search::SourceDocument> docs, search::ReadDocuments(files[i]));
    for (auto& d : docs) {
      pending.push_back(std::move(d));
      if (pending.size() >= flags.batch_documents) IMI_RETURN_IF_ERROR(flush().WithContext(files[i]));
    }
    Progress(i + 1, files.size(), total.chunks, elapsed(), tty);
  }
  if (!pending.empty()) IMI_RETURN_IF_ERROR(flush());
  if (tty) std::fputc('\n', stderr);
  IMI_RETURN_IF_ERROR(PrepareIndex(store.get(), flags.collection, "preparing"));
  IMI_RETURN_IF_ERROR(store->Flush());
  const double seconds = elapsed();
  std::printf("indexed %zu documents (%zu chunks, %zu tokens) from %zu files into \"%s\" in %.2f s: "
              "%.1f documents/s, %.0f tokens/s; lexical index: %s\n",
              total.documents, total.chunks, total.tokens, files.size(), flags.collection.c_str(), seconds,
              seconds > 0 ? total.documents / seconds : 0.0, seconds > 0 ? total.tokens / seconds : 0.0,
              analyzers.c_str());
  return Status::Ok();
}

}  // namespace

void AddIndexCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<IndexFlags>();
  auto* cmd = app.add_subcommand("index",
                                 "Chunk, embed and store documents: .txt, .md, .html (visible text; title and URL\n"
                                 "kept as metadata), .jsonl ({\"id\",\"text\",...metadata}) and directories.");
  cmd->add_option("--collection", flags->collection, "Collection name ([A-Za-z0-9_-]{1,64}); created if missing")
      ->required();
  cmd->add_option("--store", flags->store, "Embedded store directory (default ./imi-data)");
  cmd->add_option("--pg", flags->pg, "PostgreSQL DSN instead of the embedded store (default $IMI_PG_DSN)");
  cmd->add_option("--model", flags->model, "Model directory (sentence-transformers layout)")->required();
  cmd->add_option("--tokenizer", flags->tokenizer, "tokenizer.json (or its directory) for a bare .onnx model");
  cmd->add_option("--metric", flags->metric, "Metric of a new collection: cosine (default), l2, ip, l1");
  cmd->add_option("--chunk-tokens", flags->chunk_tokens, "Tokens per chunk (default: the model's max_seq_length)");
  cmd->add_option("--overlap", flags->overlap_tokens, "Tokens shared by consecutive chunks (default 32)");
  cmd->add_option("--batch", flags->batch_documents, "Documents per atomic write (default 32)");
  cmd->add_option("--analyzers", flags->analyzers,
                  "Lexical index of a new collection: comma-separated analyzers (ja-mecab, ja-mecab:unidic,\n"
                  "ja-bigram, simple) or 'none' (default ja-mecab; docs/lexical.md)");
  cmd->add_option("--bm25-k1", flags->bm25_k1, "BM25 k1 of a new collection (default 1.2)");
  cmd->add_option("--bm25-b", flags->bm25_b, "BM25 b of a new collection (default 0.75)");
  cmd->add_option("paths", flags->paths, "Files or directories")->required();
  cmd->callback([flags, exit_code] {
    const Status s = RunIndex(*flags);
    *exit_code = s.ok() ? 0 : ReportError("index", s);
  });
}

}  // namespace imi::cli
