// Crawl state in the embedded store's SQLite database, on a connection of
// its own (WAL lets it write next to the vector store's writer).
#include <filesystem>
#include <mutex>

#include "store/crawl_state.h"
#include "store/embedded/sqlite_db.h"

namespace imi::store {

namespace {

constexpr int kBusyTimeoutMs = 10000;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS imi_crawl_runs ("
    " collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,"
    " run INTEGER NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, info TEXT NOT NULL,"
    " PRIMARY KEY (collection_id, run));"
    "CREATE TABLE IF NOT EXISTS imi_crawl_urls ("
    " collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,"
    " url TEXT NOT NULL, queued_run INTEGER NOT NULL, done_run INTEGER NOT NULL, data TEXT NOT NULL,"
    " PRIMARY KEY (collection_id, url));"
    "INSERT OR IGNORE INTO imi_meta(key, value) VALUES ('crawl_state_version', '1');";

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

class SqliteCrawlState final : public CrawlStateStore {
 public:
  explicit SqliteCrawlState(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Status Init() {
    IMI_ASSIGN_OR_RETURN(SqliteStatement check,
                         SqliteStatement::Prepare(db_.get(), "SELECT value FROM imi_meta WHERE key = 'crawl_state_version'"));
    IMI_ASSIGN_OR_RETURN(bool row, check.Step());
    if (row && check.Text(0) != "1") {
      return Status::FailedPrecondition("crawl state version " + check.Text(0) + " is newer than this imi (1)");
    }
    return db_->Exec(kSchema);
  }

  Result<CrawlRun> LatestRun(const std::string& collection) override {
    std::lock_guard<std::mutex> lock(mu_);
    IMI_ASSIGN_OR_RETURN(int64_t id, CollectionId(collection));
    IMI_ASSIGN_OR_RETURN(SqliteStatement st,
                         SqliteStatement::Prepare(db_.get(), "SELECT run, started_at, finished_at, info FROM imi_crawl_runs "
                                                             "WHERE collection_id = ?1 ORDER BY run DESC LIMIT 1"));
    st.BindInt(1, id);
    IMI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Status::NotFound("collection \"" + collection + "\" has not been crawled");
    CrawlRun run;
    run.run = st.Int(0);
    run.started_at = st.Text(1);
    run.finished = !st.IsNull(2);
    run.finished_at = run.finished ? st.Text(2) : "";
    run.info = nlohmann::json::parse(st.Text(3), nullptr, false);
    if (!run.info.is_object()) run.info = nlohmann::json::object();
    return run;
  }

  Status StartRun(const std::string& collection, int64_t run, const nlohmann::json& info) override {
    std::lock_guard<std::mutex> lock(mu_);
    IMI_ASSIGN_OR_RETURN(int64_t id, CollectionId(collection));
    IMI_ASSIGN_OR_RETURN(SqliteStatement st,
                         SqliteStatement::Prepare(db_.get(), std::string("INSERT INTO imi_crawl_runs(collection_id, run, "
                                                                         "started_at, info) VALUES (?1, ?2, ") +
                                                                 kNow + ", ?3)"));
    st.BindInt(1, id);
    st.BindInt(2, run);
    st.BindText(3, info.dump());
    Status s = st.Run();
    if (!s.ok() && s.code() != StatusCode::kUnavailable) {
      return Status::FailedPrecondition("crawl run " + std::to_string(run) + " of \"" + collection +
                                        "\" exists already: " + s.message());
    }
    return s;
  }

  Status FinishRun(const std::string& collection, int64_t run, const nlohmann::json& info) override {
    std::lock_guard<std::mutex> lock(mu_);
    IMI_ASSIGN_OR_RETURN(int64_t id, CollectionId(collection));
    IMI_ASSIGN_OR_RETURN(SqliteStatement st,
                         SqliteStatement::Prepare(db_.get(), std::string("UPDATE imi_crawl_runs SET finished_at = ") +
                                                                 kNow + ", info = ?3 WHERE collection_id = ?1 AND run = ?2"));
    st.BindInt(1, id);
    st.BindInt(2, run);
    st.BindText(3, info.dump());
    IMI_RETURN_IF_ERROR(st.Run());
    if (db_->Changes() == 0) return Status::NotFound("no crawl run " + std::to_string(run) + " of \"" + collection + "\"");
    return Status::Ok();
  }

  Result<std::vector<CrawlRecord>> LoadRecords(const std::string& collection) override {
    std::lock_guard<std::mutex> lock(mu_);
    IMI_ASSIGN_OR_RETURN(int64_t id, CollectionId(collection));
    IMI_ASSIGN_OR_RETURN(SqliteStatement st,
                         SqliteStatement::Prepare(db_.get(), "SELECT url, queued_run, done_run, data FROM imi_crawl_urls "
                                                             "WHERE collection_id = ?1 ORDER BY url"));
    st.BindInt(1, id);
    std::vector<CrawlRecord> out;
    while (true) {
      IMI_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      CrawlRecord r;
      r.url = st.Text(0);
      r.queued_run = st.Int(1);
      r.done_run = st.Int(2);
      r.data = nlohmann::json::parse(st.Text(3), nullptr, false);
      if (!r.data.is_object()) return Status::DataLoss("crawl state of \"" + collection + "\": bad data for " + r.url);
      out.push_back(std::move(r));
    }
    return out;
  }

  Status SaveRecords(const std::string& collection, const std::vector<CrawlRecord>& records) override {
    if (records.empty()) return Status::Ok();
    std::lock_guard<std::mutex> lock(mu_);
    IMI_ASSIGN_OR_RETURN(int64_t id, CollectionId(collection));
    IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db_.get(), true));
    IMI_ASSIGN_OR_RETURN(SqliteStatement st,
                         SqliteStatement::Prepare(db_.get(), "INSERT OR REPLACE INTO imi_crawl_urls(collection_id, url, "
                                                             "queued_run, done_run, data) VALUES (?1, ?2, ?3, ?4, ?5)"));
    for (const CrawlRecord& r : records) {
      st.Reset();
      st.BindInt(1, id);
      st.BindText(2, r.url);
      st.BindInt(3, r.queued_run);
      st.BindInt(4, r.done_run);
      st.BindText(5, r.data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      IMI_RETURN_IF_ERROR(st.Run());
    }
    return txn->Commit();
  }

  Status DeleteRecords(const std::string& collection, const std::vector<std::string>& urls) override {
    if (urls.empty()) return Status::Ok();
    std::lock_guard<std::mutex> lock(mu_);
    IMI_ASSIGN_OR_RETURN(int64_t id, CollectionId(collection));
    IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db_.get(), true));
    IMI_ASSIGN_OR_RETURN(SqliteStatement st, SqliteStatement::Prepare(db_.get(), "DELETE FROM imi_crawl_urls WHERE "
                                                                                 "collection_id = ?1 AND url = ?2"));
    for (const std::string& url : urls) {
      st.Reset();
      st.BindInt(1, id);
      st.BindText(2, url);
      IMI_RETURN_IF_ERROR(st.Run());
    }
    return txn->Commit();
  }

 private:
  Result<int64_t> CollectionId(const std::string& collection) {
    IMI_RETURN_IF_ERROR(ValidateCollectionName(collection));
    IMI_ASSIGN_OR_RETURN(SqliteStatement st, SqliteStatement::Prepare(db_.get(), "SELECT id FROM collections WHERE name = ?1"));
    st.BindText(1, collection);
    IMI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Status::NotFound("collection \"" + collection + "\" not found");
    return st.Int(0);
  }

  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace

Result<std::unique_ptr<CrawlStateStore>> OpenEmbeddedCrawlState(const std::string& directory) {
  const std::filesystem::path path = std::filesystem::path(directory) / "imi.sqlite3";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::NotFound("no embedded store at " + directory + " (open it as a vector store first)");
  }
  IMI_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path.string(), kBusyTimeoutMs));
  auto state = std::make_unique<SqliteCrawlState>(std::move(db));
  IMI_RETURN_IF_ERROR(state->Init());
  return std::unique_ptr<CrawlStateStore>(std::move(state));
}

}  // namespace imi::store
