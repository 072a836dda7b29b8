#include "store/postgres/pg_connection.h"

#include <libpq-fe.h>

#include <cstdlib>

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

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& dsn) {
  pg_conn* conn = PQconnectdb(dsn.c_str());
  auto connection = std::make_unique<PgConnection>(conn, dsn);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    std::string why = conn ? PQerrorMessage(conn) : "out of memory";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Status::Unavailable("cannot connect to PostgreSQL: " + why);
  }
  // Quiet NOTICEs (e.g. "relation already exists, skipping") on stderr.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return connection;
}

PgConnection::~PgConnection() {
  if (conn_) PQfinish(conn_);
}

bool PgConnection::broken() const { return conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK; }

Status PgConnection::Reconnect() {
  if (conn_) PQfinish(conn_);
  conn_ = PQconnectdb(dsn_.c_str());
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    std::string why = conn_ ? PQerrorMessage(conn_) : "out of memory";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Status::Unavailable("PostgreSQL is unreachable: " + why);
  }
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  return Status::Ok();
}

Result<PgResult> PgConnection::Exec(std::string_view sql, const std::vector<std::optional<std::string>>& params) {
  if (broken()) return Status::Unavailable("PostgreSQL connection is lost");
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  pg_result* raw = PQexecParams(conn_, std::string(sql).c_str(), static_cast<int>(params.size()), nullptr,
                                values.data(), nullptr, nullptr, 0);
  PgResult holder(raw);  // owns raw from here on
  ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return holder;
  std::string message = raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  if (broken() || sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03")
    return Status::Unavailable("PostgreSQL is unavailable: " + message);
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
