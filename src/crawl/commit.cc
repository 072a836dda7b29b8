// The committer: embeds and stores documents, then records the crawl state
// of the same results, in that order, so that a crash between the two only
// makes the next run fetch those pages again (documents are keyed by URL,
// so nothing is stored twice). Ends a run by removing the documents of
// pages that are gone.
#include <chrono>
#include <set>
#include <unordered_set>

#include "crawl/session.h"

namespace imi::crawl::internal {

namespace {

// Outcomes under which a page's document stays current.
bool IsLive(const std::string& outcome) {
  return outcome == "stored" || outcome == "updated" || outcome == "unchanged" || outcome == "not_modified" ||
         outcome == "duplicate";
}

std::string KindName(TaskKind kind) {
  switch (kind) {
    case TaskKind::kPage: return "page";
    case TaskKind::kSitemap: return "sitemap";
    case TaskKind::kRobots: return "robots";
  }
  return "page";
}

double Since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

Status Session::CommitLoop() {
  std::vector<PageResult> batch;
  size_t batch_docs = 0;
  while (true) {
    std::optional<PageResult> result = results_.Pop(200);
    if (result) {
      if (result->retry) {
        if (result->outcome == "retry") Log(*result);
      } else {
        if (result->doc) ++batch_docs;
        batch.push_back(std::move(*result));
      }
    }
    const bool drained = !result && results_.Drained();
    if (!batch.empty() && (batch_docs >= options_.batch_documents || !result || batch.size() >= 256)) {
      IMI_RETURN_IF_ERROR(Flush(&batch));
      batch.clear();
      batch_docs = 0;
    }
    Report(false);
    if (drained && batch.empty()) return Status::Ok();
    if (StopRequested() && !frontier_->stopped()) {
      summary_.stop_reason = "interrupted";
      frontier_->Stop();
    }
  }
}

Status Session::Flush(std::vector<PageResult>* batch) {
  // Decide what needs embedding: a document whose text did not change is
  // left alone; two pages with one canonical URL in a batch store it once.
  std::vector<search::SourceDocument> docs;
  std::map<std::string, size_t> by_id;
  for (size_t i = 0; i < batch->size(); ++i) {
    PageResult& r = (*batch)[i];
    if (!r.doc) continue;
    auto known = doc_hashes_.find(r.document_id);
    if (known != doc_hashes_.end() && known->second == r.content_hash) {
      r.outcome = "unchanged";
      r.doc.reset();
      continue;
    }
    r.outcome = known == doc_hashes_.end() ? "stored" : "updated";
    if (auto it = by_id.find(r.document_id); it != by_id.end()) {
      PageResult& earlier = (*batch)[it->second];
      earlier.outcome = "duplicate";
      earlier.doc.reset();
    }
    by_id[r.document_id] = i;
  }
  std::vector<size_t> order;
  for (auto& [id, i] : by_id) {
    if ((*batch)[i].doc) order.push_back(i);
  }
  for (size_t i : order) docs.push_back(*(*batch)[i].doc);
  if (!docs.empty()) {
    const auto started = Clock::now();
    IMI_ASSIGN_OR_RETURN(search::IndexStats stats, index_->Add(std::move(docs)));
    summary_.embed_seconds += Since(started);
    summary_.chunks += stats.chunks;
    for (size_t i : order) doc_hashes_[(*batch)[i].document_id] = (*batch)[i].content_hash;
  }
  std::vector<store::CrawlRecord> changed;
  for (const PageResult& r : *batch) Record(r, &changed);
  IMI_RETURN_IF_ERROR(state_->SaveRecords(options_.collection, changed));
  for (const PageResult& r : *batch) {
    Log(r);
    summary_.fetch_seconds += r.fetch_seconds;
    summary_.extract_seconds += r.extract_seconds;
    if (r.task.kind == TaskKind::kSitemap && r.outcome == "sitemap") {
      ++summary_.sitemaps;
      summary_.sitemap_urls += r.sitemap_entries;
    }
    if (r.task.kind != TaskKind::kPage) continue;
    ++summary_.pages;
    ++summary_.outcomes[r.outcome];
    if (r.outcome == "stored") ++summary_.stored_new;
    if (r.outcome == "updated") ++summary_.stored_updated;
    if (r.outcome == "unchanged" || r.outcome == "duplicate") ++summary_.unchanged;
    if (r.outcome == "not_modified") ++summary_.not_modified;
    if (r.outcome == "failed") ++summary_.failed;
    if (r.outcome == "skipped_type") ++summary_.skipped_types[r.content_type.empty() ? "(none)" : r.content_type];
    if (!r.charset.empty()) ++summary_.charsets[r.charset][r.charset_source];
  }
  return Status::Ok();
}

void Session::Record(const PageResult& r, std::vector<store::CrawlRecord>* changed) {
  if (r.task.kind == TaskKind::kRobots) {
    // robots.txt is read again by every invocation; only what it queued is kept.
  } else {
    store::CrawlRecord& rec = records_[r.task.url];
    rec.url = r.task.url;
    rec.queued_run = std::max(rec.queued_run, run_);
    rec.done_run = run_;
    nlohmann::json& d = rec.data;
    const std::string previous_document = d.value("document_id", "");
    d["kind"] = KindName(r.task.kind);
    d["depth"] = r.task.depth;
    d["via"] = r.task.via;
    d["outcome"] = r.outcome;
    d["status"] = r.status;
    d["fetched_at"] = r.fetched_at;
    d["attempts"] = r.task.attempt + 1;
    if (r.reason.empty()) d.erase("reason"); else d["reason"] = r.reason;
    d.erase("redirects");
    if (!r.redirect_to.empty()) d["redirect_to"] = r.redirect_to; else d.erase("redirect_to");
    if (r.outcome != "not_modified") {
      // A 304 keeps what the page had; anything else replaces it.
      d["etag"] = r.etag;
      d["last_modified"] = r.last_modified;
      d["links"] = r.links;
      if (!r.charset.empty()) d["charset"] = r.charset; else d.erase("charset");
    }
    if (!r.document_id.empty() && r.outcome != "not_modified") {
      if (!previous_document.empty() && previous_document != r.document_id) {
        // The page now stands for another document: the old one is
        // removed at the end of the run unless another page keeps it.
        nlohmann::json& stale = d["stale_documents"];
        if (!stale.is_array()) stale = nlohmann::json::array();
        stale.push_back(previous_document);
      }
      d["document_id"] = r.document_id;
      if (IsLive(r.outcome)) d["content_hash"] = r.content_hash;
    }
    changed->push_back(rec);
  }
  for (const Task& t : r.discovered) {
    store::CrawlRecord& rec = records_[t.url];
    if (rec.done_run == run_) continue;  // finished already (it may finish before its finder commits)
    rec.url = t.url;
    rec.queued_run = run_;
    rec.data["kind"] = KindName(t.kind);
    rec.data["depth"] = t.depth;
    rec.data["via"] = t.via;
    if (t.redirects.empty()) rec.data.erase("redirects"); else rec.data["redirects"] = t.redirects;
    if (!rec.data.contains("outcome")) rec.data["outcome"] = "queued";
    changed->push_back(rec);
  }
  if (!r.alias.empty()) {
    store::CrawlRecord& rec = records_[r.alias];
    if (rec.done_run != run_) {
      rec.url = r.alias;
      rec.queued_run = run_;
      rec.done_run = run_;
      rec.data["kind"] = "page";
      rec.data["via"] = "canonical";
      rec.data["depth"] = r.task.depth;
      rec.data["outcome"] = "canonical_of";
      rec.data["canonical_of"] = r.task.url;
      changed->push_back(rec);
    }
  }
}

Status Session::FinishRun() {
  // Which documents this run saw alive, which it must keep although it did
  // not see them (pending or failed pages), and which pages it did reach.
  std::unordered_set<std::string> live, keep;
  size_t pages_done = 0, pages_failed = 0;
  bool discovery_failed = robots_failures_ > 0;
  for (const auto& [url, rec] : records_) {
    const std::string kind = rec.data.value("kind", "page");
    const std::string outcome = rec.data.value("outcome", "");
    if (rec.done_run == run_ && kind == "sitemap" && outcome == "failed") discovery_failed = true;
    if (rec.done_run == run_ && kind == "page") {
      ++pages_done;
      if (outcome == "failed") ++pages_failed;
    }
    if (kind != "page" || outcome == "canonical_of") continue;
    const std::string doc = rec.data.value("document_id", "");
    if (doc.empty()) continue;
    if (rec.done_run == run_ && IsLive(outcome)) live.insert(doc);
    if ((rec.queued_run == run_ && rec.done_run < run_) || (rec.done_run == run_ && outcome == "failed")) keep.insert(doc);
  }
  // Pages that no link and no sitemap leads to any more are removed only
  // when the run could see the whole site: every robots.txt and sitemap
  // read, and at most 5% of pages failed (more looks like an outage).
  const bool clean = !discovery_failed && pages_failed * 20 <= pages_done;
  std::set<std::string> to_delete;
  std::vector<std::string> vanished_records;
  for (auto& [url, rec] : records_) {
    const std::string kind = rec.data.value("kind", "page");
    const bool reached = rec.queued_run == run_;
    if (!reached) {
      if (clean) vanished_records.push_back(url);
    }
    if (kind != "page" || rec.data.value("outcome", "") == "canonical_of") continue;
    if (const auto stale = rec.data.find("stale_documents"); stale != rec.data.end() && stale->is_array()) {
      for (const auto& s : *stale) {
        if (s.is_string() && !live.count(s.get<std::string>()) && !keep.count(s.get<std::string>()))
          to_delete.insert(s.get<std::string>());
      }
    }
    const std::string doc = rec.data.value("document_id", "");
    if (doc.empty() || live.count(doc) || keep.count(doc)) continue;
    if (reached) {
      to_delete.insert(doc);  // 404/410, now disallowed, noindex, redirected, ...
    } else if (clean) {
      to_delete.insert(doc);  // vanished from the sitemap and from every link
    } else {
      ++summary_.kept_unseen;
    }
  }
  for (const std::string& id : to_delete) {
    Status s = store_->DeleteDocument(options_.collection, id);
    if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
    doc_hashes_.erase(id);
    if (s.ok()) ++summary_.deleted;
  }
  std::vector<store::CrawlRecord> changed;
  for (auto& [url, rec] : records_) {
    bool touched = rec.data.erase("stale_documents") > 0;
    const std::string doc = rec.data.value("document_id", "");
    if (!doc.empty() && to_delete.count(doc)) {
      rec.data.erase("document_id");
      rec.data.erase("content_hash");
      touched = true;
    }
    if (touched) changed.push_back(rec);
  }
  IMI_RETURN_IF_ERROR(state_->SaveRecords(options_.collection, changed));
  IMI_RETURN_IF_ERROR(state_->DeleteRecords(options_.collection, vanished_records));
  for (const std::string& url : vanished_records) records_.erase(url);
  const nlohmann::json info = {{"pages", summary_.pages},     {"stored_new", summary_.stored_new},
                               {"updated", summary_.stored_updated}, {"unchanged", summary_.unchanged},
                               {"not_modified", summary_.not_modified}, {"failed", summary_.failed},
                               {"deleted", summary_.deleted}, {"seeds", options_.start_urls}};
  return state_->FinishRun(options_.collection, run_, info);
}

}  // namespace imi::crawl::internal
