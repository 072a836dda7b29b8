// Crawl state in PostgreSQL, next to imi's collections (docs/sql-schema.md,
// "Crawl state"). Rows travel as one jsonb array parameter per batch.
#include <map>
#include <mutex>

#include "store/crawl_state.h"
#include "store/postgres/pg_connection.h"

namespace imi::store {

namespace {

constexpr int kCrawlStateVersion = 1;

class PgCrawlState final : public CrawlStateStore {
 public:
  explicit PgCrawlState(std::unique_ptr<PgConnection> conn) : conn_(std::move(conn)) {}

  Status Init() {
    return WithConnection([](PgConnection& conn) -> Status {
      return InTransaction(conn, [&]() -> Status {
        IMI_RETURN_IF_ERROR(conn.Run("SELECT pg_advisory_xact_lock(7243912)"));
        IMI_RETURN_IF_ERROR(conn.Run("CREATE TABLE IF NOT EXISTS imi_crawl_schema (version integer NOT NULL)"));
        IMI_ASSIGN_OR_RETURN(PgResult have, conn.Exec("SELECT coalesce(max(version), 0) FROM imi_crawl_schema"));
        const int64_t version = have.Int(0, 0);
        if (version > kCrawlStateVersion) {
          return Status::FailedPrecondition("crawl state schema version " + std::to_string(version) +
                                            " is newer than this imi (" + std::to_string(kCrawlStateVersion) + ")");
        }
        if (version < 1) {
          IMI_RETURN_IF_ERROR(conn.Run(
              "CREATE TABLE imi_crawl_runs ("
              " collection_id bigint NOT NULL REFERENCES imi_collections (id) ON DELETE CASCADE,"
              " run bigint NOT NULL,"
              " started_at timestamptz NOT NULL DEFAULT now(),"
              " finished_at timestamptz,"
              " info jsonb NOT NULL,"
              " PRIMARY KEY (collection_id, run))"));
          IMI_RETURN_IF_ERROR(conn.Run(
              "CREATE TABLE imi_crawl_urls ("
              " collection_id bigint NOT NULL REFERENCES imi_collections (id) ON DELETE CASCADE,"
              " url text NOT NULL,"
              " queued_run bigint NOT NULL,"
              " done_run bigint NOT NULL,"
              " data jsonb NOT NULL,"
              " PRIMARY KEY (collection_id, url))"));
          IMI_RETURN_IF_ERROR(conn.Run("INSERT INTO imi_crawl_schema VALUES (1)"));
        }
        return Status::Ok();
      });
    });
  }

  Result<CrawlRun> LatestRun(const std::string& collection) override {
    CrawlRun run;
    IMI_RETURN_IF_ERROR(WithConnection([&](PgConnection& conn) -> Status {
      IMI_ASSIGN_OR_RETURN(std::string id, CollectionId(conn, collection));
      IMI_ASSIGN_OR_RETURN(
          PgResult r,
          conn.Exec("SELECT run, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                    "to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), info::text "
                    "FROM imi_crawl_runs WHERE collection_id = $1 ORDER BY run DESC LIMIT 1",
                    {id}));
      if (r.rows() == 0) return Status::NotFound("collection \"" + collection + "\" has not been crawled");
      run.run = r.Int(0, 0);
      run.started_at = r.Text(0, 1);
      run.finished = !r.IsNull(0, 2);
      run.finished_at = run.finished ? r.Text(0, 2) : "";
      run.info = nlohmann::json::parse(r.Text(0, 3), nullptr, false);
      if (!run.info.is_object()) run.info = nlohmann::json::object();
      return Status::Ok();
    }));
    return run;
  }

  Status StartRun(const std::string& collection, int64_t run, const nlohmann::json& info) override {
    return WithConnection([&](PgConnection& conn) -> Status {
      IMI_ASSIGN_OR_RETURN(std::string id, CollectionId(conn, collection));
      Status s = conn.Run("INSERT INTO imi_crawl_runs (collection_id, run, info) VALUES ($1, $2, $3::jsonb)",
                          {id, std::to_string(run), Dump(info)});
      if (s.code() == StatusCode::kFailedPrecondition) {
        return Status::FailedPrecondition("crawl run " + std::to_string(run) + " of \"" + collection +
                                          "\" exists already");
      }
      return s;
    });
  }

  Status FinishRun(const std::string& collection, int64_t run, const nlohmann::json& info) override {
    return WithConnection([&](PgConnection& conn) -> Status {
      IMI_ASSIGN_OR_RETURN(std::string id, CollectionId(conn, collection));
      IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec("UPDATE imi_crawl_runs SET finished_at = now(), info = $3::jsonb "
                                                 "WHERE collection_id = $1 AND run = $2 RETURNING run",
                                                 {id, std::to_string(run), Dump(info)}));
      if (r.rows() == 0) return Status::NotFound("no crawl run " + std::to_string(run) + " of \"" + collection + "\"");
      return Status::Ok();
    });
  }

