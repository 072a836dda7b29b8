#ifndef IMI_SERVER_API_H_
#define IMI_SERVER_API_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "batch/batcher.h"
#include "batch/embedding_backend.h"
#include "server/embed_service.h"
#include "server/error_response.h"
#include "server/http_types.h"
#include "server/memory_budget.h"
#include "server/metrics.h"
#include "server/store_access.h"

namespace imi::server {

enum class AccessLog { kOff, kText, kJson };

// The client family (error shape) of `method` on `path`: its route's, else
// by prefix (/v1/ OpenAI, /api/ Ollama, else imi). For errors the transport
// makes before the request reaches Api::Handle (413, 408, ...).
ApiFamily ErrorFamilyFor(const std::string& method, const std::string& path);

// Everything the routes need to know besides the model.
struct ApiConfig {
  std::string version = "0.0.0";
  size_t max_client_batch = 256;              // inputs per request (413 beyond)
  size_t payload_limit_bytes = 2 * 1024 * 1024;  // enforced by the adapter; reported here
  // Bytes all requests in flight may hold at once (bodies, the JSON built
  // from them, responses being written); 0: unlimited. See MemoryBudget.
  size_t memory_budget_bytes = 256 * 1024 * 1024;
  batch::BatcherOptions batcher;
  std::string build_commit;         // for imi_build_info
  std::string onnxruntime_version;  // for imi_build_info
  std::string api_key;      // empty: no authentication
  // Origins allowed to call from a browser: "" none, "*" any, or one or
  // more origins separated by commas.
  std::string cors_origin;
  // Collections /search and /search/results serve without the API key ("*": all).
  std::vector<std::string> public_search = {"*"};
  std::string swagger_ui_dir;  // swagger-ui-dist directory; empty or missing: built-in page
  int retry_after_seconds = 1;
  AccessLog access_log = AccessLog::kOff;
};

enum class ServeState { kLoading, kReady, kFailed, kStopping };

// Where the transport runs a request's handler: on the I/O thread (cheap
// routes that never block), on the general worker pool, or on the store's
// own pool (every route that may call the vector store), so that a stalled
// store can only exhaust the store's concurrency.
enum class Lane { kInline, kGeneral, kStore };

// The HTTP API without the transport: routes, authentication, CORS, limits,
// error mapping (each route family's own shape, error_response.h), metrics
// and access logs. Handle is thread-safe and never throws; the model arrives
// later through SetBackend (routes needing it answer 503 until then).
class Api {
 public:
  explicit Api(ApiConfig config);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Makes the model available and marks the API ready. Call at most once.
  void SetBackend(std::unique_ptr<batch::EmbeddingBackend> backend);
  // Gives the /collections routes their vector store (503 without one).
  // Call before the first request; not thread-safe with Handle.
  void SetStore(std::unique_ptr<StoreAccess> store);
  // Marks the API broken (load failed); /healthz reports `message`.
  void SetFailed(std::string message);
  // Marks the API stopping (/healthz 503) and finishes queued inference;
  // later embedding requests get 503. Call after the transport drained.
  void Stop();
  // Marks the API stopping without waiting (new connections are refused).
  void BeginStopping();

  // Answers one request. Never throws: a catch-all maps surprises to 500.
  HttpResponse Handle(const HttpRequest& request);

  // The lane for `request` (method, path and headers are enough).
  Lane LaneOf(const HttpRequest& request) const;

  // An error the transport answers itself (malformed HTTP, 408, 411, 413,
  // 503 over a limit, ...), shaped like the route's other errors, with CORS
  // and Retry-After (429/503) headers, counted under the route the path
  // matches ("transport" when `request` has no path) and logged with the
  // response's size. Sets close_connection.
  HttpResponse TransportError(const HttpRequest& request, int status, const std::string& code,
                              const std::string& message);
  // Counts a connection refused before any request was read (connection
  // caps). Not logged: a flood would flood the log too.
  void RecordRefusedConnection();

  ServeState state() const { return state_.load(); }
  const ApiConfig& config() const { return config_; }
  Metrics& metrics() { return metrics_; }
  MemoryBudget& memory_budget() { return memory_budget_; }

 private:
  HttpResponse Dispatch(const HttpRequest& request, std::string* route_label);
  // The Access-Control-Allow-Origin value for `request`, or "" for none.
  std::string AllowedOrigin(const HttpRequest& request) const;
  void Log(const std::string& method, const std::string& path, const std::string& remote, int status,
           size_t bytes, double seconds);
  // CORS headers for `request`'s origin when it is allowed (--cors-origin).
  void AddCorsHeaders(const HttpRequest& request, HttpResponse* response) const;

  const ApiConfig config_;
  Metrics metrics_;
  MemoryBudget memory_budget_;
  std::atomic<ServeState> state_{ServeState::kLoading};
  std::unique_ptr<batch::EmbeddingBackend> backend_;
  std::unique_ptr<EmbedService> service_;
  std::atomic<EmbedService*> ready_service_{nullptr};
  std::unique_ptr<StoreAccess> store_;
  mutable std::mutex mutex_;  // guards failure_ and log output
  std::string failure_;
};

}  // namespace imi::server

#endif  // IMI_SERVER_API_H_
