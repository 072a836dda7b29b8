// libFuzzer target for the metadata filter language (store/filter.h): the
// input is JSON text, parsed without exceptions and handed to Filter::Parse.
// Checks: a Status or a Filter, never a crash; the same verdict when every
// user string (values and field-path segments) carries a marker, and that
// marker never reaches the SQL text of either dialect; the SQL references
// exactly the parameters it appends (?N / $N, numbered on from any existing
// ones) and nothing else that looks like one; the SQLite SQL prepares and
// selects exactly the fixed metadata objects that Filter::Matches accepts
// (the embedded store uses the SQL for exact search and Matches beside HNSW).
#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/filter.h"

namespace {

using imi::store::Filter;
using imi::store::SqlDialect;
using imi::store::SqlParam;
using Json = nlohmann::json;

constexpr char kMarker[] = "Qz7imiMark";

void Check(bool condition, const char* what, const std::string& detail = "") {
  if (condition) return;
  std::fprintf(stderr, "filter_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// Metadata the filters are evaluated on: every JSON type, nesting, non-ASCII,
// a NUL inside a string, and numbers at the edges of double precision.
const std::vector<Json>& Documents() {
  static const std::vector<Json> docs = [] {
    const char* texts[] = {
        R"({"city":"Sakura","pop":120000,"score":4.5,"open":true,"tags":["a","b"],"none":null,
            "address":{"ward":"Kita","zip":"100-0001"},"year":2020})",
        R"({"city":"桜市","pop":-3,"score":0,"open":false,"address":{"ward":"Minami"},"neg":-0.0,"year":"2020"})",
        R"({"city":"","pop":1e300,"score":"4.5","name":"a\u0000b","x":{"y":{"z":1}},"year":2019.5})",
        R"({})",
        R"({"city":"Momiji","pop":2.5,"a":{"b":{"c":"deep"}},"emoji":"😀","open":1,"tags":"a"})",
        R"({"city":"sakura","pop":0.1,"score":-1e-300,"address":"Kita","none":false,"x":{"y":null}})",
    };
    std::vector<Json> out;
    for (const char* text : texts) out.push_back(Json::parse(text));
    return out;
  }();
  return docs;
}

// In-memory SQLite holding Documents() as the embedded store stores them.
sqlite3* Database() {
  static sqlite3* db = [] {
    sqlite3* handle = nullptr;
    Check(sqlite3_open(":memory:", &handle) == SQLITE_OK, "cannot open SQLite");
    Check(sqlite3_exec(handle, "CREATE TABLE docs(id INTEGER PRIMARY KEY, m TEXT NOT NULL)", nullptr, nullptr,
                       nullptr) == SQLITE_OK,
          "cannot create the table");
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(handle, "INSERT INTO docs(id, m) VALUES (?1, ?2)", -1, &insert, nullptr);
    for (size_t i = 0; i < Documents().size(); ++i) {
      const std::string text = Documents()[i].dump();
      sqlite3_bind_int64(insert, 1, static_cast<sqlite3_int64>(i));
      sqlite3_bind_text(insert, 2, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
      Check(sqlite3_step(insert) == SQLITE_DONE, "cannot insert a document");
      sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    return handle;
  }();
  return db;
}

// Every non-empty segment of a field path gets the marker in front, so the
// marked filter is valid exactly when the original is.
std::string MarkField(const std::string& field) {
  std::string out;
  size_t start = 0;
  while (true) {
    const size_t dot = field.find('.', start);
    const std::string segment = field.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!segment.empty()) out += kMarker;
    out += segment;
    if (dot == std::string::npos) break;
    out += '.';
    start = dot + 1;
  }
  return out;
}

Json MarkValue(const Json& value) {
  if (value.is_string()) return kMarker + value.get<std::string>();
  if (value.is_array()) {
    Json out = Json::array();
    for (const Json& item : value) out.push_back(MarkValue(item));
    return out;
  }
  if (value.is_object()) {
    Json out = Json::object();
    for (auto it = value.begin(); it != value.end(); ++it) out[it.key()] = MarkValue(it.value());
    return out;
  }
  return value;
}

Json MarkFilter(const Json& node) {
  if (!node.is_object()) return node;
  Json out = Json::object();
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string& key = it.key();
    if (key.empty() || key[0] != '$') {
      out[MarkField(key)] = MarkValue(it.value());
    } else if ((key == "$and" || key == "$or") && it.value().is_array()) {
      Json children = Json::array();
      for (const Json& child : it.value()) children.push_back(MarkFilter(child));
      out[key] = std::move(children);
    } else if (key == "$not") {
      out[key] = MarkFilter(it.value());
    } else {
      out[key] = it.value();
    }
  }
  return out;
}

// Checks that `sql` references exactly the parameters first+1..params.size()
// and that every '?' or '$' in it starts such a reference.
void CheckPlaceholders(const std::string& sql, SqlDialect dialect, size_t first, size_t total) {
  const char sigil = dialect == SqlDialect::kSqlite ? '?' : '$';
  std::set<size_t> used;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != '?' && sql[i] != '$') continue;
    Check(sql[i] == sigil, "a placeholder sigil of the other dialect", sql);
    size_t j = i + 1;
    size_t n = 0;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9' && j - i < 8) n = n * 10 + static_cast<size_t>(sql[j++] - '0');
    Check(j > i + 1, "a bare placeholder sigil in the SQL", sql);
    Check(n > first && n <= total, "a placeholder outside the appended parameters", sql);
    used.insert(n);
    i = j - 1;
  }
  Check(used.size() == total - first, "an appended parameter the SQL never references", sql);
}

