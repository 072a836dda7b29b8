// The one adapter around Boost.Beast and Boost.Asio (Debian's Boost 1.74,
// header-only); docs/transport.md says why this library and how a request
// moves through it. What imi takes from Beast: the HTTP/1.1 request parser
// (strict framing: Content-Length validated, Content-Length together with
// Transfer-Encoding refused, header size limit) and the response
// serializer. What is written here: accepting with connection caps (total
// and per client address), a wall-clock deadline per phase, reading bodies
// whatever the method, the memory reservation before a body is read, the
// 413 that a client still sending its body can read (the rest is read and
// dropped, then the connection is closed gracefully), handing requests to
// the worker pools, and shutdown with a deadline.
//
// Threading: one I/O thread runs every socket operation, timer and Session
// method; Api::Handle runs on the worker pools (or, for Lane::kInline, on
// the I/O thread), and its result is posted back to the I/O thread.
#include "server/http_server.h"

#include <malloc.h>
#include <sys/socket.h>

#include <utility>  // before Asio: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "server/error_response.h"
#include "server/worker_pool.h"

namespace imi::server {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;

// Charged to the memory budget per request besides its body: the parsed
// head, the request object and the session's buffers.
constexpr size_t kRequestOverheadBytes = 16 * 1024;
// Refused connections get their 503 and a short wait for the client's FIN;
// past this many at once they are closed at once.
constexpr size_t kMaxLingeringRefusals = 256;
constexpr int kRefusalLingerMs = 1000;
constexpr int kMemoryRetryMs = 10;
// Shutdown: a connection whose request has not begun to arrive gets this
// long for it (it connected before the listener closed); connections the
// kernel already completed are accepted, at most this many.
constexpr int kDrainFirstBytesMs = 1000;
constexpr int kMaxDrainAccepts = 1024;
// After a request that held this much of the memory budget, free memory is
// handed back to the system (malloc_trim, at most once a second): glibc
// otherwise keeps it in per-thread arenas (bench/README.md, "Memory per
// request").
constexpr size_t kTrimAfterBytes = 4 * 1024 * 1024;
constexpr int64_t kTrimIntervalNs = 1000 * 1000 * 1000;

std::chrono::milliseconds Ms(int ms) { return std::chrono::milliseconds(ms); }

// Boost 1.74's Beast has its own string_view.
std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

std::string AddressText(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

bool IsEof(const ErrorCode& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

class Session;

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  Api* api = nullptr;
  size_t max_connections = 0;
  int port = 0;

  std::mutex mutex;  // guards sessions and per_address
  std::condition_variable sessions_changed;
  std::unordered_set<Session*> sessions;
  std::unordered_map<std::string, size_t> per_address;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> lingering_refusals{0};
  std::atomic<size_t> cut_requests{0};
  std::atomic<int64_t> last_trim_ns{0};
  bool shut_down = false;
  // Scratch space for bytes that are read only to be dropped. Shared: only
  // the one I/O thread reads into it.
  std::array<char, 64 * 1024> sink{};

  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread io_thread;
  // Declared after io so that they are destroyed (joined) first: a worker
  // that finishes posts its response to io.
  std::unique_ptr<WorkerPool> general;
  std::unique_ptr<WorkerPool> store;

  void Accept();
  void Admit(tcp::socket socket);
  void Refuse(tcp::socket socket, const std::string& code, const std::string& message);
  void RunIo();
  // Returns free heap memory to the system soon, on a worker (rate-limited).
  void TrimSoon();
  // Calls `fn` on every live session (on the I/O thread).
  template <typename Fn>
  void ForEachSession(Fn fn);
};

namespace {

// One client connection: reads requests one after another, hands each to
// Api (directly or through a worker pool) and writes its response. Lives as
// long as a pending operation or a worker holds it. All methods run on the
// I/O thread.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpServer::Impl& server, tcp::socket socket, std::string address)
      : server_(server),
        options_(server.options),
        api_(*server.api),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        retry_timer_(socket_.get_executor()),
        address_(std::move(address)) {}

  ~Session() {
    server_.api->metrics().AddConnections(-1);
    std::lock_guard<std::mutex> lock(server_.mutex);
    server_.sessions.erase(this);
    auto it = server_.per_address.find(address_);
    if (it != server_.per_address.end() && --it->second == 0) server_.per_address.erase(it);
    server_.sessions_changed.notify_all();
  }

  void Start() {
    head_deadline_ = Clock::now() + Ms(options_.header_timeout_ms);
    ReadHead();
    if (server_.stopping) StopIfIdle();
  }

  // Shutdown: closes a keep-alive connection waiting between requests at
  // once; one whose request has not begun to arrive (a new connection, or
  // one woken by incoming bytes) gets kDrainFirstBytesMs for it, then
  // closes. A request in progress is finished.
  void StopIfIdle() {
    if (phase_ == Phase::kIdle) return CloseNow();
    const bool nothing_yet = phase_ == Phase::kHead && buffer_.size() == 0 && parser_ && !parser_->got_some();
    const Clock::time_point window = Clock::now() + Ms(kDrainFirstBytesMs);
    if (nothing_yet && window < head_deadline_) {
      head_deadline_ = window;
      Arm(head_deadline_);
    }
  }

  // Shutdown past the deadline: closes the connection whatever it is doing.
  void Cut() {
    if (phase_ == Phase::kHead || phase_ == Phase::kWaitingMemory || phase_ == Phase::kBody ||
        phase_ == Phase::kHandling || phase_ == Phase::kWriting) {
      server_.cut_requests++;
    }
    CloseNow();
  }

 private:
  enum class Phase { kIdle, kHead, kWaitingMemory, kBody, kHandling, kWriting, kDiscarding, kLingering, kClosed };

  // A deadline for the pending socket operation: when it passes, the
  // operation is cancelled and timed_out_ tells the handler why.
  void Arm(Clock::time_point deadline) {
    timed_out_ = false;
    timer_.expires_at(deadline);
    timer_.async_wait([weak = weak_from_this(), generation = ++timer_generation_](ErrorCode ec) {
      auto self = weak.lock();
      if (!self || ec || generation != self->timer_generation_) return;
      self->timed_out_ = true;
      ErrorCode ignored;
      self->socket_.cancel(ignored);
    });
  }
  void Disarm() {
    ++timer_generation_;
    timer_.cancel();
  }

  void ReadHead() {
    phase_ = Phase::kHead;
    body_length_ = body_got_ = discard_left_ = 0;
    request_ = HttpRequest{};
    request_.remote_addr = address_;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    // The payload limit is checked on the head. (Not boost::none: Boost
    // 1.74's parser compares the length with the optional itself, and any
    // length is greater than an empty optional.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    Arm(head_deadline_);
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = shared_from_this()](ErrorCode ec, size_t) { self->OnHead(ec); });
  }

