// One error mapper per client family. Each family's clients show the text of
// their own error shape: the OpenAI SDK reads error.message, Ollama's client
// the string in "error" (an object prints as "[object Object]"), Hugging
// Face's client "error" next to TEI's "error_type".
#include "server/error_response.h"

#include <cctype>

#include "server/json_io.h"

namespace imi::server {

namespace {

// OpenAI's (and imi's) "type" of an error.
std::string OpenAiType(int http_status) {
  if (http_status == 401) return "authentication_error";
  if (http_status == 429) return "rate_limit_error";
  if (http_status == 503) return "unavailable_error";
  if (http_status >= 500) return "server_error";
  return "invalid_request_error";
}

// TEI's ErrorType names (text-embeddings-inference router): Unhealthy 503,
// Backend (inference failed), Overloaded 429, Tokenizer 422, Validation,
// Empty 400. TEI has none for authentication; "Unauthorized" says it.
std::string TeiType(int http_status) {
  if (http_status == 401) return "Unauthorized";
  if (http_status == 429) return "Overloaded";
  if (http_status == 503) return "Unhealthy";
  if (http_status >= 500) return "Backend";
  return "Validation";
}

// The field an error is about, for OpenAI's "param": the first 'quoted'
// name at the start of the message ("'input[3]' must be ..."), else null.
std::string ParamOf(const std::string& message) {
  if (message.size() < 3 || message[0] != '\'') return "";
  const size_t end = message.find('\'', 1);
  if (end == std::string::npos || end == 1) return "";
  const std::string name = message.substr(1, end - 1);
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '_' || c == '.' || c == '[' || c == ']')) return "";
  }
  return name;
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

std::string ErrorBody(int http_status, const std::string& code, const std::string& message, ApiFamily family) {
  switch (family) {
    case ApiFamily::kOllama:
      return "{\"error\":" + JsonString(message) + "}";
    case ApiFamily::kTei:
      return "{\"error\":" + JsonString(message) + ",\"error_type\":" + JsonString(TeiType(http_status)) + "}";
    case ApiFamily::kOpenAi: {
      const std::string param = ParamOf(message);
      return "{\"error\":{\"message\":" + JsonString(message) + ",\"type\":" + JsonString(OpenAiType(http_status)) +
             ",\"param\":" + (param.empty() ? std::string("null") : JsonString(param)) +
             ",\"code\":" + JsonString(code) + "}}";
    }
    case ApiFamily::kImi:
      break;
  }
  return "{\"error\":{\"message\":" + JsonString(message) + ",\"type\":" + JsonString(OpenAiType(http_status)) +
         ",\"code\":" + JsonString(code) + "}}";
}

HttpResponse HttpError(int http_status, const std::string& code, const std::string& message, ApiFamily family) {
  HttpResponse res;
  res.status = http_status;
  res.body = ErrorBody(http_status, code, message, family);
  return res;
}

HttpResponse ErrorResponse(const Status& status, ApiFamily family, int retry_after_seconds) {
  const int http_status = status.ok() ? 500 : HttpStatusFor(status.code());
  HttpResponse res =
      HttpError(http_status, SnakeCase(StatusCodeName(status.code())),
                status.ok() ? "internal error: an OK status reached the error mapper" : status.message(), family);
  if (http_status == 429 || http_status == 503) res.AddHeader("Retry-After", std::to_string(retry_after_seconds));
  return res;
}

ApiFamily FamilyForUnmatchedPath(const std::string& path) {
  if (path.rfind("/v1/", 0) == 0) return ApiFamily::kOpenAi;
  if (path.rfind("/api/", 0) == 0) return ApiFamily::kOllama;
  return ApiFamily::kImi;
}

}  // namespace imi::server
