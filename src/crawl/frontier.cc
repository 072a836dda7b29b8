#include "crawl/frontier.h"

#include <algorithm>

namespace imi::crawl {

namespace {

// Next waits at most this long at a time, so Stop (also from a signal
// handler's flag polled by the caller) takes effect promptly.
constexpr std::chrono::milliseconds kMaxWait{200};

}  // namespace

Frontier::Frontier(int per_host_concurrency, std::chrono::milliseconds delay)
    : concurrency_(std::max(1, per_host_concurrency)), delay_(delay) {}

void Frontier::Add(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    HostQueue& q = hosts_[task.host];
    if (q.delay < delay_) q.delay = delay_;
    if (task.kind == TaskKind::kRobots) {
      q.robots.push_back(std::move(task));
    } else if (task.not_before > Clock::now()) {
      const Clock::time_point at = task.not_before;
      q.waiting.emplace(at, std::move(task));
    } else {
      q.ready.push_back(std::move(task));
    }
    ++queued_;
  }
  cv_.notify_all();
}

void Frontier::Gate(const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  hosts_[host].gated = true;
}

void Frontier::Ungate(const std::string& host) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    hosts_[host].gated = false;
  }
  cv_.notify_all();
}

void Frontier::RaiseDelay(const std::string& host, std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mu_);
  HostQueue& q = hosts_[host];
  q.delay = std::max({q.delay, delay, delay_});
  // The request that brought the new delay (robots.txt) counts too.
  if (q.last_start != Clock::time_point{}) q.next_start = std::max(q.next_start, q.last_start + q.delay);
}

void Frontier::PauseHost(const std::string& host, Clock::time_point until) {
  std::lock_guard<std::mutex> lock(mu_);
  HostQueue& q = hosts_[host];
  q.next_start = std::max(q.next_start, until);
}

std::optional<Task> Frontier::Take(HostQueue& q, Clock::time_point now, Clock::time_point* wake) {
  // Retries whose time has come join the ready queue first.
  while (!q.waiting.empty() && q.waiting.begin()->first <= now) {
    q.ready.push_front(std::move(q.waiting.begin()->second));
    q.waiting.erase(q.waiting.begin());
  }
  const bool robots_ready = !q.robots.empty() && q.robots.front().not_before <= now;
  if (!q.robots.empty() && !robots_ready) *wake = std::min(*wake, q.robots.front().not_before);
  const bool has_work = robots_ready || (!q.gated && !q.ready.empty());
  if (!q.waiting.empty() && !q.gated) *wake = std::min(*wake, q.waiting.begin()->first);
  if (!has_work || q.in_flight >= concurrency_) return std::nullopt;
  if (q.next_start > now) {
    *wake = std::min(*wake, q.next_start);
    return std::nullopt;
  }
  std::deque<Task>& from = robots_ready ? q.robots : q.ready;
  Task task = std::move(from.front());
  from.pop_front();
  ++q.in_flight;
  q.last_start = now;
  q.next_start = now + q.delay;
  return task;
}

std::optional<Task> Frontier::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (stopped_) return std::nullopt;
    if (queued_ == 0 && in_flight_ == 0) return std::nullopt;
    const Clock::time_point now = Clock::now();
    Clock::time_point wake = now + kMaxWait;
    if (!hosts_.empty()) {
      // Round-robin over hosts so one large site does not starve the others.
      auto it = hosts_.begin();
      std::advance(it, static_cast<long>(rotation_ % hosts_.size()));
      for (size_t i = 0; i < hosts_.size(); ++i) {
        if (std::optional<Task> task = Take(it->second, now, &wake)) {
          ++rotation_;
          --queued_;
          ++in_flight_;
          return task;
        }
        if (++it == hosts_.end()) it = hosts_.begin();
      }
    }
    cv_.wait_until(lock, std::max(wake, now + std::chrono::milliseconds(1)));
  }
}

void Frontier::Finished(const std::string& host) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    HostQueue& q = hosts_[host];
    if (q.in_flight > 0) --q.in_flight;
    if (in_flight_ > 0) --in_flight_;
  }
  cv_.notify_all();
}

void Frontier::Stop() {
  stopped_ = true;
  cv_.notify_all();
}

size_t Frontier::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_;
}

size_t Frontier::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

}  // namespace imi::crawl