  void OnHead(ErrorCode ec) {
    if (phase_ == Phase::kClosed) return;
    if (ec) return OnHeadError(ec);
    Disarm();
    const auto& head = parser_->get();
    body_length_ = parser_->content_length().value_or(0);
    body_got_ = 0;
    version_ = head.version();
    keep_alive_ = head.keep_alive();
    request_.method = std::string(View(head.method_string()));
    const std::string_view target = View(head.target());
    ParseRequestTarget(target, &request_.path, &request_.query);
    size_t longest_value = 0;
    for (const auto& field : head) {
      request_.headers.emplace(AsciiLower(View(field.name_string())), std::string(View(field.value())));
      longest_value = std::max(longest_value, field.value().size());
    }
    const std::string max_line = std::to_string(options_.max_line_bytes);
    if (version_ != 10 && version_ != 11) {
      return Reject(400, "bad_request", "unsupported HTTP version; send HTTP/1.1 (or HTTP/1.0)");
    }
    if (!IsKnownHttpMethod(request_.method)) {
      return Reject(400, "bad_request", "unknown method " + request_.method.substr(0, 32));
    }
    if (target.size() > options_.max_line_bytes) {
      return Reject(414, "uri_too_long", "the request target is longer than " + max_line + " bytes");
    }
    if (target.empty() || (target[0] != '/' && target != "*")) {
      return Reject(400, "bad_request", "the request target must be a path starting with '/'");
    }
    if (longest_value > options_.max_line_bytes) {
      return Reject(400, "bad_request", "a header value is longer than " + max_line + " bytes");
    }
    if (head.count(http::field::transfer_encoding) > 0) {
      return Reject(411, "length_required",
                    "send the body with a Content-Length header; Transfer-Encoding is not accepted");
    }
    if (body_length_ > options_.payload_limit_bytes) {
      return Reject(413, "too_large",
                    "the request body has " + std::to_string(body_length_) +
                        " bytes, more than the payload limit of " + std::to_string(options_.payload_limit_bytes) +
                        " bytes (--payload-limit)");
    }
    send_continue_ = body_length_ > 0 && beast::iequals(head[http::field::expect], "100-continue");
    lease_ = std::make_unique<MemoryLease>(&api_.memory_budget());
    request_.memory = lease_.get();
    memory_deadline_ = Clock::now() + Ms(options_.memory_wait_ms);
    ReserveMemory();
  }

