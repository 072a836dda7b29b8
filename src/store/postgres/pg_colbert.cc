// ColBERT token vectors on PostgreSQL, and GetChunks (candidate rescoring).
#include "store/postgres/pg_colbert.h"

#include <cstdlib>
#include <map>

#include "store/postgres/pg_lexical.h"
#include "store/postgres/pg_store.h"
#include "store/postgres/pg_transaction.h"

namespace imi::store {

namespace pg_colbert {

Status Migrate(PgConnection& conn) {
  IMI_RETURN_IF_ERROR(conn.Run("ALTER TABLE imi_collections ADD COLUMN colbert text NOT NULL DEFAULT 'none'"));
  IMI_ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT id FROM imi_collections ORDER BY id"));
  for (int i = 0; i < r.rows(); ++i) {
    IMI_RETURN_IF_ERROR(conn.Run("ALTER TABLE " + pg_lexical::ChunksTable(r.Int(i, 0)) + " ADD COLUMN colbert bytea"));
  }
  return conn.Run("INSERT INTO imi_schema VALUES (3)");
}

std::string ByteaArrayLiteral(const std::vector<const MultiVector*>& vectors, MultiVectorEncoding encoding) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "{";
  for (size_t i = 0; i < vectors.size(); ++i) {
    if (i) out += ',';
    if (vectors[i] == nullptr || vectors[i]->empty()) {
      out += "NULL";
      continue;
    }
    const std::string blob = EncodeMultiVector(*vectors[i], encoding);
    out.reserve(out.size() + 2 * blob.size() + 8);
    out += "\"\\\\x";  // "\\x: the array literal's escape of bytea's \x
    for (unsigned char ch : blob) {
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
    out += '"';
  }
  out += '}';
  return out;
}

Result<std::string> ParseBytea(const std::string& text) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) {
    return Status::DataLoss("unreadable bytea from the database (bytea_output must be hex)");
  }
  std::string out;
  out.reserve(text.size() / 2 - 1);
  for (size_t i = 2; i < text.size(); i += 2) {
    const int hi = digit(text[i]), lo = digit(text[i + 1]);
    if (hi < 0 || lo < 0) return Status::DataLoss("unreadable bytea from the database");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace pg_colbert

namespace {

std::vector<float> ParseVectorText(const std::string& text) {
  std::vector<float> out;
  const char* p = text.c_str();
  if (*p == '[') ++p;
  while (*p && *p != ']') {
    char* end = nullptr;
    const float x = std::strtof(p, &end);
    if (end == p) break;
    out.push_back(x);
    p = end;
    if (*p == ',') ++p;
  }
  return out;
}

// A Postgres text[] literal.
std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char ch : items[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace

Result<std::vector<Document>> PgStore::GetChunks(const std::string& collection, const std::vector<std::string>& ids) {
  if (ids.size() > 10000) return Status::InvalidArgument("at most 10000 documents per GetChunks");
  for (const std::string& id : ids) IMI_RETURN_IF_ERROR(ValidateDocumentId(id));
  std::vector<Document> out;
  IMI_RETURN_IF_ERROR(WithConnection([&](PgConnection& conn) -> Status {
    out.clear();
    IMI_ASSIGN_OR_RETURN(Row row, FindCollection(conn, collection));
    if (ids.empty()) return Status::Ok();
    IMI_ASSIGN_OR_RETURN(PgResult c, conn.Exec("SELECT document_id, ordinal, text, start_offset, end_offset, "
                                               "embedding::text, sparse::text, colbert FROM " +
                                                   pg_lexical::ChunksTable(row.id) +
                                                   " WHERE document_id = ANY($1::text[]) ORDER BY document_id, ordinal",
                                               {TextArray(ids)}));
    std::map<std::string, Document> found;
    for (int i = 0; i < c.rows(); ++i) {
      Document& doc = found[c.Text(i, 0)];
      doc.id = c.Text(i, 0);
      Chunk chunk;
      chunk.ordinal = static_cast<int>(c.Int(i, 1));
      chunk.text = c.Text(i, 2);
      chunk.start_offset = c.Int(i, 3);
      chunk.end_offset = c.Int(i, 4);
      chunk.vector = ParseVectorText(c.Text(i, 5));
      const std::string where = "document \"" + doc.id + "\" chunk " + std::to_string(chunk.ordinal);
      if (!c.IsNull(i, 6)) {
        IMI_ASSIGN_OR_RETURN(chunk.sparse, pg_lexical::ParseSparse(c.Text(i, 6)));
      }
      if (!c.IsNull(i, 7)) {
        IMI_ASSIGN_OR_RETURN(std::string blob, pg_colbert::ParseBytea(c.Text(i, 7)));
        IMI_RETURN_IF_ERROR(DecodeMultiVector(blob, &chunk.colbert).WithContext(where));
      }
      doc.chunks.push_back(std::move(chunk));
    }
    for (const std::string& id : ids) {
      auto it = found.find(id);
      if (it != found.end()) out.push_back(std::move(it->second));
      if (it != found.end()) found.erase(it);
    }
    return Status::Ok();
  }));
  return out;
}

}  // namespace imi::store
