// uriparser adapter: the only file that includes uriparser. RFC 3986
// parsing, reference resolution and syntax normalisation come from the
// library; imi adds the browser-like clean-up of hrefs before parsing and
// its own recomposition (default port, fragment, empty path).
#include "crawl/url.h"

#include <uriparser/Uri.h>

#include <cctype>
#include <memory>

#include "base/utf8.h"

namespace imi::crawl {

namespace {

// Owns a parsed UriUriA.
struct ParsedUri {
  UriUriA uri{};
  bool parsed = false;
  ParsedUri() = default;
  ParsedUri(const ParsedUri&) = delete;
  ParsedUri& operator=(const ParsedUri&) = delete;
  ~ParsedUri() {
    if (parsed) uriFreeUriMembersA(&uri);
  }
};

std::string_view Range(const UriTextRangeA& r) {
  if (r.first == nullptr || r.afterLast == nullptr || r.afterLast < r.first) return {};
  return std::string_view(r.first, static_cast<size_t>(r.afterLast - r.first));
}

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// What browsers do to an href before parsing: trim C0 controls and spaces,
// drop tabs and newlines, read '\' as '/' and percent-encode bytes RFC 3986
// does not allow (non-ASCII, space, quotes, braces, a '%' not starting an
// escape). Only the fragment keeps its raw bytes (it is dropped anyway).
std::string Sanitize(std::string_view in) {
  while (!in.empty() && static_cast<unsigned char>(in.front()) <= 0x20) in.remove_prefix(1);
  while (!in.empty() && static_cast<unsigned char>(in.back()) <= 0x20) in.remove_suffix(1);
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  bool in_fragment = false;
  for (size_t i = 0; i < in.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    if (c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '#') {
      if (in_fragment) continue;
      in_fragment = true;
      out += '#';
      continue;
    }
    if (in_fragment) continue;  // fragments are dropped: no need to keep them
    if (c == '\\') {
      out += '/';
      continue;
    }
    const bool bad = c >= 0x7F || c <= 0x20 || c == '"' || c == '<' || c == '>' || c == '`' || c == '{' ||
                     c == '}' || c == '|' || c == '^' ||
                     (c == '%' && !(i + 2 < in.size() && IsHex(in[i + 1]) && IsHex(in[i + 2])));
    if (bad) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

Status Parse(std::string_view text, ParsedUri* out) {
  const char* error_pos = nullptr;
  if (uriParseSingleUriExA(&out->uri, text.data(), text.data() + text.size(), &error_pos) != URI_SUCCESS) {
    return Status::InvalidArgument("malformed URL: " + std::string(text.substr(0, 200)));
  }
  out->parsed = true;
  return Status::Ok();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Recomposes a normalised absolute http(s) URL without its fragment.
Result<std::string> Compose(ParsedUri* p, std::string_view original) {
  if (uriNormalizeSyntaxA(&p->uri) != URI_SUCCESS) {
    return Status::InvalidArgument("URL cannot be normalised: " + std::string(original.substr(0, 200)));
  }
  const UriUriA& u = p->uri;
  const std::string scheme = Lower(Range(u.scheme));
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("not an http(s) URL: " + std::string(original.substr(0, 200)));
  }
  if (!Range(u.userInfo).empty() || u.userInfo.first != nullptr) {
    return Status::InvalidArgument("URL with credentials ignored: " + std::string(original.substr(0, 200)));
  }
  std::string host = Lower(Range(u.hostText));
  if (host.empty()) return Status::InvalidArgument("URL without a host: " + std::string(original.substr(0, 200)));
  if (u.hostData.ip6 != nullptr || u.hostData.ipFuture.first != nullptr) host = "[" + host + "]";
  while (!host.empty() && host.back() == '.') host.pop_back();  // "example.org." names example.org
  if (host.empty() || host == "[]") return Status::InvalidArgument("URL without a host: " + std::string(original));
  std::string port(Range(u.portText));
  if (!port.empty()) {
    if (port.size() > 5) return Status::InvalidArgument("bad port in URL: " + std::string(original.substr(0, 200)));
    const long n = std::strtol(port.c_str(), nullptr, 10);
    if (n <= 0 || n > 65535) return Status::InvalidArgument("bad port in URL: " + std::string(original.substr(0, 200)));
    port = std::to_string(n);
    if ((scheme == "http" && n == 80) || (scheme == "https" && n == 443)) port.clear();
  }
  std::string out = scheme + "://" + host;
  if (!port.empty()) out += ":" + port;
  if (u.pathHead == nullptr) {
    out += '/';
  } else {
    for (const UriPathSegmentA* seg = u.pathHead; seg != nullptr; seg = seg->next) {
      out += '/';
      out += Range(seg->text);
    }
  }
  if (u.query.first != nullptr) {
    out += '?';
    out += Range(u.query);
  }
  if (out.size() > kMaxUrlBytes) {
    return Status::InvalidArgument("URL longer than " + std::to_string(kMaxUrlBytes) + " bytes ignored");
  }
  return out;
}

size_t AuthorityEnd(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return url.size();
  const size_t end = url.find_first_of("/?", scheme_end + 3);
  return end == std::string_view::npos ? url.size() : end;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> NormalizeUrl(std::string_view url) {
  if (url.size() > kMaxUrlBytes) {
    return Status::InvalidArgument("URL longer than " + std::to_string(kMaxUrlBytes) + " bytes ignored");
  }
  const std::string clean = Sanitize(url);
  ParsedUri parsed;
  IMI_RETURN_IF_ERROR(Parse(clean, &parsed));
  if (parsed.uri.scheme.first == nullptr) {
    return Status::InvalidArgument("not an absolute URL: " + std::string(url.substr(0, 200)));
  }
  return Compose(&parsed, url);
}

Result<std::string> ResolveUrl(std::string_view base, std::string_view reference) {
  if (reference.size() > kMaxUrlBytes) {
    return Status::InvalidArgument("URL longer than " + std::to_string(kMaxUrlBytes) + " bytes ignored");
  }
  ParsedUri parsed_base;
  IMI_RETURN_IF_ERROR(Parse(base, &parsed_base));
  const std::string clean = Sanitize(reference);
  ParsedUri parsed_ref;
  IMI_RETURN_IF_ERROR(Parse(clean, &parsed_ref));
  ParsedUri resolved;
  if (uriAddBaseUriA(&resolved.uri, &parsed_ref.uri, &parsed_base.uri) != URI_SUCCESS) {
    return Status::InvalidArgument("URL cannot be resolved: " + std::string(reference.substr(0, 200)));
  }
  resolved.parsed = true;
  return Compose(&resolved, reference);
}

std::string OriginOf(std::string_view normalized_url) {
  return std::string(normalized_url.substr(0, AuthorityEnd(normalized_url)));
}

std::string HostKeyOf(std::string_view normalized_url) {
  const size_t scheme_end = normalized_url.find("://");
  if (scheme_end == std::string_view::npos) return "";
  const size_t start = scheme_end + 3;
  return std::string(normalized_url.substr(start, AuthorityEnd(normalized_url) - start));
}

std::string PathAndQueryOf(std::string_view normalized_url) {
  const size_t end = AuthorityEnd(normalized_url);
  if (end >= normalized_url.size()) return "/";
  std::string out(normalized_url.substr(end));
  if (out[0] == '?') out.insert(out.begin(), '/');
  return out;
}

std::string SectionOf(std::string_view normalized_url) {
  std::string path = PathAndQueryOf(normalized_url);
  path = path.substr(0, path.find('?'));
  const size_t slash = path.find('/', 1);
  if (slash == std::string::npos) return "";
  const std::string_view segment = std::string_view(path).substr(1, slash - 1);
  std::string out;
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '%' && i + 2 < segment.size() && HexValue(segment[i + 1]) >= 0 && HexValue(segment[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(segment[i + 1]) * 16 + HexValue(segment[i + 2]));
      i += 2;
    } else {
      out += segment[i];
    }
  }
  return utf8::ReplaceInvalid(out);
}

}  // namespace imi::crawl
