#ifndef IMI_STORE_POSTGRES_PG_CONNECTION_H_
#define IMI_STORE_POSTGRES_PG_CONNECTION_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

struct pg_conn;
struct pg_result;

namespace imi::store {

// Rows of a completed query. Owns the libpq result; movable, not copyable.
class PgResult {
 public:
  explicit PgResult(pg_result* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult& operator=(PgResult&& other) noexcept;
  ~PgResult();

  int rows() const;
  bool IsNull(int row, int column) const;
  std::string Text(int row, int column) const;
  int64_t Int(int row, int column) const;
  double Real(int row, int column) const;

 private:
  pg_result* result_;
};

// One libpq connection (the only code that includes libpq-fe.h). Not
// thread-safe. All user values travel as text parameters ($1, $2, ...);
// a null optional is SQL NULL.
class PgConnection {
 public:
  // Unavailable (with libpq's reason) if the server cannot be reached.
  static Result<std::unique_ptr<PgConnection>> Connect(const std::string& dsn);
  // Takes ownership of a connection handle.
  explicit PgConnection(pg_conn* conn, std::string dsn) : conn_(conn), dsn_(std::move(dsn)) {}
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement. Errors map SQLSTATE classes onto codes: connection
  // failures Unavailable, data exceptions InvalidArgument, constraint
  // violations FailedPrecondition, undefined tables NotFound.
  Result<PgResult> Exec(std::string_view sql, const std::vector<std::optional<std::string>>& params = {});
  // Runs a statement and discards its rows.
  Status Run(std::string_view sql, const std::vector<std::optional<std::string>>& params = {});

  // True when libpq has lost the connection.
  bool broken() const;
  // Re-establishes a lost connection. Unavailable if the server is still down.
  Status Reconnect();

 private:
  pg_conn* conn_;
  std::string dsn_;
};

// Double-quotes an identifier for SQL (doubling embedded quotes).
std::string QuoteIdentifier(std::string_view name);

}  // namespace imi::store

#endif  // IMI_STORE_POSTGRES_PG_CONNECTION_H_
