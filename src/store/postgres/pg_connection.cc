#include "store/postgres/pg_connection.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace imi::store {

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_) PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

PgResult::~PgResult() {
  if (result_) PQclear(result_);
}

int PgResult::rows() const { return PQntuples(result_); }
bool PgResult::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
std::string PgResult::Text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column), static_cast<size_t>(PQgetlength(result_, row, column)));
}
int64_t PgResult::Int(int row, int column) const { return std::strtoll(PQgetvalue(result_, row, column), nullptr, 10); }
double PgResult::Real(int row, int column) const { return std::strtod(PQgetvalue(result_, row, column), nullptr); }

PgInterrupt::PgInterrupt() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

PgInterrupt::~PgInterrupt() {
  if (fd_ >= 0) ::close(fd_);
}

void PgInterrupt::Fire() {
  fired_ = true;
  const uint64_t one = 1;
  if (fd_ >= 0) (void)!::write(fd_, &one, sizeof(one));
}

namespace {

long long NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Trimmed(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

}  // namespace

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& dsn, const PgDeadlines& deadlines,
                                                             const PgInterrupt* interrupt) {
  auto connection = std::make_unique<PgConnection>(dsn, deadlines, interrupt);
  IMI_RETURN_IF_ERROR(connection->Open());
  return connection;
}

PgConnection::~PgConnection() { Close(); }

void PgConnection::Close() {
  // PQfinish only queues a Terminate message: it does not wait for a server
  // that stopped answering.
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
}

bool PgConnection::broken() const { return conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK; }

Status PgConnection::WaitSocket(short events, long long deadline_ms, const char* what, int timeout_ms) {
  for (;;) {
    if (interrupt_ != nullptr && interrupt_->fired()) {
      gave_up_ = true;
      Close();
      return Status::Unavailable(std::string("PostgreSQL call abandoned while ") + what + ": the store is shutting down");
    }
    const long long remaining = deadline_ms - NowMs();
    const int socket = conn_ ? PQsocket(conn_) : -1;
    if (socket < 0) return Status::Unavailable(std::string("PostgreSQL connection lost while ") + what);
    if (remaining <= 0) {
      gave_up_ = true;
      Close();
      return Status::Unavailable(std::string("PostgreSQL did not answer within ") + std::to_string(timeout_ms) +
                                 " ms while " + what);
    }
    pollfd fds[2] = {{socket, events, 0}, {interrupt_ ? interrupt_->fd() : -1, POLLIN, 0}};
    const int n = ::poll(fds, interrupt_ ? 2 : 1, static_cast<int>(std::min<long long>(remaining, 1 << 30)));
    if (n < 0 && errno != EINTR) return Status::Unavailable(std::string("poll failed: ") + std::strerror(errno));
    if (n > 0 && fds[0].revents != 0) return Status::Ok();
  }
}

Status PgConnection::Open() {
  Close();
  gave_up_ = false;
  if (interrupt_ != nullptr && interrupt_->fired())
    return Status::Unavailable("the store is shutting down; not connecting to PostgreSQL");
  const long long deadline = NowMs() + deadlines_.connect_timeout_ms;
  conn_ = PQconnectStart(dsn_.c_str());
  if (conn_ == nullptr) return Status::Unavailable("cannot connect to PostgreSQL: out of memory");
  if (PQstatus(conn_) == CONNECTION_BAD) {
    std::string why = Trimmed(PQerrorMessage(conn_));
    Close();
    return Status::Unavailable("cannot connect to PostgreSQL: " + why);
  }
  // libpq's asynchronous connect: wait for what PQconnectPoll asks for,
  // starting as if it had asked to write.
  PostgresPollingStatusType polled = PGRES_POLLING_WRITING;
  while (polled != PGRES_POLLING_OK) {
    if (polled == PGRES_POLLING_FAILED) {
      std::string why = Trimmed(PQerrorMessage(conn_));
      Close();
      return Status::Unavailable("cannot connect to PostgreSQL: " + why);
    }
    IMI_RETURN_IF_ERROR(WaitSocket(polled == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline, "connecting",
                                   deadlines_.connect_timeout_ms)
                            .WithContext("cannot connect to PostgreSQL"));
    polled = PQconnectPoll(conn_);
  }
  PQsetnonblocking(conn_, 1);
  // Quiet NOTICEs (e.g. "relation already exists, skipping") on stderr.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  // The server gives up on a statement as soon as imi does.
  return Run("SET statement_timeout = " + std::to_string(deadlines_.statement_timeout_ms));
}

