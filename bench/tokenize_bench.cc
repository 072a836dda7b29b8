// imi side of bench/tokenize.sh: encodes every corpus line with one
// tokenizer on one thread (truncation and padding off, special tokens added),
// after loading and one warm-up pass, and prints the best of REPS passes as
// JSON {tokens, seconds, cpu_seconds}.
//   tokenize_bench TOKENIZER_JSON CORPUS_JSONL [REPS]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"

namespace {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: tokenize_bench TOKENIZER_JSON CORPUS_JSONL [REPS]\n");
    return 2;
  }
  const int reps = argc > 3 ? std::atoi(argv[3]) : 3;
  std::vector<std::string> texts;
  std::ifstream in(argv[2]);
  if (!in) {
    std::fprintf(stderr, "tokenize_bench: cannot read corpus %s\n", argv[2]);
    return 3;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (parsed.is_discarded() || !parsed.contains("text")) {
      std::fprintf(stderr, "tokenize_bench: corpus lines must be {\"text\": ...}\n");
      return 2;
    }
    texts.push_back(parsed["text"].get<std::string>());
  }
  auto loaded = imi::tokenizer::Tokenizer::FromFile(argv[1]);
  if (!loaded.ok()) {
    std::fprintf(stderr, "tokenize_bench: %s\n", loaded.status().ToString().c_str());
    return 2;
  }
  imi::tokenizer::Tokenizer& tok = **loaded;
  tok.SetTruncation(std::nullopt);
  tok.SetPadding(std::nullopt);

  size_t tokens = 0;
  for (const std::string& t : texts) {  // warm-up, and the token count
    auto e = tok.Encode(t, true);
    if (!e.ok()) {
      std::fprintf(stderr, "tokenize_bench: %s\n", e.status().ToString().c_str());
      return 2;
    }
    tokens += e->size();
  }
  double best = 1e300, best_cpu = 0;
  for (int r = 0; r < reps; ++r) {
    const double cpu0 = ThreadCpuSeconds();
    const auto t0 = std::chrono::steady_clock::now();
    size_t sink = 0;
    for (const std::string& t : texts) sink += tok.Encode(t, true)->size();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = ThreadCpuSeconds() - cpu0;
    if (sink != tokens) {
      std::fprintf(stderr, "tokenize_bench: token count changed between passes\n");
      return 70;
    }
    if (seconds < best) {
      best = seconds;
      best_cpu = cpu;
    }
  }
  std::printf("{\"tokens\": %zu, \"seconds\": %.6f, \"cpu_seconds\": %.6f}\n", tokens, best, best_cpu);
  return 0;
}
