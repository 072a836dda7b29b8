// Vector store benchmark: ingestion rate, then search latency (p50/p99) and
// recall@k against brute force for the embedded HNSW index, the embedded
// exact scan and pgvector's HNSW index, on the same generated data in the
// same run. Commands and figures: bench/README.md ("Vector store").
//
//   store_bench --size N [--dim 384] [--queries 200] [--k 10]
//               [--ef 16,32,64,128,256] [--exact-queries 50]
//               [--m 16] [--ef-construction 200]
//               [--pg DSN] [--dir DIR] [--seed 1] [--reuse 1]
// --m and --ef-construction build both HNSW indexes (embedded and pgvector)
// with the same parameters, so recall compares like with like.
// --reuse 1 keeps --dir and searches an embedded collection left by an
// earlier run of the same size and seed instead of ingesting again.
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "store/embedded/distance.h"
#include "store/vector_store.h"

namespace {

using imi::store::Document;
using imi::store::SearchRequest;
using imi::store::VectorStore;
using Clock = std::chrono::steady_clock;

struct Options {
  int64_t size = 10000;
  int dim = 384;
  int queries = 200;
  int k = 10;
  std::vector<int> ef = {16, 32, 64, 128, 256};
  int exact_queries = 50;
  int m = imi::store::kHnswM;  // the stores' defaults for new collections
  int ef_construction = imi::store::kHnswEfConstruction;
  std::string pg;
  std::string dir;
  uint32_t seed = 1;
  bool reuse = false;  // keep --dir and its embedded collection between runs
};

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// Clustered data, closer to sentence embeddings than uniform noise: points
// scatter around sqrt(N) random centres.
struct Data {
  int dim = 0;
  std::vector<float> base;     // size × dim
  std::vector<float> queries;  // queries × dim
};

Data Generate(const Options& o) {
  Data d;
  d.dim = o.dim;
  std::mt19937 rng(o.seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  int clusters = std::max(1, static_cast<int>(std::sqrt(static_cast<double>(o.size))));
  std::vector<float> centres(static_cast<size_t>(clusters) * o.dim);
  for (float& x : centres) x = normal(rng);
  std::uniform_int_distribution<int> pick(0, clusters - 1);
  auto point = [&](std::vector<float>* out) {
    const float* c = &centres[static_cast<size_t>(pick(rng)) * o.dim];
    for (int i = 0; i < o.dim; ++i) out->push_back(c[i] + 0.7f * normal(rng));
  };
  d.base.reserve(static_cast<size_t>(o.size) * o.dim);
  for (int64_t i = 0; i < o.size; ++i) point(&d.base);
  for (int q = 0; q < o.queries; ++q) point(&d.queries);
  return d;
}

// Brute-force cosine top-k per query (ids as indices), the recall reference.
std::vector<std::vector<int64_t>> GroundTruth(const Options& o, const Data& d) {
  const size_t dim = static_cast<size_t>(o.dim);
  std::vector<float> inv_norm(static_cast<size_t>(o.size));
  for (int64_t i = 0; i < o.size; ++i) {
    double s = 0;
    for (size_t j = 0; j < dim; ++j) s += double(d.base[i * dim + j]) * d.base[i * dim + j];
    inv_norm[i] = static_cast<float>(1.0 / std::sqrt(s));
  }
  std::vector<std::vector<int64_t>> truth(static_cast<size_t>(o.queries));
  auto work = [&](int first, int step) {
    std::vector<std::pair<float, int64_t>> scored(static_cast<size_t>(o.size));
    for (int q = first; q < o.queries; q += step) {
      const float* qv = &d.queries[static_cast<size_t>(q) * dim];
      for (int64_t i = 0; i < o.size; ++i) {
        float dot = imi::store::DotProduct(qv, &d.base[static_cast<size_t>(i) * dim], dim);
        scored[i] = {-dot * inv_norm[i], i};
      }
      std::partial_sort(scored.begin(), scored.begin() + o.k, scored.end());
      for (int r = 0; r < o.k; ++r) truth[q].push_back(scored[r].second);
    }
  };
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work, static_cast<int>(t), static_cast<int>(threads));
  for (std::thread& t : pool) t.join();
  return truth;
}

bool Check(const imi::Status& s, const char* what) {
  if (!s.ok()) std::fprintf(stderr, "store_bench: %s: %s\n", what, s.ToString().c_str());
  return s.ok();
}

// Upserts the base vectors as one-chunk documents "0", "1", ... in batches.
double Ingest(VectorStore* store, const std::string& name, const Options& o, const Data& d) {
  const int64_t kBatch = 1000;
  auto start = Clock::now();
  for (int64_t begin = 0; begin < o.size; begin += kBatch) {
    std::vector<Document> docs;
    for (int64_t i = begin; i < std::min(o.size, begin + kBatch); ++i) {
      Document doc;
      doc.id = std::to_string(i);
      doc.text = "generated document " + doc.id;
      doc.metadata = {{"group", i % 100}};
      imi::store::Chunk chunk;
      chunk.text = doc.text;
      chunk.vector.assign(&d.base[static_cast<size_t>(i) * o.dim], &d.base[static_cast<size_t>(i + 1) * o.dim]);
      doc.chunks.push_back(std::move(chunk));
      docs.push_back(std::move(doc));
    }
    auto r = store->Upsert(name, std::move(docs));
    if (!Check(r.status(), "upsert")) std::exit(1);
  }
  return Seconds(start, Clock::now());
}

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// Nearest-rank percentile (sorts `v`).
double Percentile(std::vector<double>* v, double p) {
  std::sort(v->begin(), v->end());
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v->size())));
  return (*v)[std::min(v->size() - 1, rank == 0 ? 0 : rank - 1)];
}

