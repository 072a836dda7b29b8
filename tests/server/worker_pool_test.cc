#include "server/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace imi::server {
namespace {

using std::chrono::steady_clock;

TEST(WorkerPoolTest, StartsOneThreadAndOnlyAsManyMoreAsTheWorkNeeds) {
  WorkerPool pool(64, 1000);
  EXPECT_EQ(pool.threads(), 1u);
  std::atomic<int> done{0};
  // One task at a time: one thread serves them all.
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(pool.Submit([&] { ++done; }));
    ASSERT_TRUE(pool.WaitIdle(steady_clock::now() + std::chrono::seconds(10)));
  }
  EXPECT_EQ(done.load(), 20);
  EXPECT_EQ(pool.threads(), 1u);
}

TEST(WorkerPoolTest, BlockedTasksGetThreadsUpToTheSizeAndTheRestWaitInTurn) {
  WorkerPool pool(4, 1000);
  std::mutex mutex;
  std::condition_variable changed;
  int running = 0;
  bool release = false;
  std::atomic<int> done{0};
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(pool.Submit([&] {
      std::unique_lock<std::mutex> lock(mutex);
      ++running;
      changed.notify_all();
      changed.wait(lock, [&] { return release; });
      --running;
      ++done;
    }));
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return running == 4; }));
  }
  EXPECT_EQ(pool.threads(), 4u);
  EXPECT_EQ(pool.busy(), 4u);
  {
    std::lock_guard<std::mutex> lock(mutex);
    release = true;
    changed.notify_all();
  }
  ASSERT_TRUE(pool.WaitIdle(steady_clock::now() + std::chrono::seconds(10)));
  EXPECT_EQ(done.load(), 10);
  EXPECT_EQ(pool.threads(), 4u);
}

TEST(WorkerPoolTest, AFullQueueAndAStoppedPoolRefuse) {
  WorkerPool pool(1, 2);
  std::mutex gate;
  gate.lock();
  std::atomic<int> done{0};
  ASSERT_TRUE(pool.Submit([&] {
    std::lock_guard<std::mutex> hold(gate);
    ++done;
  }));
  // The first task may still be queued or already running: fill the queue.
  int queued = 0;
  while (pool.Submit([&] { ++done; })) ++queued;
  EXPECT_LE(queued, 2);
  EXPECT_GE(queued, 1);
  gate.unlock();
  ASSERT_TRUE(pool.WaitIdle(steady_clock::now() + std::chrono::seconds(10)));
  EXPECT_EQ(done.load(), 1 + queued);
  pool.Stop();
  EXPECT_FALSE(pool.Submit([] {}));
}

}  // namespace
}  // namespace imi::server
