// Normalisation throughput on Japanese text, single thread, next to trivial
// baselines (memcpy, UTF-8 validation) measured in the same run so figures
// from a noisy shared machine can be compared as ratios.
//
//   build-bench/bench/normalize_bench [--benchmark_filter=...]
//
// Corpora (from ../shared, the repository's sibling): JSTS sentences
// (data/jglue/jsts/train-v1.3.json, plain Japanese captions) and the parity
// corpus (parity/corpus.jsonl, text damaged so that most rules fire).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "base/utf8.h"
#include "text/normalize.h"

namespace {

struct Corpus {
  std::vector<std::string> lines;
  size_t bytes = 0;
};

// Collects the string values of `fields` from each JSON line of `path`.
Corpus LoadJsonLines(const std::string& path, const std::vector<std::string>& fields) {
  Corpus corpus;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!row.is_object()) continue;
    for (const std::string& field : fields) {
      auto it = row.find(field);
      if (it == row.end() || !it->is_string()) continue;
      corpus.lines.push_back(it->get<std::string>());
      corpus.bytes += corpus.lines.back().size();
    }
  }
  return corpus;
}

void BM_Memcpy(benchmark::State& state, const Corpus* corpus) {
  std::string out;
  for (auto _ : state) {
    for (const std::string& line : corpus->lines) {
      out.resize(line.size());
      std::memcpy(out.data(), line.data(), line.size());
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus->bytes));
}

void BM_Utf8Validate(benchmark::State& state, const Corpus* corpus) {
  for (auto _ : state) {
    for (const std::string& line : corpus->lines) {
      benchmark::DoNotOptimize(imi::utf8::FindInvalid(line));
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus->bytes));
}

void BM_Normalize(benchmark::State& state, const Corpus* corpus,
                  imi::text::NormalizeOptions options) {
  std::string out;
  for (auto _ : state) {
    for (const std::string& line : corpus->lines) {
      imi::text::NormalizeInto(line, options, &out);
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus->bytes));
}

void RegisterCorpus(const std::string& name, const Corpus* corpus) {
  benchmark::RegisterBenchmark(("memcpy/" + name).c_str(), BM_Memcpy, corpus);
  benchmark::RegisterBenchmark(("utf8_validate/" + name).c_str(), BM_Utf8Validate, corpus);
  benchmark::RegisterBenchmark(("normalize/" + name).c_str(), BM_Normalize, corpus,
                               imi::text::NormalizeOptions{});
  benchmark::RegisterBenchmark(("normalize_repeat1/" + name).c_str(), BM_Normalize, corpus,
                               imi::text::NormalizeOptions{.repeat = 1});
}

}  // namespace

int main(int argc, char** argv) {
  const std::string shared = IMI_SHARED_DIR;
  const Corpus jsts = LoadJsonLines(shared + "/data/jglue/jsts/train-v1.3.json",
                                    {"sentence1", "sentence2"});
  const Corpus parity = LoadJsonLines(shared + "/parity/corpus.jsonl", {"text"});
  if (jsts.lines.empty() && parity.lines.empty()) {
    std::fprintf(stderr, "normalize_bench: no corpus found under %s (needs ../shared/data or "
                         "../shared/parity next to the repository)\n", shared.c_str());
    return 1;
  }
  std::printf("corpus jsts: %zu lines, %zu bytes; corpus parity: %zu lines, %zu bytes\n",
              jsts.lines.size(), jsts.bytes, parity.lines.size(), parity.bytes);
  if (!jsts.lines.empty()) RegisterCorpus("jsts", &jsts);
  if (!parity.lines.empty()) RegisterCorpus("parity", &parity);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