  void OnHeadError(const ErrorCode& ec) {
    const bool any_bytes = buffer_.size() > 0 || parser_->got_some();
    if (timed_out_) {
      if (!any_bytes) return CloseNow();
      return Reject(408, "request_timeout",
                    server_.stopping ? std::string("the server is shutting down and the request line and headers did "
                                                   "not arrive in time; retry")
                                     : "the request line and headers did not arrive within " +
                                           std::to_string(options_.header_timeout_ms) + " ms");
    }
    if (IsEof(ec) || ec == asio::error::operation_aborted) return CloseNow();
    if (ec == http::error::header_limit) {
      return Reject(431, "request_header_fields_too_large",
                    "the request line and headers exceed " + std::to_string(options_.max_header_bytes) + " bytes");
    }
    if (ec == http::error::bad_transfer_encoding) {
      return Reject(411, "length_required",
                    "send the body with one Content-Length header; Transfer-Encoding is not accepted");
    }
    if (ec == http::error::bad_content_length) {
      return Reject(400, "bad_request", "the Content-Length header is not a single non-negative integer");
    }
    if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
      return Reject(400, "bad_request", "malformed HTTP request: " + ec.message());
    }
    CloseNow();
  }

  // Reserves the body (and the request's overhead) from the memory budget
  // before reading it; waits up to memory_wait_ms for other requests to
  // release theirs.
  void ReserveMemory() {
    const Status reserved = lease_->Grow(body_length_ + kRequestOverheadBytes, "this request");
    if (reserved.ok()) return send_continue_ ? SendContinue() : StartBody();
    if (reserved.code() == StatusCode::kTooLarge || Clock::now() >= memory_deadline_) {
      return Reject(HttpStatusFor(reserved.code()), reserved.code() == StatusCode::kTooLarge ? "too_large" : "unavailable",
                    reserved.message());
    }
    phase_ = Phase::kWaitingMemory;
    retry_timer_.expires_after(Ms(kMemoryRetryMs));
    retry_timer_.async_wait([self = shared_from_this()](ErrorCode ec) {
      if (ec || self->phase_ == Phase::kClosed) return;
      self->ReserveMemory();
    });
  }

  void SendContinue() {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    phase_ = Phase::kBody;
    Arm(Clock::now() + Ms(options_.write_timeout_ms));
    asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](ErrorCode ec, size_t) {
                        if (self->phase_ == Phase::kClosed) return;
                        if (ec) return self->CloseNow();
                        self->StartBody();
                      });
  }

  void StartBody() {
    if (parser_->is_done()) return Dispatch();
    phase_ = Phase::kBody;
    request_.body.resize(static_cast<size_t>(body_length_));
    Arm(Clock::now() + Ms(options_.body_timeout_ms));
    ReadBodySome();
  }

  void ReadBodySome() {
    auto& body = parser_->get().body();
    body.data = request_.body.data() + body_got_;
    body.size = static_cast<size_t>(body_length_ - body_got_);
    body.more = true;
    http::async_read_some(socket_, buffer_, *parser_,
                          [self = shared_from_this()](ErrorCode ec, size_t) { self->OnBodySome(ec); });
  }

  void OnBodySome(ErrorCode ec) {
    if (phase_ == Phase::kClosed) return;
    body_got_ = body_length_ - parser_->get().body().size;
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      const std::string progress = std::to_string(body_got_) + " of " + std::to_string(body_length_) + " bytes";
      if (timed_out_) {
        return Reject(408, "request_timeout",
                      "the request body did not arrive within " + std::to_string(options_.body_timeout_ms) +
                          " ms (" + progress + ")");
      }
      if (IsEof(ec)) {
        return Reject(400, "bad_request",
                      "the connection ended after " + progress + " of the body announced by Content-Length");
      }
      return CloseNow();
    }
    if (parser_->is_done()) {
      Disarm();
      return Dispatch();
    }
    ReadBodySome();
  }

  void Dispatch() {
    phase_ = Phase::kHandling;
    const Lane lane = api_.LaneOf(request_);
    if (lane == Lane::kInline) return Respond(api_.Handle(request_));
    WorkerPool& pool = lane == Lane::kStore ? *server_.store : *server_.general;
    auto self = shared_from_this();
    const bool queued = pool.Submit([self] {
      HttpResponse response = self->api_.Handle(self->request_);
      asio::post(self->socket_.get_executor(),
                 [self, response = std::move(response)]() mutable { self->Respond(std::move(response)); });
    });
    if (!queued) {
      Respond(api_.TransportError(request_, 503, "server_busy",
                                  std::string(lane == Lane::kStore ? "the store's" : "the server's") +
                                      " request queue is full (" + std::to_string(options_.max_queued_requests) +
                                      " waiting); retry shortly"));
    }
  }

  // An error the transport answers itself; the connection closes after it.
  // The rest of an announced body is read and dropped first (up to
  // discard_limit_bytes), so a client still sending it reads the response.
  void Reject(int status, const std::string& code, const std::string& message) {
    Disarm();
    close_after_ = true;
    if (parser_ && parser_->is_header_done() && body_length_ > body_got_) {
      discard_left_ = std::min<uint64_t>(body_length_ - body_got_, options_.discard_limit_bytes);
    }
    Respond(api_.TransportError(request_, status, code, message));
  }

  void Respond(HttpResponse response) {
    if (phase_ == Phase::kClosed) return;
    request_.body = std::string();
    const bool keep = keep_alive_ && !response.close_connection && !close_after_ && !server_.stopping &&
                      served_ + 1 < options_.max_requests_per_connection;
    auto message = std::make_shared<http::response<http::string_body>>();
    message->version(version_);
    message->result(static_cast<unsigned>(response.status));
    if (!response.content_type.empty()) message->set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) message->insert(name, value);
    const size_t body_size = response.body.size();
    if (request_.method == "HEAD") {
      message->content_length(body_size);
    } else {
      message->body() = std::move(response.body);
      message->prepare_payload();
    }
    message->keep_alive(keep);
    if (lease_) lease_->ForceGrow(body_size);
    keep_after_write_ = keep;
    phase_ = Phase::kWriting;
    Arm(Clock::now() + Ms(options_.write_timeout_ms));
    http::async_write(socket_, *message, [self = shared_from_this(), message](ErrorCode ec, size_t) {
      self->OnWritten(ec);
    });
  }

  void OnWritten(ErrorCode ec) {
    if (phase_ == Phase::kClosed) return;
    Disarm();
    request_.memory = nullptr;
    const size_t held = lease_ ? lease_->held() : 0;
    lease_.reset();
    if (held >= kTrimAfterBytes) server_.TrimSoon();
    if (ec) return CloseNow();
    ++served_;
    if (discard_left_ > 0) return Discard();
    if (!keep_after_write_) return LingerClose();
    WaitForNext();
  }

  // Keep-alive: waits up to idle_timeout_ms for the next request, whose
  // head then has header_timeout_ms.
  void WaitForNext() {
    parser_.reset();
    if (buffer_.size() > 0) {  // pipelined
      head_deadline_ = Clock::now() + Ms(options_.header_timeout_ms);
      return ReadHead();
    }
    if (buffer_.capacity() > 16 * 1024) buffer_.shrink_to_fit();
    phase_ = Phase::kIdle;
    Arm(Clock::now() + Ms(options_.idle_timeout_ms));
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](ErrorCode ec) {
      if (self->phase_ == Phase::kClosed) return;
      if (ec) return self->CloseNow();
      self->Disarm();
      self->head_deadline_ = Clock::now() + Ms(self->options_.header_timeout_ms);
      self->ReadHead();
    });
  }

  void Discard() {
    phase_ = Phase::kDiscarding;
    const size_t buffered = static_cast<size_t>(std::min<uint64_t>(buffer_.size(), discard_left_));
    buffer_.consume(buffered);
    discard_left_ -= buffered;
    Arm(Clock::now() + Ms(options_.body_timeout_ms));
    DiscardSome();
  }

  void DiscardSome() {
    if (discard_left_ == 0) return LingerClose();
    const size_t want = static_cast<size_t>(std::min<uint64_t>(discard_left_, server_.sink.size()));
    socket_.async_read_some(asio::buffer(server_.sink.data(), want),
                            [self = shared_from_this()](ErrorCode ec, size_t n) {
                              if (self->phase_ == Phase::kClosed) return;
                              self->discard_left_ -= std::min<uint64_t>(n, self->discard_left_);
                              if (ec) return self->CloseNow();
                              self->DiscardSome();
                            });
  }

  // Half-closes, then reads until the client closes too (or linger_ms), so
  // that bytes the client is still sending do not turn into a reset that
  // destroys the response before the client read it.
  void LingerClose() {
    phase_ = Phase::kLingering;
    ErrorCode ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    Arm(Clock::now() + Ms(options_.linger_ms));
    LingerSome();
  }

  void LingerSome() {
    socket_.async_read_some(asio::buffer(server_.sink), [self = shared_from_this()](ErrorCode ec, size_t n) {
      if (self->phase_ == Phase::kClosed) return;
      self->lingered_ += n;
      if (ec || self->lingered_ > self->options_.discard_limit_bytes) return self->CloseNow();
      self->LingerSome();
    });
  }

  void CloseNow() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    Disarm();
    retry_timer_.cancel();
    ErrorCode ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  HttpServer::Impl& server_;
  const HttpServerOptions& options_;
  Api& api_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  asio::steady_timer retry_timer_;
  const std::string address_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  HttpRequest request_;
  std::unique_ptr<MemoryLease> lease_;
  Phase phase_ = Phase::kHead;
  uint64_t timer_generation_ = 0;
  bool timed_out_ = false;
  Clock::time_point head_deadline_;
  Clock::time_point memory_deadline_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool keep_after_write_ = false;
  bool close_after_ = false;
  bool send_continue_ = false;
  uint64_t body_length_ = 0;
  uint64_t body_got_ = 0;
  uint64_t discard_left_ = 0;
  size_t lingered_ = 0;
  size_t served_ = 0;
};

