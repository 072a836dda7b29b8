#include "hub/url.h"

#include <algorithm>
#include <cctype>

#include "hub/http_client.h"

namespace imi::hub {

std::string HttpResponse::Header(std::string_view lowercase_name) const {
  auto it = headers.find(std::string(lowercase_name));
  return it == headers.end() ? std::string() : it->second;
}

std::string PercentEncode(std::string_view text, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xf];
    }
  }
  return out;
}

std::string OriginOf(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string scheme(url.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https") return {};
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  // Credentials in the URL are not part of the origin.
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string host(authority);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const size_t bracket = host.rfind(']');
  const size_t colon = host.rfind(':');
  const bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
  if (!has_port) host += scheme == "https" ? ":443" : ":80";
  return scheme + "://" + host;
}

namespace {
std::string TrimTrailingSlash(std::string_view endpoint) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.remove_suffix(1);
  return std::string(endpoint);
}
}  // namespace

std::string ResolveUrl(std::string_view endpoint, std::string_view repo, std::string_view revision,
                       std::string_view path) {
  return TrimTrailingSlash(endpoint) + "/" + PercentEncode(repo, true) + "/resolve/" +
         PercentEncode(revision, false) + "/" + PercentEncode(path, true);
}

std::string ModelInfoUrl(std::string_view endpoint, std::string_view repo,
                         std::string_view revision) {
  return TrimTrailingSlash(endpoint) + "/api/models/" + PercentEncode(repo, true) + "/revision/" +
         PercentEncode(revision, false);
}

}  // namespace imi::hub
