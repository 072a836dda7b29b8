// imi reindex --lexical: gives an existing collection a lexical index, or
// changes its analysers or BM25 parameters, by re-analysing the stored chunk
// texts (vectors are untouched: no model is needed).
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/lexical_flags.h"
#include "store/vector_store.h"

namespace imi::cli {
namespace {

struct ReindexFlags {
  std::string collection;
  std::string store;
  std::string pg;
  bool lexical = false;
  std::string analyzers;
  double bm25_k1 = -1;
  double bm25_b = -1;
};

Status RunReindex(const ReindexFlags& flags) {
  if (!flags.lexical) {
    return Status::InvalidArgument("say what to rebuild: --lexical (the only index imi reindex rebuilds so far)");
  }
  IMI_ASSIGN_OR_RETURN(auto store, store::OpenVectorStore({flags.store, flags.pg}));
  IMI_ASSIGN_OR_RETURN(store::CollectionInfo info, store->GetCollection(flags.collection));
  // Unset flags keep the collection's values; a collection without analysers gets ja-mecab.
  const store::LexicalSpec& have = info.spec.lexical;
  std::string analyzers = flags.analyzers;
  if (analyzers.empty()) analyzers = have.analyzers.empty() ? "ja-mecab" : JoinAnalyzers(have.analyzers);
  IMI_ASSIGN_OR_RETURN(store::LexicalSpec spec,
                       ParseLexicalFlags(analyzers, flags.bm25_k1 >= 0 ? flags.bm25_k1 : have.bm25.k1,
                                         flags.bm25_b >= 0 ? flags.bm25_b : have.bm25.b));
  std::fprintf(stderr, "imi reindex: analysing the text of %lld chunks of \"%s\" with %s...\n",
               static_cast<long long>(info.chunk_count), flags.collection.c_str(), JoinAnalyzers(spec.analyzers).c_str());
  const auto start = std::chrono::steady_clock::now();
  IMI_RETURN_IF_ERROR(store->SetLexical(flags.collection, spec));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("lexical index of \"%s\": %s (BM25 k1 %g, b %g), %lld chunks in %.2f s\n", flags.collection.c_str(),
              JoinAnalyzers(spec.analyzers).c_str(), spec.bm25.k1, spec.bm25.b,
              static_cast<long long>(info.chunk_count), seconds);
  return Status::Ok();
}

}  // namespace

void AddReindexCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ReindexFlags>();
  auto* cmd = app.add_subcommand(
      "reindex",
      "Rebuild a collection's lexical index from its stored chunk texts, without re-embedding:\n"
      "adds one to a collection made without, or changes its analyzers or BM25 parameters.");
  cmd->add_option("--collection", flags->collection, "Collection name")->required();
  cmd->add_option("--store", flags->store, "Embedded store directory (default ./imi-data)");
  cmd->add_option("--pg", flags->pg, "PostgreSQL DSN instead of the embedded store (default $IMI_PG_DSN)");
  cmd->add_flag("--lexical", flags->lexical, "Rebuild the lexical (BM25) index (required)");
  cmd->add_option("--analyzers", flags->analyzers,
                  "Comma-separated analyzers (ja-mecab, ja-mecab:unidic, ja-bigram, simple) or 'none' to drop\n"
                  "the index (default: the collection's, or ja-mecab when it has none)");
  cmd->add_option("--bm25-k1", flags->bm25_k1, "BM25 k1 (default: the collection's, 1.2 for a new index)");
  cmd->add_option("--bm25-b", flags->bm25_b, "BM25 b (default: the collection's, 0.75 for a new index)");
  cmd->footer("Example:\n  imi reindex --collection city --lexical --analyzers ja-mecab,ja-bigram");
  cmd->callback([flags, exit_code] {
    const Status s = RunReindex(*flags);
    *exit_code = s.ok() ? 0 : ReportError("reindex", s);
  });
}

}  // namespace imi::cli
