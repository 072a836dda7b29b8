#ifndef IMI_BASE_RESULT_H_
#define IMI_BASE_RESULT_H_

#include <optional>
#include <utility>

#include "base/status.h"

namespace imi {

// Result<T> holds either a value or a non-OK Status. Accessing value() of an
// error result is a programmer error (asserts in debug builds).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}                 // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}         // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace imi

#define IMI_CONCAT_INNER_(a, b) a##b
#define IMI_CONCAT_(a, b) IMI_CONCAT_INNER_(a, b)

// IMI_ASSIGN_OR_RETURN(auto x, Expr()): assigns the value or returns the error.
#define IMI_ASSIGN_OR_RETURN(lhs, expr) \
  IMI_ASSIGN_OR_RETURN_IMPL_(IMI_CONCAT_(imi_result_, __LINE__), lhs, expr)
#define IMI_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

#endif  // IMI_BASE_RESULT_H_
