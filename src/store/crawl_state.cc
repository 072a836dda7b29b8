#include <cstdlib>

#include "store/crawl_state.h"

namespace imi::store {

Result<std::unique_ptr<CrawlStateStore>> OpenCrawlState(const StoreLocation& location) {
  if (!location.pg_dsn.empty() && !location.directory.empty())
    return Status::InvalidArgument("choose one store: --store DIR or --pg DSN, not both");
  if (!location.pg_dsn.empty()) return OpenPostgresCrawlState(location.pg_dsn);
  const char* env = std::getenv("IMI_PG_DSN");
  if (location.directory.empty() && env != nullptr && *env != '\0') return OpenPostgresCrawlState(env);
  return OpenEmbeddedCrawlState(location.directory.empty() ? "imi-data" : location.directory);
}

}  // namespace imi::store
