// kill -9 of a writer process: acknowledged batches survive, a batch cut
// short leaves nothing behind. The writer is the store_writer helper.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include "analysis/analyzer.h"
#include "lexical/bm25.h"

#include "store/vector_store.h"
#include "store_test_util.h"

namespace imi::store {
namespace {

using testing::TempDir;

// A child process running store_writer with its stdout on a pipe.
class Writer {
 public:
  explicit Writer(const std::vector<std::string>& args) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      std::string binary = std::string(IMI_BINARY_DIR) + "/tests/store/store_writer";
      std::vector<char*> argv;
      argv.push_back(binary.data());
      std::vector<std::string> copy = args;
      for (std::string& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = ::fdopen(fds[0], "r");
  }
  ~Writer() {
    Kill();
    if (out_) std::fclose(out_);
  }
  // Next line of output without the newline; empty at end of output.
  std::string ReadLine() {
    char buf[256];
    if (!out_ || !std::fgets(buf, sizeof(buf), out_)) return "";
    std::string line(buf);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return line;
  }
  void Kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }
  bool started() const { return pid_ > 0 && out_ != nullptr; }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

int64_t Count(const std::string& db_path, const char* sql) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

TEST(DurabilityTest, EveryAcknowledgedBatchSurvivesKillNine) {
  TempDir dir;
  int last_ack = -1;
  {
    Writer writer({dir.path(), "batches"});
    ASSERT_TRUE(writer.started());
    while (last_ack < 20) {
      std::string line = writer.ReadLine();
      ASSERT_EQ(line.rfind("ACK ", 0), 0u) << "writer said: " << line;
      last_ack = std::stoi(line.substr(4));
    }
    writer.Kill();
  }
  EmbeddedOptions options;
  options.directory = dir.path();
  auto store = OpenEmbeddedStore(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int batch = 0; batch <= last_ack; ++batch) {
    for (int i = 0; i < 10; ++i) {
      std::string id = std::string("b") + std::to_string(batch) + "-" + std::to_string(i);
      auto doc = (*store)->GetDocument("durable", id);
      ASSERT_TRUE(doc.ok()) << id << ": " << doc.status().ToString();
      EXPECT_EQ(doc->chunks.size(), 1u);
    }
  }
  auto info = (*store)->GetCollection("durable");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->document_count % 10, 0) << "a batch was half written";
  EXPECT_GE(info->document_count, (last_ack + 1) * 10);
}

TEST(DurabilityTest, KillDuringALargeBatchLeavesNoHalfWrittenDocument) {
  TempDir dir;
  const int kDocs = 200000;  // takes seconds to write, so the kill lands mid-transaction
  bool acknowledged = false;
  {
    Writer writer({dir.path(), "big", std::to_string(kDocs)});
    ASSERT_TRUE(writer.started());
    ASSERT_EQ(writer.ReadLine(), "BEGIN");
    // Let the transaction get well under way before pulling the plug.
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    writer.Kill();
    acknowledged = writer.ReadLine() == "ACK";
  }
  ASSERT_FALSE(acknowledged) << "the batch finished before the kill; the test needs a larger batch";
  std::string db = dir.path() + "/imi.sqlite3";
  EmbeddedOptions options;
  options.directory = dir.path();
  {
    auto store = OpenEmbeddedStore(options);  // recovers the WAL
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto info = (*store)->GetCollection("durable");
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->document_count, 0);
    EXPECT_EQ((*store)->GetDocument("durable", "big-0").status().code(), StatusCode::kNotFound);
  }
  EXPECT_EQ(Count(db, "SELECT count(*) FROM documents"), 0);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM chunks"), 0);
}

TEST(DurabilityTest, ReadersDuringIngestionSeeOnlyWholeBatches) {
  TempDir dir;
  // At most 5,000 documents, so one search with k = 10,000 sees them all.
  Writer writer({dir.path(), "batches", "500"});
  ASSERT_TRUE(writer.started());
  ASSERT_EQ(writer.ReadLine(), "ACK 0");
  EmbeddedOptions options;
  options.directory = dir.path();
  options.exact_threshold = 0;
  auto store = OpenEmbeddedStore(options);
  ASSERT_TRUE(store.ok());
  for (int round = 0; round < 30; ++round) {
    writer.ReadLine();
    SearchRequest request;
    request.vector.assign(32, 1.0f);
    request.k = 10000;
    request.exact = round % 2 == 0;
    auto response = (*store)->Search("durable", request);
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    std::map<std::string, int> per_batch;
    for (const SearchHit& hit : response->hits) per_batch[hit.document_id.substr(0, hit.document_id.find('-'))]++;
    ASSERT_LT(response->hits.size(), 10000u);
    if (!request.exact) continue;  // HNSW may miss a document; exact may not
    for (const auto& [batch, n] : per_batch) EXPECT_EQ(n, 10) << "batch " << batch << " is partly visible";
  }
}

