#ifndef IMI_SERVER_HTTP_SERVER_H_
#define IMI_SERVER_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "base/result.h"
#include "server/api.h"

namespace imi::server {

// Transport limits (docs/limits.md lists them with their flags). Times are
// wall-clock bounds for a whole phase, so a client trickling bytes
// (slowloris) cannot hold a connection longer.
struct HttpServerOptions {
  std::string host = "0.0.0.0";
  int port = 8080;                         // 0: any free port (see HttpServer::port)
  size_t max_connections = 10000;          // open connections; more get 503 and are closed
  size_t max_connections_per_address = 256;  // per client IP address; 0: no per-address limit
  int header_timeout_ms = 10000;           // request line + headers (from accept, or from the first byte)
  int body_timeout_ms = 30000;             // the whole body
  int idle_timeout_ms = 5000;              // keep-alive wait for the next request
  int write_timeout_ms = 10000;            // one whole response
  int linger_ms = 2000;                    // after a closing response: wait for the client's FIN
  size_t payload_limit_bytes = 2 * 1024 * 1024;  // larger bodies get 413
  // Of a body over the payload limit, how much is read and dropped after the
  // 413 so that a client still sending it reads the 413 instead of a reset.
  size_t discard_limit_bytes = 64 * 1024 * 1024;
  size_t max_header_bytes = 32 * 1024;     // request line + headers; more gets 431
  size_t max_line_bytes = 8 * 1024;        // request target (more: 414) and one header value (400)
  size_t max_requests_per_connection = 100000;
  size_t workers = 64;                     // threads running routes that do not touch the store
  size_t store_workers = 16;               // threads running /collections routes
  size_t max_queued_requests = 1024;       // per worker pool; more get 503
  int memory_wait_ms = 2000;               // wait for the memory budget before 503
};

// What Shutdown left behind.
struct ShutdownReport {
  size_t cut_requests = 0;  // requests in progress when the deadline passed
  size_t busy_workers = 0;  // handlers still running (e.g. blocked in the store)
};

// The HTTP/1.1 transport around Api: the only code that includes the HTTP
// library (Boost.Beast on Asio; docs/transport.md says why). Connections are
// served by one event-driven I/O thread; Api::Handle runs on bounded worker
// pools (a separate one for store routes), never on the I/O thread. Bodies
// are read whatever the method (a Content-Length always frames its
// request), reserved against Api's memory budget before they are read, and
// transport failures become JSON errors through Api::TransportError (400,
// 408, 411, 413, 414, 431, 503).
// Thread safety: Start/Shutdown from one thread.
class HttpServer {
 public:
  // Binds and starts accepting. `api` must outlive the server. IoError names
  // the address when it cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options, Api* api);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (useful with port 0).
  int port() const;
  // The connection limit in force: max_connections, lowered when the
  // process's file descriptor limit cannot hold that many.
  size_t max_connections() const;

  // Stops accepting, closes idle connections, lets requests in progress
  // finish until `grace` has passed, then cuts the rest and stops the I/O
  // thread. Returns without waiting for handlers still blocked after the
  // deadline (the report counts them; the process should then exit with
  // _exit). Idempotent.
  ShutdownReport Shutdown(std::chrono::milliseconds grace);

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace imi::server

#endif  // IMI_SERVER_HTTP_SERVER_H_
