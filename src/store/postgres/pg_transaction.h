#ifndef IMI_STORE_POSTGRES_PG_TRANSACTION_H_
#define IMI_STORE_POSTGRES_PG_TRANSACTION_H_

#include "store/postgres/pg_connection.h"

namespace imi::store {

// BEGIN ... COMMIT on a connection, rolled back on destruction unless
// committed (skipped when the connection is lost: the server rolls back).
class PgTransaction {
 public:
  explicit PgTransaction(PgConnection& conn) : conn_(conn) {}
  ~PgTransaction() {
    if (!done_ && !conn_.broken()) (void)conn_.Run("ROLLBACK");
  }
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  Status Begin() { return conn_.Run("BEGIN"); }
  Status Commit() {
    done_ = true;
    return conn_.Run("COMMIT");
  }

 private:
  PgConnection& conn_;
  bool done_ = false;
};

}  // namespace imi::store

#endif  // IMI_STORE_POSTGRES_PG_TRANSACTION_H_
