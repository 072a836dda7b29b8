// Lexical search speed at 100k and 1M chunks (bench/lexical_speed.sh):
// ingestion rate and query latency (p50, p99, k = 10, text of the hits
// fetched) of imi's embedded store (ja-mecab, BM25), beside SQLite FTS5 with
// the trigram tokenizer and PostgreSQL full-text search ('simple' config
// over the MeCab-segmented text, GIN index, ts_rank), and optionally imi's
// PostgreSQL backend, all on the same chunks and queries in one run.
//
// Chunks: 2-5 sentences drawn (seeded) from JSQuAD paragraphs and JSTS
// captions, four chunks per document. Queries: JSQuAD questions. Peers are
// queried with the OR of the query's ja-mecab terms (FTS5: each quoted;
// PostgreSQL: a tsquery of quoted lexemes); their latency includes segmenting
// the query with MeCab, as imi's includes analysing it.
#include <sqlite3.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analyzer.h"
#include "bench/lexical/jsquad.h"
#include "lexical/bm25.h"
#include "store/embedded/lexical_index.h"
#include "store/postgres/pg_connection.h"
#include "store/vector_store.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kChunksPerDocument = 4;

struct Options {
  size_t chunks = 100000;
  size_t queries = 1000;
  std::string pg;
  std::string work = "/tmp/imi-lexical-speed";
  bool imi_pg = false;
  bool imi_only = false;  // --imi-only: no peers (for profiling imi alone)
  size_t slowest = 0;     // --slowest N: print imi's N slowest queries
  bool index_memory = false;  // --index-memory: the in-memory index's postings and bounds, then exit
  size_t filter_mod = 0;      // --filter-mod M: documents get {"g": i mod M}; imi's queries keep g = 0
};
Options g_options;

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double Seconds(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

long RssMb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6) / 1024;
  }
  return 0;
}

std::vector<std::string> Sentences() {
  std::vector<std::string> out;
  const imi::bench::JsquadTask task = imi::bench::LoadJsquad(IMI_SHARED_DIR "/data/jglue/jsquad/valid-v1.3.json");
  for (const std::string& doc : task.documents) {
    std::string sentence;
    for (size_t i = 0; i < doc.size();) {
      sentence += doc[i];
      if (doc.compare(i, 3, "\xE3\x80\x82") == 0) {  // 。
        sentence += doc.substr(i + 1, 2);
        i += 3;
        out.push_back(sentence);
        sentence.clear();
        continue;
      }
      ++i;
    }
  }
  std::ifstream in(IMI_SHARED_DIR "/data/jglue/jsts/train-v1.3.json");
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    out.push_back(j.value("sentence1", ""));
    out.push_back(j.value("sentence2", ""));
  }
  return out;
}

std::vector<std::string> MakeChunks(size_t n) {
  const std::vector<std::string> sentences = Sentences();
  std::mt19937 rng(20261205);
  std::uniform_int_distribution<size_t> pick(0, sentences.size() - 1);
  std::vector<std::string> chunks(n);
  for (std::string& c : chunks) {
    const int k = 2 + static_cast<int>(rng() % 4);
    for (int i = 0; i < k; ++i) c += sentences[pick(rng)];
  }
  return chunks;
}

struct Latency {
  double p50 = 0, p99 = 0, mean = 0;
  size_t empty = 0;
};

Latency Summarise(std::vector<double> ms, size_t empty) {
  std::sort(ms.begin(), ms.end());
  Latency l;
  l.p50 = ms[ms.size() / 2];
  l.p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  for (double x : ms) l.mean += x;
  l.mean /= static_cast<double>(ms.size());
  l.empty = empty;
  return l;
}

void Row(const char* system, double ingest_s, size_t chunks, const Latency& l, const std::string& note) {
  std::printf("| %s | %.0f | %.2f | %.2f | %.2f | %zu | %s |\n", system, static_cast<double>(chunks) / ingest_s, l.p50,
              l.p99, l.mean, l.empty, note.c_str());
  std::fflush(stdout);
}

std::vector<std::string> Terms(const imi::analysis::Analyzer& analyzer, const std::string& text) {
  std::vector<std::string> out;
  auto tokens = analyzer.Analyze(text);
  if (!tokens.ok()) {
    std::fprintf(stderr, "lexical_speed: %s\n", tokens.status().ToString().c_str());
    std::exit(1);
  }
  for (const auto& t : *tokens) out.push_back(t.term);
  return out;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "lexical_speed: %s\n", what.c_str());
  return 1;
}

