#ifndef IMI_STORE_POSTGRES_PG_LEXICAL_H_
#define IMI_STORE_POSTGRES_PG_LEXICAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lexical/bm25.h"
#include "lexical/sparse_vector.h"
#include "store/postgres/pg_connection.h"

namespace imi::store::pg_lexical {

// The PostgreSQL side of the lexical index (docs/sql-schema.md, version 2):
// per collection N the tables "imi_terms_N" (postings), "imi_lengths_N"
// (chunk lengths) and "imi_lexstats_N" (chunks with terms and their total
// length per analyser, kept by statement triggers), and a sparsevec column
// on "imi_chunks_N". Functions run inside the caller's transaction.

// Schema version 2 for a database at version 1: the columns, trigger
// functions and the tables of every existing collection.
Status Migrate(PgConnection& conn);

// The lexical tables of a new collection (its chunks table must exist) with
// a statistics row for each of `fields` analysers.
Status CreateTables(PgConnection& conn, int64_t collection_id, size_t fields);

// DROP statements for the lexical tables, before the chunks table is dropped.
Status DropTables(PgConnection& conn, int64_t collection_id);

// Locks the collection's statistics rows (in field order) and returns its
// lexical version, so concurrent writers queue instead of deadlocking.
Result<int64_t> LockForWrite(PgConnection& conn, int64_t collection_id);

// Postings and lengths of chunks: chunk_ids[i] has term lists terms[i] (one
// per analyser; may be empty when the collection has no analysers).
Status WriteTerms(PgConnection& conn, int64_t collection_id, const std::vector<int64_t>& chunk_ids,
                  const std::vector<const std::vector<lexical::TermCounts>*>& terms);

// A Postgres array literal of sparsevec values; an empty vector is NULL.
std::string SparseArrayLiteral(const std::vector<const lexical::SparseVector*>& vectors);

// Parses pgvector's text form "{i:v,...}/dim" back into a canonical vector.
Result<lexical::SparseVector> ParseSparse(const std::string& text);

std::string ChunksTable(int64_t collection_id);
std::string TermsTable(int64_t collection_id);
std::string LengthsTable(int64_t collection_id);
std::string StatsTable(int64_t collection_id);

}  // namespace imi::store::pg_lexical

#endif  // IMI_STORE_POSTGRES_PG_LEXICAL_H_