// A connection refused over a cap: its 503 is sent without waiting, then the
// connection lingers briefly like a Session's.
struct Refusal : std::enable_shared_from_this<Refusal> {
  Refusal(HttpServer::Impl& server, tcp::socket s) : server(server), socket(std::move(s)), timer(socket.get_executor()) {}
  ~Refusal() { server.lingering_refusals--; }

  void Linger() {
    ErrorCode ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    timer.expires_after(Ms(kRefusalLingerMs));
    timer.async_wait([self = shared_from_this()](ErrorCode ec) {
      ErrorCode ignored;
      if (!ec) self->socket.close(ignored);
    });
    ReadSome();
  }
  void ReadSome() {
    socket.async_read_some(asio::buffer(server.sink), [self = shared_from_this()](ErrorCode ec, size_t) {
      if (ec) {
        self->timer.cancel();
        return;
      }
      self->ReadSome();
    });
  }

  HttpServer::Impl& server;
  tcp::socket socket;
  asio::steady_timer timer;
};

}  // namespace

template <typename Fn>
void HttpServer::Impl::ForEachSession(Fn fn) {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(mutex);
    for (Session* s : sessions) {
      if (auto shared = s->weak_from_this().lock()) live.push_back(std::move(shared));
    }
  }
  for (auto& s : live) fn(*s);
}

