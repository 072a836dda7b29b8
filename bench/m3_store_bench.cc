// bge-m3 in the store: search latency of mode m3 (dense + sparse candidates
// rescored with dense, sparse and ColBERT MaxSim) beside dense-only and
// hybrid (dense + sparse, RRF) search on the same collection in the same run;
// storage bytes per document for each output; the score error of compact
// ColBERT storage. The corpus is GENERATED (no model runs): bge-m3-shaped
// dense vectors (1024, clustered), sparse weights over a 250k-token vocabulary
// and ColBERT token vectors near their document's dense vector. Commands and
// figures: bench/README.md ("bge-m3 in the store").
//
//   m3_store_bench --dir DIR [--pg DSN] [--docs 100000] [--dim 1024]
//                  [--tokens 24] [--query-tokens 16] [--terms 24]
//                  [--queries 100] [--k 10] [--candidates 100]
//                  [--encoding float16] [--seed 1] [--reuse 1]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "store/multivector.h"
#include "store/rescore.h"
#include "store/search_modes.h"
#include "store/vector_store.h"

namespace {

using namespace imi::store;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string dir;
  std::string pg;
  int64_t docs = 100000;
  size_t dim = 1024;
  size_t tokens = 24;
  size_t query_tokens = 16;
  size_t terms = 24;
  int queries = 100;
  int k = 10;
  int candidates = 100;
  MultiVectorEncoding encoding = MultiVectorEncoding::kFloat16;
  uint64_t seed = 1;
  bool reuse = false;
};

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// xorshift64*: fast enough for billions of values.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  float Uniform() { return static_cast<float>(Next() >> 40) / static_cast<float>(1ull << 24); }  // [0, 1)
  float Signed() { return 2 * Uniform() - 1; }
};

void Normalize(float* v, size_t n) {
  double norm = 0;
  for (size_t i = 0; i < n; ++i) norm += static_cast<double>(v[i]) * v[i];
  const float inv = norm > 0 ? static_cast<float>(1 / std::sqrt(norm)) : 0;
  for (size_t i = 0; i < n; ++i) v[i] *= inv;
}

struct Corpus {
  Options o;
  std::vector<float> centres;  // sqrt(docs) x dim
  size_t clusters = 1;

  explicit Corpus(const Options& options) : o(options) {
    clusters = std::max<size_t>(1, static_cast<size_t>(std::sqrt(static_cast<double>(o.docs))));
    Rng rng{o.seed * 7919 + 1};
    centres.resize(clusters * o.dim);
    for (float& x : centres) x = rng.Signed();
  }
  // Document i, the same in every run.
  Document Doc(int64_t i) const {
    Rng rng{(o.seed << 32) ^ static_cast<uint64_t>(i * 2654435761ull + 17)};
    Document d;
    d.id = "doc" + std::to_string(i);
    d.text = "generated document " + std::to_string(i);
    Chunk c;
    c.text = d.text;
    c.end_offset = static_cast<int64_t>(d.text.size());
    const float* centre = &centres[(rng.Next() % clusters) * o.dim];
    c.vector.resize(o.dim);
    for (size_t j = 0; j < o.dim; ++j) c.vector[j] = centre[j] + 0.7f * rng.Signed();
    Normalize(c.vector.data(), o.dim);
    // Sparse: Zipf-like token ids, weights like bge-m3's (0.05..0.35).
    std::vector<std::pair<uint32_t, float>> terms;
    for (size_t t = 0; t < o.terms; ++t) {
      const uint32_t id = static_cast<uint32_t>(std::exp(rng.Uniform() * std::log(250000.0)));
      terms.emplace_back(id, 0.05f + 0.3f * rng.Uniform());
    }
    std::sort(terms.begin(), terms.end());
    for (const auto& [id, w] : terms) {
      if (!c.sparse.indices.empty() && c.sparse.indices.back() == id) continue;
      c.sparse.indices.push_back(id);
      c.sparse.values.push_back(w);
    }
    c.colbert.dim = o.dim;
    c.colbert.values.resize(o.tokens * o.dim);
    for (size_t r = 0; r < o.tokens; ++r) {
      float* row = &c.colbert.values[r * o.dim];
      for (size_t j = 0; j < o.dim; ++j) row[j] = c.vector[j] + 0.05f * rng.Signed();
      Normalize(row, o.dim);
    }
    d.chunks.push_back(std::move(c));
    return d;
  }
  // Query q: near a random document, with half its terms.
  ModeSearchRequest Query(int q) const {
    Rng rng{o.seed * 104729 + static_cast<uint64_t>(q) * 31 + 5};
    const Document d = Doc(static_cast<int64_t>(rng.Next() % static_cast<uint64_t>(o.docs)));
    const Chunk& c = d.chunks[0];
    ModeSearchRequest r;
    r.vector = c.vector;
    for (float& x : r.vector) x += 0.02f * rng.Signed();
    Normalize(r.vector.data(), o.dim);
    for (size_t i = 0; i < c.sparse.indices.size(); i += 2) {
      r.sparse.indices.push_back(c.sparse.indices[i]);
      r.sparse.values.push_back(c.sparse.values[i]);
    }
    r.colbert.dim = o.dim;
    r.colbert.values.resize(o.query_tokens * o.dim);
    for (size_t t = 0; t < o.query_tokens; ++t) {
      float* row = &r.colbert.values[t * o.dim];
      for (size_t j = 0; j < o.dim; ++j) row[j] = r.vector[j] + 0.05f * rng.Signed();
      Normalize(row, o.dim);
    }
    r.k = o.k;
    r.include = Include{false, false, true, false};
    return r;
  }
};

