// Lexical (BM25) and sparse-vector search on PostgreSQL. BM25 is computed by
// one SQL statement whose arithmetic is, operation for operation and in the
// same order, lexical::Bm25Idf and lexical::Bm25TermScore summed in the
// query's term order, so its scores equal the embedded store's bit for bit.
#include "store/postgres/pg_lexical.h"

#include <cstdio>
#include <cstdlib>

#include "store/lexical_analysis.h"
#include "store/postgres/pg_store.h"
#include "store/postgres/pg_transaction.h"

namespace imi::store {

namespace pg_lexical {

namespace {

using Params = std::vector<std::optional<std::string>>;

std::string Table(const char* prefix, int64_t id) { return QuoteIdentifier(prefix + std::to_string(id)); }

// A Postgres array literal; nullopt elements are NULL.
std::string ArrayOf(const std::vector<std::optional<std::string>>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    if (!items[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char ch : *items[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string IntArray(const std::vector<int64_t>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(values[i]);
  }
  return out + "}";
}

// Doubles printed so that PostgreSQL reads back the same bits.
std::string Float8(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

// The statistics triggers' functions; the argument is the table to update.
constexpr const char* kTriggerFunctions[] = {
    R"sql(CREATE OR REPLACE FUNCTION imi_lexstats_add() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  EXECUTE format('UPDATE %I s SET chunks = s.chunks + d.n, total_length = s.total_length + d.total '
                 'FROM (SELECT field, count(*) AS n, sum(length) AS total FROM imi_new_rows GROUP BY field) d '
                 'WHERE s.field = d.field', TG_ARGV[0]);
  RETURN NULL;
END $f$)sql",
    R"sql(CREATE OR REPLACE FUNCTION imi_lexstats_sub() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  EXECUTE format('UPDATE %I s SET chunks = s.chunks - d.n, total_length = s.total_length - d.total '
                 'FROM (SELECT field, count(*) AS n, sum(length) AS total FROM imi_old_rows GROUP BY field) d '
                 'WHERE s.field = d.field', TG_ARGV[0]);
  RETURN NULL;
END $f$)sql"};

}  // namespace

std::string ChunksTable(int64_t id) { return Table("imi_chunks_", id); }
std::string TermsTable(int64_t id) { return Table("imi_terms_", id); }
std::string LengthsTable(int64_t id) { return Table("imi_lengths_", id); }
std::string StatsTable(int64_t id) { return Table("imi_lexstats_", id); }

Status CreateTables(PgConnection& conn, int64_t id, size_t fields) {
  const std::string chunks = Table("imi_chunks_", id), terms = TermsTable(id), lengths = LengthsTable(id),
                    stats = StatsTable(id);
  IMI_RETURN_IF_ERROR(conn.Run("CREATE TABLE " + terms + " (chunk_id bigint NOT NULL REFERENCES " + chunks +
                               " (id) ON DELETE CASCADE, field smallint NOT NULL, term text NOT NULL, tf integer NOT "
                               "NULL, PRIMARY KEY (field, term, chunk_id) INCLUDE (tf))"));
  IMI_RETURN_IF_ERROR(conn.Run("CREATE INDEX ON " + terms + " (chunk_id)"));
  IMI_RETURN_IF_ERROR(conn.Run("CREATE TABLE " + lengths + " (chunk_id bigint NOT NULL REFERENCES " + chunks +
                               " (id) ON DELETE CASCADE, field smallint NOT NULL, length integer NOT NULL, "
                               "PRIMARY KEY (chunk_id, field))"));
  IMI_RETURN_IF_ERROR(conn.Run("CREATE TABLE " + stats +
                               " (field smallint PRIMARY KEY, chunks bigint NOT NULL, total_length bigint NOT NULL)"));
  // The trigger argument is the statistics table's name, made by imi.
  const std::string stats_name = "imi_lexstats_" + std::to_string(id);
  IMI_RETURN_IF_ERROR(conn.Run("CREATE TRIGGER imi_lexstats_add AFTER INSERT ON " + lengths +
                               " REFERENCING NEW TABLE AS imi_new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
                               "imi_lexstats_add('" + stats_name + "')"));
  IMI_RETURN_IF_ERROR(conn.Run("CREATE TRIGGER imi_lexstats_sub AFTER DELETE ON " + lengths +
                               " REFERENCING OLD TABLE AS imi_old_rows FOR EACH STATEMENT EXECUTE FUNCTION "
                               "imi_lexstats_sub('" + stats_name + "')"));
  for (size_t f = 0; f < fields; ++f) {
    IMI_RETURN_IF_ERROR(conn.Run("INSERT INTO " + stats + " VALUES ($1, 0, 0)", {std::to_string(f)}));
  }
  return Status::Ok();
}

Status DropTables(PgConnection& conn, int64_t id) {
  for (const std::string& table : {TermsTable(id), LengthsTable(id), StatsTable(id)}) {
    IMI_RETURN_IF_ERROR(conn.Run("DROP TABLE IF EXISTS " + table));
  }
  return Status::Ok();
}

Status Migrate(PgConnection& conn) {
  IMI_RETURN_IF_ERROR(conn.Run("ALTER TABLE imi_collections ADD COLUMN lexical jsonb NOT NULL DEFAULT '{}'::jsonb, "
                               "ADD COLUMN lexical_version bigint NOT NULL DEFAULT 0"));
  for (const char* function : kTriggerFunctions) IMI_RETURN_IF_ERROR(conn.Run(function));
  IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT id FROM imi_collections ORDER BY id"));
  for (int i = 0; i < r.rows(); ++i) {
    const int64_t id = r.Int(i, 0);
    IMI_RETURN_IF_ERROR(conn.Run("ALTER TABLE " + Table("imi_chunks_", id) + " ADD COLUMN sparse sparsevec"));
    IMI_RETURN_IF_ERROR(CreateTables(conn, id, 0));
  }
  return conn.Run("INSERT INTO imi_schema VALUES (2)");
}

Result<int64_t> LockForWrite(PgConnection& conn, int64_t id) {
  IMI_ASSIGN_OR_RETURN(PgResult v, conn.Exec("SELECT lexical_version FROM imi_collections WHERE id = $1 FOR SHARE",
                                             {std::to_string(id)}));
  if (v.rows() == 0) return Status::NotFound("the collection was deleted");
  IMI_RETURN_IF_ERROR(conn.Run("SELECT field FROM " + StatsTable(id) + " ORDER BY field FOR UPDATE"));
  return v.Int(0, 0);
}

Status WriteTerms(PgConnection& conn, int64_t id, const std::vector<int64_t>& chunk_ids,
                  const std::vector<const std::vector<lexical::TermCounts>*>& terms) {
  std::vector<int64_t> t_chunk, t_field, t_tf, l_chunk, l_field, l_length;
  std::vector<std::optional<std::string>> t_term;
  for (size_t i = 0; i < chunk_ids.size(); ++i) {
    if (terms[i] == nullptr) continue;
    for (size_t f = 0; f < terms[i]->size(); ++f) {
      const lexical::TermCounts& counts = (*terms[i])[f];
      if (counts.length == 0) continue;
      l_chunk.push_back(chunk_ids[i]);
      l_field.push_back(static_cast<int64_t>(f));
      l_length.push_back(counts.length);
      for (const auto& [term, tf] : counts.terms) {
        t_chunk.push_back(chunk_ids[i]);
        t_field.push_back(static_cast<int64_t>(f));
        t_term.emplace_back(term);
        t_tf.push_back(tf);
      }
    }
  }
  if (l_chunk.empty()) return Status::Ok();
  IMI_RETURN_IF_ERROR(conn.Run("INSERT INTO " + TermsTable(id) +
                                   " (chunk_id, field, term, tf) SELECT * FROM unnest($1::bigint[], $2::smallint[], "
                                   "$3::text[], $4::integer[])",
                               {IntArray(t_chunk), IntArray(t_field), ArrayOf(t_term), IntArray(t_tf)}));
  return conn.Run("INSERT INTO " + LengthsTable(id) +
                      " (chunk_id, field, length) SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::integer[])",
                  {IntArray(l_chunk), IntArray(l_field), IntArray(l_length)});
}

std::string SparseArrayLiteral(const std::vector<const lexical::SparseVector*>& vectors) {
  std::vector<std::optional<std::string>> items;
  items.reserve(vectors.size());
  for (const lexical::SparseVector* v : vectors) {
    if (v == nullptr || v->empty()) {
      items.emplace_back();
    } else {
      items.emplace_back(lexical::SparseLiteral(*v));
    }
  }
  return ArrayOf(items);
}

Result<lexical::SparseVector> ParseSparse(const std::string& text) {
  lexical::SparseVector v;
  const char* p = text.c_str();
  auto bad = [&text] { return Status::DataLoss("unreadable sparsevec from the database: " + text.substr(0, 80)); };
  if (*p++ != '{') return bad();
  while (*p != '}') {
    char* end = nullptr;
    const unsigned long index = std::strtoul(p, &end, 10);
    if (end == p || *end != ':' || index == 0 || index > lexical::kSparseMaxIndex + 1UL) return bad();
    p = end + 1;
    const float value = std::strtof(p, &end);
    if (end == p) return bad();
    p = end;
    v.indices.push_back(static_cast<uint32_t>(index - 1));
    v.values.push_back(value);
    if (*p == ',') ++p;
    else if (*p != '}') return bad();
  }
  return v;
}

}  // namespace pg_lexical

Result<SearchResponse> PgStore::SearchLexical(const std::string& collection, const LexicalSearchRequest& request) {
  SearchResponse response;
  IMI_RETURN_IF_ERROR(WithConnection([&](PgConnection& conn) -> Status {
    IMI_ASSIGN_OR_RETURN(Row row, FindCollection(conn, collection));
    IMI_ASSIGN_OR_RETURN(size_t field, ValidateLexicalSearch(row.spec, request));
    IMI_ASSIGN_OR_RETURN(std::vector<lexical::QueryTerm> query,
                         AnalyzeQuery(row.spec.lexical.analyzers[field], request.query));
    response = SearchResponse();
    response.metric = row.spec.metric;
    response.exact = true;
    if (query.empty()) return Status::Ok();
    std::vector<std::optional<std::string>> terms;
    std::vector<int64_t> counts;
    for (const lexical::QueryTerm& q : query) {
      terms.emplace_back(q.term);
      counts.push_back(q.count);
    }
    std::vector<SqlParam> filter_params;
    const std::string where = request.filter.ToSql(SqlDialect::kPostgres, "c.metadata", &filter_params);
    std::vector<std::optional<std::string>> params;
    for (const SqlParam& p : filter_params) params.emplace_back(p.text);
    auto add = [&params](std::string value) {
      params.emplace_back(std::move(value));
      return "$" + std::to_string(params.size());
    };
    const std::string p_terms = add(pg_lexical::ArrayOf(terms)), p_counts = add(pg_lexical::IntArray(counts)),
                      p_field = add(std::to_string(field)), p_k1 = add(pg_lexical::Float8(row.spec.lexical.bm25.k1)),
                      p_b = add(pg_lexical::Float8(row.spec.lexical.bm25.b)), p_k = add(std::to_string(request.k));
    const std::string terms_table = pg_lexical::TermsTable(row.id), lengths = pg_lexical::LengthsTable(row.id);
    // idf and the term score as in lexical/bm25.h: every operand float8, the
    // same operations in the same order; the sum in bytewise term order.
    const std::string sql =
        "WITH q AS (SELECT * FROM unnest(" + p_terms + "::text[], " + p_counts + "::bigint[]) AS q(term, qtf)), "
        "s AS (SELECT chunks::float8 AS n, total_length::float8 / chunks::float8 AS avgdl FROM " +
        pg_lexical::StatsTable(row.id) + " WHERE field = " + p_field + "::smallint AND chunks > 0), "
        "w AS (SELECT q.term, q.qtf::float8 * ln(1::float8 + ((s.n - d.df) + 0.5::float8) / (d.df + 0.5::float8)) "
        "AS weight FROM q JOIN (SELECT t.term, count(*)::float8 AS df FROM " + terms_table + " t JOIN q ON t.term = "
        "q.term WHERE t.field = " + p_field + "::smallint GROUP BY t.term) d ON d.term = q.term CROSS JOIN s), "
        "scored AS (SELECT t.chunk_id, sum(w.weight * t.tf::float8 / (t.tf::float8 + " + p_k1 + "::float8 * (1::float8 "
        "- " + p_b + "::float8 + " + p_b + "::float8 * l.length::float8 / s.avgdl)) ORDER BY t.term COLLATE \"C\") "
        "AS score FROM " + terms_table + " t JOIN w ON w.term = t.term JOIN " + lengths + " l ON l.chunk_id = "
        "t.chunk_id AND l.field = t.field CROSS JOIN s WHERE t.field = " + p_field + "::smallint GROUP BY t.chunk_id) "
        "SELECT id, document_id, ordinal, score FROM (SELECT DISTINCT ON (c.document_id) c.id, c.document_id, "
        "c.ordinal, sc.score FROM scored sc JOIN " + pg_lexical::ChunksTable(row.id) + " c ON c.id = sc.chunk_id WHERE " +
        where + " ORDER BY c.document_id, sc.score DESC, c.ordinal) best ORDER BY score DESC, document_id COLLATE "
        "\"C\", ordinal LIMIT " + p_k;
    PgTransaction txn(conn);
    IMI_RETURN_IF_ERROR(txn.Begin());
    IMI_RETURN_IF_ERROR(conn.Run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
    IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec(sql, params));
    std::vector<Candidate> ranked;
    for (int i = 0; i < r.rows(); ++i) {
      ranked.push_back(Candidate{r.Int(i, 0), r.Text(i, 1), static_cast<int>(r.Int(i, 2)), r.Real(i, 3)});
    }
    IMI_ASSIGN_OR_RETURN(response.hits, FillHits(conn, row, ranked, request.include));
    return txn.Commit();
  }));
  return response;
}

Result<SearchResponse> PgStore::SearchSparse(const std::string& collection, const SparseSearchRequest& request) {
  IMI_RETURN_IF_ERROR(ValidateSparseSearch(request));
  SearchResponse response;
  IMI_RETURN_IF_ERROR(WithConnection([&](PgConnection& conn) -> Status {
    IMI_ASSIGN_OR_RETURN(Row row, FindCollection(conn, collection));
    response = SearchResponse();
    response.metric = row.spec.metric;
    response.exact = true;
    std::vector<SqlParam> filter_params;
    const std::string where = request.filter.ToSql(SqlDialect::kPostgres, "c.metadata", &filter_params);
    std::vector<std::optional<std::string>> params;
    for (const SqlParam& p : filter_params) params.emplace_back(p.text);
    params.emplace_back(lexical::SparseLiteral(request.vector));
    const std::string p_vector = "$" + std::to_string(params.size());
    params.emplace_back(std::to_string(request.k));
    const std::string p_k = "$" + std::to_string(params.size());
    // pgvector's <#> is the negative inner product, summed in float.
    const std::string dot = "(-(c.sparse <#> " + p_vector + "::sparsevec))";
    const std::string sql =
        "SELECT id, document_id, ordinal, score FROM (SELECT DISTINCT ON (c.document_id) c.id, c.document_id, "
        "c.ordinal, " + dot + " AS score FROM " + pg_lexical::ChunksTable(row.id) + " c WHERE c.sparse IS NOT NULL AND " +
        dot + " <> 0 AND " + where + " ORDER BY c.document_id, score DESC, c.ordinal) best ORDER BY score DESC, "
        "document_id COLLATE \"C\", ordinal LIMIT " + p_k;
    PgTransaction txn(conn);
    IMI_RETURN_IF_ERROR(txn.Begin());
    IMI_RETURN_IF_ERROR(conn.Run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
    IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec(sql, params));
    std::vector<Candidate> ranked;
    for (int i = 0; i < r.rows(); ++i) {
      ranked.push_back(Candidate{r.Int(i, 0), r.Text(i, 1), static_cast<int>(r.Int(i, 2)), r.Real(i, 3)});
    }
    IMI_ASSIGN_OR_RETURN(response.hits, FillHits(conn, row, ranked, request.include));
    return txn.Commit();
  }));
  return response;
}

Status PgStore::SetLexical(const std::string& collection, const LexicalSpec& requested) {
  LexicalSpec spec = requested;
  IMI_RETURN_IF_ERROR(ValidateLexicalSpec(&spec));
  IMI_ASSIGN_OR_RETURN(std::string json, LexicalSpecToJson(spec));
  return WithConnection([&](PgConnection& conn) -> Status {
    IMI_ASSIGN_OR_RETURN(Row row, FindCollection(conn, collection));
    PgTransaction txn(conn);
    IMI_RETURN_IF_ERROR(txn.Begin());
    // Writers hold the collection row FOR SHARE: this waits for them, and
    // they wait for this.
    IMI_RETURN_IF_ERROR(conn.Run("SELECT 1 FROM imi_collections WHERE id = $1 FOR UPDATE", {std::to_string(row.id)}));
    IMI_RETURN_IF_ERROR(conn.Run("DELETE FROM " + pg_lexical::TermsTable(row.id)));
    IMI_RETURN_IF_ERROR(conn.Run("DELETE FROM " + pg_lexical::LengthsTable(row.id)));
    IMI_RETURN_IF_ERROR(conn.Run("DELETE FROM " + pg_lexical::StatsTable(row.id)));
    for (size_t f = 0; f < spec.analyzers.size(); ++f) {
      IMI_RETURN_IF_ERROR(
          conn.Run("INSERT INTO " + pg_lexical::StatsTable(row.id) + " VALUES ($1, 0, 0)", {std::to_string(f)}));
    }
    if (!spec.analyzers.empty()) {
      // Pages of chunks in id order, analysed and written page by page.
      int64_t after = 0;
      while (true) {
        IMI_ASSIGN_OR_RETURN(PgResult page, conn.Exec("SELECT id, text FROM " + pg_lexical::ChunksTable(row.id) +
                                                          " WHERE id > $1 ORDER BY id LIMIT 1000",
                                                      {std::to_string(after)}));
        if (page.rows() == 0) break;
        std::vector<int64_t> ids;
        std::vector<std::vector<lexical::TermCounts>> terms;
        for (int i = 0; i < page.rows(); ++i) {
          ids.push_back(page.Int(i, 0));
          IMI_ASSIGN_OR_RETURN(std::vector<lexical::TermCounts> t, AnalyzeChunkText(spec, page.Text(i, 1)));
          terms.push_back(std::move(t));
        }
        std::vector<const std::vector<lexical::TermCounts>*> pointers;
        for (const auto& t : terms) pointers.push_back(&t);
        IMI_RETURN_IF_ERROR(pg_lexical::WriteTerms(conn, row.id, ids, pointers));
        after = ids.back();
      }
    }
    IMI_RETURN_IF_ERROR(conn.Run("UPDATE imi_collections SET lexical = $2::jsonb, lexical_version = lexical_version + 1 "
                                 "WHERE id = $1",
                                 {std::to_string(row.id), json}));
    return txn.Commit();
  });
}

}  // namespace imi::store
