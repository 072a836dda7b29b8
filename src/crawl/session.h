#ifndef IMI_CRAWL_SESSION_H_
#define IMI_CRAWL_SESSION_H_

// Internal to src/crawl: one invocation of RunCrawl. Workers (worker.cc)
// fetch and extract; the committer (commit.cc, the calling thread) embeds,
// writes documents and crawl state and decides deletions; session.cc sets
// up, reports and ties them together.

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "crawl/crawler.h"
#include "crawl/fetcher.h"
#include "crawl/frontier.h"
#include "crawl/robots.h"
#include "search/document_reader.h"

namespace imi::crawl::internal {

// True once RequestCrawlStop was called (a signal arrived).
bool StopRequested();

// What the previous runs left for a URL: validators for a conditional
// request and, for a 304, the links the page had.
struct PrevInfo {
  std::string etag;
  std::string last_modified;
  std::string document_id;
  std::vector<std::string> links;
};

// One finished (or re-queued) task, from a worker to the committer.
struct PageResult {
  Task task;
  std::string outcome;  // docs/crawl.md lists them
  int status = 0;
  std::string reason;
  bool retry = false;  // queued again; nothing to record yet
  std::optional<search::SourceDocument> doc;
  std::string document_id;
  std::string content_hash;
  std::string etag, last_modified, content_type;
  std::string charset, charset_source, charset_declared;
  size_t bytes = 0;
  std::vector<Task> discovered;    // tasks this result queued
  std::vector<std::string> links;  // in-scope links of the page
  std::string alias;               // canonical URL to record as this page's alias
  std::string redirect_to;
  size_t sitemap_entries = 0;
  double fetch_seconds = 0;
  double extract_seconds = 0;
  std::string fetched_at;
};

// Bounded hand-over from the workers to the committer (back-pressure when
// embedding is slower than fetching).
class ResultQueue {
 public:
  explicit ResultQueue(size_t capacity) : capacity_(capacity) {}
  void Push(PageResult result);
  // Waits up to `timeout_ms` for a result.
  std::optional<PageResult> Pop(int timeout_ms);
  void CloseProducer();  // one worker finished
  void SetProducers(int n) { producers_ = n; }
  bool Drained();  // all producers finished and nothing queued
  void Abort();    // the committer gave up: drop everything, never block

 private:
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<PageResult> items_;
  size_t capacity_;
  int producers_ = 0;
  bool aborted_ = false;
};

class Session {
 public:
  Session(const CrawlOptions& options, search::SemanticIndex* index, store::VectorStore* store,
          store::CrawlStateStore* state);
  Result<CrawlSummary> Run();

 private:
  // session.cc
  Status Prepare();
  Status LoadState();
  void QueueStart();
  void Report(bool force);
  void Log(const PageResult& result);

  // worker.cc
  void WorkerLoop();
  PageResult Process(Task task, Fetcher& fetcher);
  void ProcessRobots(PageResult* out, Fetcher& fetcher);
  void ProcessSitemap(PageResult* out, Fetcher& fetcher);
  void ProcessPage(PageResult* out, Fetcher& fetcher);
  void ProcessBody(PageResult* out, const FetchResult& fetched);
  void Retry(PageResult* out, const FetchResult& fetched);
  // Queues `url` (already normalised) if in scope and new in this run.
  bool Enqueue(const std::string& url, TaskKind kind, int depth, const std::string& via,
               std::vector<std::string> redirects, std::vector<Task>* discovered);
  bool InScope(const std::string& url, std::string* reason);
  void EnsureHost(const std::string& host, const std::string& origin);
  std::shared_ptr<const RobotsRules> RulesFor(const std::string& host);
  // Fetches following at most 5 redirects (robots.txt and sitemaps only).
  FetchResult FetchFollowing(Fetcher& fetcher, FetchRequest request, std::string* final_url);

  // commit.cc
  Status CommitLoop();
  Status Flush(std::vector<PageResult>* batch);
  void Record(const PageResult& result, std::vector<store::CrawlRecord>* changed);
  Status FinishRun();

  CrawlOptions options_;
  search::SemanticIndex* index_;
  store::VectorStore* store_;
  store::CrawlStateStore* state_;
  std::unique_ptr<Frontier> frontier_;
  ResultQueue results_{256};
  std::optional<std::regex> include_, exclude_;
  std::set<std::string> allowed_hosts_;       // "host" or "host:port"
  std::set<std::string> start_hosts_;
  int64_t run_ = 0;
  std::string user_agent_;

  // Read-only while workers run.
  std::unordered_map<std::string, PrevInfo> prev_;

  // Shared by the workers.
  std::mutex scope_mu_;
  std::unordered_set<std::string> seen_;      // URLs queued in this run
  std::unordered_set<std::string> offsite_;   // distinct links to other hosts
  std::map<std::string, std::shared_ptr<const RobotsRules>> robots_;
  std::set<std::string> hosts_;               // hosts whose robots.txt was queued
  std::atomic<size_t> page_starts_{0};
  std::atomic<size_t> requests_{0};
  std::atomic<size_t> retries_{0};
  std::atomic<size_t> robots_failures_{0};
  std::atomic<bool> max_pages_hit_{false};

  // Committer only.
  std::map<std::string, store::CrawlRecord> records_;
  std::unordered_map<std::string, std::string> doc_hashes_;  // document id -> stored content hash
  std::vector<store::CrawlRecord> pending_start_records_;
  CrawlSummary summary_;
  std::FILE* log_ = nullptr;
  Clock::time_point start_;
  Clock::time_point last_report_{};
};

}  // namespace imi::crawl::internal

#endif  // IMI_CRAWL_SESSION_H_
