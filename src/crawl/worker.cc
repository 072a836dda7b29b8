// Fetch threads: take a task, fetch it politely, turn the answer into an
// outcome, a document and newly queued links.
#include <algorithm>
#include <chrono>
#include <ctime>

#include "base/utf8.h"
#include "crawl/decode.h"
#include "crawl/extractor.h"
#include "crawl/session.h"
#include "crawl/sitemap.h"
#include "crawl/url.h"
#include "hub/digest.h"

namespace imi::crawl::internal {

namespace {

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// An HTTP date as ISO 8601 UTC, or the value unchanged when it does not parse.
std::string IsoFromHttpDate(const std::string& value) {
  std::tm tm{};
  const char* end = strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr) return value;
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string MediaTypeOf(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type;
}

// Without a Content-Type, a body that starts like markup is HTML.
bool LooksLikeHtml(std::string_view body) {
  size_t i = 0;
  if (body.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < body.size() && static_cast<unsigned char>(body[i]) <= 0x20) ++i;
  return i < body.size() && body[i] == '<';
}

}  // namespace

void Session::WorkerLoop() {
  hub::CurlOptions curl;
  curl.connect_timeout_s = std::max(1L, (options_.connect_timeout_ms + 999) / 1000);
  curl.stall_timeout_s = std::max(1L, (options_.timeout_ms + 999) / 1000);
  curl.total_timeout_ms = options_.timeout_ms;
  curl.user_agent = user_agent_;
  curl.accept_compressed = true;
  Fetcher fetcher(hub::MakeCurlHttpClient(curl), options_.max_page_bytes);
  while (std::optional<Task> task = frontier_->Next()) {
    const std::string host = task->host;
    PageResult result = Process(std::move(*task), fetcher);
    results_.Push(std::move(result));
    frontier_->Finished(host);
  }
  results_.CloseProducer();
}

PageResult Session::Process(Task task, Fetcher& fetcher) {
  PageResult out;
  out.task = std::move(task);
  out.fetched_at = UtcNow();
  switch (out.task.kind) {
    case TaskKind::kRobots: ProcessRobots(&out, fetcher); break;
    case TaskKind::kSitemap: ProcessSitemap(&out, fetcher); break;
    case TaskKind::kPage: ProcessPage(&out, fetcher); break;
  }
  return out;
}

FetchResult Session::FetchFollowing(Fetcher& fetcher, FetchRequest request, std::string* final_url) {
  *final_url = request.url;
  for (int hop = 0;; ++hop) {
    ++requests_;
    FetchResult r = fetcher.Fetch(request);
    if (r.outcome != FetchOutcome::kRedirect || hop >= 5) return r;
    auto target = ResolveUrl(request.url, r.location);
    std::string why;
    if (!target.ok() || !InScope(*target, &why)) return r;
    request.url = *target;
    *final_url = *target;
  }
}

void Session::Retry(PageResult* out, const FetchResult& fetched) {
  const Task& task = out->task;
  long wait_ms = std::min<long>(60000, 1000L << std::min(task.attempt, 6));
  if (fetched.retry_after_ms >= 0) wait_ms = std::max(wait_ms, fetched.retry_after_ms);
  if (task.attempt >= options_.retries || wait_ms > options_.max_retry_wait_ms) {
    out->outcome = "failed";
    if (task.attempt >= options_.retries) {
      out->reason += " (gave up after " + std::to_string(task.attempt + 1) + " tries)";
    } else {
      out->reason += " (Retry-After " + std::to_string(wait_ms / 1000) + " s is longer than the crawl waits)";
    }
    return;
  }
  const Clock::time_point until = Clock::now() + std::chrono::milliseconds(wait_ms);
  // The server asked every client to slow down: pause the whole host.
  if (fetched.retry_after_ms >= 0 && (fetched.status == 429 || fetched.status == 503)) {
    frontier_->PauseHost(task.host, until);
  }
  Task again = task;
  again.attempt += 1;
  again.not_before = until;
  frontier_->Add(std::move(again));
  ++retries_;
  out->retry = true;
  out->outcome = "retry";
  out->reason += "; retrying in " + std::to_string(wait_ms) + " ms";
}

void Session::ProcessRobots(PageResult* out, Fetcher& fetcher) {
  const Task& task = out->task;
  std::string final_url;
  const auto started = Clock::now();
  FetchRequest request;
  request.url = task.url;
  request.any_type = true;
  FetchResult r = FetchFollowing(fetcher, request, &final_url);
  out->fetch_seconds = SecondsSince(started);
  out->status = r.status;
  out->reason = r.reason;
  std::shared_ptr<const RobotsRules> rules;
  if (r.outcome == FetchOutcome::kOk) {
    rules = std::make_shared<RobotsRules>(RobotsRules::Parse(r.body, user_agent_));
    out->outcome = "robots";
  } else if (r.outcome == FetchOutcome::kRetry) {
    Retry(out, r);
    if (out->retry) return;
    // RFC 9309 2.3.1.4: an unreachable robots.txt means "disallow all".
    rules = std::make_shared<RobotsRules>(RobotsRules::DisallowAll());
    out->outcome = "robots_unreachable";
    ++robots_failures_;
  } else {
    // 4xx (and anything else that is not a server error): no rules.
    rules = std::make_shared<RobotsRules>(RobotsRules::AllowAll());
    out->outcome = "robots_absent";
  }
  {
    std::lock_guard<std::mutex> lock(scope_mu_);
    robots_[task.host] = rules;
  }
  if (rules->crawl_delay_seconds()) {
    frontier_->RaiseDelay(task.host, std::chrono::milliseconds(static_cast<long>(*rules->crawl_delay_seconds() * 1000)));
  }
  if (options_.sitemaps && out->outcome != "robots_unreachable") {
    bool any = false;
    for (const std::string& line : rules->sitemaps()) {
      auto url = ResolveUrl(task.url, line);
      if (!url.ok()) continue;
      any = true;
      Enqueue(*url, TaskKind::kSitemap, 0, "robots", {}, &out->discovered);
    }
    bool start_host = false;
    {
      std::lock_guard<std::mutex> lock(scope_mu_);
      start_host = start_hosts_.count(task.host) > 0;
    }
    if (!any && start_host) {
      Enqueue(OriginOf(task.url) + "/sitemap.xml", TaskKind::kSitemap, 0, "default", {}, &out->discovered);
    }
  }
  frontier_->Ungate(task.host);
}

void Session::ProcessSitemap(PageResult* out, Fetcher& fetcher) {
  const Task& task = out->task;
  std::string final_url;
  const auto started = Clock::now();
  FetchRequest request;
  request.url = task.url;
  request.any_type = true;
  FetchResult r = FetchFollowing(fetcher, request, &final_url);
  out->fetch_seconds = SecondsSince(started);
  out->status = r.status;
  out->reason = r.reason;
  out->bytes = r.body.size();
  switch (r.outcome) {
    case FetchOutcome::kOk: break;
    case FetchOutcome::kRetry:
      Retry(out, r);
      return;
    case FetchOutcome::kGone:
      // The /sitemap.xml imi guessed need not exist.
      out->outcome = task.via == "default" ? "sitemap_absent" : "failed";
      return;
    case FetchOutcome::kTooLarge:
      out->outcome = "failed";
      out->reason = "sitemap " + r.reason;
      return;
    default:
      out->outcome = "failed";
      if (out->reason.empty()) out->reason = "HTTP " + std::to_string(r.status);
      return;
  }
  const auto parse_start = Clock::now();
  Result<Sitemap> sitemap = ParseSitemap(r.body);
  out->extract_seconds = SecondsSince(parse_start);
  if (!sitemap.ok()) {
    out->outcome = "failed";
    out->reason = sitemap.status().message();
    return;
  }
  out->outcome = "sitemap";
  out->sitemap_entries = sitemap->entries.size();
  if (sitemap->dropped > 0) {
    out->reason = std::to_string(sitemap->dropped) + " entries beyond the protocol's 50,000 ignored";
  }
  for (const SitemapEntry& entry : sitemap->entries) {
    auto url = ResolveUrl(final_url, entry.loc);
    if (!url.ok()) continue;
    if (sitemap->is_index) {
      if (task.depth < 3) Enqueue(*url, TaskKind::kSitemap, task.depth + 1, "sitemap", {}, &out->discovered);
    } else {
      Enqueue(*url, TaskKind::kPage, 0, "sitemap", {}, &out->discovered);
    }
  }
}

void Session::ProcessPage(PageResult* out, Fetcher& fetcher) {
  const Task& task = out->task;
  if (std::shared_ptr<const RobotsRules> rules = RulesFor(task.host); rules && !rules->Allowed(PathAndQueryOf(task.url))) {
    out->outcome = "disallowed";
    out->reason = "disallowed by robots.txt";
    return;
  }
  if (options_.max_pages > 0 && task.attempt == 0) {
    if (page_starts_.fetch_add(1) >= options_.max_pages) {
      // Over the limit: put it back for the next invocation and stop.
      max_pages_hit_ = true;
      frontier_->Stop();
      out->retry = true;
      out->outcome = "postponed";
      return;
    }
  }
  FetchRequest request;
  request.url = task.url;
  const PrevInfo* prev = nullptr;
  if (auto it = prev_.find(task.url); it != prev_.end()) {
    prev = &it->second;
    request.etag = prev->etag;
    request.last_modified = prev->last_modified;
  }
  const auto started = Clock::now();
  ++requests_;
  FetchResult r = fetcher.Fetch(request);
  out->fetch_seconds = SecondsSince(started);
  out->status = r.status;
  out->reason = r.reason;
  out->etag = r.etag;
  out->last_modified = r.last_modified;
  out->content_type = r.content_type;
  out->bytes = r.body.size();
  switch (r.outcome) {
    case FetchOutcome::kOk:
      ProcessBody(out, r);
      return;
    case FetchOutcome::kNotModified: {
      out->outcome = "not_modified";
      if (prev != nullptr) {
        out->document_id = prev->document_id;
        if (out->etag.empty()) out->etag = prev->etag;
        if (out->last_modified.empty()) out->last_modified = prev->last_modified;
        out->links = prev->links;
        if (task.depth < options_.max_depth) {
          for (const std::string& link : prev->links) {
            Enqueue(link, TaskKind::kPage, task.depth + 1, "link", {}, &out->discovered);
          }
        }
      }
      return;
    }
    case FetchOutcome::kRedirect: {
      auto target = ResolveUrl(task.url, r.location);
      if (!target.ok()) {
        out->outcome = "failed";
        out->reason = "redirect to an unusable URL: " + target.status().message();
        return;
      }
      out->redirect_to = *target;
      std::vector<std::string> chain = task.redirects;
      chain.push_back(task.url);
      if (std::find(chain.begin(), chain.end(), *target) != chain.end()) {
        out->outcome = "redirect_loop";
        out->reason = "redirect loop: " + std::to_string(chain.size()) + " URLs lead back to " + *target;
        return;
      }
      if (static_cast<int>(chain.size()) > options_.max_redirects) {
        out->outcome = "too_many_redirects";
        out->reason = "more than " + std::to_string(options_.max_redirects) + " redirects in a row (--max-redirects)";
        return;
      }
      std::string why;
      if (!InScope(*target, &why)) {
        out->outcome = "redirect_out_of_scope";
        out->reason = "redirect to " + *target + ": " + why;
        return;
      }
      out->outcome = "redirect";
      Enqueue(*target, TaskKind::kPage, task.depth, "redirect", std::move(chain), &out->discovered);
      return;
    }
    case FetchOutcome::kGone:
      out->outcome = "gone";
      return;
    case FetchOutcome::kRetry:
      Retry(out, r);
      return;
    case FetchOutcome::kFailed:
      out->outcome = "failed";
      return;
    case FetchOutcome::kTooLarge:
      out->outcome = "too_large";
      return;
    case FetchOutcome::kWrongType:
      out->outcome = "skipped_type";
      out->content_type = MediaTypeOf(r.content_type);
      return;
  }
}

void Session::ProcessBody(PageResult* out, const FetchResult& fetched) {
  const Task& task = out->task;
  const auto started = Clock::now();
  const bool html = fetched.content_type.empty() ? LooksLikeHtml(fetched.body) : IsHtmlContentType(fetched.content_type);
  DecodedBody decoded = DecodeBody(fetched.body, fetched.content_type, html);
  out->charset = decoded.charset;
  out->charset_source = decoded.source;
  out->charset_declared = decoded.declared;
  if (decoded.replaced > 0) {
    out->reason = std::to_string(decoded.replaced) + " bytes did not decode as " + decoded.charset + " (now U+FFFD)";
  }
  ExtractedPage page = html ? ExtractPage(decoded.text) : ExtractPlainText(decoded.text);
  // Links and the canonical URL resolve against <base href> when present.
  std::string base = task.url;
  if (!page.base.empty()) {
    if (auto b = ResolveUrl(task.url, page.base); b.ok()) base = *b;
  }
  std::string document_id = task.url;
  if (!page.canonical.empty()) {
    auto canonical = ResolveUrl(base, page.canonical);
    std::string why;
    if (canonical.ok() && InScope(*canonical, &why)) {
      std::shared_ptr<const RobotsRules> rules = RulesFor(HostKeyOf(*canonical));
      if (!rules || rules->Allowed(PathAndQueryOf(*canonical))) document_id = *canonical;
    }
  }
  if (!page.nofollow) {
    std::set<std::string> unique;
    for (const std::string& href : page.links) {
      auto url = ResolveUrl(base, href);
      if (!url.ok()) continue;
      std::string why;
      if (!unique.insert(*url).second) continue;
      if (!InScope(*url, &why)) {
        std::lock_guard<std::mutex> lock(scope_mu_);
        if (offsite_.size() < 100000 && why.rfind("host ", 0) == 0) offsite_.insert(*url);
        continue;
      }
      out->links.push_back(*url);
      if (task.depth < options_.max_depth) Enqueue(*url, TaskKind::kPage, task.depth + 1, "link", {}, &out->discovered);
    }
  }
  if (document_id != task.url) {
    std::lock_guard<std::mutex> lock(scope_mu_);
    // The canonical page is this one: do not fetch it again in this run.
    if (seen_.insert(document_id).second) out->alias = document_id;
  }
  out->extract_seconds = SecondsSince(started);
  if (page.noindex) {
    out->outcome = "noindex";
    return;
  }
  if (page.text.empty()) {
    out->outcome = "empty";
    return;
  }
  hub::Sha256 hash;
  hash.Update(page.title);
  hash.Update("\x1f");
  hash.Update(page.text);
  out->content_hash = hash.HexDigest();
  search::SourceDocument doc;
  doc.id = document_id;
  doc.text = std::move(page.text);
  nlohmann::json& m = doc.metadata;
  m["url"] = document_id;
  m["title"] = utf8::ReplaceInvalid(page.title);
  m["fetched_at"] = out->fetched_at;
  m["last_modified"] = fetched.last_modified.empty() ? nlohmann::json(nullptr)
                                                     : nlohmann::json(utf8::ReplaceInvalid(IsoFromHttpDate(fetched.last_modified)));
  m["charset"] = decoded.charset;
  m["section"] = SectionOf(document_id);
  if (!page.description.empty()) m["description"] = utf8::ReplaceInvalid(page.description);
  if (!page.lang.empty()) m["lang"] = utf8::ReplaceInvalid(page.lang);
  if (document_id != task.url) m["fetched_url"] = task.url;
  m["source"] = "crawl";
  out->doc = std::move(doc);
  out->document_id = document_id;
  out->outcome = "stored";
}

bool Session::InScope(const std::string& url, std::string* reason) {
  const std::string host = HostKeyOf(url);
  bool allowed = allowed_hosts_.count(host) > 0;
  if (!allowed) {
    const std::string bare = host.substr(0, host.rfind(':') == std::string::npos || host.back() == ']'
                                                ? std::string::npos
                                                : host.rfind(':'));
    allowed = allowed_hosts_.count(bare) > 0;
  }
  if (!allowed) {
    *reason = "host " + host + " is not crawled (--allow-host)";
    return false;
  }
  if (include_ && !std::regex_search(url, *include_)) {
    *reason = "does not match --include";
    return false;
  }
  if (exclude_ && std::regex_search(url, *exclude_)) {
    *reason = "matches --exclude";
    return false;
  }
  return true;
}

void Session::EnsureHost(const std::string& host, const std::string& origin) {
  // Gated under the lock: another thread queueing a page of the same host
  // must not see it ungated before its robots.txt is queued.
  std::lock_guard<std::mutex> lock(scope_mu_);
  if (!hosts_.insert(host).second) return;
  frontier_->Gate(host);
  Task robots;
  robots.url = origin + "/robots.txt";
  robots.host = host;
  robots.kind = TaskKind::kRobots;
  robots.via = "robots";
  frontier_->Add(std::move(robots));
}

std::shared_ptr<const RobotsRules> Session::RulesFor(const std::string& host) {
  std::lock_guard<std::mutex> lock(scope_mu_);
  auto it = robots_.find(host);
  return it == robots_.end() ? nullptr : it->second;
}

bool Session::Enqueue(const std::string& url, TaskKind kind, int depth, const std::string& via,
                      std::vector<std::string> redirects, std::vector<Task>* discovered) {
  std::string why;
  if (!InScope(url, &why)) {
    std::lock_guard<std::mutex> lock(scope_mu_);
    if (offsite_.size() < 100000 && why.rfind("host ", 0) == 0) offsite_.insert(url);
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(scope_mu_);
    if (!seen_.insert(url).second) return false;
  }
  Task task;
  task.url = url;
  task.host = HostKeyOf(url);
  task.kind = kind;
  task.depth = depth;
  task.via = via;
  task.redirects = std::move(redirects);
  EnsureHost(task.host, OriginOf(url));
  if (discovered != nullptr) discovered->push_back(task);
  frontier_->Add(std::move(task));
  return true;
}

}  // namespace imi::crawl::internal
