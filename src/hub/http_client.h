#ifndef IMI_HUB_HTTP_CLIENT_H_
#define IMI_HUB_HTTP_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace imi::hub {

// One HTTP exchange, without following redirects (the hub logic follows them
// itself so it can read the hub's own headers and drop credentials when a
// redirect leaves the hub's host).
struct HttpRequest {
  std::string method = "GET";  // "GET" or "HEAD"
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // sent as given
};

struct HttpResponse {
  int status = 0;
  // Header names lowercased; a repeated header keeps its last value.
  std::map<std::string, std::string> headers;
  // Absolute target of a 3xx response (relative Location resolved), else empty.
  std::string redirect_url;
  // Body of non-2xx responses (first 64 KiB), or of 2xx when no sink was given.
  std::string body;

  // Value of a header (name in lowercase), or "" when absent.
  std::string Header(std::string_view lowercase_name) const;
};

// Receives the body of a 2xx response in order, chunk by chunk, with the
// response's status and headers (`head.body` is empty). A non-OK return
// aborts the transfer and becomes the result of Perform.
using BodySink = std::function<Status(const HttpResponse& head, std::string_view chunk)>;

// Performs HTTP exchanges. Implementations need not be thread-safe: use one
// client per thread.
class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Sends `request` and returns the response (any HTTP status is a success
  // here). `sink`, when set, receives 2xx bodies instead of response.body.
  // Unavailable (message names the URL and reason) when the connection
  // failed or dropped; errors returned by the sink are passed through.
  virtual Result<HttpResponse> Perform(const HttpRequest& request, const BodySink* sink) = 0;
};

// Timeouts and identity of the libcurl client.
struct CurlOptions {
  long connect_timeout_s = 30;
  // A transfer slower than 1 byte/s for this long counts as dropped.
  long stall_timeout_s = 60;
  // Whole-exchange limit in milliseconds (0: none); exceeding it is Unavailable.
  long total_timeout_ms = 0;
  std::string user_agent = "imi-pull/1";
  // Ask for gzip/deflate/br transfer encodings and hand the sink decoded bytes.
  bool accept_compressed = false;
};

// The libcurl-backed client (the only code in imi that includes libcurl).
std::unique_ptr<HttpClient> MakeCurlHttpClient(const CurlOptions& options = {});

}  // namespace imi::hub

#endif  // IMI_HUB_HTTP_CLIENT_H_