// Runs the SQLite SQL over Documents() and compares with Matches.
void CheckSqliteAgreesWithMatches(const Filter& filter) {
  std::vector<SqlParam> params;
  const std::string where = filter.ToSql(SqlDialect::kSqlite, "m", &params);
  const std::string sql = "SELECT id FROM docs WHERE " + where + " ORDER BY id";
  sqlite3_stmt* st = nullptr;
  const int rc = sqlite3_prepare_v2(Database(), sql.c_str(), static_cast<int>(sql.size()), &st, nullptr);
  Check(rc == SQLITE_OK, "SQLite rejects the filter SQL", std::string(sqlite3_errmsg(Database())) + "\n" + sql);
  for (size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i + 1);
    if (params[i].kind == SqlParam::Kind::kReal) {
      sqlite3_bind_double(st, index, params[i].real);
    } else {
      sqlite3_bind_text(st, index, params[i].text.data(), static_cast<int>(params[i].text.size()), SQLITE_TRANSIENT);
    }
  }
  std::vector<size_t> selected;
  int step = SQLITE_ROW;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) selected.push_back(static_cast<size_t>(sqlite3_column_int64(st, 0)));
  const std::string error = sqlite3_errmsg(Database());
  sqlite3_finalize(st);
  Check(step == SQLITE_DONE, "SQLite fails while running the filter SQL", error + "\n" + sql);
  std::vector<size_t> matched;
  for (size_t i = 0; i < Documents().size(); ++i) {
    if (filter.Matches(Documents()[i])) matched.push_back(i);
  }
  if (selected != matched) {
    std::string detail = sql + "\nSQLite selects:";
    for (size_t i : selected) detail += " " + std::to_string(i);
    detail += "\nMatches accepts:";
    for (size_t i : matched) detail += " " + std::to_string(i);
    Check(false, "SQLite and Filter::Matches disagree", detail);
  }
}

void CheckSql(const Filter& filter, bool marked) {
  for (SqlDialect dialect : {SqlDialect::kSqlite, SqlDialect::kPostgres}) {
    for (size_t first : {size_t{0}, size_t{2}}) {
      std::vector<SqlParam> params(first);
      const std::string sql = filter.ToSql(dialect, "m", &params);
      Check(!sql.empty(), "empty SQL");
      if (marked) Check(sql.find(kMarker) == std::string::npos, "a user string reached the SQL text", sql);
      CheckPlaceholders(sql, dialect, first, params.size());
    }
  }
  CheckSqliteAgreesWithMatches(filter);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Database();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Json json = Json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  imi::Result<Filter> filter = Filter::Parse(json);
  imi::Result<Filter> marked = Filter::Parse(MarkFilter(json));
  Check(filter.ok() == marked.ok(), "marking user strings changed the verdict", json.dump(-1, ' ', false,
                                                                                      Json::error_handler_t::replace));
  if (!filter.ok()) {
    Check(filter.status().code() == imi::StatusCode::kInvalidArgument && !filter.status().message().empty(),
          "a rejected filter without an InvalidArgument message");
    return 0;
  }
  CheckSql(*filter, false);
  CheckSql(*marked, true);
  return 0;
}
