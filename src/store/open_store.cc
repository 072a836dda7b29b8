#include <cstdlib>

#include "store/vector_store.h"

namespace imi::store {

namespace {

Result<std::unique_ptr<VectorStore>> OpenPostgres(const StoreLocation& location, const std::string& dsn) {
  PostgresOptions options;
  options.dsn = dsn;
  if (location.pg_pool_size > 0) options.pool_size = location.pg_pool_size;
  if (location.pg_connect_timeout_ms > 0) options.connect_timeout_ms = location.pg_connect_timeout_ms;
  if (location.pg_statement_timeout_ms > 0) options.statement_timeout_ms = location.pg_statement_timeout_ms;
  return OpenPostgresStore(options);
}

}  // namespace

Result<std::unique_ptr<VectorStore>> OpenVectorStore(const StoreLocation& location) {
  if (!location.pg_dsn.empty() && !location.directory.empty())
    return Status::InvalidArgument("choose one store: --store DIR or --pg DSN, not both");
  if (!location.pg_dsn.empty()) return OpenPostgres(location, location.pg_dsn);
  const char* env = std::getenv("IMI_PG_DSN");
  if (location.directory.empty() && env != nullptr && *env != '\0') return OpenPostgres(location, env);
  EmbeddedOptions options;
  options.directory = location.directory.empty() ? "imi-data" : location.directory;
  return OpenEmbeddedStore(options);
}

}  // namespace imi::store
