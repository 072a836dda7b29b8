// Which definition should each named analyser have? Scores every variant of
// the MeCab analyser (dictionary, surface or base form, with or without
// particles, case folding or NFKC_Casefold) and the bigram and simple
// analysers on JSQuAD with BM25 (k1 1.2, b 0.75) computed here by brute
// force, independent of the stores. Run by bench/lexical_quality.sh; figures
// in bench/README.md ("Lexical search quality").
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "analysis/analyzers.h"
#include "bench/lexical/jsquad.h"
#include "lexical/bm25.h"

namespace {

using imi::analysis::Analyzer;

std::vector<std::vector<size_t>> RankAll(const Analyzer& analyzer, const imi::bench::JsquadTask& task) {
  std::unordered_map<std::string, std::vector<std::pair<size_t, uint32_t>>> postings;
  std::vector<uint32_t> length(task.documents.size());
  int64_t total = 0, with_terms = 0;
  for (size_t d = 0; d < task.documents.size(); ++d) {
    auto tokens = analyzer.Analyze(task.documents[d]);
    const imi::lexical::TermCounts counts = imi::lexical::CountTerms(*tokens);
    length[d] = counts.length;
    total += counts.length;
    with_terms += counts.length > 0;
    for (const auto& [term, tf] : counts.terms) postings[term].emplace_back(d, tf);
  }
  const double avgdl = static_cast<double>(total) / static_cast<double>(with_terms);
  const imi::lexical::Bm25Params params;
  std::vector<std::vector<size_t>> ranked;
  std::vector<double> score(task.documents.size());
  for (const std::string& q : task.queries) {
    std::fill(score.begin(), score.end(), 0.0);
    auto tokens = analyzer.Analyze(q);
    for (const imi::lexical::QueryTerm& t : imi::lexical::CountQueryTerms(*tokens)) {
      auto it = postings.find(t.term);
      if (it == postings.end()) continue;
      const double idf = imi::lexical::Bm25Idf(static_cast<int64_t>(it->second.size()), with_terms);
      for (const auto& [d, tf] : it->second) {
        score[d] += imi::lexical::Bm25TermScore(t.count, idf, tf, length[d], avgdl, params);
      }
    }
    std::vector<size_t> order;
    for (size_t d = 0; d < score.size(); ++d) {
      if (score[d] > 0) order.push_back(d);
    }
    const size_t n = std::min<size_t>(10, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
                      [&](size_t a, size_t b) { return score[a] != score[b] ? score[a] > score[b] : a < b; });
    order.resize(n);
    ranked.push_back(std::move(order));
  }
  return ranked;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : IMI_SHARED_DIR "/data/jglue/jsquad/valid-v1.3.json";
  const imi::bench::JsquadTask task = imi::bench::LoadJsquad(path);
  std::printf("JSQuAD: %zu documents, %zu queries\n", task.documents.size(), task.queries.size());
  std::printf("| analyser | recall@1 | recall@10 | MRR@10 | seconds |\n|---|---|---|---|---|\n");
  std::vector<std::pair<std::string, std::unique_ptr<Analyzer>>> variants;
  for (const char* dic : {"ipadic", "unidic"}) {
    auto ref = imi::analysis::ResolveDictionary(dic);
    if (!ref.ok()) {
      std::printf("| mecab %s | (%s) | | | |\n", dic, ref.status().message().c_str());
      continue;
    }
    // base: 0 surface, 1 base form, 2 both; drop: 0 none, 1 particles and
    // auxiliaries, 2 also dependent words.
    for (int base = 0; base < 3; ++base) {
      for (int drop = 0; drop < 3; ++drop) {
        for (int nfkc = 0; nfkc < 2; ++nfkc) {
          imi::analysis::JaMecabOptions options;
          options.base_form = base == 1;
          options.index_base_form_too = base == 2;
          options.drop_function_words = drop >= 1;
          options.drop_dependent_words = drop >= 2;
          options.folding = nfkc ? imi::analysis::Folding::kNfkcCasefold : imi::analysis::Folding::kCase;
          static const char* kBase[] = {" surface", " base", " surface+base"};
          static const char* kDrop[] = {"", " -particles", " -function-words"};
          std::string name = std::string("mecab ") + dic + kBase[base] + kDrop[drop] + (nfkc ? " nfkc_cf" : " casefold");
          auto analyzer = imi::analysis::MakeJaMecabAnalyzer(name, *ref, options);
          if (analyzer.ok()) variants.emplace_back(name, std::move(analyzer).value());
        }
      }
    }
  }
  variants.emplace_back("bigram", imi::analysis::MakeBigramAnalyzer("ja-bigram"));
  variants.emplace_back("simple casefold", imi::analysis::MakeSimpleAnalyzer("simple", imi::analysis::Folding::kCase));
  for (const auto& [name, analyzer] : variants) {
    const auto start = std::chrono::steady_clock::now();
    const imi::bench::Quality q = imi::bench::Measure(RankAll(*analyzer, task), task.gold);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("| %s | %.4f | %.4f | %.4f | %.1f |\n", name.c_str(), q.recall1, q.recall10, q.mrr10, seconds);
    std::fflush(stdout);
  }
  return 0;
}