struct Row {
  std::string system;
  std::string setting;
  double p50_ms = 0, p99_ms = 0, qps = 0, recall = 0;
  double cpu_p50_ms = 0, cpu_p99_ms = 0;  // this thread's CPU time per query
  int queries = 0;
};

Row Measure(VectorStore* store, const std::string& name, const Options& o, const Data& d,
            const std::vector<std::vector<int64_t>>& truth, int ef, bool exact, int queries) {
  std::vector<double> ms, cpu_ms;
  double hits = 0;
  auto start = Clock::now();
  for (int q = 0; q < queries; ++q) {
    SearchRequest request;
    request.vector.assign(&d.queries[static_cast<size_t>(q) * o.dim], &d.queries[static_cast<size_t>(q + 1) * o.dim]);
    request.k = o.k;
    request.ef_search = ef;
    request.exact = exact;
    double c0 = ThreadCpuMs();
    auto t0 = Clock::now();
    auto response = store->Search(name, request);
    ms.push_back(Seconds(t0, Clock::now()) * 1e3);
    cpu_ms.push_back(ThreadCpuMs() - c0);
    if (!Check(response.status(), "search")) std::exit(1);
    std::unordered_set<int64_t> want(truth[q].begin(), truth[q].end());
    for (const auto& hit : response->hits) hits += want.count(std::stoll(hit.document_id));
  }
  double total = Seconds(start, Clock::now());
  Row row;
  row.p50_ms = Percentile(&ms, 0.50);
  row.p99_ms = Percentile(&ms, 0.99);
  row.cpu_p50_ms = Percentile(&cpu_ms, 0.50);
  row.cpu_p99_ms = Percentile(&cpu_ms, 0.99);
  row.qps = queries / total;
  row.recall = hits / (static_cast<double>(queries) * o.k);
  row.queries = queries;
  return row;
}

void Print(const Row& r) {
  std::printf("| %s | %s | %d | %.2f | %.2f | %.2f | %.2f | %.0f | %.3f |\n", r.system.c_str(), r.setting.c_str(),
              r.queries, r.p50_ms, r.p99_ms, r.cpu_p50_ms, r.cpu_p99_ms, r.qps, r.recall);
  std::fflush(stdout);
}