struct Latency {
  double p50 = 0, p95 = 0, mean = 0;
};

Latency Summarise(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  Latency l;
  l.p50 = ms[ms.size() / 2];
  l.p95 = ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];
  for (double x : ms) l.mean += x;
  l.mean /= static_cast<double>(ms.size());
  return l;
}

int Fail(const imi::Status& s, const char* what) {
  std::fprintf(stderr, "m3_store_bench: %s: %s\n", what, s.ToString().c_str());
  return 1;
}

int Run(const Options& o, VectorStore* store, const char* backend) {
  const Corpus corpus(o);
  const std::string name = "m3bench";
  CollectionSpec spec;
  spec.name = name;
  spec.model_id = "generated/bge-m3-shape";
  spec.model_revision = "seed" + std::to_string(o.seed);
  spec.dimension = static_cast<int>(o.dim);
  spec.metric = Metric::kCosine;
  spec.colbert = o.encoding;
  auto existing = store->GetCollection(name);
  const bool have = existing.ok() && existing->document_count == o.docs && existing->spec.colbert == o.encoding;
  if (!have || !o.reuse) {
    (void)store->DeleteCollection(name);
    if (auto s = store->CreateCollection(spec); !s.ok()) return Fail(s, "create");
    const auto t0 = Clock::now();
    const int64_t batch = 500;
    for (int64_t b = 0; b < o.docs; b += batch) {
      std::vector<Document> docs;
      for (int64_t i = b; i < std::min(o.docs, b + batch); ++i) docs.push_back(corpus.Doc(i));
      if (auto r = store->Upsert(name, std::move(docs)); !r.ok()) return Fail(r.status(), "upsert");
      if ((b / batch) % 20 == 0) std::fprintf(stderr, "\r%s: %lld/%lld documents", backend, static_cast<long long>(b),
                                               static_cast<long long>(o.docs));
    }
    std::fprintf(stderr, "\n");
    std::printf("%s: wrote %lld documents in %.1f s (%.0f documents/s, generation included)\n", backend,
                static_cast<long long>(o.docs), Seconds(t0, Clock::now()), o.docs / Seconds(t0, Clock::now()));
  }
  const auto t1 = Clock::now();
  if (auto s = store->PrepareIndex(name); !s.ok()) return Fail(s, "prepare index");
  std::printf("%s: index ready in %.1f s\n", backend, Seconds(t1, Clock::now()));
  // Warm-up: every component once (loads the sparse index).
  {
    ModeSearchRequest r = corpus.Query(-1);
    r.mode = SearchMode::kM3;
    if (auto found = SearchByMode(store, name, r); !found.ok()) return Fail(found.status(), "warm-up");
  }
  struct Mode {
    const char* label;
    SearchMode mode;
    bool colbert;
  };
  const Mode modes[] = {{"dense (HNSW)", SearchMode::kDense, false},
                        {"hybrid dense + sparse (RRF)", SearchMode::kHybrid, false},
                        {"m3 without query ColBERT (dense + sparse rescored)", SearchMode::kM3, false},
                        {"m3 (dense + sparse + ColBERT MaxSim)", SearchMode::kM3, true}};
  std::printf("\n| %s, %lld documents | p50 ms | p95 ms | mean ms | mean vs dense |\n|---|---|---|---|---|\n", backend,
              static_cast<long long>(o.docs));
  double dense_mean = 0;
  for (const Mode& m : modes) {
    std::vector<double> ms;
    for (int q = 0; q < o.queries; ++q) {
      ModeSearchRequest r = corpus.Query(q);
      r.mode = m.mode;
      if (m.mode == SearchMode::kDense) r.sparse = {};
      if (m.mode != SearchMode::kM3) r.colbert = {};
      if (!m.colbert) r.colbert = {};
      r.depth = o.candidates;
      const auto a = Clock::now();
      auto found = SearchByMode(store, name, r);
      ms.push_back(Seconds(a, Clock::now()) * 1000);
      if (!found.ok()) return Fail(found.status(), m.label);
    }
    const Latency l = Summarise(ms);
    if (dense_mean == 0) dense_mean = l.mean;
    std::printf("| %s | %.1f | %.1f | %.1f | %.2fx |\n", m.label, l.p50, l.p95, l.mean, l.mean / dense_mean);
  }
  // Where m3's time goes: reading the candidates' chunks and MaxSim alone.
  {
    std::vector<double> read_ms, maxsim_ms;
    for (int q = 0; q < std::min(o.queries, 30); ++q) {
      ModeSearchRequest r = corpus.Query(q);
      r.mode = SearchMode::kHybrid;
      r.k = o.candidates;
      r.depth = o.candidates;
      MultiVector query = r.colbert;
      r.colbert = {};
      auto found = SearchByMode(store, name, r);
      if (!found.ok()) return Fail(found.status(), "hybrid");
      std::vector<std::string> ids;
      for (const auto& h : found->hits) ids.push_back(h.hit.document_id);
      auto a = Clock::now();
      auto docs = store->GetChunks(name, ids);
      read_ms.push_back(Seconds(a, Clock::now()) * 1000);
      if (!docs.ok()) return Fail(docs.status(), "GetChunks");
      a = Clock::now();
      double sink = 0;
      for (const Document& d : *docs) sink += MaxSim(query, d.chunks[0].colbert);
      maxsim_ms.push_back(Seconds(a, Clock::now()) * 1000);
      if (sink == 12345.678) std::printf(" ");
    }
    std::printf("| of which: reading %d candidates' chunks (GetChunks) | %.1f | | %.1f | |\n", o.candidates,
                Summarise(read_ms).p50, Summarise(read_ms).mean);
    std::printf("| of which: MaxSim of %zu query vectors x %d candidates x %zu vectors | %.1f | | %.1f | |\n",
                o.query_tokens, o.candidates, o.tokens, Summarise(maxsim_ms).p50, Summarise(maxsim_ms).mean);
  }
  return 0;
}

