#include "server/worker_pool.h"

#include <system_error>

namespace imi::server {

WorkerPool::WorkerPool(size_t threads, size_t max_queued)
    : max_threads_(threads == 0 ? 1 : threads), max_queued_(max_queued) {
  threads_.reserve(max_threads_);
  threads_.emplace_back([this] { Run(); });  // the first request finds one waiting
  idle_threads_ = 1;
}

WorkerPool::~WorkerPool() {
  Stop();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    work_.notify_all();
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

bool WorkerPool::Submit(std::function<void()> task) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_ || queue_.size() >= max_queued_) return false;
  if (queue_.size() >= idle_threads_ && threads_.size() < max_threads_) {
    try {
      threads_.emplace_back([this] { Run(); });
      ++idle_threads_;
    } catch (const std::system_error&) {
      // No thread could start (e.g. a thread limit): the running ones (at
      // least the constructor's) take the task.
    }
  }
  queue_.push_back(std::move(task));
  work_.notify_one();
  return true;
}

void WorkerPool::Stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = true;
  work_.notify_all();
}

std::deque<std::function<void()>> WorkerPool::DropQueued() {
  std::deque<std::function<void()>> dropped;
  std::lock_guard<std::mutex> lock(mutex_);
  dropped.swap(queue_);
  if (running_ == 0) idle_.notify_all();
  return dropped;
}

bool WorkerPool::WaitIdle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  return idle_.wait_until(lock, deadline, [this] { return queue_.empty() && running_ == 0; });
}

size_t WorkerPool::threads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return threads_.size();
}

size_t WorkerPool::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

void WorkerPool::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    --idle_threads_;
    if (queue_.empty()) return;  // stopping and nothing left
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    task();
    task = nullptr;  // destroy what the task captured before counting it done
    lock.lock();
    --running_;
    ++idle_threads_;
    if (queue_.empty() && running_ == 0) idle_.notify_all();
  }
}

}  // namespace imi::server
