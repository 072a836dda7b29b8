// The one adapter around cpp-httplib (Debian's libcpp-httplib 0.11, a
// compiled library, so its CPPHTTPLIB_* limits are fixed at 8 KiB per header
// line and request URI). What imi relies on from it: Server::process_request
// (protected) to parse a request line and headers from a Stream and to write
// a response; the pre-routing handler, which runs before cpp-httplib would
// read a body, so imi reads bodies itself; the error handler, called for
// every status >= 400 it writes. Everything with a limit (accepting,
// connection cap, deadlines per phase, body size) happens here.
#include "server/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include <httplib.h>

#include "server/error_response.h"

namespace imi::server {

namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
}

std::string AddressOf(const sockaddr_storage& addr) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr, buf, sizeof(buf));
  } else if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr, buf, sizeof(buf));
  }
  return buf;
}

int PortOf(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  return 0;
}

// A connected socket as cpp-httplib's Stream, buffered, with a deadline for
// the current phase and a byte budget for the request head.
class SocketStream : public httplib::Stream {
 public:
  SocketStream(int fd, const HttpServerOptions& options) : fd_(fd), options_(options) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      remote_ip_ = AddressOf(addr);
      remote_port_ = PortOf(addr);
    }
    len = sizeof(addr);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      local_ip_ = AddressOf(addr);
      local_port_ = PortOf(addr);
    }
  }

  // Starts reading a request head: deadline and byte budget reset.
  void BeginHead() {
    deadline_ = Clock::now() + std::chrono::milliseconds(options_.header_timeout_ms);
    in_head_ = true;
    head_bytes_ = 0;
    timed_out_ = false;
    over_budget_ = false;
    bytes_this_request_ = 0;
  }
  // Switches to reading the body, with its own deadline.
  void BeginBody() {
    deadline_ = Clock::now() + std::chrono::milliseconds(options_.body_timeout_ms);
    in_head_ = false;
  }

  bool timed_out() const { return timed_out_; }
  bool over_budget() const { return over_budget_; }
  size_t bytes_this_request() const { return bytes_this_request_; }
  bool has_buffered() const { return pos_ < len_; }
  const std::string& remote_ip() const { return remote_ip_; }

  bool is_readable() const override { return pos_ < len_ || PollFor(POLLIN, 0); }
  bool is_writable() const override { return PollFor(POLLOUT, options_.write_timeout_ms); }

  ssize_t read(char* ptr, size_t size) override {
    if (in_head_ && head_bytes_ >= options_.max_header_bytes) {
      over_budget_ = true;
      return -1;
    }
    if (pos_ == len_) {
      const int wait_ms = RemainingMs(deadline_);
      if (wait_ms == 0 || !PollFor(POLLIN, wait_ms)) {
        timed_out_ = true;
        return -1;
      }
      const ssize_t n = ::recv(fd_, buffer_, sizeof(buffer_), 0);
      if (n <= 0) return -1;
      pos_ = 0;
      len_ = static_cast<size_t>(n);
    }
    size_t n = std::min(size, len_ - pos_);
    if (in_head_) {
      // Count only what the head consumed, so a pipelined body is not charged.
      n = std::min(n, options_.max_header_bytes - head_bytes_);
      head_bytes_ += n;
    }
    std::memcpy(ptr, buffer_ + pos_, n);
    pos_ += n;
    bytes_this_request_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!PollFor(POLLOUT, options_.write_timeout_ms)) return -1;
    return ::send(fd_, ptr, size, MSG_NOSIGNAL);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = remote_ip_;
    port = remote_port_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = local_ip_;
    port = local_port_;
  }
  socket_t socket() const override { return fd_; }

 private:
  bool PollFor(short events, int timeout_ms) const {
    pollfd p{fd_, events, 0};
    int r;
    do {
      r = ::poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    return r > 0 && (p.revents & (events | POLLHUP | POLLERR)) != 0;
  }

  const int fd_;
  const HttpServerOptions& options_;
  char buffer_[16384];
  size_t pos_ = 0;
  size_t len_ = 0;
  Clock::time_point deadline_ = Clock::now();
  bool in_head_ = true;
  size_t head_bytes_ = 0;
  size_t bytes_this_request_ = 0;
  bool timed_out_ = false;
  bool over_budget_ = false;
  std::string remote_ip_;
  int remote_port_ = 0;
  std::string local_ip_;
  int local_port_ = 0;
};

