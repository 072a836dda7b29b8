#include <cstdlib>

#include "store/vector_store.h"

namespace imi::store {

Result<std::unique_ptr<VectorStore>> OpenVectorStore(const StoreLocation& location) {
  if (!location.pg_dsn.empty() && !location.directory.empty())
    return Status::InvalidArgument("choose one store: --store DIR or --pg DSN, not both");
  if (!location.pg_dsn.empty()) return OpenPostgresStore(location.pg_dsn);
  const char* env = std::getenv("IMI_PG_DSN");
  if (location.directory.empty() && env != nullptr && *env != '\0') return OpenPostgresStore(env);
  EmbeddedOptions options;
  options.directory = location.directory.empty() ? "imi-data" : location.directory;
  return OpenEmbeddedStore(options);
}

}  // namespace imi::store
