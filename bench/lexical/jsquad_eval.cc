// JSQuAD retrieval quality through the stores: every analyser and a hybrid of
// ja-mecab and ja-bigram (RRF k 60, and weighted min-max), on the embedded
// store and on PostgreSQL (IMI_PG_DSN or --pg), with recall@1, recall@10 and
// MRR@10, and a check that both backends rank identically. Run by
// bench/lexical_quality.sh stores; figures in bench/README.md.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "analysis/dictionary.h"
#include "bench/lexical/jsquad.h"
#include "store/search_modes.h"
#include "store/vector_store.h"

namespace {

using imi::store::ModeSearchRequest;
using imi::store::SearchMode;

struct Run {
  std::string label;
  ModeSearchRequest request;  // query filled per question
};

int Fail(const imi::Status& s) {
  std::fprintf(stderr, "jsquad_eval: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = IMI_SHARED_DIR "/data/jglue/jsquad/valid-v1.3.json";
  std::string pg = std::getenv("IMI_PG_DSN") ? std::getenv("IMI_PG_DSN") : "";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--pg" && i + 1 < argc) pg = argv[++i];
    else path = a;
  }
  const imi::bench::JsquadTask task = imi::bench::LoadJsquad(path);
  std::vector<std::string> analyzers = {"ja-mecab", "ja-bigram", "simple"};
  if (imi::analysis::ResolveDictionary("unidic").ok()) analyzers.push_back("ja-mecab:unidic");
  std::vector<Run> runs;
  for (const std::string& a : analyzers) {
    Run run{a, {}};
    run.request.mode = SearchMode::kLexical;
    run.request.analyzers = {a};
    runs.push_back(run);
  }
  Run rrf{"hybrid ja-mecab + ja-bigram, RRF k=60", {}};
  rrf.request.mode = SearchMode::kHybrid;
  rrf.request.analyzers = {"ja-mecab", "ja-bigram"};
  runs.push_back(rrf);
  Run weighted{"hybrid ja-mecab + ja-bigram, weighted min-max 0.5/0.5", {}};
  weighted.request.mode = SearchMode::kHybrid;
  weighted.request.analyzers = {"ja-mecab", "ja-bigram"};
  weighted.request.fusion.method = imi::lexical::FusionMethod::kWeighted;
  weighted.request.fusion.weights = {{"lexical", 0.5}};
  runs.push_back(weighted);

  std::vector<std::pair<std::string, std::unique_ptr<imi::store::VectorStore>>> backends;
  const std::string dir = (std::filesystem::temp_directory_path() / "imi-jsquad-eval").string();
  std::filesystem::remove_all(dir);
  imi::store::EmbeddedOptions options;
  options.directory = dir;
  auto embedded = imi::store::OpenEmbeddedStore(options);
  if (!embedded.ok()) return Fail(embedded.status());
  backends.emplace_back("embedded", std::move(embedded).value());
  if (!pg.empty()) {
    auto store = imi::store::OpenPostgresStore(pg);
    if (!store.ok()) return Fail(store.status());
    backends.emplace_back("postgres", std::move(store).value());
  }
  std::printf("JSQuAD valid: %zu documents, %zu questions\n\n", task.documents.size(), task.queries.size());
  std::printf("| backend | ranking | recall@1 | recall@10 | MRR@10 | ms/query |\n|---|---|---|---|---|---|\n");
  std::map<std::string, std::vector<std::vector<size_t>>> first_backend;
  bool identical = true;
  for (auto& [backend, store] : backends) {
    imi::store::CollectionSpec spec{"jsquad_eval", "none", "r", 1, imi::store::Metric::kCosine, {}};
    spec.lexical.analyzers = analyzers;
    (void)store->DeleteCollection(spec.name);
    if (imi::Status s = store->CreateCollection(spec); !s.ok()) return Fail(s);
    std::vector<imi::store::Document> docs;
    for (size_t d = 0; d < task.documents.size(); ++d) {
      imi::store::Document doc;
      doc.id = std::to_string(d);
      doc.text = task.documents[d];
      imi::store::Chunk chunk;
      chunk.text = doc.text;
      chunk.end_offset = static_cast<int64_t>(doc.text.size());
      chunk.vector = {1.0f};
      doc.chunks.push_back(std::move(chunk));
      docs.push_back(std::move(doc));
    }
    if (auto w = store->Upsert(spec.name, std::move(docs)); !w.ok()) return Fail(w.status());
    for (const Run& run : runs) {
      std::vector<std::vector<size_t>> ranked;
      const auto start = std::chrono::steady_clock::now();
      for (const std::string& q : task.queries) {
        ModeSearchRequest request = run.request;
        request.query = q;
        request.k = 10;
        request.include = {false, false, true, false};
        request.highlights = false;
        auto found = imi::store::SearchByMode(store.get(), spec.name, request);
        if (!found.ok()) return Fail(found.status());
        std::vector<size_t> ids;
        for (const auto& hit : found->hits) ids.push_back(std::stoul(hit.hit.document_id));
        ranked.push_back(std::move(ids));
      }
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
                        static_cast<double>(task.queries.size());
      const imi::bench::Quality q = imi::bench::Measure(ranked, task.gold);
      std::printf("| %s | %s | %.4f | %.4f | %.4f | %.2f |\n", backend.c_str(), run.label.c_str(), q.recall1,
                  q.recall10, q.mrr10, ms);
      std::fflush(stdout);
      auto [it, fresh] = first_backend.emplace(run.label, ranked);
      if (!fresh && it->second != ranked) {
        identical = false;
        std::printf("| | ^ differs from %s's ranking | | | | |\n", backends.front().first.c_str());
      }
    }
    (void)store->DeleteCollection(spec.name);
  }
  std::filesystem::remove_all(dir);
  if (backends.size() > 1) {
    std::printf("\nembedded and postgres rankings %s\n", identical ? "identical for every question" : "DIFFER");
  }
  return identical ? 0 : 1;
}