// What the handlers of one connection share; they run on its thread.
struct ConnectionState {
  SocketStream* stream = nullptr;
  bool close_after = false;
};
thread_local ConnectionState* tls_connection = nullptr;

// Exposes cpp-httplib's request processing for one Stream.
class ParsingServer : public httplib::Server {
 public:
  bool ProcessOne(httplib::Stream& stream, bool close_connection, bool& connection_closed) {
    return process_request(stream, close_connection, connection_closed, nullptr);
  }
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

std::string RawResponse(int status, const char* reason, const std::string& code, const std::string& message) {
  const std::string body = ErrorBody(status, code, message);
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  Api* api = nullptr;
  ParsingServer parser;
  int listen_fd = -1;
  int wake_fd = -1;
  int port = 0;
  std::thread acceptor;
  std::atomic<bool> stopping{false};
  bool shut_down = false;

  std::mutex mutex;
  std::condition_variable all_closed;
  std::set<int> open_fds;  // guarded by mutex

  ~Impl() {
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void Configure();
  void AcceptLoop();
  void ServeConnection(int fd);
  bool WaitForRequest(int fd, int timeout_ms) const;
  httplib::Server::HandlerResponse Route(const httplib::Request& req, httplib::Response& res);
  bool ReadBody(const httplib::Request& req, HttpRequest* request, HttpResponse* error);
};

void HttpServer::Impl::Configure() {
  parser.set_payload_max_length(options.payload_limit_bytes);
  parser.set_keep_alive_timeout(std::max(1, options.idle_timeout_ms / 1000));
  parser.set_keep_alive_max_count(options.max_requests_per_connection);
  parser.set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) { return Route(req, res); });
  parser.set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
    const std::string length = req.get_header_value("Content-Length");
    if (!length.empty() && length.size() <= 19 &&
        length.find_first_not_of("0123456789") == std::string::npos &&
        std::stoull(length) > options.payload_limit_bytes) {
      res.status = 413;
      return 413;
    }
    return 100;
  });
  // Responses cpp-httplib makes itself (malformed requests, 413, 414, ...)
  // and requests cut by a deadline or the head budget become JSON errors.
  parser.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req,
                                                                      httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    ConnectionState* conn = tls_connection;
    int status = res.status;
    std::string code = "bad_request";
    std::string message = "malformed HTTP request";
    if (conn != nullptr && conn->stream->timed_out()) {
      status = 408;
      code = "request_timeout";
      message = "the request did not arrive within " + std::to_string(options.header_timeout_ms) + " ms";
    } else if (conn != nullptr && conn->stream->over_budget()) {
      status = 431;
      code = "request_header_fields_too_large";
      message = "the request line and headers exceed " + std::to_string(options.max_header_bytes) + " bytes";
    } else if (status == 413) {
      code = "too_large";
      message = "the request body exceeds the payload limit of " + std::to_string(options.payload_limit_bytes) +
                " bytes (--payload-limit)";
    } else if (status == 414) {
      code = "uri_too_long";
      message = "the request URI is too long";
    } else if (status == 416) {
      code = "range_not_satisfiable";
      message = "the Range header cannot be satisfied";
    } else if (status == 404) {
      code = "not_found";
      message = "no route " + req.path;
    }
    res.status = status;
    res.set_content(ErrorBody(status, code, message, ErrorFamilyFor(req.method, req.path)), "application/json");
    if (conn != nullptr) conn->close_after = true;
    api->RecordTransportResponse(req.method, req.path, conn != nullptr ? conn->stream->remote_ip() : "", status, 0);
    return httplib::Server::HandlerResponse::Handled;
  }));
}

