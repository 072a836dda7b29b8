#ifndef IMI_STORE_CRAWL_STATE_H_
#define IMI_STORE_CRAWL_STATE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "store/vector_store.h"

namespace imi::store {

// What `imi crawl` remembers about one URL of a collection, between runs
// and across a crash. The store keeps `data` as given (JSON object); its
// fields belong to the crawler (docs/crawl.md).
struct CrawlRecord {
  std::string url;         // normalised URL, the key within the collection
  int64_t queued_run = 0;  // the last run that queued the URL
  int64_t done_run = 0;    // the last run that finished it (0: never)
  nlohmann::json data = nlohmann::json::object();
};

// One crawl run of a collection: run numbers count 1, 2, ... per collection.
struct CrawlRun {
  int64_t run = 0;
  bool finished = false;
  std::string started_at;   // UTC, ISO 8601
  std::string finished_at;  // "" while unfinished
  nlohmann::json info = nlohmann::json::object();
};

// Crawl state kept in the same store as the collection's documents (tables
// imi_crawl_runs and imi_crawl_urls, crawl-state schema version 1, in
// docs/store-format.md and docs/sql-schema.md), removed with the
// collection. Every call is atomic and durable when it returns OK.
// Thread-safe. Errors: NotFound when the collection does not exist;
// Unavailable when the database is unreachable.
class CrawlStateStore {
 public:
  virtual ~CrawlStateStore() = default;

  // The collection's latest run; NotFound when it was never crawled.
  virtual Result<CrawlRun> LatestRun(const std::string& collection) = 0;
  // Records the start of run `run` with `info`. FailedPrecondition when a
  // run with this number exists.
  virtual Status StartRun(const std::string& collection, int64_t run, const nlohmann::json& info) = 0;
  // Marks `run` finished and replaces its info. NotFound for an unknown run.
  virtual Status FinishRun(const std::string& collection, int64_t run, const nlohmann::json& info) = 0;

  // Every record of the collection, in URL order.
  virtual Result<std::vector<CrawlRecord>> LoadRecords(const std::string& collection) = 0;
  // Inserts or replaces `records` (by URL) in one transaction; of records
  // with the same URL the last wins.
  virtual Status SaveRecords(const std::string& collection, const std::vector<CrawlRecord>& records) = 0;
  // Removes the records of `urls` (absent ones are ignored) in one transaction.
  virtual Status DeleteRecords(const std::string& collection, const std::vector<std::string>& urls) = 0;
};

// The crawl state next to the vector store at `location` (same rules as
// OpenVectorStore: --pg DSN, IMI_PG_DSN, else the embedded directory).
// Creates its tables if needed. Open the vector store first: the embedded
// database and PostgreSQL schema are created by it.
Result<std::unique_ptr<CrawlStateStore>> OpenCrawlState(const StoreLocation& location);

// Backends, for tests: the embedded store's SQLite file in `directory`, or
// PostgreSQL at `dsn`.
Result<std::unique_ptr<CrawlStateStore>> OpenEmbeddedCrawlState(const std::string& directory);
Result<std::unique_ptr<CrawlStateStore>> OpenPostgresCrawlState(const std::string& dsn);

}  // namespace imi::store

#endif  // IMI_STORE_CRAWL_STATE_H_