void HttpServer::Impl::Accept() {
  acceptor.async_accept([this](ErrorCode ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (stopping) {  // accepted before the listener closed: served
      if (!ec) Admit(std::move(socket));
      return;
    }
    if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
        ec == asio::error::no_memory) {
      // Out of descriptors: let connections finish before accepting again.
      accept_retry.expires_after(Ms(50));
      accept_retry.async_wait([this](ErrorCode wait_ec) {
        if (!wait_ec && !stopping) Accept();
      });
      return;
    }
    if (!ec) Admit(std::move(socket));
    Accept();
  });
}

void HttpServer::Impl::Admit(tcp::socket socket) {
  ErrorCode ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return;
  socket.set_option(tcp::no_delay(true), ec);
  std::string address = AddressText(peer.address());
  std::string refusal;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (sessions.size() >= max_connections) {
      refusal = "too_many_connections";
    } else if (options.max_connections_per_address > 0 &&
               per_address[address] >= options.max_connections_per_address) {
      refusal = "too_many_connections_from_address";
    } else {
      ++per_address[address];
    }
  }
  if (refusal == "too_many_connections") {
    return Refuse(std::move(socket), refusal,
                  "the server has " + std::to_string(max_connections) +
                      " open connections (--max-connections); retry later");
  }
  if (!refusal.empty()) {
    return Refuse(std::move(socket), refusal,
                  "this address has " + std::to_string(options.max_connections_per_address) +
                      " open connections (--max-connections-per-address); retry later");
  }
  api->metrics().AddConnections(1);
  auto session = std::make_shared<Session>(*this, std::move(socket), std::move(address));
  {
    std::lock_guard<std::mutex> lock(mutex);
    sessions.insert(session.get());
  }
  session->Start();
}