bool HttpServer::Impl::ReadBody(const httplib::Request& req, HttpRequest* request, HttpResponse* error) {
  if (req.has_header("Transfer-Encoding")) {
    *error = HttpError(411, "length_required",
                       "send the body with a Content-Length header; Transfer-Encoding is not accepted");
    return false;
  }
  const size_t count = req.get_header_value_count("Content-Length");
  if (count == 0) return true;  // no body
  uint64_t length = 0;
  for (size_t i = 0; i < count; ++i) {
    const std::string value = req.get_header_value("Content-Length", i);
    uint64_t parsed = 0;
    bool valid = !value.empty() && value.size() <= 19;
    for (char c : value) valid = valid && std::isdigit(static_cast<unsigned char>(c));
    if (valid) parsed = std::stoull(value);
    if (!valid || (i > 0 && parsed != length)) {
      *error = HttpError(400, "bad_request", "the Content-Length header is not a single non-negative integer");
      return false;
    }
    length = parsed;
  }
  if (length > options.payload_limit_bytes) {
    *error = HttpError(413, "too_large",
                       "the request body has " + std::to_string(length) + " bytes, more than the payload limit of " +
                           std::to_string(options.payload_limit_bytes) + " bytes (--payload-limit)",
                       ErrorFamilyFor(req.method, req.path));
    return false;
  }
  SocketStream* stream = tls_connection->stream;
  stream->BeginBody();
  request->body.resize(static_cast<size_t>(length));
  size_t got = 0;
  while (got < length) {
    const ssize_t n = stream->read(request->body.data() + got, static_cast<size_t>(length) - got);
    if (n <= 0) {
      if (stream->timed_out()) {
        *error = HttpError(408, "request_timeout",
                           "the request body did not arrive within " + std::to_string(options.body_timeout_ms) +
                               " ms (" + std::to_string(got) + " of " + std::to_string(length) + " bytes)");
      } else {
        *error = HttpError(400, "bad_request",
                           "the connection ended after " + std::to_string(got) + " of " + std::to_string(length) +
                               " body bytes announced by Content-Length");
      }
      return false;
    }
    got += static_cast<size_t>(n);
  }
  return true;
}

httplib::Server::HandlerResponse HttpServer::Impl::Route(const httplib::Request& req, httplib::Response& res) {
  ConnectionState* conn = tls_connection;
  // Compression is off: brotli at cpp-httplib's default quality would let a
  // client spend seconds of CPU per request, and vectors compress poorly.
  // The Request is a local of cpp-httplib's process_request, not a const
  // object, so removing the header is well-defined.
  const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");

  HttpRequest request;
  request.method = req.method;
  request.path = req.path;
  request.remote_addr = conn->stream->remote_ip();
  for (const auto& [name, value] : req.params) request.query.emplace(name, value);
  for (const auto& [name, value] : req.headers) request.headers.emplace(Lower(name), value);

  HttpResponse response;
  HttpResponse error;
  const bool has_body_method = req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
                               req.method == "DELETE";
  if (has_body_method && !ReadBody(req, &request, &error)) {
    response = std::move(error);
    response.close_connection = true;
    api->RecordTransportResponse(req.method, req.path, request.remote_addr, response.status, 0);
  } else {
    response = api->Handle(request);
  }
  if (response.close_connection || stopping) conn->close_after = true;
  if (conn->close_after) response.AddHeader("Connection", "close");

  res.status = response.status;
  for (const auto& [name, value] : response.headers) res.set_header(name.c_str(), value);
  if (!response.body.empty() || !response.content_type.empty()) {
    res.set_content(std::move(response.body), response.content_type.c_str());
  }
  return httplib::Server::HandlerResponse::Handled;
}

bool HttpServer::Impl::WaitForRequest(int fd, int timeout_ms) const {
  pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
  int r;
  do {
    r = ::poll(fds, 2, timeout_ms);
  } while (r < 0 && errno == EINTR);
  if (r <= 0) return false;
  if ((fds[1].revents & POLLIN) != 0) return false;  // shutting down
  return (fds[0].revents & POLLIN) != 0;
}