// imi (embedded or PostgreSQL backend) through VectorStore.
int RunImi(const char* label, imi::store::VectorStore* store, const std::vector<std::string>& chunks,
           const std::vector<std::string>& queries) {
  imi::store::CollectionSpec spec{"lexspeed", "none", "r", 1, imi::store::Metric::kCosine, {}};
  spec.lexical.analyzers = {"ja-mecab"};
  (void)store->DeleteCollection(spec.name);
  if (auto s = store->CreateCollection(spec); !s.ok()) return Fail(s.ToString());
  const long rss_before = RssMb();
  auto start = Clock::now();
  std::vector<imi::store::Document> batch;
  for (size_t i = 0; i < chunks.size(); i += kChunksPerDocument) {
    imi::store::Document doc;
    doc.id = "d" + std::to_string(i / kChunksPerDocument);
    if (g_options.filter_mod > 0) doc.metadata = {{"g", (i / kChunksPerDocument) % g_options.filter_mod}};
    for (size_t c = i; c < std::min(chunks.size(), i + kChunksPerDocument); ++c) {
      imi::store::Chunk chunk;
      chunk.ordinal = static_cast<int>(c - i);
      chunk.text = chunks[c];
      chunk.vector = {1.0f};
      doc.text += chunks[c];
      doc.chunks.push_back(std::move(chunk));
    }
    batch.push_back(std::move(doc));
    if (batch.size() == 256) {
      if (auto w = store->Upsert(spec.name, std::move(batch)); !w.ok()) return Fail(w.status().ToString());
      batch.clear();
    }
  }
  if (!batch.empty()) {
    if (auto w = store->Upsert(spec.name, std::move(batch)); !w.ok()) return Fail(w.status().ToString());
  }
  const double ingest = Seconds(start);
  imi::store::LexicalSearchRequest request;
  request.k = 10;
  request.include = {true, false, true, false};
  if (g_options.filter_mod > 0) {
    auto filter = imi::store::Filter::Parse(nlohmann::json{{"g", 0}});
    if (!filter.ok()) return Fail(filter.status().ToString());
    request.filter = *filter;
  }
  // The first search builds the in-memory index (embedded) from SQLite.
  start = Clock::now();
  request.query = queries[0];
  if (auto r = store->SearchLexical(spec.name, request); !r.ok()) return Fail(r.status().ToString());
  const double first = Seconds(start);
  std::vector<double> ms, cpu_ms;
  size_t empty = 0;
  for (const std::string& q : queries) {
    request.query = q;
    start = Clock::now();
    const double cpu_start = ThreadCpuMs();
    auto r = store->SearchLexical(spec.name, request);
    ms.push_back(Seconds(start) * 1000);
    cpu_ms.push_back(ThreadCpuMs() - cpu_start);
    if (!r.ok()) return Fail(r.status().ToString());
    empty += r->hits.empty();
  }
  if (g_options.slowest > 0) {
    std::vector<size_t> order(ms.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ms[a] > ms[b]; });
    for (size_t i = 0; i < std::min(g_options.slowest, order.size()); ++i) {
      std::fprintf(stderr, "%.2f ms (CPU %.2f ms)  %s\n", ms[order[i]], cpu_ms[order[i]], queries[order[i]].c_str());
    }
  }
  char note[200];
  const Latency cpu = Summarise(cpu_ms, 0);
  std::snprintf(note, sizeof(note), "first search (index build) %.2f s; RSS +%ld MB; thread CPU p50 %.2f, p99 %.2f ms",
                first, RssMb() - rss_before, cpu.p50, cpu.p99);
  Row(label, ingest, chunks.size(), Summarise(ms, empty), note);
  (void)store->DeleteCollection(spec.name);
  return 0;
}

