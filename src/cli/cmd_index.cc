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
  size_t max_document_bytes = search::InputLimits().max_document_bytes;
  bool strict = false;
  bool colbert = false;
  std::string colbert_encoding = "float16";
  std::vector<std::string> paths;
};

// Collections at least this large announce index work that takes seconds.
constexpr int64_t kAnnounceIndexChunks = 10000;
// A batch is written once its texts hold this much, whatever --batch says,
// so that memory follows the data written at once, not the batch count.
constexpr size_t kBatchTextBytes = 8 * 1024 * 1024;
// With ColBERT vectors (about 4 KB per token for bge-m3 before they are
// stored) a batch holds at most this much text.
constexpr size_t kColbertBatchTextBytes = 64 * 1024;

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

// "1 file" / "2 files".
std::string Files(size_t n) { return std::to_string(n) + (n == 1 ? " file" : " files"); }

Status RunIndex(const IndexFlags& flags) {
  IMI_ASSIGN_OR_RETURN(store::Metric metric, store::ParseMetric(flags.metric));
  IMI_ASSIGN_OR_RETURN(store::LexicalSpec lexical, ParseLexicalFlags(flags.analyzers, flags.bm25_k1, flags.bm25_b));
  IMI_ASSIGN_OR_RETURN(store::MultiVectorEncoding colbert, store::ParseMultiVectorEncoding(flags.colbert_encoding));
  if (!flags.colbert) colbert = store::MultiVectorEncoding::kNone;
  if (flags.max_document_bytes == 0) return Status::InvalidArgument("--max-document-bytes must be at least 1");
  const std::vector<search::InputFile> files = search::ListInputFiles(flags.paths);
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
                                                               &lexical, colbert));
  IMI_ASSIGN_OR_RETURN(store::CollectionInfo collection, store->GetCollection(flags.collection));
  const std::string analyzers = JoinAnalyzers(collection.spec.lexical.analyzers);
  if (collection.spec.lexical.analyzers != lexical.analyzers) {
    std::fprintf(stderr, "imi index: collection %s keeps its lexical analyzers (%s); change them with imi reindex "
                         "--lexical --analyzers ...\n", flags.collection.c_str(), analyzers.c_str());
  }
  std::string outputs = "dense";
  if (info.outputs & model::kSparseOutput) outputs += " + sparse";
  if (collection.spec.colbert != store::MultiVectorEncoding::kNone) {
    outputs += " + ColBERT (" + std::string(store::MultiVectorEncodingName(collection.spec.colbert)) + ")";
  } else if (flags.colbert) {
    std::fprintf(stderr, "imi index: collection %s was created without ColBERT vectors; --colbert applies to new "
                         "collections\n", flags.collection.c_str());
  }
  std::fprintf(stderr, "imi index: %s -> collection %s (%s, %zu dimensions; %s)\n", Files(files.size()).c_str(),
               flags.collection.c_str(), info.id.c_str(), info.dimension, outputs.c_str());
  const size_t batch_text_bytes =
      collection.spec.colbert != store::MultiVectorEncoding::kNone ? kColbertBatchTextBytes : kBatchTextBytes;
  // An index loaded now takes this run's writes incrementally; otherwise the
  // first search after them would rebuild it from every stored vector.
  IMI_RETURN_IF_ERROR(PrepareIndex(store.get(), flags.collection, "loading"));
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  search::IndexStats total;
  size_t stored_files = 0, skipped_files = 0;
  std::vector<search::SourceDocument> pending;
  size_t pending_bytes = 0;
  auto flush = [&]() -> Status {
    if (pending.empty()) return Status::Ok();
    Result<search::IndexStats> stats = index->Add(std::move(pending));
    pending.clear();
    pending_bytes = 0;
    if (!stats.ok()) {
      return stats.status().WithContext("after storing " + std::to_string(total.documents) +
                                        " documents (they are safe)");
    }
    total.documents += stats->documents;
    total.chunks += stats->chunks;
    total.tokens += stats->tokens;
    return Status::Ok();
  };
  search::InputLimits limits;
  limits.max_document_bytes = flags.max_document_bytes;
  for (size_t i = 0; i < files.size(); ++i) {
    const search::InputFile& file = files[i];
    Status input;
    if (!file.skip_reason.empty()) {
      input = Status::InvalidArgument(search::PrintablePath(file.path) + ": " + file.skip_reason);
    } else {
      // A file's documents reach `pending` only once the whole file checked
      // out, so what is stored never depends on where batches end.
      search::FileOutcome outcome = search::ForEachDocument(file.path, limits, [&](search::SourceDocument doc) {
        pending_bytes += doc.text.size();
        pending.push_back(std::move(doc));
        if (pending.size() >= flags.batch_documents || pending_bytes >= batch_text_bytes) return flush();
        return Status::Ok();
      });
      if (!outcome.sink.ok()) return outcome.sink.WithContext(search::PrintablePath(file.path));
      input = outcome.input;
    }
    if (!input.ok()) {
      if (tty) std::fputc('\n', stderr);
      if (flags.strict) {
        IMI_RETURN_IF_ERROR(flush());
        return input.WithContext("stopped (--strict) after storing " + std::to_string(total.documents) +
                                 " documents of the " + Files(stored_files) + " before it");
      }
      ReportError("index", input.WithContext("skipped"));
      ++skipped_files;
    } else {
      ++stored_files;
    }
    Progress(i + 1, files.size(), total.chunks, elapsed(), tty);
  }
  IMI_RETURN_IF_ERROR(flush());
  if (tty) std::fputc('\n', stderr);
  IMI_RETURN_IF_ERROR(PrepareIndex(store.get(), flags.collection, "preparing"));
  if (Status saved = store->Flush(); !saved.ok()) {
    return Status(saved.code(),
                  "the " + std::to_string(total.documents) + " documents are stored and safe, but saving the search "
                  "index failed: " + saved.message() + ". Free space if the disk is full; the next search (or imi index "
                  "run) rebuilds the index from the stored documents, nothing needs to be indexed again");
  }
  const double seconds = elapsed();
  std::printf("indexed %zu documents (%zu chunks, %zu tokens) from %s into \"%s\" in %.2f s: "
              "%.1f documents/s, %.0f tokens/s; lexical index: %s",
              total.documents, total.chunks, total.tokens, Files(stored_files).c_str(), flags.collection.c_str(),
              seconds, seconds > 0 ? total.documents / seconds : 0.0, seconds > 0 ? total.tokens / seconds : 0.0,
              analyzers.c_str());
  if (skipped_files > 0) std::printf("; skipped %s (named above)", Files(skipped_files).c_str());
  std::printf("\n");
  return Status::Ok();
}

}  // namespace

void AddIndexCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<IndexFlags>();
  auto* cmd = app.add_subcommand("index",
                                 "Chunk, embed and store documents: .txt, .md, .html (visible text; title and URL\n"
                                 "kept as metadata), .jsonl ({\"id\",\"text\",...metadata}) and directories.\n"
                                 "A file that cannot be read (missing, not a regular file, invalid UTF-8, a bad\n"
                                 ".jsonl line, over the size limit) is named on stderr and skipped whole.");
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
  cmd->add_option("--max-document-bytes", flags->max_document_bytes,
                  "Largest .txt/.md/.html file or .jsonl line (default 16777216 = 16 MiB)");
  cmd->add_flag("--colbert", flags->colbert,
                "bge-m3: also store each chunk's ColBERT token vectors (for --mode m3 search) in a new collection");
  cmd->add_option("--colbert-encoding", flags->colbert_encoding,
                  "How --colbert stores them: float16 (default), int8 (one scale per vector) or float32")
      ->check(CLI::IsMember({"float16", "int8", "float32"}));
  cmd->add_flag("--strict", flags->strict,
                "Stop at the first file that cannot be read instead of skipping it (the files before it stay stored)");
  cmd->add_option("paths", flags->paths, "Files or directories")->required();
  cmd->callback([flags, exit_code] {
    const Status s = RunIndex(*flags);
    *exit_code = s.ok() ? 0 : ReportError("index", s);
  });
}

}  // namespace imi::cli
