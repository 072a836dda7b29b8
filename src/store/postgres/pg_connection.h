#ifndef IMI_STORE_POSTGRES_PG_CONNECTION_H_
#define IMI_STORE_POSTGRES_PG_CONNECTION_H_

#include <atomic>
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

// A one-way signal that wakes every wait of the connections sharing it (an
// eventfd): once fired, calls in progress give up and later calls fail at
// once. Thread-safe.
class PgInterrupt {
 public:
  PgInterrupt();
  ~PgInterrupt();
  PgInterrupt(const PgInterrupt&) = delete;
  PgInterrupt& operator=(const PgInterrupt&) = delete;

  void Fire();
  bool fired() const { return fired_.load(); }
  // Readable once fired (for poll).
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::atomic<bool> fired_{false};
};

// How long a connection may wait for the server.
struct PgDeadlines {
  int connect_timeout_ms = 5000;     // establishing a connection (TCP, TLS, start-up)
  int statement_timeout_ms = 30000;  // one statement, from sending it to its last row
};

// One libpq connection (the only code that includes libpq-fe.h). Not
// thread-safe. All user values travel as text parameters ($1, $2, ...);
// a null optional is SQL NULL. Every wait for the server is bounded by
// `deadlines` and ends early when `interrupt` fires; the connection is then
// closed (a server that stopped answering cannot be trusted with it again).
class PgConnection {
 public:
  // Unavailable (with libpq's reason) if the server cannot be reached within
  // the connect timeout, or the interrupt fired. `interrupt` may be null and
  // must outlive the connection.
  static Result<std::unique_ptr<PgConnection>> Connect(const std::string& dsn, const PgDeadlines& deadlines,
                                                       const PgInterrupt* interrupt);
  PgConnection(std::string dsn, const PgDeadlines& deadlines, const PgInterrupt* interrupt)
      : dsn_(std::move(dsn)), deadlines_(deadlines), interrupt_(interrupt) {}
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement. Errors map SQLSTATE classes onto codes: connection
  // failures, timeouts and interrupts Unavailable, data exceptions
  // InvalidArgument, constraint violations FailedPrecondition, undefined
  // tables NotFound.
  Result<PgResult> Exec(std::string_view sql, const std::vector<std::optional<std::string>>& params = {});
  // Runs a statement and discards its rows.
  Status Run(std::string_view sql, const std::vector<std::optional<std::string>>& params = {});

  // True when the connection is lost or was closed after a timeout.
  bool broken() const;
  // True when the last failure was the server not answering in time or an
  // interrupt, not a dropped connection: retrying at once would wait again.
  bool gave_up() const { return gave_up_; }
  // Re-establishes a lost connection. Unavailable if the server is still down.
  Status Reconnect();

 private:
  // Connects (asynchronously, bounded by the connect timeout).
  Status Open();
  // Waits until the socket is ready for `events` (POLLIN/POLLOUT) or the
  // deadline passes or the interrupt fires; Unavailable (and the connection
  // closed) in the last two cases.
  Status WaitSocket(short events, long long deadline_ms, const char* what, int timeout_ms);
  void Close();

  pg_conn* conn_ = nullptr;
  std::string dsn_;
  PgDeadlines deadlines_;
  const PgInterrupt* interrupt_;
  bool gave_up_ = false;
};

// Double-quotes an identifier for SQL (doubling embedded quotes).
std::string QuoteIdentifier(std::string_view name);

// The connect_timeout (in ms) a libpq DSN or URI sets, if any.
std::optional<int> DsnConnectTimeoutMs(const std::string& dsn);

}  // namespace imi::store

#endif  // IMI_STORE_POSTGRES_PG_CONNECTION_H_