// Runs SQL on a side connection (index maintenance for bulk loading).
bool PgExec(const std::string& dsn, const std::string& sql) {
  PGconn* conn = PQconnectdb(dsn.c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    PGresult* r = PQexec(conn, sql.c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) std::fprintf(stderr, "store_bench: %s: %s", sql.c_str(), PQerrorMessage(conn));
    PQclear(r);
  }
  PQfinish(conn);
  return ok;
}

std::string PgChunksTable(const std::string& dsn, const std::string& name) {
  PGconn* conn = PQconnectdb(dsn.c_str());
  std::string table;
  const char* values[1] = {name.c_str()};
  PGresult* r = PQexecParams(conn, "SELECT id FROM imi_collections WHERE name = $1", 1, nullptr, values, nullptr,
                             nullptr, 0);
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) table = std::string("imi_chunks_") + PQgetvalue(r, 0, 0);
  PQclear(r);
  PQfinish(conn);
  return table;
}

std::string LoadAverage() {
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) != 3) return "unknown";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f %.1f %.1f", load[0], load[1], load[2]);
  return buf;
}

std::vector<int> ParseList(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::atoi(item.c_str()));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const char* env = std::getenv("IMI_PG_DSN")) o.pg = env;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--size") o.size = std::atoll(value.c_str());
    else if (flag == "--dim") o.dim = std::atoi(value.c_str());
    else if (flag == "--queries") o.queries = std::atoi(value.c_str());
    else if (flag == "--k") o.k = std::atoi(value.c_str());
    else if (flag == "--ef") o.ef = ParseList(value);
    else if (flag == "--exact-queries") o.exact_queries = std::atoi(value.c_str());
    else if (flag == "--m") o.m = std::atoi(value.c_str());
    else if (flag == "--ef-construction") o.ef_construction = std::atoi(value.c_str());
    else if (flag == "--pg") o.pg = value;
    else if (flag == "--dir") o.dir = value;
    else if (flag == "--seed") o.seed = static_cast<uint32_t>(std::atoi(value.c_str()));
    else if (flag == "--reuse") o.reuse = value == "1" || value == "true";
    else {
      std::fprintf(stderr, "store_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (o.size < o.k || o.dim < 1 || o.queries < 1 || o.m < 2 || o.ef_construction < 1) {
    std::fprintf(stderr, "store_bench: need --size >= --k, --dim >= 1, --queries >= 1, --m >= 2, --ef-construction >= 1\n");
    return 2;
  }
  if (o.dir.empty()) o.dir = (std::filesystem::temp_directory_path() / ("imi-store-bench-" + std::to_string(o.size))).string();
  if (!o.reuse) std::filesystem::remove_all(o.dir);

  std::printf("# store_bench: %lld vectors, %d dims, cosine, %d queries, k=%d, HNSW m=%d ef_construction=%d, "
              "%u hardware threads, distance kernels %s, load average at start %s\n",
              static_cast<long long>(o.size), o.dim, o.queries, o.k, o.m, o.ef_construction,
              std::thread::hardware_concurrency(),
              imi::store::DistanceKernelName(), LoadAverage().c_str());
  auto t0 = Clock::now();
  Data data = Generate(o);
  auto truth = GroundTruth(o, data);
  std::printf("# data + brute-force ground truth: %.1f s\n", Seconds(t0, Clock::now()));

  const std::string name = "bench_" + std::to_string(o.size);
  imi::store::CollectionSpec spec{name, "bench/generated", "1", o.dim, imi::store::Metric::kCosine};
  std::vector<Row> rows;
  {
    imi::store::EmbeddedOptions options;
    options.directory = o.dir;
    options.hnsw_m = o.m;
    options.hnsw_ef_construction = o.ef_construction;
    auto store = imi::store::OpenEmbeddedStore(options);
    if (!Check(store.status(), "open embedded")) return 1;
    auto existing = (*store)->GetCollection(name);
    bool reused = o.reuse && existing.ok() && existing->document_count == o.size;
    if (!reused && !Check((*store)->CreateCollection(spec), "create")) return 1;
    double ingest_s = reused ? 0 : Ingest(store->get(), name, o, data);
    SearchRequest warm;
    warm.vector.assign(data.queries.begin(), data.queries.begin() + o.dim);
    auto b0 = Clock::now();
    if (!Check((*store)->Search(name, warm).status(), "index build")) return 1;
    double build_s = Seconds(b0, Clock::now());
    if (reused) {
      std::printf("# embedded: reused the store in %s; opening its saved HNSW index: %.1f s\n", o.dir.c_str(), build_s);
    } else {
      std::printf("# embedded ingest: %.1f s = %.0f vectors/s (SQLite, WAL, synchronous=FULL, batches of 1000); "
                  "HNSW build + save: %.1f s; together %.0f vectors/s\n",
                  ingest_s, o.size / ingest_s, build_s, o.size / (ingest_s + build_s));
    }
    std::printf("\n| system | setting | queries | p50 ms | p99 ms | client CPU p50 ms | client CPU p99 ms | QPS (1 thread) "
                "| recall@%d |\n|---|---|---|---|---|---|---|---|---|\n", o.k);
    for (int ef : o.ef) {
      Row r = Measure(store->get(), name, o, data, truth, ef, false, o.queries);
      r.system = "embedded HNSW";
      r.setting = "ef=" + std::to_string(ef);
      Print(r);
    }
    Row exact = Measure(store->get(), name, o, data, truth, 0, true, std::min(o.queries, o.exact_queries));
    exact.system = "embedded exact scan";
    exact.setting = "exact";
    Print(exact);
  }
  if (!o.pg.empty()) {
    auto store = imi::store::OpenPostgresStore(o.pg);
    if (!Check(store.status(), "open postgres")) return 1;
    (void)(*store)->DeleteCollection(name);
    if (!Check((*store)->CreateCollection(spec), "create")) return 1;
    std::string table = PgChunksTable(o.pg, name);
    // Bulk load: drop the HNSW index, insert, build it once (pgvector's advice).
    PgExec(o.pg, "DROP INDEX IF EXISTS \"" + table + "_embedding_idx\"");
    double ingest_s = Ingest(store->get(), name, o, data);
    auto b0 = Clock::now();
    if (!PgExec(o.pg, "SET maintenance_work_mem = '4GB'; CREATE INDEX \"" + table + "_embedding_idx\" ON \"" + table +
                          "\" USING hnsw (embedding vector_cosine_ops) WITH (m = " + std::to_string(o.m) +
                          ", ef_construction = " + std::to_string(o.ef_construction) + ")"))
      return 1;
    double build_s = Seconds(b0, Clock::now());
    std::printf("\n# pgvector ingest: %.1f s = %.0f vectors/s (no index, batches of 1000); HNSW build: %.1f s; together %.0f vectors/s\n",
                ingest_s, o.size / ingest_s, build_s, o.size / (ingest_s + build_s));
    for (int ef : o.ef) {
      Row r = Measure(store->get(), name, o, data, truth, std::min(ef, 1000), false, o.queries);
      r.system = "pgvector HNSW";
      r.setting = "ef_search=" + std::to_string(std::min(ef, 1000));
      Print(r);
    }
    Row exact = Measure(store->get(), name, o, data, truth, 0, true, std::min(o.queries, o.exact_queries));
    exact.system = "pgvector exact scan";
    exact.setting = "exact";
    Print(exact);
    (void)(*store)->DeleteCollection(name);
  }
  if (!o.reuse) std::filesystem::remove_all(o.dir);
  std::printf("\n# load average at end: %s (2 cores shared with other work: p99 includes scheduling delays)\n",
              LoadAverage().c_str());
  return 0;
}
