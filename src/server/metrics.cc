#include "server/metrics.h"

#include <cstdio>

namespace imi::server {

namespace {

std::vector<double> LatencyBounds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string FormatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

void Header(const char* name, const char* type, const char* help, std::string* out) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
}

// Label values are route patterns chosen by the server, but escape anyway.
std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::Render(const std::string& name, const std::string& labels, std::string* out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? FormatDouble(bounds_[i]) : "+Inf";
    *out += name + "_bucket{" + labels + sep + "le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  *out += name + "_sum" + braces + " " + FormatDouble(sum_) + "\n";
  *out += name + "_count" + braces + " " + std::to_string(count_) + "\n";
}

Metrics::Metrics()
    : tokenize_(LatencyBounds()),
      queue_wait_(LatencyBounds()),
      inference_(LatencyBounds()),
      batch_size_({1, 2, 4, 8, 16, 32, 64, 128, 256, 512}),
      batch_tokens_({16, 64, 256, 1024, 4096, 16384, 65536}),
      batch_padded_tokens_({16, 64, 256, 1024, 4096, 16384, 65536}) {}

void Metrics::OnRequest(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, status}];
  auto it = request_seconds_.find(route);
  if (it == request_seconds_.end()) it = request_seconds_.emplace(route, std::make_unique<Histogram>(LatencyBounds())).first;
  it->second->Observe(seconds);
}

void Metrics::OnBatch(const batch::BatchStats& stats) {
  inference_.Observe(stats.infer_seconds);
  batch_size_.Observe(static_cast<double>(stats.inputs));
  batch_tokens_.Observe(static_cast<double>(stats.tokens));
  batch_padded_tokens_.Observe(static_cast<double>(stats.padded_tokens));
  if (!stats.ok) ++batch_failures_;
}

std::string Metrics::Render(size_t queue_depth, bool ready) const {
  std::string out;
  Header("imi_http_requests_total", "counter", "HTTP requests by route and status code.", &out);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [key, count] : requests_) {
      out += "imi_http_requests_total{route=\"" + EscapeLabel(key.first) + "\",status=\"" +
             std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
    }
    Header("imi_http_request_duration_seconds", "histogram", "Time from request parsed to response ready.", &out);
    for (const auto& [route, histogram] : request_seconds_) {
      histogram->Render("imi_http_request_duration_seconds", "route=\"" + EscapeLabel(route) + "\"", &out);
    }
  }
  Header("imi_tokenize_seconds", "histogram", "Tokenisation time of one request, on its worker thread.", &out);
  tokenize_.Render("imi_tokenize_seconds", "", &out);
  Header("imi_queue_wait_seconds", "histogram", "Time a request waited before its first inference batch.", &out);
  queue_wait_.Render("imi_queue_wait_seconds", "", &out);
  Header("imi_inference_seconds", "histogram", "Duration of one inference call (one batch).", &out);
  inference_.Render("imi_inference_seconds", "", &out);
  Header("imi_batch_size", "histogram", "Inputs per inference call.", &out);
  batch_size_.Render("imi_batch_size", "", &out);
  Header("imi_batch_tokens", "histogram", "Real tokens per inference call.", &out);
  batch_tokens_.Render("imi_batch_tokens", "", &out);
  Header("imi_batch_padded_tokens", "histogram", "Padded tokens (inputs x longest) per inference call.", &out);
  batch_padded_tokens_.Render("imi_batch_padded_tokens", "", &out);
  Header("imi_batch_failures_total", "counter", "Inference calls that returned an error.", &out);
  out += "imi_batch_failures_total " + std::to_string(batch_failures_.load()) + "\n";
  Header("imi_queue_depth", "gauge", "Inputs waiting for inference.", &out);
  out += "imi_queue_depth " + std::to_string(queue_depth) + "\n";
  Header("imi_http_in_flight_requests", "gauge", "Requests being handled now.", &out);
  out += "imi_http_in_flight_requests " + std::to_string(in_flight_.load()) + "\n";
  Header("imi_http_open_connections", "gauge", "Open client connections.", &out);
  out += "imi_http_open_connections " + std::to_string(connections_.load()) + "\n";
  Header("imi_http_rejected_connections_total", "counter", "Connections refused over the connection caps (total or per address).", &out);
  out += "imi_http_rejected_connections_total " + std::to_string(rejected_connections_.load()) + "\n";
  if (memory_budget_ != nullptr) {
    Header("imi_memory_budget_bytes", "gauge", "In-flight memory budget for requests (0: unlimited).", &out);
    out += "imi_memory_budget_bytes " + std::to_string(memory_budget_->limit()) + "\n";
    Header("imi_memory_in_flight_bytes", "gauge", "Bytes requests in flight hold of the memory budget.", &out);
    out += "imi_memory_in_flight_bytes " + std::to_string(memory_budget_->in_use()) + "\n";
    Header("imi_memory_budget_refusals_total", "counter", "Reservations the memory budget refused.", &out);
    out += "imi_memory_budget_refusals_total " + std::to_string(memory_budget_->refusals()) + "\n";
  }
  Header("imi_model_ready", "gauge", "1 once the model is loaded and warmed.", &out);
  out += std::string("imi_model_ready ") + (ready ? "1" : "0") + "\n";
  return out;
}

}  // namespace imi::server
