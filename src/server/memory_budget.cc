#include "server/memory_budget.h"

#include <algorithm>
#include <string>
#include <utility>

namespace imi::server {

namespace {

thread_local MemoryLease* tls_request_memory = nullptr;

std::string Mebibytes(size_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

}  // namespace

bool MemoryBudget::Fits(size_t bytes) {
  size_t current = in_use_.load(std::memory_order_relaxed);
  do {
    if (limit_ != 0 && (bytes > limit_ || current > limit_ - bytes)) return false;
  } while (!in_use_.compare_exchange_weak(current, current + bytes, std::memory_order_relaxed));
  NotePeak(current + bytes);
  return true;
}

bool MemoryBudget::TryReserve(size_t bytes) {
  if (Fits(bytes)) return true;
  refusals_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool MemoryBudget::ReserveBy(size_t bytes, std::chrono::steady_clock::time_point deadline) {
  if (Fits(bytes)) return true;
  if (bytes <= limit_) {
    std::unique_lock<std::mutex> lock(mutex_);
    waiters_++;
    bool got = false;
    while (!(got = Fits(bytes)) && released_.wait_until(lock, deadline) != std::cv_status::timeout) {
    }
    if (!got) got = Fits(bytes);
    waiters_--;
    if (got) return true;
  }
  refusals_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void MemoryBudget::ForceReserve(size_t bytes) {
  NotePeak(in_use_.fetch_add(bytes, std::memory_order_relaxed) + bytes);
}

void MemoryBudget::Release(size_t bytes) {
  in_use_.fetch_sub(bytes, std::memory_order_relaxed);
  if (waiters_.load() > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    released_.notify_all();
  }
}

void MemoryBudget::NotePeak(size_t value) {
  size_t peak = peak_.load(std::memory_order_relaxed);
  while (value > peak && !peak_.compare_exchange_weak(peak, value, std::memory_order_relaxed)) {
  }
}

MemoryLease::~MemoryLease() {
  if (budget_ != nullptr && held_ > 0) budget_->Release(held_);
}

Status MemoryLease::Grow(size_t bytes, const char* what, std::chrono::milliseconds wait) {
  if (budget_ == nullptr || bytes == 0) return Status::Ok();
  const bool reserved = wait.count() > 0 ? budget_->ReserveBy(bytes, std::chrono::steady_clock::now() + wait)
                                         : budget_->TryReserve(bytes);
  if (reserved) {
    held_ += bytes;
    return Status::Ok();
  }
  const size_t limit = budget_->limit();
  if (held_ + bytes > limit) {
    return Status::TooLarge(std::string(what) + " needs more than the server's in-flight memory budget of " +
                            Mebibytes(limit) + " (--memory-budget); send a smaller request");
  }
  return Status::Unavailable(std::string(what) + " does not fit in the server's in-flight memory budget of " +
                             Mebibytes(limit) + " while other requests use it; retry shortly");
}

void MemoryLease::ForceGrow(size_t bytes) {
  if (budget_ == nullptr || bytes == 0) return;
  budget_->ForceReserve(bytes);
  held_ += bytes;
}

void MemoryLease::Shrink(size_t bytes) {
  if (budget_ == nullptr) return;
  bytes = std::min(bytes, held_);
  held_ -= bytes;
  budget_->Release(bytes);
}

MemoryLease* CurrentRequestMemory() { return tls_request_memory; }

ScopedRequestMemory::ScopedRequestMemory(MemoryLease* lease) : previous_(tls_request_memory) {
  tls_request_memory = lease;
}

ScopedRequestMemory::~ScopedRequestMemory() { tls_request_memory = previous_; }

Result<MemoryCharge> MemoryCharge::Take(MemoryLease* lease, size_t bytes, const char* what) {
  MemoryCharge charge;
  if (lease == nullptr || bytes == 0) return charge;
  IMI_RETURN_IF_ERROR(lease->Grow(bytes, what, std::chrono::milliseconds(2000)));
  charge.lease_ = lease;
  charge.bytes_ = bytes;
  return charge;
}

MemoryCharge::~MemoryCharge() {
  if (lease_ != nullptr) lease_->Shrink(bytes_);
}

MemoryCharge::MemoryCharge(MemoryCharge&& other) noexcept
    : lease_(std::exchange(other.lease_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

MemoryCharge& MemoryCharge::operator=(MemoryCharge&& other) noexcept {
  if (this != &other) {
    if (lease_ != nullptr) lease_->Shrink(bytes_);
    lease_ = std::exchange(other.lease_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

}  // namespace imi::server
