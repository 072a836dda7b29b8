#include "crawl/session.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "crawl/url.h"

namespace imi::crawl {

namespace {

std::atomic<bool> g_stop_requested{false};

}  // namespace

void RequestCrawlStop() { g_stop_requested.store(true); }

namespace internal {

bool StopRequested() { return g_stop_requested.load(); }

// --- ResultQueue ---------------------------------------------------------------

void ResultQueue::Push(PageResult result) {
  std::unique_lock<std::mutex> lock(mu_);
  not_full_.wait(lock, [&] { return items_.size() < capacity_ || aborted_; });
  if (aborted_) return;
  items_.push_back(std::move(result));
  not_empty_.notify_one();
}

std::optional<PageResult> ResultQueue::Pop(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  not_empty_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return !items_.empty() || producers_ == 0; });
  if (items_.empty()) return std::nullopt;
  PageResult out = std::move(items_.front());
  items_.pop_front();
  not_full_.notify_one();
  return out;
}

void ResultQueue::CloseProducer() {
  std::lock_guard<std::mutex> lock(mu_);
  --producers_;
  not_empty_.notify_all();
}

bool ResultQueue::Drained() {
  std::lock_guard<std::mutex> lock(mu_);
  return producers_ <= 0 && items_.empty();
}

void ResultQueue::Abort() {
  std::lock_guard<std::mutex> lock(mu_);
  aborted_ = true;
  items_.clear();
  not_full_.notify_all();
}

// --- Session -------------------------------------------------------------------

Session::Session(const CrawlOptions& options, search::SemanticIndex* index, store::VectorStore* store,
                 store::CrawlStateStore* state)
    : options_(options), index_(index), store_(store), state_(state) {}

