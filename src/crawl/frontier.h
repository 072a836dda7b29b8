#ifndef IMI_CRAWL_FRONTIER_H_
#define IMI_CRAWL_FRONTIER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace imi::crawl {

using Clock = std::chrono::steady_clock;

enum class TaskKind { kPage, kSitemap, kRobots };

// One URL waiting to be fetched.
struct Task {
  std::string url;   // normalised
  std::string host;  // HostKeyOf(url)
  TaskKind kind = TaskKind::kPage;
  int depth = 0;                       // links followed from a start URL or sitemap
  int attempt = 0;                     // earlier tries of this URL in this run
  std::string via;                     // "start", "sitemap", "link", "redirect"
  std::vector<std::string> redirects;  // URLs that redirected here, in order
  Clock::time_point not_before{};      // retries wait until then
};

// The URLs to fetch, one queue per host, handed out so that no host has
// more than `per_host_concurrency` requests in flight and consecutive
// requests to a host start at least its delay apart. A host can be gated:
// only its robots.txt task is handed out until Ungate. Thread-safe.
class Frontier {
 public:
  Frontier(int per_host_concurrency, std::chrono::milliseconds delay);

  // Queues a task (robots tasks go first in their host's queue).
  void Add(Task task);
  // Gates `host` until Ungate (call before adding its first task).
  void Gate(const std::string& host);
  void Ungate(const std::string& host);
  // Raises the host's delay (a robots.txt Crawl-delay); never lowers it.
  void RaiseDelay(const std::string& host, std::chrono::milliseconds delay);
  // Starts no request to `host` before `until` (Retry-After).
  void PauseHost(const std::string& host, Clock::time_point until);

  // The next task that may start now; blocks until one may. nullopt once
  // nothing is queued and nothing is in flight, or after Stop. The caller
  // must call Finished(task.host) when done with it, after adding the
  // tasks it discovered.
  std::optional<Task> Next();
  void Finished(const std::string& host);
  // Makes Next return nullopt from now on (queued tasks stay queued).
  void Stop();

  size_t queued() const;
  size_t in_flight() const;
  bool stopped() const { return stopped_.load(); }

 private:
  struct HostQueue {
    std::deque<Task> robots;
    std::deque<Task> ready;
    std::multimap<Clock::time_point, Task> waiting;  // retries by time
    int in_flight = 0;
    bool gated = false;
    Clock::time_point next_start{};
    Clock::time_point last_start{};
    std::chrono::milliseconds delay{0};
  };

  // A task of `q` that may start at `now`, removed from the queue; or none,
  // with *wake set to when one might.
  std::optional<Task> Take(HostQueue& q, Clock::time_point now, Clock::time_point* wake);

  const int concurrency_;
  const std::chrono::milliseconds delay_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, HostQueue> hosts_;
  size_t queued_ = 0;
  size_t in_flight_ = 0;
  std::atomic<bool> stopped_{false};
  size_t rotation_ = 0;
};

}  // namespace imi::crawl

#endif  // IMI_CRAWL_FRONTIER_H_