// Bytes per document of each output, and the MaxSim error of compact storage.
void StorageAndError(const Options& o) {
  const Corpus corpus(o);
  const Document d = corpus.Doc(0);
  std::printf("\n| output (generated document: %zu tokens, %zu sparse terms) | bytes per document |\n|---|---|\n",
              o.tokens, d.chunks[0].sparse.size());
  std::printf("| dense float32 (%zu) | %zu |\n", o.dim, o.dim * 4);
  std::printf("| sparse (uint32 id + float32 weight; embedded blob) | %zu |\n", d.chunks[0].sparse.size() * 8);
  for (auto e : {MultiVectorEncoding::kFloat32, MultiVectorEncoding::kFloat16, MultiVectorEncoding::kInt8}) {
    std::printf("| ColBERT %s (%zu x %zu + 12-byte header) | %zu |\n", std::string(MultiVectorEncodingName(e)).c_str(),
                o.tokens, o.dim, EncodedMultiVectorBytes(o.tokens, o.dim, e));
  }
  // Error of MaxSim from decoded compact vectors against float32, over
  // query/document pairs of the generated corpus (both near and far pairs).
  double max_f16 = 0, max_i8 = 0, sum_f16 = 0, sum_i8 = 0;
  const int pairs = 300;
  for (int p = 0; p < pairs; ++p) {
    const ModeSearchRequest q = corpus.Query(p);
    const Document doc = corpus.Doc(p % 2 == 0 ? p : p * 7919 % o.docs);
    const MultiVector& v = doc.chunks[0].colbert;
    const double exact = MaxSim(q.colbert, v);
    for (auto e : {MultiVectorEncoding::kFloat16, MultiVectorEncoding::kInt8}) {
      MultiVector back;
      (void)DecodeMultiVector(EncodeMultiVector(v, e), &back);
      const double err = std::abs(MaxSim(q.colbert, back) - exact);
      (e == MultiVectorEncoding::kFloat16 ? max_f16 : max_i8) =
          std::max(e == MultiVectorEncoding::kFloat16 ? max_f16 : max_i8, err);
      (e == MultiVectorEncoding::kFloat16 ? sum_f16 : sum_i8) += err;
    }
  }
  std::printf("\n| ColBERT storage | max abs MaxSim error vs float32 | mean abs error |\n|---|---|---|\n");
  std::printf("| float16 | %.2e | %.2e |\n| int8 + scale | %.2e | %.2e |\n", max_f16, sum_f16 / pairs, max_i8,
              sum_i8 / pairs);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--dir") o.dir = value;
    else if (flag == "--pg") o.pg = value;
    else if (flag == "--docs") o.docs = std::atoll(value.c_str());
    else if (flag == "--dim") o.dim = static_cast<size_t>(std::atoi(value.c_str()));
    else if (flag == "--tokens") o.tokens = static_cast<size_t>(std::atoi(value.c_str()));
    else if (flag == "--query-tokens") o.query_tokens = static_cast<size_t>(std::atoi(value.c_str()));
    else if (flag == "--terms") o.terms = static_cast<size_t>(std::atoi(value.c_str()));
    else if (flag == "--queries") o.queries = std::atoi(value.c_str());
    else if (flag == "--k") o.k = std::atoi(value.c_str());
    else if (flag == "--candidates") o.candidates = std::atoi(value.c_str());
    else if (flag == "--seed") o.seed = static_cast<uint64_t>(std::atoll(value.c_str()));
    else if (flag == "--reuse") o.reuse = value == "1";
    else if (flag == "--encoding") {
      auto e = ParseMultiVectorEncoding(value);
      if (!e.ok()) return Fail(e.status(), "--encoding");
      o.encoding = *e;
    } else {
      std::fprintf(stderr, "m3_store_bench: unknown flag %s (see the comment at the top of bench/m3_store_bench.cc)\n",
                   flag.c_str());
      return 2;
    }
  }
  if (o.dir.empty() && o.pg.empty()) {
    std::fprintf(stderr, "usage: m3_store_bench --dir DIR [--pg DSN] [--docs N] ...\n");
    return 2;
  }
  if (o.docs < 1 || o.dim < 1 || o.tokens < 1 || o.query_tokens < 1 || o.queries < 1) {
    std::fprintf(stderr, "m3_store_bench: sizes must be positive\n");
    return 2;
  }
  std::printf("generated corpus: %lld documents, dense %zu, %zu ColBERT vectors per document (%s), %zu per query, "
              "~%zu sparse terms; k %d, %d candidates\n",
              static_cast<long long>(o.docs), o.dim, o.tokens, std::string(MultiVectorEncodingName(o.encoding)).c_str(),
              o.query_tokens, o.terms, o.k, o.candidates);
  StorageAndError(o);
  if (!o.dir.empty()) {
    EmbeddedOptions options;
    options.directory = o.dir;
    auto store = OpenEmbeddedStore(options);
    if (!store.ok()) return Fail(store.status(), "open embedded");
    if (int rc = Run(o, store->get(), "embedded"); rc != 0) return rc;
    (void)(*store)->Flush();
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(std::filesystem::path(o.dir) / "imi.sqlite3", ec);
    if (!ec) std::printf("\nembedded database: %.0f bytes per document (all outputs, text and row overhead)\n",
                         static_cast<double>(bytes) / static_cast<double>(o.docs));
  }
  if (!o.pg.empty()) {
    auto store = OpenPostgresStore(o.pg);
    if (!store.ok()) return Fail(store.status(), "open postgres");
    if (int rc = Run(o, store->get(), "postgres"); rc != 0) return rc;
  }
  return 0;
}
