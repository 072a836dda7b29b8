#ifndef IMI_SERVER_ERROR_RESPONSE_H_
#define IMI_SERVER_ERROR_RESPONSE_H_

#include <string>

#include "base/status.h"
#include "server/http_types.h"

namespace imi::server {

// The one mapper from Status to an HTTP error: status from HttpStatusFor,
// body {"error":{"message","type","code"}}, Retry-After for 429/503.
// Requires !status.ok().
HttpResponse ErrorResponse(const Status& status, int retry_after_seconds = 1);

// An HTTP error that has no Status code of its own (401, 405, 408, 411, 431).
HttpResponse HttpError(int http_status, const std::string& code, const std::string& message);

// The JSON body of an error, for transports that build their own responses.
std::string ErrorBody(int http_status, const std::string& code, const std::string& message);

}  // namespace imi::server

#endif  // IMI_SERVER_ERROR_RESPONSE_H_
