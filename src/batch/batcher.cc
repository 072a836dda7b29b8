#include "batch/batcher.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

namespace imi::batch {

namespace {

using Clock = std::chrono::steady_clock;

double SecondsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

std::string EmbedOptions::InferKey() const {
  std::string key;
  key += normalize.has_value() ? (*normalize ? "n1" : "n0") : "n-";
  key += '/';
  key += dimensions.has_value() ? std::to_string(*dimensions) : "-";
  key += '/';
  key += std::to_string(outputs);
  if (rerank) key += "/rerank";
  return key;
}

// One request. It lives on the stack of the thread blocked in Embed, which
// does not return before `done` is set, so the worker may point at it.
struct Batcher::Job {
  const std::vector<std::unique_ptr<PreparedInput>>* inputs = nullptr;
  const EmbedOptions* options = nullptr;
  std::string key;
  std::vector<InferOutput> vectors;
  size_t remaining = 0;
  Status status;
  bool done = false;
  bool started = false;
  Clock::time_point enqueued;
  Clock::time_point first_start;
  double infer_seconds = 0;
};

Batcher::Batcher(const EmbeddingBackend& backend, BatcherOptions options, BatchObserver* observer)
    : backend_(backend), options_(options), observer_(observer) {
  worker_ = std::thread([this] { WorkerLoop(); });
}

Batcher::~Batcher() { Stop(); }

void Batcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  if (worker_.joinable()) worker_.join();
}

size_t Batcher::queued_inputs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_.size();
}

Result<std::vector<InferOutput>> Batcher::Embed(const std::vector<std::unique_ptr<PreparedInput>>& inputs,
                                               const EmbedOptions& options, RequestTimings* timings) {
  if (inputs.empty()) return std::vector<InferOutput>{};
  Job job;
  job.inputs = &inputs;
  job.options = &options;
  job.key = options.InferKey();
  job.vectors.resize(inputs.size());
  job.remaining = inputs.size();
  job.enqueued = Clock::now();
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_) return Status::Unavailable("the server is shutting down");
    if (pending_.size() + inputs.size() > options_.max_queued_inputs) {
      return Status::ResourceExhausted("the inference queue is full (" + std::to_string(pending_.size()) +
                                       " inputs waiting); retry later");
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      pending_.push_back(Item{&job, i, inputs[i]->num_tokens()});
    }
    work_ready_.notify_one();
    job_done_.wait(lock, [&job] { return job.done; });
  }
  if (timings != nullptr) {
    timings->queue_seconds = SecondsBetween(job.enqueued, job.first_start);
    timings->infer_seconds = job.infer_seconds;
  }
  if (!job.status.ok()) return job.status;
  return std::move(job.vectors);
}

void Batcher::WorkerLoop() {
  std::vector<Item> items;
  for (;;) {
    items.clear();
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping and drained
      // Take every waiting input that may share a call with the oldest one;
      // the others keep their place for the next round.
      const std::string key = pending_.front().job->key;
      std::deque<Item> rest;
      for (Item& item : pending_) {
        if (item.job->key == key) {
          items.push_back(item);
        } else {
          rest.push_back(item);
        }
      }
      pending_.swap(rest);
    }
    // Sorting by length keeps padding low; stable so equal lengths keep
    // arrival order.
    std::stable_sort(items.begin(), items.end(),
                     [](const Item& a, const Item& b) { return a.tokens < b.tokens; });
    size_t begin = 0;
    while (begin < items.size()) {
      size_t end = begin + 1;
      size_t longest = std::max<size_t>(items[begin].tokens, 1);
      while (end < items.size()) {
        const size_t next_longest = std::max(longest, items[end].tokens);
        if ((end - begin + 1) * next_longest > options_.max_batch_tokens) break;
        longest = next_longest;
        ++end;
      }
      RunBatch(items, begin, end);
      begin = end;
    }
  }
}

void Batcher::RunBatch(const std::vector<Item>& items, size_t begin, size_t end) {
  std::vector<const PreparedInput*> batch;
  batch.reserve(end - begin);
  BatchStats stats;
  stats.inputs = end - begin;
  size_t longest = 0;
  for (size_t i = begin; i < end; ++i) {
    batch.push_back((*items[i].job->inputs)[items[i].index].get());
    stats.tokens += items[i].tokens;
    longest = std::max(longest, items[i].tokens);
  }
  stats.padded_tokens = longest * stats.inputs;

  const Clock::time_point start = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = begin; i < end; ++i) {
      Job* job = items[i].job;
      if (!job->started) {
        job->started = true;
        job->first_start = start;
      }
    }
  }
  // Every input of the batch shares the key, so the first one's options
  // stand for all of them.
  Result<std::vector<InferOutput>> result = backend_.Infer(batch, *items[begin].job->options);
  if (result.ok() && result->size() != batch.size()) {
    result = Status::Internal("the backend returned " + std::to_string(result->size()) + " vectors for " +
                              std::to_string(batch.size()) + " inputs");
  }
  const Clock::time_point finish = Clock::now();
  stats.infer_seconds = SecondsBetween(start, finish);
  stats.ok = result.ok();
  if (observer_ != nullptr) observer_->OnBatch(stats);

  bool any_done = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = begin; i < end; ++i) {
      Job* job = items[i].job;
      if (result.ok()) {
        job->vectors[items[i].index] = std::move((*result)[i - begin]);
      } else if (job->status.ok()) {
        job->status = result.status();
      }
    }
    std::vector<Job*> jobs;
    for (size_t i = begin; i < end; ++i) {
      Job* job = items[i].job;
      jobs.push_back(job);
      if (--job->remaining == 0) {
        job->done = true;
        any_done = true;
      }
    }
    // A request's inference time counts each batch it took part in once.
    std::sort(jobs.begin(), jobs.end());
    jobs.erase(std::unique(jobs.begin(), jobs.end()), jobs.end());
    for (Job* job : jobs) job->infer_seconds += stats.infer_seconds;
  }
  if (any_done) job_done_.notify_all();
}

}  // namespace imi::batch
