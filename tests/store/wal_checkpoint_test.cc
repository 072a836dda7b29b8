// The embedded store's WAL stays bounded while readers that always overlap
// search and another store object (as another process) keeps writing:
// SQLite's passive checkpoints alone never find a moment to restart it, and
// it grew to 2.6 times the database.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "store/vector_store.h"
#include "store_test_util.h"

namespace imi::store {
namespace {

using testing::Doc;
using testing::RandomVector;
using testing::TempDir;

int64_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

TEST(WalCheckpointTest, WalStaysBoundedUnderOverlappingReadersAndAWriter) {
  TempDir dir;
  EmbeddedOptions options;
  options.directory = dir.path();
  options.exact_threshold = 1 << 30;  // exact scans: long read transactions
  const int dim = 1024;               // 4 KiB per vector
  const CollectionSpec spec{"wal", "test/model", "r1", dim, Metric::kCosine};
  auto writer = OpenEmbeddedStore(options);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->CreateCollection(spec).ok());
  std::mt19937 rng(5);
  ASSERT_TRUE((*writer)->Upsert(spec.name, {Doc("seed", RandomVector(&rng, dim))}).ok());

  auto readers = OpenEmbeddedStore(options);
  ASSERT_TRUE(readers.ok());
  std::atomic<bool> stop{false};
  std::atomic<int> searches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 local(100 + t);
      while (!stop) {
        SearchRequest request;
        request.vector = RandomVector(&local, dim);
        request.k = 3;
        if ((*readers)->Search(spec.name, request).ok()) ++searches;
      }
    });
  }
  const std::string db = dir.path() + "/imi.sqlite3";
  int64_t peak_wal = 0;
  int batch = 0;
  while (FileSize(db) + FileSize(db + "-wal") < (40 << 20) && batch < 400) {
    std::vector<Document> docs;
    for (int i = 0; i < 64; ++i) {
      std::string id = "b";
      id.append(std::to_string(batch)).append("-").append(std::to_string(i));
      docs.push_back(Doc(id, RandomVector(&rng, dim)));
    }
    ASSERT_TRUE((*writer)->Upsert(spec.name, std::move(docs)).ok());
    peak_wal = std::max(peak_wal, FileSize(db + "-wal"));
    ++batch;
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  EXPECT_GT(searches.load(), 10);
  const int64_t data = FileSize(db) + FileSize(db + "-wal");
  ASSERT_GE(data, 36 << 20) << "the writer wrote too little to tell";
  // 16 MiB of frames trigger the truncation; one batch (~260 KiB) may follow.
  EXPECT_LT(peak_wal, 20 << 20) << "peak WAL " << peak_wal << " bytes beside a database of " << FileSize(db)
                                << " bytes after " << batch << " batches";
}

}  // namespace
}  // namespace imi::store
