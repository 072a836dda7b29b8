#ifndef IMI_BASE_STATUS_H_
#define IMI_BASE_STATUS_H_

#include <string>
#include <string_view>
#include <utility>

namespace imi {

// Codes of expected failures. Each maps one-to-one onto an HTTP status
// (HttpStatusFor) and a CLI exit code (ExitCodeFor).
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // bad input from the caller (400 / exit 2)
  kUnprocessable,      // well-formed but unacceptable input (422 / exit 2)
  kNotFound,           // missing file, collection, document (404 / exit 3)
  kAlreadyExists,      // (409 / exit 2)
  kFailedPrecondition, // e.g. dimension mismatch with stored data (409 / exit 2)
  kTooLarge,           // payload or batch over a limit (413 / exit 2)
  kResourceExhausted,  // queue full, back-pressure (429 / exit 4)
  kUnavailable,        // a dependency is down, still loading (503 / exit 5)
  kUnsupported,        // a format feature imi does not implement (422 / exit 2)
  kDataLoss,           // corrupt file or index (500 / exit 6)
  kIoError,            // the OS refused a read or write (500 / exit 6)
  kInternal,           // a bug; never expected (500 / exit 70)
  kNoSpace,            // the disk (or database) is full (507 / exit 6)
};

// Status is the result of an operation that can fail in an expected way.
// It is cheap to copy when OK. Thread-compatible.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {StatusCode::kInvalidArgument, std::move(msg)}; }
  static Status Unprocessable(std::string msg) { return {StatusCode::kUnprocessable, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {StatusCode::kAlreadyExists, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) { return {StatusCode::kFailedPrecondition, std::move(msg)}; }
  static Status TooLarge(std::string msg) { return {StatusCode::kTooLarge, std::move(msg)}; }
  static Status ResourceExhausted(std::string msg) { return {StatusCode::kResourceExhausted, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status Unsupported(std::string msg) { return {StatusCode::kUnsupported, std::move(msg)}; }
  static Status DataLoss(std::string msg) { return {StatusCode::kDataLoss, std::move(msg)}; }
  static Status IoError(std::string msg) { return {StatusCode::kIoError, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }
  static Status NoSpace(std::string msg) { return {StatusCode::kNoSpace, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "<CodeName>: <message>", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>" (same code).
  Status WithContext(std::string_view prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Name of a code, e.g. "InvalidArgument".
std::string_view StatusCodeName(StatusCode code);
// HTTP status for a code (200 for kOk).
int HttpStatusFor(StatusCode code);
// Process exit code for a code (0 for kOk).
int ExitCodeFor(StatusCode code);

}  // namespace imi

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define IMI_RETURN_IF_ERROR(expr)            \
  do {                                       \
    ::imi::Status imi_status_ = (expr);      \
    if (!imi_status_.ok()) return imi_status_; \
  } while (0)

#endif  // IMI_BASE_STATUS_H_
