// imi crawl: a web site -> main text of its pages -> chunks -> vectors ->
// a collection, with crawl state in the same store (docs/crawl.md).
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "crawl/crawler.h"
#include "model/embedder.h"
#include "search/semantic_index.h"
#include "store/crawl_state.h"
#include "store/vector_store.h"

namespace imi::cli {
namespace {

struct CrawlFlags {
  crawl::CrawlOptions options;
  std::string store;
  std::string pg;
  std::string model;
  std::string tokenizer;
  std::string metric = "cosine";
  size_t chunk_tokens = 0;
  size_t overlap_tokens = 32;
  bool no_sitemaps = false;
};

void OnSignal(int) { crawl::RequestCrawlStop(); }

Status RunCrawlCommand(CrawlFlags& flags) {
  crawl::CrawlOptions& options = flags.options;
  options.sitemaps = !flags.no_sitemaps;
  options.progress_tty = ::isatty(STDERR_FILENO) != 0;
  if (options.user_agent.empty()) options.user_agent = std::string("imi-crawler/") + IMI_VERSION;
  IMI_ASSIGN_OR_RETURN(store::Metric metric, store::ParseMetric(flags.metric));
  IMI_ASSIGN_OR_RETURN(auto store, store::OpenVectorStore({flags.store, flags.pg}));
  model::EmbedderConfig config;
  config.model_path = flags.model;
  config.tokenizer_path = flags.tokenizer;
  IMI_ASSIGN_OR_RETURN(auto embedder, model::Embedder::Load(config));
  const model::ModelInfo& info = embedder->info();
  const std::string tokenizer_path = flags.tokenizer.empty() ? info.root : flags.tokenizer;
  IMI_ASSIGN_OR_RETURN(auto index, search::SemanticIndex::Open(*embedder, tokenizer_path, store.get(), options.collection,
                                                               metric, flags.chunk_tokens, flags.overlap_tokens));
  IMI_ASSIGN_OR_RETURN(auto state, store::OpenCrawlState({flags.store, flags.pg}));
  IMI_RETURN_IF_ERROR(store->PrepareIndex(options.collection));
  std::fprintf(stderr, "imi crawl: %s -> collection %s (%s, %zu dimensions); %d requests per host, %d ms apart\n",
               options.start_urls.front().c_str(), options.collection.c_str(), info.id.c_str(), info.dimension,
               options.concurrency, options.delay_ms);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto summary = crawl::RunCrawl(options, index.get(), store.get(), state.get());
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!summary.ok()) return summary.status();
  IMI_RETURN_IF_ERROR(store->PrepareIndex(options.collection));
  IMI_RETURN_IF_ERROR(store->Flush());
  std::fputs(crawl::FormatSummary(options, *summary).c_str(), stdout);
  return Status::Ok();
}

}  // namespace

void AddCrawlCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<CrawlFlags>();
  crawl::CrawlOptions& o = flags->options;
  auto* cmd = app.add_subcommand(
      "crawl",
      "Crawl a web site into a collection: robots.txt, sitemaps and links on the start hosts; the main text of\n"
      "HTML and text pages (any Japanese charset), chunked and embedded; state kept in the store so that a\n"
      "second run resumes an interrupted crawl, and --recrawl revisits changed pages only.");
  cmd->add_option("urls", o.start_urls, "Start URLs: pages or sitemaps (.xml, .xml.gz)")->required();
  cmd->add_option("--collection", o.collection, "Collection name ([A-Za-z0-9_-]{1,64}); created if missing")->required();
  cmd->add_option("--model", flags->model, "Model directory (sentence-transformers layout)")->required();
  cmd->add_option("--store", flags->store, "Embedded store directory (default ./imi-data)");
  cmd->add_option("--pg", flags->pg, "PostgreSQL DSN instead of the embedded store (default $IMI_PG_DSN)");
  cmd->add_option("--tokenizer", flags->tokenizer, "tokenizer.json (or its directory) for a bare .onnx model");
  cmd->add_option("--allow-host", o.allow_hosts, "Also crawl this host (host or host:port; repeatable)");
  cmd->add_option("--max-pages", o.max_pages, "Fetch at most N pages in this run of the command (0 = no limit)");
  cmd->add_option("--max-depth", o.max_depth, "Follow links at most N steps from a start URL or sitemap (default 50)");
  cmd->add_option("--concurrency", o.concurrency, "Requests in flight per host (default 2)");
  cmd->add_option("--delay-ms", o.delay_ms,
                  "Milliseconds between request starts per host (default 250; a larger robots.txt Crawl-delay wins)");
  cmd->add_option("--user-agent", o.user_agent, "User-Agent header; its first word is matched in robots.txt "
                                                "(default imi-crawler/VERSION)");
  cmd->add_option("--include", o.include_regex, "Only URLs matching this regular expression (ECMAScript)");
  cmd->add_option("--exclude", o.exclude_regex, "Skip URLs matching this regular expression (ECMAScript)");
  cmd->add_flag("--recrawl", o.recrawl,
                "After a finished crawl, visit the site again: conditional requests, re-embed changed pages, delete "
                "pages that are gone (docs/crawl.md)");
  cmd->add_option("--timeout-ms", o.timeout_ms, "Limit of one request in milliseconds (default 30000)");
  cmd->add_option("--max-page-bytes", o.max_page_bytes, "Larger pages are skipped (default 10485760)");
  cmd->add_option("--retries", o.retries, "Tries after a 429, 5xx, timeout or dropped connection (default 3)");
  cmd->add_option("--max-redirects", o.max_redirects, "Redirects followed in a row (default 5)");
  cmd->add_flag("--no-sitemaps", flags->no_sitemaps, "Ignore robots.txt Sitemap lines and /sitemap.xml");
  cmd->add_option("--workers", o.workers, "Fetch threads (default concurrency x hosts, at most 16)");
  cmd->add_option("--log", o.log_path, "Append one JSON line per URL outcome to FILE");
  cmd->add_option("--metric", flags->metric, "Metric of a new collection: cosine (default), l2, ip, l1");
  cmd->add_option("--chunk-tokens", flags->chunk_tokens, "Tokens per chunk (default: the model's max_seq_length)");
  cmd->add_option("--overlap", flags->overlap_tokens, "Tokens shared by consecutive chunks (default 32)");
  cmd->add_option("--batch", o.batch_documents, "Pages per embedding batch and store write (default 16)");
  cmd->callback([flags, exit_code] {
    const Status s = RunCrawlCommand(*flags);
    *exit_code = s.ok() ? 0 : ReportError("crawl", s);
  });
}

}  // namespace imi::cli
