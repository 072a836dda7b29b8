#ifndef IMI_SERVER_WORKER_POOL_H_
#define IMI_SERVER_WORKER_POOL_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace imi::server {

// Up to a fixed number of threads running submitted tasks in submission
// order, with at most `max_queued` tasks waiting. One thread starts with
// the pool, the others when work needs them (a task queued while none is
// idle): a server with 64 workers does not pay for 64 threads before it
// answers. The transport runs Api::Handle on
// these, never on its I/O thread, and keeps store calls on a pool of their
// own so a stalled store cannot take the threads other routes need.
// Thread-safe.
class WorkerPool {
 public:
  // A pool of at most `threads` threads (at least 1); one runs now.
  WorkerPool(size_t threads, size_t max_queued);
  // Stops and joins; blocks while a task is still running (a process that
  // must exit past a blocked task leaves with _exit instead).
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`, starting a thread when none is idle and the pool is
  // below its size (when no thread can start, the running ones take it);
  // false when the queue is full or the pool stopped.
  bool Submit(std::function<void()> task);
  // Refuses new tasks; queued ones still run.
  void Stop();
  // Removes the tasks not yet started and hands them back, so the caller
  // destroys what they captured on a thread of its choice.
  std::deque<std::function<void()>> DropQueued();
  // Waits until no task is queued or running, up to `deadline`; true if so.
  bool WaitIdle(std::chrono::steady_clock::time_point deadline);
  // Tasks running now.
  size_t busy() const;
  // Threads started so far.
  size_t threads() const;

 private:
  void Run();

  const size_t max_threads_;
  const size_t max_queued_;
  mutable std::mutex mutex_;
  std::condition_variable work_;
  std::condition_variable idle_;
  std::deque<std::function<void()>> queue_;
  size_t running_ = 0;
  size_t idle_threads_ = 0;  // started and not running a task
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace imi::server

#endif  // IMI_SERVER_WORKER_POOL_H_