  Result<std::vector<CrawlRecord>> LoadRecords(const std::string& collection) override {
    std::vector<CrawlRecord> out;
    IMI_RETURN_IF_ERROR(WithConnection([&](PgConnection& conn) -> Status {
      out.clear();
      IMI_ASSIGN_OR_RETURN(std::string id, CollectionId(conn, collection));
      IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT url, queued_run, done_run, data::text FROM imi_crawl_urls "
                                                 "WHERE collection_id = $1 ORDER BY url COLLATE \"C\"",
                                                 {id}));
      for (int i = 0; i < r.rows(); ++i) {
        CrawlRecord rec;
        rec.url = r.Text(i, 0);
        rec.queued_run = r.Int(i, 1);
        rec.done_run = r.Int(i, 2);
        rec.data = nlohmann::json::parse(r.Text(i, 3), nullptr, false);
        if (!rec.data.is_object()) return Status::DataLoss("crawl state of \"" + collection + "\": bad data for " + rec.url);
        out.push_back(std::move(rec));
      }
      return Status::Ok();
    }));
    return out;
  }

  Status SaveRecords(const std::string& collection, const std::vector<CrawlRecord>& records) override {
    if (records.empty()) return Status::Ok();
    // One statement may not update a row twice: the last record of a URL wins.
    std::map<std::string, const CrawlRecord*> last;
    for (const CrawlRecord& r : records) last[r.url] = &r;
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [url, r] : last) {
      rows.push_back({{"u", r->url}, {"q", r->queued_run}, {"d", r->done_run}, {"j", r->data}});
    }
    const std::string payload = Dump(rows);
    return WithConnection([&](PgConnection& conn) -> Status {
      IMI_ASSIGN_OR_RETURN(std::string id, CollectionId(conn, collection));
      return conn.Run(
          "INSERT INTO imi_crawl_urls (collection_id, url, queued_run, done_run, data) "
          "SELECT $1, r->>'u', (r->>'q')::bigint, (r->>'d')::bigint, r->'j' FROM jsonb_array_elements($2::jsonb) AS r "
          "ON CONFLICT (collection_id, url) DO UPDATE SET queued_run = excluded.queued_run, "
          "done_run = excluded.done_run, data = excluded.data",
          {id, payload});
    });
  }

  Status DeleteRecords(const std::string& collection, const std::vector<std::string>& urls) override {
    if (urls.empty()) return Status::Ok();
    const std::string payload = Dump(nlohmann::json(urls));
    return WithConnection([&](PgConnection& conn) -> Status {
      IMI_ASSIGN_OR_RETURN(std::string id, CollectionId(conn, collection));
      return conn.Run("DELETE FROM imi_crawl_urls WHERE collection_id = $1 AND url IN "
                      "(SELECT jsonb_array_elements_text($2::jsonb))",
                      {id, payload});
    });
  }

 private:
  static std::string Dump(const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  // Runs `body` between BEGIN and COMMIT (ROLLBACK when it fails).
  template <typename Body>
  static Status InTransaction(PgConnection& conn, Body&& body) {
    IMI_RETURN_IF_ERROR(conn.Run("BEGIN"));
    Status s = body();
    if (s.ok()) s = conn.Run("COMMIT");
    if (!s.ok() && !conn.broken()) (void)conn.Run("ROLLBACK");
    return s;
  }

  static Result<std::string> CollectionId(PgConnection& conn, const std::string& collection) {
    IMI_RETURN_IF_ERROR(ValidateCollectionName(collection));
    IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT id FROM imi_collections WHERE name = $1", {collection}));
    if (r.rows() == 0) return Status::NotFound("collection \"" + collection + "\" not found");
    return r.Text(0, 0);
  }

  // One connection, reconnected once when the server went away (every
  // statement here is idempotent or a single transaction).
  template <typename Body>
  Status WithConnection(Body&& body) {
    std::lock_guard<std::mutex> lock(mu_);
    if (conn_->broken()) IMI_RETURN_IF_ERROR(conn_->Reconnect());
    Status s = body(*conn_);
    if (s.code() == StatusCode::kUnavailable && conn_->broken()) {
      IMI_RETURN_IF_ERROR(conn_->Reconnect());
      s = body(*conn_);
    }
    return s;
  }

  std::mutex mu_;
  std::unique_ptr<PgConnection> conn_;
};

}  // namespace

Result<std::unique_ptr<CrawlStateStore>> OpenPostgresCrawlState(const std::string& dsn) {
  if (dsn.empty()) return Status::InvalidArgument("empty PostgreSQL DSN; pass --pg or set IMI_PG_DSN");
  IMI_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(dsn, PgDeadlines{}, nullptr));
  auto state = std::make_unique<PgCrawlState>(std::move(conn));
  IMI_RETURN_IF_ERROR(state->Init());
  return std::unique_ptr<CrawlStateStore>(std::move(state));
}

}  // namespace imi::store