void HttpServer::Impl::Refuse(tcp::socket socket, const std::string& code, const std::string& message) {
  api->RecordRefusedConnection();
  const std::string body = ErrorBody(503, code, message);
  const std::string response = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                               "Connection: close\r\nRetry-After: 1\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body;
  // A fresh connection's send buffer is empty: this does not block.
  (void)!::send(socket.native_handle(), response.data(), response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (lingering_refusals.fetch_add(1) >= kMaxLingeringRefusals) {
    lingering_refusals--;
    return;  // the socket closes here
  }
  std::make_shared<Refusal>(*this, std::move(socket))->Linger();
}

void HttpServer::Impl::TrimSoon() {
  const int64_t now = Clock::now().time_since_epoch() / std::chrono::nanoseconds(1);
  int64_t last = last_trim_ns.load();
  if (now - last < kTrimIntervalNs || !last_trim_ns.compare_exchange_strong(last, now)) return;
  general->Submit([] { malloc_trim(0); });
}

void HttpServer::Impl::RunIo() {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "imi serve: transport error (continuing): %s\n", e.what());
    }
  }
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options, Api* api) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->api = api;

  impl->max_connections = ConnectionsTheDescriptorLimitAllows(
      options.max_connections, 128 + options.workers + options.store_workers + kMaxLingeringRefusals);

  const std::string where = options.host + ":" + std::to_string(options.port);
  ErrorCode ec;
  tcp::resolver resolver(impl->io);
  const auto endpoints = resolver.resolve(options.host, std::to_string(options.port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) return Status::IoError("cannot resolve listen address " + where + ": " + ec.message());
  std::string last_error = "no usable address";
  bool listening = false;
  for (const auto& entry : endpoints) {
    ErrorCode step;
    impl->acceptor.open(entry.endpoint().protocol(), step);
    if (!step) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), step);
    if (!step) impl->acceptor.bind(entry.endpoint(), step);
    if (!step) impl->acceptor.listen(asio::socket_base::max_listen_connections, step);
    if (!step) {
      listening = true;
      break;
    }
    last_error = step.message();
    ErrorCode ignored;
    impl->acceptor.close(ignored);
  }
  if (!listening) return Status::IoError("cannot listen on " + where + ": " + last_error);
  impl->port = impl->acceptor.local_endpoint(ec).port();

  impl->general = std::make_unique<WorkerPool>(options.workers, options.max_queued_requests);
  impl->store = std::make_unique<WorkerPool>(options.store_workers, options.max_queued_requests);
  impl->work.emplace(impl->io.get_executor());
  Impl* raw = impl.get();
  raw->Accept();
  impl->io_thread = std::thread([raw] { raw->RunIo(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(std::chrono::milliseconds(0)); }

int HttpServer::port() const { return impl_->port; }

size_t HttpServer::max_connections() const { return impl_->max_connections; }

ShutdownReport HttpServer::Shutdown(std::chrono::milliseconds grace) {
  Impl& impl = *impl_;
  ShutdownReport report;
  if (impl.shut_down) return report;
  impl.shut_down = true;
  const Clock::time_point deadline = Clock::now() + grace;
  impl.stopping = true;
  asio::post(impl.io, [&impl] {
    // Connections the kernel has completed are served, not reset: a client
    // that connected before the signal gets its answer.
    ErrorCode ec;
    impl.acceptor.non_blocking(true, ec);
    for (int i = 0; !ec && i < kMaxDrainAccepts; ++i) {
      tcp::socket socket(impl.io);
      impl.acceptor.accept(socket, ec);
      if (!ec) impl.Admit(std::move(socket));
    }
    ErrorCode ignored;
    impl.acceptor.close(ignored);
    impl.accept_retry.cancel();
    impl.ForEachSession([](Session& s) { s.StopIfIdle(); });
  });
  {
    std::unique_lock<std::mutex> lock(impl.mutex);
    impl.sessions_changed.wait_until(lock, deadline, [&impl] { return impl.sessions.empty(); });
  }
  // Past the deadline: requests not started are dropped (on the I/O thread,
  // where what they hold may be destroyed), the rest are cut.
  std::promise<void> cut;
  asio::post(impl.io, [&impl, &cut] {
    auto dropped_general = impl.general->DropQueued();
    auto dropped_store = impl.store->DropQueued();
    impl.cut_requests += dropped_general.size() + dropped_store.size();
    dropped_general.clear();
    dropped_store.clear();
    impl.ForEachSession([](Session& s) { s.Cut(); });
    cut.set_value();
  });
  cut.get_future().wait();
  impl.general->Stop();
  impl.store->Stop();
  // Handlers whose response is out may still be returning: let them finish
  // (a stalled one is still counted after a short grace).
  const Clock::time_point settle = std::max(deadline, Clock::now() + std::chrono::milliseconds(200));
  impl.general->WaitIdle(settle);
  impl.store->WaitIdle(settle);
  impl.work.reset();
  impl.io.stop();
  if (impl.io_thread.joinable()) impl.io_thread.join();
  report.cut_requests = impl.cut_requests.load();
  report.busy_workers = impl.general->busy() + impl.store->busy();
  return report;
}

}  // namespace imi::server
