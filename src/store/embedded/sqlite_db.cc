#include "store/embedded/sqlite_db.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace imi::store {

namespace {

// SQLite's default auto-checkpoint threshold (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT).
constexpr int kAutoCheckpointFrames = 1000;

Status FromSqlite(int code, std::string_view context, const char* message) {
  std::string msg = std::string(context) + ": " + (message ? message : sqlite3_errstr(code));
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Status::Unavailable(msg + " (the store is busy; retry)");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Status::DataLoss(msg);
    case SQLITE_FULL: return Status::NoSpace(msg + " (the disk is full; free space and retry)");
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY: return Status::IoError(msg);
    case SQLITE_CONSTRAINT: return Status::FailedPrecondition(msg);
    default: return Status::Internal(msg);
  }
}

}  // namespace

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  auto db = std::make_unique<SqliteDb>(raw);
  if (rc != SQLITE_OK) return FromSqlite(rc, "cannot open " + path, raw ? sqlite3_errmsg(raw) : nullptr);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  // WAL lets readers run beside the writer on a consistent snapshot;
  // synchronous=FULL fsyncs the WAL at every commit, so an acknowledged
  // write survives a power cut as well as a killed process.
  // Switching a new database to WAL needs an exclusive lock that SQLite
  // does not wait for (no busy handler): when several processes open a new
  // store at once, the losers retry until the busy timeout.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (int attempt = 0;; ++attempt) {
    Status configured = db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
    if (configured.ok()) break;
    if (configured.code() != StatusCode::kUnavailable || std::chrono::steady_clock::now() >= give_up)
      return configured.WithContext("cannot configure " + path);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5 + 5 * attempt, 50)));
  }
  return db;
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

void SqliteDb::CheckpointWhenWalExceeds(int frames) {
  truncate_frames_ = frames;
  // Replaces SQLite's auto-checkpoint hook, so it does that hook's work too.
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3* db, const char* name, int wal_frames) -> int {
        const int limit = static_cast<SqliteDb*>(self)->truncate_frames_;
        if (wal_frames >= limit) {
          // Blocks new writers and waits for old readers, copies every frame
          // back and empties the WAL; if readers outlast the busy timeout it
          // is tried again after the next commit.
          sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
        } else if (wal_frames >= kAutoCheckpointFrames) {
          sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        }
        return SQLITE_OK;
      },
      this);
}

Status SqliteDb::Exec(std::string_view sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  Status status = FromSqlite(rc, "sqlite", err);
  sqlite3_free(err);
  return status;
}

Status SqliteDb::LastError(std::string_view context) const {
  return FromSqlite(sqlite3_extended_errcode(db_), context, sqlite3_errmsg(db_));
}

int64_t SqliteDb::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }
int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_); }

Result<SqliteStatement> SqliteStatement::Prepare(SqliteDb* db, std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db->handle(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return db->LastError("sqlite prepare");
  return SqliteStatement(db, stmt);
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

SqliteStatement::~SqliteStatement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

void SqliteStatement::BindText(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}
void SqliteStatement::BindInt(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
void SqliteStatement::BindReal(int index, double value) { sqlite3_bind_double(stmt_, index, value); }
void SqliteStatement::BindBlob(int index, const void* data, size_t bytes) {
  sqlite3_bind_blob64(stmt_, index, data, bytes, SQLITE_TRANSIENT);
}
void SqliteStatement::BindNull(int index) { sqlite3_bind_null(stmt_, index); }

void SqliteStatement::BindParams(const std::vector<SqlParam>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    int index = static_cast<int>(i) + 1;
    if (params[i].kind == SqlParam::Kind::kReal) {
      BindReal(index, params[i].real);
    } else {
      BindText(index, params[i].text);
    }
  }
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Result<bool> SqliteStatement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->LastError("sqlite step");
}

Status SqliteStatement::Run() {
  while (true) {
    IMI_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

int64_t SqliteStatement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }
double SqliteStatement::Real(int column) const { return sqlite3_column_double(stmt_, column); }
std::string SqliteStatement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  int bytes = sqlite3_column_bytes(stmt_, column);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(bytes)) : std::string();
}
bool SqliteStatement::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
const void* SqliteStatement::Blob(int column, size_t* size) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  *size = static_cast<size_t>(sqlite3_column_bytes(stmt_, column));
  return data;
}

Result<std::unique_ptr<SqliteTransaction>> SqliteTransaction::Begin(SqliteDb* db, bool write) {
  IMI_RETURN_IF_ERROR(db->Exec(write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED"));
  return std::make_unique<SqliteTransaction>(db);
}

SqliteTransaction::~SqliteTransaction() {
  if (!done_) (void)db_->Exec("ROLLBACK");
}

Status SqliteTransaction::Commit() {
  done_ = true;
  Status status = db_->Exec("COMMIT");
  if (!status.ok()) (void)db_->Exec("ROLLBACK");
  return status;
}

}  // namespace imi::store
