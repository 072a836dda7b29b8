#ifndef IMI_SERVER_METRICS_H_
#define IMI_SERVER_METRICS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "batch/batcher.h"
#include "server/memory_budget.h"

namespace imi::server {

// A Prometheus histogram with fixed upper bounds. Thread-safe.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  // Appends the _bucket/_sum/_count lines for `name` with extra `labels`
  // ("" or `route="/embed"`).
  void Render(const std::string& name, const std::string& labels, std::string* out) const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::vector<uint64_t> counts_;  // one per bound plus +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

// The server's Prometheus metrics: requests by route and status, request,
// queue, tokenisation and inference time, batch sizes and tokens, queue
// depth, in-flight requests. Thread-safe; OnBatch runs on the batch worker.
class Metrics : public batch::BatchObserver {
 public:
  Metrics();

  void OnRequest(const std::string& route, int status, double seconds);
  void OnTokenize(double seconds) { tokenize_.Observe(seconds); }
  void OnQueueWait(double seconds) { queue_wait_.Observe(seconds); }
  void OnBatch(const batch::BatchStats& stats) override;

  void AddInFlight(int delta) { in_flight_ += delta; }
  void AddConnections(int delta) { connections_ += delta; }
  void OnRejectedConnection() { rejected_connections_++; }
  // The in-flight memory budget whose use /metrics reports (must outlive
  // this object); null: not reported.
  void SetMemoryBudget(const MemoryBudget* budget) { memory_budget_ = budget; }

  // Prometheus text exposition (format 0.0.4). `queue_depth` and `ready` are
  // read by the caller at scrape time.
  std::string Render(size_t queue_depth, bool ready) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, std::unique_ptr<Histogram>> request_seconds_;
  Histogram tokenize_;
  Histogram queue_wait_;
  Histogram inference_;
  Histogram batch_size_;
  Histogram batch_tokens_;
  Histogram batch_padded_tokens_;
  std::atomic<uint64_t> batch_failures_{0};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> connections_{0};
  std::atomic<uint64_t> rejected_connections_{0};
  const MemoryBudget* memory_budget_ = nullptr;
};

}  // namespace imi::server

#endif  // IMI_SERVER_METRICS_H_
