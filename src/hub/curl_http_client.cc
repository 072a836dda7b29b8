// libcurl adapter: the only file that includes libcurl.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "hub/http_client.h"

namespace imi::hub {

namespace {

constexpr size_t kMaxErrorBodyBytes = 64 * 1024;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// State shared with libcurl's callbacks during one transfer.
struct Transfer {
  CURL* curl = nullptr;
  const BodySink* sink = nullptr;
  HttpResponse* response = nullptr;
  Status sink_status;
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response starts (e.g. after "100 Continue"): forget earlier headers.
    t->response->headers.clear();
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  t->response->headers[Trim(name)] = Trim(line.substr(colon + 1));
  return n;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  long code = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
  if (code >= 200 && code < 300 && t->sink != nullptr) {
    t->response->status = static_cast<int>(code);
    t->sink_status = (*t->sink)(*t->response, std::string_view(data, n));
    // Returning a short count makes libcurl abort with CURLE_WRITE_ERROR.
    return t->sink_status.ok() ? n : 0;
  }
  std::string& body = t->response->body;
  if (body.size() < kMaxErrorBodyBytes || (code >= 200 && code < 300)) body.append(data, n);
  return n;
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(const CurlOptions& options) : options_(options) { GlobalInitOnce(); }

  Result<HttpResponse> Perform(const HttpRequest& request, const BodySink* sink) override {
    // One handle per client, reset between requests: its connection cache
    // keeps connections to a host alive from one request to the next.
    if (!curl_) {
      curl_.reset(curl_easy_init());
      if (!curl_) return Status::Internal("libcurl could not create a handle");
    } else {
      curl_easy_reset(curl_.get());
    }
    HttpResponse response;
    Transfer transfer{curl_.get(), sink, &response, Status::Ok()};

    curl_slist* header_list = nullptr;
    for (const auto& [name, value] : request.headers) {
      header_list = curl_slist_append(header_list, (name + ": " + value).c_str());
    }
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(header_list,
                                                                         &curl_slist_free_all);
    CURL* h = curl_.get();
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
    if (options_.total_timeout_ms > 0) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, options_.total_timeout_ms);
    if (options_.accept_compressed) curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_s);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, options_.stall_timeout_s);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (request.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (request.method != "GET") {
      return Status::InvalidArgument("unsupported HTTP method " + request.method);
    }

    const CURLcode rc = curl_easy_perform(h);
    if (!transfer.sink_status.ok()) return transfer.sink_status;
    if (rc != CURLE_OK) {
      return Status::Unavailable(request.method + " " + request.url + ": " + curl_easy_strerror(rc));
    }
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    response.status = static_cast<int>(code);
    if (code >= 300 && code < 400) {
      char* target = nullptr;
      curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &target);
      if (target != nullptr) response.redirect_url = target;
    }
    return response;
  }

 private:
  CurlOptions options_;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl_{nullptr, &curl_easy_cleanup};
};

}  // namespace

std::unique_ptr<HttpClient> MakeCurlHttpClient(const CurlOptions& options) {
  return std::make_unique<CurlHttpClient>(options);
}

}  // namespace imi::hub