int RunFts5(const std::string& path, const imi::analysis::Analyzer& analyzer, const std::vector<std::string>& chunks,
            const std::vector<std::string>& queries) {
  std::filesystem::remove(path);
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return Fail("cannot open " + path);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr, nullptr);
  if (sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='trigram')", nullptr, nullptr, nullptr) !=
      SQLITE_OK) {
    return Fail(std::string("fts5: ") + sqlite3_errmsg(db));
  }
  auto start = Clock::now();
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t(body) VALUES(?1)", -1, &insert, nullptr);
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  for (size_t i = 0; i < chunks.size(); ++i) {
    sqlite3_bind_text(insert, 1, chunks[i].data(), static_cast<int>(chunks[i].size()), SQLITE_STATIC);
    sqlite3_step(insert);
    sqlite3_reset(insert);
    if (i % 1024 == 1023) {
      sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr);
    }
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_finalize(insert);
  const double ingest = Seconds(start);
  sqlite3_stmt* query = nullptr;
  sqlite3_prepare_v2(db, "SELECT rowid, body FROM t WHERE t MATCH ?1 ORDER BY rank LIMIT 10", -1, &query, nullptr);
  std::vector<double> ms;
  size_t empty = 0;
  for (const std::string& q : queries) {
    // Segmenting the query is timed, as imi's query analysis is.
    start = Clock::now();
    const std::vector<std::string> terms = Terms(analyzer, q);
    std::string match;
    for (const std::string& t : terms) {
      std::string quoted = "\"";
      for (char c : t) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
      match += (match.empty() ? "" : " OR ") + quoted + "\"";
    }
    size_t rows = 0;
    if (!match.empty()) {
      sqlite3_bind_text(query, 1, match.data(), static_cast<int>(match.size()), SQLITE_TRANSIENT);
      while (sqlite3_step(query) == SQLITE_ROW) ++rows;
      sqlite3_reset(query);
    }
    ms.push_back(Seconds(start) * 1000);
    empty += rows == 0;
  }
  sqlite3_finalize(query);
  sqlite3_close(db);
  Row("SQLite FTS5 trigram (bm25)", ingest, chunks.size(), Summarise(ms, empty),
      "OR of the query's ja-mecab terms; terms under 3 characters cannot match a trigram index");
  return 0;
}

int RunPgFts(const std::string& dsn, const imi::analysis::Analyzer& analyzer, const std::vector<std::string>& chunks,
             const std::vector<std::string>& queries) {
  auto conn = imi::store::PgConnection::Connect(dsn, imi::store::PgDeadlines{5000, 600000}, nullptr);
  if (!conn.ok()) return Fail(conn.status().ToString());
  imi::store::PgConnection& c = **conn;
  (void)c.Run("DROP TABLE IF EXISTS bench_fts");
  if (auto s = c.Run("CREATE TABLE bench_fts (id bigserial PRIMARY KEY, body text NOT NULL, tsv tsvector NOT NULL)");
      !s.ok()) {
    return Fail(s.ToString());
  }
  // Segmentation is counted in the ingestion time, as imi's analysis is.
  auto start = Clock::now();
  for (size_t i = 0; i < chunks.size(); i += 1000) {
    std::string bodies = "{", segmented = "{";
    for (size_t j = i; j < std::min(chunks.size(), i + 1000); ++j) {
      std::string words;
      for (const std::string& t : Terms(analyzer, chunks[j])) words += (words.empty() ? "" : " ") + t;
      for (auto* pair : {&bodies, &segmented}) {
        if (pair->size() > 1) *pair += ',';
        *pair += '"';
      }
      for (char ch : chunks[j]) bodies += (ch == '"' || ch == '\\') ? std::string("\\") + ch : std::string(1, ch);
      for (char ch : words) segmented += (ch == '"' || ch == '\\') ? std::string("\\") + ch : std::string(1, ch);
      bodies += '"';
      segmented += '"';
    }
    bodies += '}';
    segmented += '}';
    if (auto s = c.Run("INSERT INTO bench_fts (body, tsv) SELECT b, to_tsvector('simple', s) FROM unnest($1::text[], "
                       "$2::text[]) AS u(b, s)",
                       {bodies, segmented});
        !s.ok()) {
      return Fail(s.ToString());
    }
  }
  if (auto s = c.Run("CREATE INDEX ON bench_fts USING gin (tsv)"); !s.ok()) return Fail(s.ToString());
  (void)c.Run("ANALYZE bench_fts");
  const double ingest = Seconds(start);
  std::vector<double> ms;
  size_t empty = 0;
  for (const std::string& q : queries) {
    // Segmenting the query is timed, as imi's query analysis is.
    start = Clock::now();
    const std::vector<std::string> terms = Terms(analyzer, q);
    std::string array = "{";
    for (const std::string& t : terms) {
      if (array.size() > 1) array += ',';
      array += '"';
      for (char ch : t) array += (ch == '"' || ch == '\\') ? std::string("\\") + ch : std::string(1, ch);
      array += '"';
    }
    array += '}';
    auto r = c.Exec("WITH q AS (SELECT string_agg(quote_literal(x), ' | ')::tsquery AS q FROM unnest($1::text[]) x) "
                    "SELECT id, body FROM bench_fts, q WHERE tsv @@ q.q ORDER BY ts_rank(tsv, q.q) DESC LIMIT 10",
                    {array});
    ms.push_back(Seconds(start) * 1000);
    if (!r.ok()) return Fail(r.status().ToString());
    empty += r->rows() == 0;
  }
  (void)c.Run("DROP TABLE bench_fts");
  Row("PostgreSQL FTS ('simple' over MeCab words, GIN, ts_rank)", ingest, chunks.size(), Summarise(ms, empty),
      "OR of the query's ja-mecab terms");
  return 0;
}

