#ifndef IMI_SERVER_MEMORY_BUDGET_H_
#define IMI_SERVER_MEMORY_BUDGET_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "base/result.h"

namespace imi::server {

// The tokenizer's working memory per byte of input text, measured on a
// 1.9 MB Japanese line (about 100 bytes per byte; docs/limits.md). Charged
// while a text is tokenised.
inline constexpr size_t kTokenizerBytesPerInputByte = 128;

// The server's budget of bytes for requests in flight: bodies being read,
// the JSON built from them, the tokenizer's working memory and responses.
// Requests reserve before they allocate, so the sum stays under the limit
// whatever clients send. Thread-safe.
class MemoryBudget {
 public:
  // `limit_bytes` 0 means unlimited (reservations always succeed).
  explicit MemoryBudget(size_t limit_bytes) : limit_(limit_bytes) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Reserves `bytes` if they fit under the limit; false leaves nothing reserved.
  bool TryReserve(size_t bytes);
  // Like TryReserve, but waits until `deadline` for other requests to release.
  bool ReserveBy(size_t bytes, std::chrono::steady_clock::time_point deadline);
  // Reserves `bytes` even over the limit (memory already allocated that
  // must be counted, e.g. a response being written).
  void ForceReserve(size_t bytes);
  // Returns bytes reserved earlier.
  void Release(size_t bytes);

  size_t limit() const { return limit_; }
  size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
  // Highest in_use() seen.
  size_t peak() const { return peak_.load(std::memory_order_relaxed); }
  // Reservations refused so far.
  uint64_t refusals() const { return refusals_.load(std::memory_order_relaxed); }

 private:
  bool Fits(size_t bytes);
  void NotePeak(size_t value);

  const size_t limit_;
  std::atomic<size_t> in_use_{0};
  std::atomic<size_t> peak_{0};
  std::atomic<uint64_t> refusals_{0};
  std::atomic<int> waiters_{0};
  std::mutex mutex_;  // for waiters only
  std::condition_variable released_;
};

// What one request holds of a MemoryBudget; everything is released when the
// lease is destroyed. Used by one thread at a time.
class MemoryLease {
 public:
  // `budget` may be null (no accounting); it must outlive the lease.
  explicit MemoryLease(MemoryBudget* budget) : budget_(budget) {}
  ~MemoryLease();
  MemoryLease(const MemoryLease&) = delete;
  MemoryLease& operator=(const MemoryLease&) = delete;

  // Adds `bytes` to what this request holds, waiting up to `wait` for other
  // requests to release. TooLarge when the request alone would need more
  // than the whole budget; Unavailable (503, retry) when others hold the
  // rest; `what` names the memory in the message.
  Status Grow(size_t bytes, const char* what, std::chrono::milliseconds wait = std::chrono::milliseconds(0));
  // Adds `bytes` without a check (see MemoryBudget::ForceReserve).
  void ForceGrow(size_t bytes);
  // Gives back `bytes` of what this request holds.
  void Shrink(size_t bytes);
  size_t held() const { return held_; }

 private:
  MemoryBudget* const budget_;
  size_t held_ = 0;
};

// The lease of the request the calling thread is handling (set by
// Api::Handle for its duration), or null.
MemoryLease* CurrentRequestMemory();

// Makes `lease` the calling thread's CurrentRequestMemory() for a scope.
class ScopedRequestMemory {
 public:
  explicit ScopedRequestMemory(MemoryLease* lease);
  ~ScopedRequestMemory();
  ScopedRequestMemory(const ScopedRequestMemory&) = delete;
  ScopedRequestMemory& operator=(const ScopedRequestMemory&) = delete;

 private:
  MemoryLease* previous_;
};

// Bytes charged to a lease for as long as this object lives (e.g. the
// tokenizer's working memory for one text). Move-only.
class MemoryCharge {
 public:
  MemoryCharge() = default;
  // Charges `bytes` to `lease` (nothing when null), waiting up to 2 s for
  // other requests; the lease's error otherwise.
  static Result<MemoryCharge> Take(MemoryLease* lease, size_t bytes, const char* what);
  ~MemoryCharge();
  MemoryCharge(MemoryCharge&& other) noexcept;
  MemoryCharge& operator=(MemoryCharge&& other) noexcept;

 private:
  MemoryLease* lease_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace imi::server

#endif  // IMI_SERVER_MEMORY_BUDGET_H_
