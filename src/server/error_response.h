#ifndef IMI_SERVER_ERROR_RESPONSE_H_
#define IMI_SERVER_ERROR_RESPONSE_H_

#include <string>

#include "base/status.h"
#include "server/http_types.h"

namespace imi::server {

// The client ecosystem a route answers for; it decides the shape of errors
// (docs/api.md, "Errors"):
//   kImi     the original API, /collections and the info routes:
//            {"error":{"message","type","code"}}
//   kOpenAi  {"error":{"message","type","param","code"}}
//   kOllama  {"error":"message"}
//   kTei     {"error":"message","error_type":"Validation|Overloaded|..."}
// Status codes are the same for every family (HttpStatusFor).
enum class ApiFamily { kImi, kOpenAi, kOllama, kTei };

// The one mapper from Status to an HTTP error: status from HttpStatusFor,
// the body of `family`, Retry-After for 429/503. Requires !status.ok().
HttpResponse ErrorResponse(const Status& status, ApiFamily family = ApiFamily::kImi, int retry_after_seconds = 1);

// An HTTP error that has no Status code of its own (401, 405, 408, 411, 415,
// 431), in the shape of `family`. `code` is a snake_case reason.
HttpResponse HttpError(int http_status, const std::string& code, const std::string& message,
                       ApiFamily family = ApiFamily::kImi);

// The JSON body of an error, for transports that build their own responses.
std::string ErrorBody(int http_status, const std::string& code, const std::string& message,
                      ApiFamily family = ApiFamily::kImi);

// The family of routes under `path` when no route matched it: /v1/... is
// OpenAI's, /api/... Ollama's, anything else imi's.
ApiFamily FamilyForUnmatchedPath(const std::string& path);

}  // namespace imi::server

#endif  // IMI_SERVER_ERROR_RESPONSE_H_
