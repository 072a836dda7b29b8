// libFuzzer target for sitemaps (crawl/sitemap.h, expat and zlib): any
// bytes (XML, gzip, text) give a sitemap or an error, never a crash, never
// more than the protocol's 50,000 entries, never an empty <loc>.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crawl/sitemap.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto sitemap = imi::crawl::ParseSitemap(body);
  if (!sitemap.ok()) return 0;
  if (sitemap->entries.size() > imi::crawl::kMaxSitemapEntries) std::abort();
  for (const auto& e : sitemap->entries) {
    if (e.loc.empty()) std::abort();
  }
  return 0;
}
