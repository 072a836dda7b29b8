#ifndef IMI_BATCH_BATCHER_H_
#define IMI_BATCH_BATCHER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/result.h"
#include "batch/embedding_backend.h"

namespace imi::batch {

struct BatcherOptions {
  // Upper bound of batch_size * longest_input_tokens per inference call. An
  // input longer than the budget runs alone.
  size_t max_batch_tokens = 16384;
  // Bound of the queue, counted in inputs (texts) waiting for inference.
  size_t max_queued_inputs = 4096;
};

// Figures of one inference call, reported to a BatchObserver.
struct BatchStats {
  size_t inputs = 0;         // batch size
  size_t tokens = 0;         // real tokens
  size_t padded_tokens = 0;  // inputs * longest input
  double infer_seconds = 0;
  bool ok = true;
};

// Receives batch figures on the worker thread; must be thread-safe and quick.
class BatchObserver {
 public:
  virtual ~BatchObserver() = default;
  virtual void OnBatch(const BatchStats& stats) = 0;
};

// Time one request spent waiting and being computed, in seconds.
struct RequestTimings {
  double queue_seconds = 0;  // enqueue until its first batch started
  double infer_seconds = 0;  // sum of the inference calls it took part in
};

// Dynamic batcher: every request feeds one bounded queue; one worker thread
// takes all waiting inputs that can share a call (equal InferKey), sorts them
// by length, cuts batches by the padded-token budget, runs the backend, and
// hands each request its vectors in its own order. One outcome, vectors or
// the first error, is delivered to each waiting request.
// Thread safety: Embed may be called from any number of threads; Stop once.
class Batcher {
 public:
  // `backend` and `observer` (may be null) must outlive the Batcher.
  Batcher(const EmbeddingBackend& backend, BatcherOptions options, BatchObserver* observer);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Blocks until the inputs' outputs are computed; returns them in order.
  // Embedding requests and rerank pairs share the queue and its limits.
  // ResourceExhausted when the queue cannot take them all (retry later);
  // Unavailable after Stop; the backend's error when inference failed.
  Result<std::vector<InferOutput>> Embed(const std::vector<std::unique_ptr<PreparedInput>>& inputs,
                                         const EmbedOptions& options, RequestTimings* timings = nullptr);

  // Refuses new work, finishes everything queued, joins the worker.
  void Stop();

  // Inputs waiting for inference now.
  size_t queued_inputs() const;

 private:
  struct Job;
  struct Item {
    Job* job = nullptr;
    size_t index = 0;
    size_t tokens = 0;
  };

  void WorkerLoop();
  void RunBatch(const std::vector<Item>& items, size_t begin, size_t end);

  const EmbeddingBackend& backend_;
  const BatcherOptions options_;
  BatchObserver* const observer_;

  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable job_done_;
  std::deque<Item> pending_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace imi::batch

#endif  // IMI_BATCH_BATCHER_H_