Status Session::Prepare() {
  if (options_.start_urls.empty()) return Status::InvalidArgument("give at least one start URL");
  if (options_.concurrency < 1 || options_.concurrency > 64)
    return Status::InvalidArgument("--concurrency must be between 1 and 64");
  if (options_.delay_ms < 0) return Status::InvalidArgument("--delay-ms must not be negative");
  if (options_.max_depth < 0) return Status::InvalidArgument("--max-depth must not be negative");
  if (options_.timeout_ms < 100) return Status::InvalidArgument("--timeout-ms must be at least 100");
  if (options_.max_page_bytes < 1024) return Status::InvalidArgument("--max-page-bytes must be at least 1024");
  if (options_.batch_documents < 1) options_.batch_documents = 1;
  try {
    if (!options_.include_regex.empty()) include_.emplace(options_.include_regex, std::regex::ECMAScript);
    if (!options_.exclude_regex.empty()) exclude_.emplace(options_.exclude_regex, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return Status::InvalidArgument(std::string("--include/--exclude is not a valid regular expression: ") + e.what());
  }
  std::vector<std::string> normalized;
  for (const std::string& url : options_.start_urls) {
    auto n = NormalizeUrl(url);
    if (!n.ok()) return Status::InvalidArgument("start URL " + url + ": " + n.status().message());
    normalized.push_back(*n);
    allowed_hosts_.insert(HostKeyOf(*n));
    start_hosts_.insert(HostKeyOf(*n));
  }
  options_.start_urls = normalized;
  for (std::string host : options_.allow_hosts) {
    for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (host.empty() || host.find('/') != std::string::npos)
      return Status::InvalidArgument("--allow-host takes a host name or host:port, got \"" + host + "\"");
    allowed_hosts_.insert(host);
  }
  user_agent_ = options_.user_agent.empty() ? "imi-crawler/0.1" : options_.user_agent;
  frontier_ = std::make_unique<Frontier>(options_.concurrency, std::chrono::milliseconds(options_.delay_ms));
  return Status::Ok();
}

Status Session::LoadState() {
  auto latest = state_->LatestRun(options_.collection);
  if (!latest.ok() && latest.status().code() != StatusCode::kNotFound) return latest.status();
  if (!latest.ok()) {
    run_ = 1;
  } else if (!latest->finished) {
    run_ = latest->run;
    summary_.resumed = true;
  } else if (options_.recrawl) {
    run_ = latest->run + 1;
  } else {
    summary_.run = latest->run;
    summary_.nothing_to_do = true;
    return Status::Ok();
  }
  summary_.run = run_;
  if (!summary_.resumed) {
    IMI_RETURN_IF_ERROR(state_->StartRun(options_.collection, run_, {{"seeds", options_.start_urls}}));
  }
  IMI_ASSIGN_OR_RETURN(std::vector<store::CrawlRecord> records, state_->LoadRecords(options_.collection));
  for (store::CrawlRecord& rec : records) {
    const nlohmann::json& d = rec.data;
    const std::string kind = d.value("kind", "page");
    const std::string doc = d.value("document_id", "");
    if (kind == "page" && !doc.empty() && d.contains("content_hash")) doc_hashes_[doc] = d.value("content_hash", "");
    if (kind == "page" && rec.done_run > 0 && rec.done_run < run_) {
      PrevInfo prev;
      prev.etag = d.value("etag", "");
      prev.last_modified = d.value("last_modified", "");
      prev.document_id = doc;
      if (auto links = d.find("links"); links != d.end() && links->is_array()) {
        for (const auto& l : *links) {
          if (l.is_string()) prev.links.push_back(l.get<std::string>());
        }
      }
      // Only a page whose document is current may answer 304 for it.
      if (doc.empty() || !d.contains("content_hash")) prev.etag.clear(), prev.last_modified.clear();
      prev_.emplace(rec.url, std::move(prev));
    }
    records_.emplace(rec.url, std::move(rec));
  }
  return Status::Ok();
}

void Session::QueueStart() {
  // URLs this run has queued already (a resumed run) are not queued again.
  for (const auto& [url, rec] : records_) {
    if (rec.queued_run == run_) seen_.insert(url);
  }
  PageResult start;
  start.task.kind = TaskKind::kRobots;
  for (const std::string& url : options_.start_urls) {
    const std::string path = PathAndQueryOf(url);
    const bool sitemap = path.size() > 4 && (path.compare(path.size() - 4, 4, ".xml") == 0 ||
                                             (path.size() > 7 && path.compare(path.size() - 7, 7, ".xml.gz") == 0));
    Enqueue(url, sitemap ? TaskKind::kSitemap : TaskKind::kPage, 0, "start", {}, &start.discovered);
    EnsureHost(HostKeyOf(url), OriginOf(url));
  }
  size_t pending = 0;
  for (const auto& [url, rec] : records_) {
    if (rec.queued_run != run_ || rec.done_run >= run_) continue;
    Task task;
    task.url = url;
    task.host = HostKeyOf(url);
    const std::string kind = rec.data.value("kind", "page");
    task.kind = kind == "sitemap" ? TaskKind::kSitemap : TaskKind::kPage;
    task.depth = rec.data.value("depth", 0);
    task.via = rec.data.value("via", "link");
    if (auto r = rec.data.find("redirects"); r != rec.data.end() && r->is_array()) {
      for (const auto& u : *r) {
        if (u.is_string()) task.redirects.push_back(u.get<std::string>());
      }
    }
    EnsureHost(task.host, OriginOf(url));
    frontier_->Add(std::move(task));
    ++pending;
  }
  std::vector<store::CrawlRecord> changed;
  Record(start, &changed);
  pending_start_records_ = std::move(changed);
  if (options_.progress != nullptr && summary_.resumed) {
    std::fprintf(options_.progress, "imi crawl: resuming run %lld of \"%s\": %zu URLs left from the interrupted run\n",
                 static_cast<long long>(run_), options_.collection.c_str(), pending);
  }
}

Result<CrawlSummary> Session::Run() {
  start_ = Clock::now();
  IMI_RETURN_IF_ERROR(Prepare());
  IMI_RETURN_IF_ERROR(LoadState());
  if (summary_.nothing_to_do) return summary_;
  if (!options_.log_path.empty()) {
    log_ = std::fopen(options_.log_path.c_str(), "a");
    if (log_ == nullptr) return Status::IoError("cannot open the log file " + options_.log_path);
  }
  QueueStart();
  Status status = state_->SaveRecords(options_.collection, pending_start_records_);
  if (status.ok()) {
    int workers = options_.workers;
    if (workers <= 0) {
      workers = std::min<int>(16, options_.concurrency * static_cast<int>(std::max<size_t>(1, allowed_hosts_.size())));
    }
    results_.SetProducers(workers);
    std::vector<std::thread> threads;
    for (int i = 0; i < workers; ++i) threads.emplace_back([this] { WorkerLoop(); });
    status = CommitLoop();
    if (!status.ok()) {
      frontier_->Stop();
      results_.Abort();
    }
    for (std::thread& t : threads) t.join();
  }
  if (status.ok()) {
    summary_.finished = !frontier_->stopped() && !max_pages_hit_;
    if (max_pages_hit_) summary_.stop_reason = "--max-pages";
    if (summary_.finished) status = FinishRun();
  }
  summary_.requests = requests_;
  summary_.retries = retries_;
  summary_.offsite_links = offsite_.size();
  summary_.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  Report(true);
  if (log_ != nullptr) std::fclose(log_);
  log_ = nullptr;
  if (!status.ok()) return status;
  return summary_;
}

void Session::Report(bool force) {
  if (options_.progress == nullptr) return;
  const Clock::time_point now = Clock::now();
  const auto interval = options_.progress_tty ? std::chrono::milliseconds(500) : std::chrono::milliseconds(10000);
  if (!force && now - last_report_ < interval) return;
  if (!force && !options_.progress_tty && last_report_ == Clock::time_point{}) {
    last_report_ = now;  // the first line after ten seconds, not at once
    return;
  }
  last_report_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const size_t stored = summary_.stored_new + summary_.stored_updated;
  const size_t kept = summary_.unchanged + summary_.not_modified;
  const size_t skipped = summary_.pages - std::min(summary_.pages, stored + kept + summary_.failed);
  char line[256];
  std::snprintf(line, sizeof(line),
                "imi crawl: %zu pages: %zu stored, %zu unchanged, %zu skipped, %zu failed; %.1f pages/s; %zu queued, "
                "%zu in flight",
                summary_.pages, stored, kept, skipped, summary_.failed, seconds > 0 ? summary_.pages / seconds : 0.0,
                frontier_ ? frontier_->queued() : 0, frontier_ ? frontier_->in_flight() : 0);
  if (options_.progress_tty) {
    std::fprintf(options_.progress, "\r%-110s", line);
    if (force) std::fputc('\n', options_.progress);
  } else if (!force) {
    std::fprintf(options_.progress, "%s\n", line);
  }
  std::fflush(options_.progress);
}

void Session::Log(const PageResult& r) {
  if (log_ == nullptr) return;
  nlohmann::json line = {{"time", r.fetched_at}, {"run", run_},     {"url", r.task.url},
                         {"kind", r.task.kind == TaskKind::kPage ? "page"
                                  : r.task.kind == TaskKind::kSitemap ? "sitemap"
                                                                      : "robots"},
                         {"outcome", r.outcome}, {"status", r.status}, {"depth", r.task.depth},
                         {"via", r.task.via},    {"attempt", r.task.attempt + 1}};
  if (!r.reason.empty()) line["reason"] = r.reason;
  if (!r.document_id.empty()) line["document"] = r.document_id;
  if (!r.charset.empty()) {
    line["charset"] = r.charset;
    line["charset_source"] = r.charset_source;
    if (!r.charset_declared.empty()) line["charset_declared"] = r.charset_declared;
  }
  if (!r.content_type.empty()) line["content_type"] = r.content_type;
  if (!r.redirect_to.empty()) line["redirect_to"] = r.redirect_to;
  if (r.bytes > 0) line["bytes"] = r.bytes;
  if (r.task.kind == TaskKind::kSitemap) line["entries"] = r.sitemap_entries;
  line["links"] = r.links.size();
  line["fetch_ms"] = static_cast<int64_t>(r.fetch_seconds * 1000);
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::fwrite(text.data(), 1, text.size(), log_);
  std::fflush(log_);
}

}  // namespace internal

