#ifndef IMI_CRAWL_SITEMAP_H_
#define IMI_CRAWL_SITEMAP_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace imi::crawl {

// Limits of the sitemap protocol (sitemaps.org): 50,000 entries and 50 MiB
// uncompressed per file.
inline constexpr size_t kMaxSitemapEntries = 50000;
inline constexpr size_t kMaxSitemapBytes = 50 * 1024 * 1024;

struct SitemapEntry {
  std::string loc;      // as written (resolve and normalise before use)
  std::string lastmod;  // W3C datetime as written, or ""
};

// One sitemap file: a <urlset> of pages or a <sitemapindex> of sitemaps.
struct Sitemap {
  bool is_index = false;
  std::vector<SitemapEntry> entries;
  size_t dropped = 0;  // entries beyond kMaxSitemapEntries, not returned
};

// Parses a sitemap: XML (<urlset> or <sitemapindex>, any namespace prefix),
// gzip-compressed XML (.xml.gz, recognised by its magic bytes) or a text
// sitemap (one URL per line). InvalidArgument for malformed XML, a document
// type declaration (refused: entity expansion) or another root element;
// TooLarge beyond kMaxSitemapBytes uncompressed. Thread-safe.
Result<Sitemap> ParseSitemap(std::string_view body);

}  // namespace imi::crawl

#endif  // IMI_CRAWL_SITEMAP_H_
