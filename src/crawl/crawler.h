#ifndef IMI_CRAWL_CRAWLER_H_
#define IMI_CRAWL_CRAWLER_H_

#include <cstddef>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "search/semantic_index.h"
#include "store/crawl_state.h"
#include "store/vector_store.h"

namespace imi::crawl {

// How `imi crawl` walks a site (the flags of imi crawl; docs/crawl.md).
struct CrawlOptions {
  std::vector<std::string> start_urls;  // pages, or sitemaps (.xml, .xml.gz)
  std::string collection;
  std::vector<std::string> allow_hosts;  // besides the start URLs' hosts: "host" or "host:port"
  size_t max_pages = 0;                  // requests for pages in this invocation; 0 = no limit
  int max_depth = 50;                    // links followed from a start URL or sitemap entry
  int concurrency = 2;                   // requests in flight per host
  int delay_ms = 250;                    // between request starts per host (robots Crawl-delay may raise it)
  std::string user_agent;                // default "imi-crawler/<version>"
  std::string include_regex;             // URLs must match (ECMAScript, searched) when set
  std::string exclude_regex;             // URLs matching are skipped when set
  bool recrawl = false;                  // start a new run after a finished one
  size_t max_page_bytes = 10 * 1024 * 1024;
  long timeout_ms = 30000;               // whole request
  long connect_timeout_ms = 10000;
  int retries = 3;                       // extra tries after 429, 5xx or a network error
  long max_retry_wait_ms = 120000;       // a longer Retry-After counts as a failure
  int max_redirects = 5;
  bool sitemaps = true;                  // read robots.txt Sitemap lines and /sitemap.xml
  size_t batch_documents = 16;           // documents per embedding batch and store write
  int workers = 0;                       // fetch threads; 0 = concurrency x hosts, at most 16
  std::string log_path;                  // JSON lines, one per URL outcome ("" = none)
  bool progress_tty = false;             // redraw one progress line (else a line every 10 s)
  std::FILE* progress = stderr;          // progress and notes; null = silent
};

// Counts of one invocation.
struct CrawlSummary {
  int64_t run = 0;
  bool resumed = false;     // continued an unfinished run
  bool finished = false;    // the run reached its end (nothing left to fetch)
  bool nothing_to_do = false;  // the last run was finished and --recrawl was not given
  std::string stop_reason;  // why an unfinished run stopped ("--max-pages", "interrupted")
  size_t requests = 0;      // HTTP requests sent (retries and robots/sitemaps included)
  size_t pages = 0;         // page URLs finished
  size_t stored_new = 0, stored_updated = 0, unchanged = 0, not_modified = 0;
  size_t failed = 0;        // gave up after retries, or a status that is neither success nor 404/410
  size_t deleted = 0;       // documents removed at the end of the run
  size_t kept_unseen = 0;   // documents of pages not reached, kept because the run had failures
  size_t sitemaps = 0, sitemap_urls = 0;
  size_t retries = 0;
  std::map<std::string, size_t> outcomes;   // outcome name -> count
  std::map<std::string, size_t> skipped_types;  // media type -> count
  std::map<std::string, std::map<std::string, size_t>> charsets;  // charset -> source -> pages
  size_t offsite_links = 0;  // distinct links to hosts outside the crawl
  size_t chunks = 0;
  double seconds = 0, fetch_seconds = 0, extract_seconds = 0, embed_seconds = 0;
};

// Crawls `options.start_urls` into `options.collection` through `index`
// (chunking, embedding, storing), keeping its progress in `state` so that a
// killed crawl resumes. The collection must exist (SemanticIndex::Open
// creates it). Returns an error only when the crawl cannot go on (bad
// options, the store failing); unreachable or broken pages are outcomes.
// Not thread-safe; one crawl per process and collection at a time.
Result<CrawlSummary> RunCrawl(const CrawlOptions& options, search::SemanticIndex* index, store::VectorStore* store,
                              store::CrawlStateStore* state);

// Asks a running crawl to stop after the requests in flight (for SIGINT
// and SIGTERM handlers: async-signal-safe). The run stays unfinished and
// the next invocation resumes it.
void RequestCrawlStop();

// The closing summary as printed by imi crawl (several lines, each ending
// in a newline).
std::string FormatSummary(const CrawlOptions& options, const CrawlSummary& summary);

}  // namespace imi::crawl

#endif  // IMI_CRAWL_CRAWLER_H_
