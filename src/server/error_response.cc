#include "server/error_response.h"

#include <cctype>

#include "server/json_io.h"

namespace imi::server {

namespace {

std::string TypeFor(int http_status) {
  if (http_status == 401) return "authentication_error";
  if (http_status == 429) return "rate_limit_error";
  if (http_status == 503) return "unavailable_error";
  if (http_status >= 500) return "server_error";
  return "invalid_request_error";
}

// "ResourceExhausted" -> "resource_exhausted".
std::string SnakeCase(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (!out.empty()) out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string ErrorBody(int http_status, const std::string& code, const std::string& message) {
  return "{\"error\":{\"message\":" + JsonString(message) + ",\"type\":" + JsonString(TypeFor(http_status)) +
         ",\"code\":" + JsonString(code) + "}}";
}

HttpResponse HttpError(int http_status, const std::string& code, const std::string& message) {
  HttpResponse res;
  res.status = http_status;
  res.body = ErrorBody(http_status, code, message);
  return res;
}

HttpResponse ErrorResponse(const Status& status, int retry_after_seconds) {
  const int http_status = status.ok() ? 500 : HttpStatusFor(status.code());
  HttpResponse res = HttpError(http_status, SnakeCase(StatusCodeName(status.code())),
                               status.ok() ? "internal error: an OK status reached the error mapper" : status.message());
  if (http_status == 429 || http_status == 503) res.AddHeader("Retry-After", std::to_string(retry_after_seconds));
  return res;
}

}  // namespace imi::server
