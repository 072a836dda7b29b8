#ifndef IMI_STORE_EMBEDDED_SQLITE_DB_H_
#define IMI_STORE_EMBEDDED_SQLITE_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/filter.h"

struct sqlite3;
struct sqlite3_stmt;

namespace imi::store {

// One SQLite connection (the only code that includes sqlite3.h). Not
// thread-safe: a connection is used by one thread at a time.
class SqliteDb {
 public:
  // Opens (creating) the database at `path` in WAL mode, synchronous=FULL,
  // foreign keys on, a busy timeout of `busy_timeout_ms`.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, int busy_timeout_ms);
  // Takes ownership of an open handle (closed on destruction).
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // After a commit that leaves at least `frames` pages in the WAL, waits
  // (up to the busy timeout) for readers of older snapshots and truncates
  // the WAL; below that SQLite's usual passive checkpoints run. Readers that
  // always overlap keep passive checkpoints from restarting the WAL, which
  // then grows with every write. For the connection that writes.
  void CheckpointWhenWalExceeds(int frames);

  // Runs one or more statements without results.
  Status Exec(std::string_view sql);
  // Status for the connection's last error, with `context`.
  Status LastError(std::string_view context) const;
  // Row id of the last INSERT on this connection.
  int64_t LastInsertRowid() const;
  // Rows changed by the last statement on this connection.
  int64_t Changes() const;
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_;
  int truncate_frames_ = 0;
};

// A prepared statement; reset on destruction. Bind indices start at 1.
class SqliteStatement {
 public:
  static Result<SqliteStatement> Prepare(SqliteDb* db, std::string_view sql);
  SqliteStatement(SqliteStatement&& other) noexcept;
  ~SqliteStatement();

  void BindText(int index, std::string_view text);
  void BindInt(int index, int64_t value);
  void BindReal(int index, double value);
  void BindBlob(int index, const void* data, size_t bytes);
  void BindNull(int index);
  // Binds filter parameters as ?1..?N.
  void BindParams(const std::vector<SqlParam>& params);

  // Clears bindings and rewinds so the statement can run again.
  void Reset();
  // True when a row is available, false when done; errors as Status.
  Result<bool> Step();
  // Steps to completion, expecting no rows.
  Status Run();

  int64_t Int(int column) const;
  double Real(int column) const;
  std::string Text(int column) const;
  bool IsNull(int column) const;
  // Pointer to a blob column valid until the next Step; bytes in *size.
  const void* Blob(int column, size_t* size) const;

 private:
  SqliteStatement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteDb* db_;
  sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back on destruction unless committed.
class SqliteTransaction {
 public:
  static Result<std::unique_ptr<SqliteTransaction>> Begin(SqliteDb* db, bool write);
  // Wraps a transaction already begun on `db`.
  explicit SqliteTransaction(SqliteDb* db) : db_(db) {}
  ~SqliteTransaction();
  Status Commit();

 private:
  SqliteDb* db_;
  bool done_ = false;
};

}  // namespace imi::store

#endif  // IMI_STORE_EMBEDDED_SQLITE_DB_H_
