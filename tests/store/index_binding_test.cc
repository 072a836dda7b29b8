// The embedded store's HNSW file is bound to the database that wrote it and
// follows other processes' writes incrementally: a file of another store,
// a damaged file or a row with a damaged vector is repaired with a log line
// and never yields wrong results or an unsearchable collection.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "base/log.h"
#include "store/vector_store.h"
#include "store_test_util.h"

namespace imi::store {
namespace {

using testing::Doc;
using testing::RandomVector;
using testing::TempDir;

constexpr int kDim = 16;

// Collects log lines while alive.
class LogCapture {
 public:
  LogCapture() {
    previous_ = SetLogSink([this](std::string_view line) {
      std::lock_guard<std::mutex> lock(mu_);
      lines_.emplace_back(line);
    });
  }
  ~LogCapture() { SetLogSink(previous_); }
  // Lines containing `needle`.
  std::vector<std::string> With(const std::string& needle) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const std::string& line : lines_)
      if (line.find(needle) != std::string::npos) out.push_back(line);
    return out;
  }
  std::string All() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const std::string& line : lines_) out += line + "\n";
    return out;
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.clear();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
  LogSink previous_;
};

EmbeddedOptions Options(const std::string& dir) {
  EmbeddedOptions options;
  options.directory = dir;
  options.exact_threshold = 50;
  return options;
}