// The embedded store's in-memory BM25 index built directly from the chunks
// (no SQLite): bytes of postings beside bytes of block-max bounds.
int IndexMemory(const imi::analysis::Analyzer& analyzer, const std::vector<std::string>& chunks) {
  imi::store::LexicalIndex index(1);
  size_t postings = 0;
  auto start = Clock::now();
  for (size_t i = 0; i < chunks.size(); ++i) {
    auto tokens = analyzer.Analyze(chunks[i]);
    if (!tokens.ok()) return Fail(tokens.status().ToString());
    imi::lexical::TermCounts counts = imi::lexical::CountTerms(*tokens);
    postings += counts.terms.size();
    imi::store::LexicalIndex::ChunkRef ref{static_cast<int64_t>(i + 1), "d" + std::to_string(i / kChunksPerDocument),
                                           static_cast<int>(i % kChunksPerDocument)};
    index.Add(ref, {std::move(counts)}, {});
  }
  const auto use = index.Memory();
  std::printf("in-memory BM25 index: %zu postings in %.1f s (analysis included); postings %.1f MB, block-max bounds "
              "%.1f MB (%.1f%% of the postings)\n",
              postings, Seconds(start), static_cast<double>(use.postings) / 1e6,
              static_cast<double>(use.bounds) / 1e6,
              100.0 * static_cast<double>(use.bounds) / static_cast<double>(use.postings));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const char* dsn = std::getenv("IMI_PG_DSN")) o.pg = dsn;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--chunks") o.chunks = std::stoul(next());
    else if (a == "--queries") o.queries = std::stoul(next());
    else if (a == "--pg") o.pg = next();
    else if (a == "--work") o.work = next();
    else if (a == "--imi-pg") o.imi_pg = true;
    else if (a == "--imi-only") o.imi_only = true;
    else if (a == "--slowest") o.slowest = std::stoul(next());
    else if (a == "--index-memory") o.index_memory = true;
    else if (a == "--filter-mod") o.filter_mod = std::stoul(next());
    else return Fail("usage: lexical_speed [--chunks N] [--queries N] [--pg DSN] [--imi-pg] [--imi-only] [--slowest N] "
                       "[--index-memory] [--filter-mod M] [--work DIR]");
  }
  g_options = o;
  auto analyzer = imi::analysis::GetAnalyzer("ja-mecab");
  if (!analyzer.ok()) return Fail(analyzer.status().ToString());
  std::filesystem::create_directories(o.work);
  const std::vector<std::string> chunks = MakeChunks(o.chunks);
  size_t bytes = 0;
  for (const auto& c : chunks) bytes += c.size();
  imi::bench::JsquadTask task = imi::bench::LoadJsquad(IMI_SHARED_DIR "/data/jglue/jsquad/valid-v1.3.json");
  std::mt19937 rng(7);
  std::shuffle(task.queries.begin(), task.queries.end(), rng);
  task.queries.resize(std::min(o.queries, task.queries.size()));
  std::printf("%zu chunks (%.1f MB of text, %d per document), %zu queries, k = 10\n\n", chunks.size(),
              static_cast<double>(bytes) / 1e6, kChunksPerDocument, task.queries.size());
  if (o.index_memory) return IndexMemory(**analyzer, chunks);
  std::printf("| system | ingestion (chunks/s) | p50 (ms) | p99 (ms) | mean (ms) | queries without hits | notes |\n"
              "|---|---|---|---|---|---|---|\n");
  {
    imi::store::EmbeddedOptions options;
    options.directory = o.work + "/imi";
    std::filesystem::remove_all(options.directory);
    auto store = imi::store::OpenEmbeddedStore(options);
    if (!store.ok()) return Fail(store.status().ToString());
    if (int rc = RunImi("imi embedded (ja-mecab, BM25)", store->get(), chunks, task.queries)) return rc;
  }
  std::filesystem::remove_all(o.work + "/imi");
  if (o.imi_only) return 0;
  if (int rc = RunFts5(o.work + "/fts5.sqlite3", **analyzer, chunks, task.queries)) return rc;
  std::filesystem::remove(o.work + "/fts5.sqlite3");
  if (!o.pg.empty()) {
    if (int rc = RunPgFts(o.pg, **analyzer, chunks, task.queries)) return rc;
    if (o.imi_pg) {
      auto store = imi::store::OpenPostgresStore(o.pg);
      if (!store.ok()) return Fail(store.status().ToString());
      if (int rc = RunImi("imi postgres (ja-mecab, BM25)", store->get(), chunks, task.queries)) return rc;
    }
  }
  return 0;
}
