#ifndef IMI_SERVER_HTTP_SERVER_H_
#define IMI_SERVER_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "base/result.h"
#include "server/api.h"

namespace imi::server {

// Transport limits. Times are wall-clock bounds for a whole phase, so a
// client trickling bytes (slowloris) cannot hold a connection longer.
struct HttpServerOptions {
  std::string host = "0.0.0.0";
  int port = 8080;                      // 0: any free port (see HttpServer::port)
  size_t max_connections = 512;         // open connections; more get 503 and are closed
  int header_timeout_ms = 10000;        // request line + headers
  int body_timeout_ms = 30000;          // the whole body
  int idle_timeout_ms = 5000;           // keep-alive wait for the next request
  int write_timeout_ms = 10000;         // per blocked send
  size_t payload_limit_bytes = 2 * 1024 * 1024;  // larger bodies get 413 unread
  size_t max_header_bytes = 32 * 1024;  // request line + headers; more gets 431
  size_t max_requests_per_connection = 100000;
};

// The HTTP/1.1 transport around Api: the only code that includes
// cpp-httplib. It accepts connections itself (one thread per connection, up
// to max_connections), uses cpp-httplib to parse request lines/headers and
// write responses, reads bodies itself within the limits above, and turns
// transport failures into JSON errors (400, 408, 411, 413, 414, 431, 503).
// Thread safety: Start/Shutdown from one thread; Api::Handle is called on
// connection threads.
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

  // Stops accepting, closes idle connections, lets requests in progress
  // finish for up to `grace`, then cuts the rest; returns when every
  // connection thread has ended. Idempotent.
  void Shutdown(std::chrono::milliseconds grace);

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace imi::server

#endif  // IMI_SERVER_HTTP_SERVER_H_
