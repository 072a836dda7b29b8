#ifndef IMI_HUB_URL_H_
#define IMI_HUB_URL_H_

#include <string>
#include <string_view>

namespace imi::hub {

// Percent-encodes everything but RFC 3986 unreserved characters; with
// keep_slash, '/' is kept too (for paths inside a repository).
std::string PercentEncode(std::string_view text, bool keep_slash);

// "scheme://host:port" of an absolute URL, lowercased, with the scheme's
// default port made explicit (so https://h and https://h:443 compare equal).
// Empty for a string that is not an absolute http(s) URL.
std::string OriginOf(std::string_view url);

// The hub's resolve URL: {endpoint}/{repo}/resolve/{revision}/{path}.
std::string ResolveUrl(std::string_view endpoint, std::string_view repo, std::string_view revision,
                       std::string_view path);

// The hub's model API URL: {endpoint}/api/models/{repo}/revision/{revision}.
std::string ModelInfoUrl(std::string_view endpoint, std::string_view repo,
                         std::string_view revision);

}  // namespace imi::hub

#endif  // IMI_HUB_URL_H_