std::unique_ptr<VectorStore> Open(const std::string& dir) {
  auto store = OpenEmbeddedStore(Options(dir));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

const CollectionSpec kSpec{"bound", "test/model", "r1", kDim, Metric::kCosine};

// `n` documents "<prefix><i>" with random vectors, kept in *vectors.
std::vector<Document> Docs(const std::string& prefix, int n, std::mt19937* rng,
                           std::vector<std::pair<std::string, std::vector<float>>>* vectors) {
  std::vector<Document> docs;
  for (int i = 0; i < n; ++i) {
    std::vector<float> v = RandomVector(rng, kDim);
    vectors->emplace_back(prefix + std::to_string(i), v);
    docs.push_back(Doc(prefix + std::to_string(i), v));
  }
  return docs;
}

// How many documents are their own nearest neighbour through the ANN path.
int FindThemselves(VectorStore* store, const std::vector<std::pair<std::string, std::vector<float>>>& docs) {
  int found = 0;
  for (const auto& [id, vector] : docs) {
    SearchRequest request;
    request.vector = vector;
    request.k = 1;
    auto response = store->Search(kSpec.name, request);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    if (!response.ok()) continue;
    EXPECT_FALSE(response->exact);
    if (!response->hits.empty() && response->hits[0].document_id == id) ++found;
  }
  return found;
}

std::string IndexFile(const std::string& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/index"))
    if (entry.path().extension() == ".hnsw") return entry.path().string();
  return "";
}

void RunSql(const std::string& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/imi.sqlite3").c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

TEST(IndexBindingTest, IndexFileOfADeletedDatabaseIsRebuiltNotServed) {
  TempDir dir;
  LogCapture log;
  std::mt19937 rng(1);
  std::vector<std::pair<std::string, std::vector<float>>> old_docs, new_docs;
  {
    auto store = Open(dir.path());
    ASSERT_TRUE(store->CreateCollection(kSpec).ok());
    ASSERT_TRUE(store->Upsert(kSpec.name, Docs("old", 200, &rng, &old_docs)).ok());
    EXPECT_EQ(FindThemselves(store.get(), old_docs), 200);
    ASSERT_TRUE(store->Flush().ok());
  }
  ASSERT_NE(IndexFile(dir.path()), "");
  // The database goes; the index directory stays. A new database gets the
  // same collection id and, after as many batches, the same data version.
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(dir.path() + "/imi.sqlite3" + suffix);
  log.Clear();
  auto store = Open(dir.path());
  ASSERT_TRUE(store->CreateCollection(kSpec).ok());
  ASSERT_TRUE(store->Upsert(kSpec.name, Docs("new", 200, &rng, &new_docs)).ok());
  EXPECT_EQ(FindThemselves(store.get(), new_docs), 200);
  const auto rebuilt = log.With("another store");
  ASSERT_EQ(rebuilt.size(), 1u) << log.All();
  EXPECT_NE(rebuilt[0].find("rebuilding the search index"), std::string::npos) << rebuilt[0];
  EXPECT_NE(rebuilt[0].find("\"bound\""), std::string::npos) << rebuilt[0];
}

TEST(IndexBindingTest, DamagedIndexFileIsRebuiltWithALogLine) {
  TempDir dir;
  std::mt19937 rng(2);
  std::vector<std::pair<std::string, std::vector<float>>> docs;
  {
    auto store = Open(dir.path());
    ASSERT_TRUE(store->CreateCollection(kSpec).ok());
    ASSERT_TRUE(store->Upsert(kSpec.name, Docs("d", 120, &rng, &docs)).ok());
    ASSERT_TRUE(store->PrepareIndex(kSpec.name).ok());
  }
  const std::string file = IndexFile(dir.path());
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x5a');
  }
  LogCapture log;
  auto store = Open(dir.path());
  EXPECT_EQ(FindThemselves(store.get(), docs), 120);
  const auto lines = log.With("rebuilding the search index");
  ASSERT_EQ(lines.size(), 1u) << log.All();
  EXPECT_NE(lines[0].find("checksum"), std::string::npos) << lines[0];
}

TEST(IndexBindingTest, WrongSizeVectorCostsOnlyItsChunkAndIsReportedByDocument) {
  TempDir dir;
  std::mt19937 rng(3);
  std::vector<std::pair<std::string, std::vector<float>>> docs;
  {
    auto store = Open(dir.path());
    ASSERT_TRUE(store->CreateCollection(kSpec).ok());
    ASSERT_TRUE(store->Upsert(kSpec.name, Docs("d", 100, &rng, &docs)).ok());
  }
  RunSql(dir.path(), "UPDATE chunks SET vector = x'00112233' WHERE document_id = 'd7'");
  LogCapture log;
  auto store = Open(dir.path());
  for (bool exact : {true, false}) {
    SearchRequest request;
    request.vector = docs[3].second;
    request.k = 5;
    request.exact = exact;
    auto response = store->Search(kSpec.name, request);
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_EQ(response->exact, exact);
    ASSERT_FALSE(response->hits.empty());
    EXPECT_EQ(response->hits[0].document_id, "d3");
    for (const SearchHit& hit : response->hits) EXPECT_NE(hit.document_id, "d7");
  }
  const auto lines = log.With("left out of searches");
  ASSERT_EQ(lines.size(), 1u) << log.All();
  EXPECT_NE(lines[0].find("document \"d7\" chunk 0"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("4 bytes"), std::string::npos) << lines[0];
  // Storing the document again repairs it.
  std::vector<float> fresh = RandomVector(&rng, kDim);
  ASSERT_TRUE(store->Upsert(kSpec.name, {Doc("d7", fresh)}).ok());
  SearchRequest request;
  request.vector = fresh;
  request.k = 1;
  auto response = store->Search(kSpec.name, request);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->hits.size(), 1u);
  EXPECT_EQ(response->hits[0].document_id, "d7");
}

TEST(IndexBindingTest, WritesOfAnotherProcessAreTakenInWithoutARebuild) {
  TempDir dir;
  std::mt19937 rng(4);
  std::vector<std::pair<std::string, std::vector<float>>> first, second, replaced;
  auto reader = Open(dir.path());
  ASSERT_TRUE(reader->CreateCollection(kSpec).ok());
  ASSERT_TRUE(reader->Upsert(kSpec.name, Docs("a", 300, &rng, &first)).ok());
  LogCapture log;
  EXPECT_EQ(FindThemselves(reader.get(), first), 300);
  ASSERT_EQ(log.With("building the search index").size(), 1u) << log.All();

  // Another store object has its own connections and index state, as
  // another process has: it adds, replaces and deletes documents.
  auto writer = Open(dir.path());
  for (int batch = 0; batch < 3; ++batch) ASSERT_TRUE(writer->Upsert(kSpec.name, Docs("b" + std::to_string(batch) + "-", 40, &rng, &second)).ok());
  ASSERT_TRUE(writer->Upsert(kSpec.name, Docs("a", 10, &rng, &replaced)).ok());  // a0..a9 get new vectors
  for (int i = 10; i < 20; ++i) ASSERT_TRUE(writer->DeleteDocument(kSpec.name, "a" + std::to_string(i)).ok());

  EXPECT_EQ(FindThemselves(reader.get(), second), 120);
  EXPECT_EQ(FindThemselves(reader.get(), replaced), 10);
  for (int i = 10; i < 20; ++i) {
    SearchRequest request;
    request.vector = first[static_cast<size_t>(i)].second;
    request.k = 3;
    auto response = reader->Search(kSpec.name, request);
    ASSERT_TRUE(response.ok());
    EXPECT_FALSE(response->exact);
    for (const SearchHit& hit : response->hits) EXPECT_NE(hit.document_id, "a" + std::to_string(i));
  }
  EXPECT_EQ(log.With("building the search index").size(), 1u) << "another process's writes forced a rebuild:\n"
                                                              << log.All();
  // The caught-up index is saved by Flush and opened by a third process as is.
  ASSERT_TRUE(reader->Flush().ok());
  auto third = Open(dir.path());
  EXPECT_EQ(FindThemselves(third.get(), second), 120);
  EXPECT_EQ(log.With("building the search index").size(), 1u) << log.All();
  EXPECT_TRUE(log.With("rebuilding").empty()) << log.All();
}

}  // namespace
}  // namespace imi::store
