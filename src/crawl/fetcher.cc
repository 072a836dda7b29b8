#include "crawl/fetcher.h"

#include <cctype>
#include <cstdlib>
#include <ctime>

namespace imi::crawl {

namespace {

// Marks the sink's own stops so they are not mistaken for network errors.
constexpr const char kTooLargeMark[] = "imi-crawl: body over the size limit";
constexpr const char kWrongTypeMark[] = "imi-crawl: content type not read";

std::string MediaType(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.pop_back();
  size_t start = 0;
  while (start < type.size() && std::isspace(static_cast<unsigned char>(type[start]))) ++start;
  type = type.substr(start);
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type;
}

}  // namespace

bool IsHtmlContentType(const std::string& content_type) {
  const std::string type = MediaType(content_type);
  return type == "text/html" || type == "application/xhtml+xml";
}

bool IsReadableContentType(const std::string& content_type) {
  // A missing Content-Type is sniffed later as HTML or text.
  return content_type.empty() || IsHtmlContentType(content_type) || MediaType(content_type) == "text/plain";
}

long ParseRetryAfterMs(const std::string& value) {
  if (value.empty()) return -1;
  bool digits = true;
  for (char c : value) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (digits) {
    if (value.size() > 9) return 1000L * 999999999L;
    return std::strtol(value.c_str(), nullptr, 10) * 1000L;
  }
  std::tm tm{};
  const char* end = strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr) return -1;
  const std::time_t when = timegm(&tm);
  const std::time_t now = std::time(nullptr);
  return when <= now ? 0 : static_cast<long>(when - now) * 1000L;
}

Fetcher::Fetcher(std::unique_ptr<hub::HttpClient> client, size_t max_bytes)
    : client_(std::move(client)), max_bytes_(max_bytes) {}

FetchResult Fetcher::Fetch(const FetchRequest& request) {
  FetchResult out;
  hub::HttpRequest http;
  http.url = request.url;
  http.headers.emplace_back("Accept", request.any_type ? "*/*"
                                                       : "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1");
  http.headers.emplace_back("Accept-Language", "ja,en;q=0.7");
  if (!request.etag.empty()) http.headers.emplace_back("If-None-Match", request.etag);
  if (!request.last_modified.empty()) http.headers.emplace_back("If-Modified-Since", request.last_modified);

  bool checked = false;
  const hub::BodySink sink = [&](const hub::HttpResponse& head, std::string_view chunk) -> Status {
    if (!checked) {
      checked = true;
      out.content_type = head.Header("content-type");
      if (!request.any_type && !IsReadableContentType(out.content_type)) return Status::Unsupported(kWrongTypeMark);
      const std::string length = head.Header("content-length");
      if (!length.empty() && length.size() < 20 && std::strtoull(length.c_str(), nullptr, 10) > max_bytes_)
        return Status::TooLarge(kTooLargeMark);
    }
    if (out.body.size() + chunk.size() > max_bytes_) return Status::TooLarge(kTooLargeMark);
    out.body.append(chunk);
    return Status::Ok();
  };
  Result<hub::HttpResponse> response = client_->Perform(http, &sink);
  if (!response.ok()) {
    const Status& s = response.status();
    if (s.message() == kWrongTypeMark) {
      out.outcome = FetchOutcome::kWrongType;
      out.status = 200;
      out.reason = "content type " + (out.content_type.empty() ? std::string("(none)") : MediaType(out.content_type)) +
                   " is not read";
      out.body.clear();
    } else if (s.message() == kTooLargeMark) {
      out.outcome = FetchOutcome::kTooLarge;
      out.status = 200;
      out.reason = "body larger than " + std::to_string(max_bytes_) + " bytes (--max-page-bytes)";
      out.body.clear();
    } else {
      out.outcome = FetchOutcome::kRetry;
      out.reason = s.message();
    }
    return out;
  }
  const hub::HttpResponse& r = *response;
  out.status = r.status;
  out.etag = r.Header("etag");
  out.last_modified = r.Header("last-modified");
  if (out.content_type.empty()) out.content_type = r.Header("content-type");
  out.retry_after_ms = ParseRetryAfterMs(r.Header("retry-after"));
  if (r.status >= 200 && r.status < 300) {
    // A 2xx without a body never reached the sink.
    if (!request.any_type && !IsReadableContentType(out.content_type)) {
      out.outcome = FetchOutcome::kWrongType;
      out.reason = "content type " + MediaType(out.content_type) + " is not read";
      return out;
    }
    out.outcome = FetchOutcome::kOk;
    if (out.body.empty() && !r.body.empty()) out.body = r.body;
    return out;
  }
  out.body.clear();
  if (r.status == 304) {
    out.outcome = FetchOutcome::kNotModified;
  } else if (r.status >= 300 && r.status < 400) {
    out.location = r.Header("location");
    out.outcome = out.location.empty() ? FetchOutcome::kFailed : FetchOutcome::kRedirect;
    if (out.location.empty()) out.reason = "redirect without a Location header";
  } else if (r.status == 404 || r.status == 410) {
    out.outcome = FetchOutcome::kGone;
    out.reason = "HTTP " + std::to_string(r.status);
  } else if (r.status == 429 || r.status >= 500) {
    out.outcome = FetchOutcome::kRetry;
    out.reason = "HTTP " + std::to_string(r.status);
  } else {
    out.outcome = FetchOutcome::kFailed;
    out.reason = "HTTP " + std::to_string(r.status);
  }
  return out;
}

}  // namespace imi::crawl