Result<CrawlSummary> RunCrawl(const CrawlOptions& options, search::SemanticIndex* index, store::VectorStore* store,
                              store::CrawlStateStore* state) {
  internal::Session session(options, index, store, state);
  return session.Run();
}

std::string FormatSummary(const CrawlOptions& options, const CrawlSummary& s) {
  std::string out;
  char buf[512];
  auto add = [&](const char* fmt, auto... args) {
    std::snprintf(buf, sizeof(buf), fmt, args...);
    out += buf;
  };
  if (s.nothing_to_do) {
    add("collection \"%s\" was crawled completely (run %lld); nothing to do. Run with --recrawl to visit every page "
        "again (unchanged pages are not re-embedded).\n",
        options.collection.c_str(), static_cast<long long>(s.run));
    return out;
  }
  add("crawled into \"%s\", run %lld%s: %s in %.1f s; %zu pages, %.1f pages/s, %zu requests\n", options.collection.c_str(),
      static_cast<long long>(s.run), s.resumed ? " (resumed)" : "",
      s.finished ? "complete" : ("stopped (" + s.stop_reason + "); run the same command again to continue").c_str(),
      s.seconds, s.pages, s.seconds > 0 ? s.pages / s.seconds : 0.0, s.requests);
  add("  stored %zu new and %zu changed pages (%zu chunks); %zu unchanged, %zu not modified (304)\n", s.stored_new,
      s.stored_updated, s.chunks, s.unchanged, s.not_modified);
  std::string skipped;
  for (const auto& [outcome, n] : s.outcomes) {
    if (outcome == "stored" || outcome == "updated" || outcome == "unchanged" || outcome == "not_modified" ||
        outcome == "duplicate" || outcome == "failed") {
      continue;
    }
    skipped += (skipped.empty() ? "" : ", ") + outcome + " " + std::to_string(n);
  }
  for (const auto& [type, n] : s.skipped_types) skipped += "; " + type + " " + std::to_string(n);
  add("  not stored: %s\n", skipped.empty() ? "none" : skipped.c_str());
  add("  failed: %zu (after %zu retries)\n", s.failed, s.retries);
  add("  sitemaps: %zu read, %zu URLs listed; links to other hosts ignored: %zu\n", s.sitemaps, s.sitemap_urls,
      s.offsite_links);
  if (s.finished) {
    add("  deleted %zu documents of pages that are gone", s.deleted);
    if (s.kept_unseen > 0) {
      add("; kept %zu of pages not reached, because sitemaps, robots.txt or many pages failed", s.kept_unseen);
    }
    out += "\n";
  }
  std::string charsets;
  for (const auto& [charset, sources] : s.charsets) {
    size_t total = 0;
    std::string detail;
    for (const auto& [source, n] : sources) {
      total += n;
      detail += (detail.empty() ? "" : ", ") + source + " " + std::to_string(n);
    }
    charsets += (charsets.empty() ? "" : "; ") + charset + " " + std::to_string(total) + " (" + detail + ")";
  }
  if (!charsets.empty()) add("  charsets: %s\n", charsets.c_str());
  add("  time: fetching %.1f s (summed over threads), extracting %.2f s, embedding and storing %.1f s\n",
      s.fetch_seconds, s.extract_seconds, s.embed_seconds);
  return out;
}

}  // namespace imi::crawl
