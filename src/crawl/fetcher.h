#ifndef IMI_CRAWL_FETCHER_H_
#define IMI_CRAWL_FETCHER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "hub/http_client.h"

namespace imi::crawl {

// What a single GET came to.
enum class FetchOutcome {
  kOk,           // 2xx with an accepted content type: body holds the bytes
  kNotModified,  // 304 to a conditional request
  kRedirect,     // 3xx with a Location: location holds the absolute target
  kGone,         // 404 or 410
  kRetry,        // 429, 5xx, a timeout or a dropped connection: try again later
  kFailed,       // any other status (401, 403, 3xx without Location, ...)
  kTooLarge,     // body over the size limit (the transfer was stopped)
  kWrongType,    // a content type the crawler does not read (not transferred)
};

struct FetchRequest {
  std::string url;
  bool any_type = false;      // robots.txt and sitemaps: accept every content type
  std::string etag;           // sent as If-None-Match when set
  std::string last_modified;  // sent as If-Modified-Since when set
};

struct FetchResult {
  FetchOutcome outcome = FetchOutcome::kFailed;
  int status = 0;             // HTTP status, 0 when none arrived
  std::string body;
  std::string content_type;   // the Content-Type header as sent
  std::string etag;
  std::string last_modified;  // the Last-Modified header as sent
  std::string location;       // redirect target as sent (unresolved)
  long retry_after_ms = -1;   // from Retry-After (seconds or HTTP date), -1 when absent
  std::string reason;         // for failures: what happened, one line
};

// Media types read as pages: text/html, application/xhtml+xml, text/plain.
bool IsReadableContentType(const std::string& content_type);
// Whether a content type is HTML (text/html or application/xhtml+xml).
bool IsHtmlContentType(const std::string& content_type);
// Milliseconds to wait for a Retry-After value (delta-seconds or an
// HTTP-date, counted from now), or -1 when it does not parse.
long ParseRetryAfterMs(const std::string& value);

// GETs one URL at a time without following redirects, with a size limit and
// a content-type check before the body is transferred. One fetcher per
// thread (it owns one HTTP client and its open connections).
class Fetcher {
 public:
  // `client` does the HTTP; `max_bytes` bounds a body.
  Fetcher(std::unique_ptr<hub::HttpClient> client, size_t max_bytes);
  // Never fails: every problem is an outcome with a reason.
  FetchResult Fetch(const FetchRequest& request);

 private:
  std::unique_ptr<hub::HttpClient> client_;
  size_t max_bytes_;
};

}  // namespace imi::crawl

#endif  // IMI_CRAWL_FETCHER_H_
