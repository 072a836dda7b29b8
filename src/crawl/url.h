#ifndef IMI_CRAWL_URL_H_
#define IMI_CRAWL_URL_H_

#include <string>
#include <string_view>

#include "base/result.h"

namespace imi::crawl {

// URLs as the crawler keys them: absolute http(s), scheme and host
// lower-cased, default port dropped, dot segments removed, percent-encoding
// normalised (upper-case hex, unreserved characters decoded), empty path
// "/", fragment dropped, query kept as is. Two hrefs that name the same page
// normalise to the same string, so a page is fetched once.

// Longest URL the crawler accepts, in bytes (longer ones are ignored).
inline constexpr size_t kMaxUrlBytes = 4096;

// Normalises an absolute URL. InvalidArgument (naming the URL) when it is not
// http(s), has no host, carries credentials, is longer than kMaxUrlBytes or
// does not parse. Lenient like browsers: surrounding spaces, tabs and
// newlines, backslashes and unencoded non-ASCII bytes or spaces are fixed up
// first. Thread-safe.
Result<std::string> NormalizeUrl(std::string_view url);

// Resolves `reference` (an href) against the absolute, normalised `base`
// and normalises the result; errors as NormalizeUrl.
Result<std::string> ResolveUrl(std::string_view base, std::string_view reference);

// Parts of a normalised URL (no validation: call on NormalizeUrl output).
// "host" or "host:port" (port only when not the scheme's default).
std::string HostKeyOf(std::string_view normalized_url);
// Path and query, e.g. "/kurashi/gomi.html?x=1"; "/" at least.
std::string PathAndQueryOf(std::string_view normalized_url);
// "scheme://host[:port]".
std::string OriginOf(std::string_view normalized_url);
// The site section of a page: its first path segment, percent-decoded, when
// the path has more segments after it ("/kurashi/gomi.html" -> "kurashi");
// "" for pages at the top level ("/", "/index.html").
std::string SectionOf(std::string_view normalized_url);

}  // namespace imi::crawl

#endif  // IMI_CRAWL_URL_H_