void HttpServer::Impl::ServeConnection(int fd) {
  api->metrics().AddConnections(1);
  {
    SocketStream stream(fd, options);
    ConnectionState state;
    state.stream = &stream;
    tls_connection = &state;
    for (size_t served = 0; served < options.max_requests_per_connection; ++served) {
      // The first request gets the head deadline; later ones the idle time.
      if (!stream.has_buffered()) {
        const int wait_ms = served == 0 ? options.header_timeout_ms : options.idle_timeout_ms;
        if (!WaitForRequest(fd, wait_ms)) break;
      }
      if (stopping && served > 0) break;
      stream.BeginHead();
      state.close_after = false;
      bool client_closes = false;
      const bool last = stopping || served + 1 == options.max_requests_per_connection;
      const bool answered = parser.ProcessOne(stream, last, client_closes);
      if (!answered) {
        // Nothing was written: the request line never completed.
        if (stream.bytes_this_request() > 0 && (stream.timed_out() || stream.over_budget())) {
          const bool timeout = stream.timed_out();
          SendAll(fd, timeout ? RawResponse(408, "Request Timeout", "request_timeout",
                                            "the request line did not arrive in time")
                              : RawResponse(431, "Request Header Fields Too Large",
                                            "request_header_fields_too_large", "the request line is too long"));
          api->RecordTransportResponse("", "", stream.remote_ip(), timeout ? 408 : 431, 0);
        }
        break;
      }
      if (client_closes || last || state.close_after) break;
    }
    tls_connection = nullptr;
  }
  // Half-close, then drain briefly, so a client still sending an unread
  // body receives the response instead of a reset.
  ::shutdown(fd, SHUT_WR);
  char sink[4096];
  const Clock::time_point drain_until = Clock::now() + std::chrono::milliseconds(500);
  for (int i = 0; i < 64; ++i) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, RemainingMs(drain_until)) <= 0) break;
    if (::recv(fd, sink, sizeof(sink), 0) <= 0) break;
  }
  api->metrics().AddConnections(-1);
  // Forget the descriptor before closing it, so a new connection reusing the
  // number is never dropped from the set.
  std::lock_guard<std::mutex> lock(mutex);
  open_fds.erase(fd);
  ::close(fd);
  if (open_fds.empty()) all_closed.notify_all();
}

void HttpServer::Impl::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    const int r = ::poll(fds, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || (fds[1].revents & POLLIN) != 0) return;
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval tv{options.write_timeout_ms / 1000, (options.write_timeout_ms % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    bool admitted = false;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (open_fds.size() < options.max_connections) {
        open_fds.insert(fd);
        admitted = true;
      }
    }
    if (!admitted) {
      api->metrics().OnRejectedConnection();
      SendAll(fd, RawResponse(503, "Service Unavailable", "too_many_connections",
                              "the server has " + std::to_string(options.max_connections) +
                                  " open connections (--max-connections); retry later"));
      ::close(fd);
      continue;
    }
    try {
      std::thread([this, fd] { ServeConnection(fd); }).detach();
    } catch (const std::system_error&) {
      ::close(fd);
      std::lock_guard<std::mutex> lock(mutex);
      open_fds.erase(fd);
    }
  }
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options, Api* api) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->api = api;
  impl->Configure();
  impl->wake_fd = ::eventfd(0, EFD_CLOEXEC);
  if (impl->wake_fd < 0) return Status::IoError("eventfd failed: " + std::string(std::strerror(errno)));

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(options.port);
  const std::string where = options.host + ":" + port_text;
  if (const int rc = ::getaddrinfo(options.host.c_str(), port_text.c_str(), &hints, &found); rc != 0) {
    return Status::IoError("cannot resolve listen address " + where + ": " + gai_strerror(rc));
  }
  int fd = -1;
  std::string last_error = "no usable address";
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 1024) != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return Status::IoError("cannot listen on " + where + ": " + last_error);
  impl->listen_fd = fd;
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  impl->port = PortOf(bound);
  Impl* raw = impl.get();
  impl->acceptor = std::thread([raw] { raw->AcceptLoop(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(std::chrono::milliseconds(0)); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::Shutdown(std::chrono::milliseconds grace) {
  Impl& impl = *impl_;
  if (impl.shut_down) return;
  impl.shut_down = true;
  impl.stopping = true;
  const uint64_t one = 1;
  (void)!::write(impl.wake_fd, &one, sizeof(one));  // wakes the acceptor and idle connections
  if (impl.acceptor.joinable()) impl.acceptor.join();
  ::close(impl.listen_fd);
  std::unique_lock<std::mutex> lock(impl.mutex);
  if (!impl.all_closed.wait_for(lock, grace, [&impl] { return impl.open_fds.empty(); })) {
    // Past the grace period: cut what is left so its threads return.
    for (int fd : impl.open_fds) ::shutdown(fd, SHUT_RDWR);
  }
  impl.all_closed.wait(lock, [&impl] { return impl.open_fds.empty(); });
}

}  // namespace imi::server
