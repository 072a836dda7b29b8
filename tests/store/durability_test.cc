// kill -9 of a writer process: acknowledged batches survive, a batch cut
// short leaves nothing behind. The writer is the store_writer helper.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

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

}  // namespace
}  // namespace imi::store