Status PgConnection::Reconnect() { return Open().WithContext("PostgreSQL is unreachable"); }

Result<PgResult> PgConnection::Exec(std::string_view sql, const std::vector<std::optional<std::string>>& params) {
  gave_up_ = false;
  if (interrupt_ != nullptr && interrupt_->fired())
    return Status::Unavailable("the store is shutting down; PostgreSQL call not made");
  if (broken()) return Status::Unavailable("PostgreSQL connection is lost");
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  const long long deadline = NowMs() + deadlines_.statement_timeout_ms;
  const int timeout = deadlines_.statement_timeout_ms;
  if (!PQsendQueryParams(conn_, std::string(sql).c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                         nullptr, nullptr, 0)) {
    std::string why = Trimmed(PQerrorMessage(conn_));
    if (broken()) return Status::Unavailable("PostgreSQL is unavailable: " + why);
    return Status::Internal("PostgreSQL refused a statement: " + why);
  }
  // Non-blocking send: large parameter arrays go out as the socket drains.
  for (;;) {
    const int flushed = PQflush(conn_);
    if (flushed == 0) break;
    if (flushed < 0) return Status::Unavailable("PostgreSQL is unavailable: " + Trimmed(PQerrorMessage(conn_)));
    IMI_RETURN_IF_ERROR(WaitSocket(POLLIN | POLLOUT, deadline, "sending a statement", timeout));
    if (!PQconsumeInput(conn_))
      return Status::Unavailable("PostgreSQL is unavailable: " + Trimmed(PQerrorMessage(conn_)));
  }
  pg_result* raw = nullptr;
  for (;;) {
    if (!PQisBusy(conn_)) {
      pg_result* next = PQgetResult(conn_);
      if (next == nullptr) break;
      if (raw != nullptr) PQclear(raw);
      raw = next;
      continue;
    }
    Status waited = WaitSocket(POLLIN, deadline, "waiting for a statement's result", timeout);
    if (!waited.ok()) {
      if (raw != nullptr) PQclear(raw);
      return waited;
    }
    if (!PQconsumeInput(conn_)) {
      if (raw != nullptr) PQclear(raw);
      return Status::Unavailable("PostgreSQL is unavailable: " + Trimmed(PQerrorMessage(conn_)));
    }
  }
  PgResult holder(raw);  // owns raw from here on
  ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return holder;
  std::string message = Trimmed(raw ? PQresultErrorMessage(raw) : (conn_ ? PQerrorMessage(conn_) : ""));
  const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  if (broken() || sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03")
    return Status::Unavailable("PostgreSQL is unavailable: " + message);
  if (sqlstate == "57014")
    return Status::Unavailable("PostgreSQL did not finish a statement within " + std::to_string(timeout) +
                               " ms: " + message);
  if (sqlstate == "53100") return Status::NoSpace("PostgreSQL: the disk is full: " + message);
  if (sqlstate.rfind("22", 0) == 0) return Status::InvalidArgument("PostgreSQL rejected a value: " + message);
  if (sqlstate.rfind("23", 0) == 0) return Status::FailedPrecondition("PostgreSQL constraint: " + message);
  if (sqlstate == "42P01") return Status::NotFound("PostgreSQL table missing: " + message);
  if (sqlstate == "40001" || sqlstate == "40P01") return Status::Unavailable("PostgreSQL conflict, retry: " + message);
  return Status::Internal("PostgreSQL error " + sqlstate + ": " + message);
}

Status PgConnection::Run(std::string_view sql, const std::vector<std::optional<std::string>>& params) {
  IMI_ASSIGN_OR_RETURN(PgResult result, Exec(sql, params));
  (void)result;
  return Status::Ok();
}

std::optional<int> DsnConnectTimeoutMs(const std::string& dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  if (options == nullptr) return std::nullopt;
  std::optional<int> ms;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "connect_timeout") == 0 && o->val != nullptr && *o->val != '\0') {
      const int seconds = std::atoi(o->val);
      // libpq's own rule: 0 waits forever, anything else at least 2 s.
      if (seconds > 0) ms = std::max(seconds, 2) * 1000;
    }
  }
  PQconninfoFree(options);
  return ms;
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace imi::store
