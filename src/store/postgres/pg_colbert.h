#ifndef IMI_STORE_POSTGRES_PG_COLBERT_H_
#define IMI_STORE_POSTGRES_PG_COLBERT_H_

#include <string>
#include <vector>

#include "base/result.h"
#include "store/multivector.h"
#include "store/postgres/pg_connection.h"

namespace imi::store::pg_colbert {

// ColBERT token vectors on PostgreSQL (docs/sql-schema.md, schema version 3):
// imi_collections.colbert names the encoding, and each collection's chunk
// table has a bytea column "colbert" holding EncodeMultiVector's blob.

// Schema version 3 on a version 2 database (inside the migration
// transaction): the two columns, on every existing collection.
Status Migrate(PgConnection& conn);

// A Postgres bytea[] literal of the chunks' encoded token vectors; empty
// ones are NULL.
std::string ByteaArrayLiteral(const std::vector<const MultiVector*>& vectors, MultiVectorEncoding encoding);

// bytea's text output ("\x" and hex digits) back to bytes; DataLoss otherwise.
Result<std::string> ParseBytea(const std::string& text);

}  // namespace imi::store::pg_colbert

#endif  // IMI_STORE_POSTGRES_PG_COLBERT_H_