// kill -9 in the middle of lexical ingestion (batches with replacements and
// deletes): after recovery the term lists, the in-memory index built from
// them and the dense vectors all agree with the stored documents.
TEST(DurabilityTest, KillDuringLexicalIngestionLeavesLexicalAndDenseIndexesAgreeing) {
  TempDir dir;
  int last_ack = -1;
  {
    Writer writer({dir.path(), "lexical"});
    ASSERT_TRUE(writer.started());
    while (last_ack < 12) {
      std::string line = writer.ReadLine();
      ASSERT_EQ(line.rfind("ACK ", 0), 0u) << "writer said: " << line;
      last_ack = std::stoi(line.substr(4));
    }
    writer.Kill();  // usually in the middle of the next batch
  }
  const std::string db = dir.path() + "/imi.sqlite3";
  EmbeddedOptions options;
  options.directory = dir.path();
  options.exact_threshold = 0;  // dense searches go through the HNSW index
  auto opened = OpenEmbeddedStore(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  VectorStore* store = opened->get();
  // No term list or sparse vector outlives its chunk, and every chunk with
  // text has its term lists.
  EXPECT_EQ(Count(db, "SELECT count(*) FROM chunk_terms WHERE chunk_id NOT IN (SELECT id FROM chunks)"), 0);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM chunk_sparse WHERE chunk_id NOT IN (SELECT id FROM chunks)"), 0);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM chunks c WHERE (SELECT count(*) FROM chunk_terms t WHERE t.chunk_id = "
                      "c.id) <> 2"),
            0);
  // Every stored document is found by its text, by its vector and by its
  // sparse vector; the chunk statistics equal a count over the documents.
  std::vector<Document> docs;
  // The writer may have committed a few batches after the last ACK read.
  for (int batch = 0; batch <= last_ack + 50; ++batch) {
    for (int i = 0; i < 10; ++i) {
      auto doc = store->GetDocument("lexdurable", std::string("b") + std::to_string(batch) + "-" + std::to_string(i));
      if (doc.ok()) docs.push_back(*doc);
    }
  }
  auto info = store->GetCollection("lexdurable");
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(static_cast<int64_t>(docs.size()), info->document_count);
  ASSERT_GE(docs.size(), static_cast<size_t>((last_ack + 1) * 8));
  auto analyzer = *analysis::GetAnalyzer("ja-mecab");
  int64_t chunks_with_terms = 0;
  for (const Document& doc : docs) {
    for (const Chunk& c : doc.chunks) chunks_with_terms += lexical::CountTerms(*analyzer->Analyze(c.text)).length > 0;
  }
  for (const Document& doc : docs) {
    SCOPED_TRACE(doc.id);
    LexicalSearchRequest lexical_request;
    lexical_request.query = doc.chunks[0].text;
    lexical_request.analyzer = "ja-bigram";
    lexical_request.k = 10000;
    auto found = store->SearchLexical("lexdurable", lexical_request);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    bool in_lexical = false;
    for (const SearchHit& hit : found->hits) in_lexical = in_lexical || (hit.document_id == doc.id && hit.chunk.ordinal == 0);
    EXPECT_TRUE(in_lexical);
    SearchRequest dense;
    dense.vector = doc.chunks[0].vector;
    dense.k = 1;
    dense.exact = true;
    auto nearest = store->Search("lexdurable", dense);
    ASSERT_TRUE(nearest.ok());
    ASSERT_EQ(nearest->hits.size(), 1u);
    EXPECT_NEAR(nearest->hits[0].score, 1.0, 1e-6);
    SparseSearchRequest sparse;
    sparse.vector = doc.chunks[0].sparse;
    sparse.k = 1000;
    auto by_sparse = store->SearchSparse("lexdurable", sparse);
    ASSERT_TRUE(by_sparse.ok());
    bool listed = false;
    for (const SearchHit& hit : by_sparse->hits) listed = listed || hit.document_id == doc.id;
    EXPECT_TRUE(listed);
  }
  // A term every first chunk has ("案内"): its BM25 over all chunks equals
  // the formula with N and df counted from the documents.
  LexicalSearchRequest common;
  common.query = "案内";
  common.k = 10000;
  auto ranked = store->SearchLexical("lexdurable", common);
  ASSERT_TRUE(ranked.ok());
  ASSERT_EQ(ranked->hits.size(), docs.size());
  int64_t total = 0;
  for (const Document& doc : docs) {
    for (const Chunk& c : doc.chunks) total += lexical::CountTerms(*analyzer->Analyze(c.text)).length;
  }
  const double avgdl = static_cast<double>(total) / static_cast<double>(chunks_with_terms);
  const double idf = lexical::Bm25Idf(static_cast<int64_t>(docs.size()), chunks_with_terms);
  for (const SearchHit& hit : ranked->hits) {
    const Document& doc = *std::find_if(docs.begin(), docs.end(), [&](const Document& d) { return d.id == hit.document_id; });
    const lexical::TermCounts counts = lexical::CountTerms(*analyzer->Analyze(doc.chunks[0].text));
    EXPECT_NEAR(hit.score, lexical::Bm25TermScore(1, idf, 1, counts.length, avgdl, {}), 1e-9) << hit.document_id;
  }
}

}  // namespace
}  // namespace imi::store
