// Transport spike: Boost.Beast 1.74 on Asio, one I/O thread. GET /healthz ->
// {"ok":true}; POST /echo -> {"bytes":N}. What Beast leaves to the
// application is written here in its smallest form: a wall-clock deadline
// for the head (10 s) and the body (30 s), 64 connections per address, and
// bodies over 2 MiB answered 413 at once, then read and discarded (up to
// 64 MiB) before a graceful close. Usage: beast_spike PORT
#include <utility>  // Boost 1.74 asio/awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

static std::map<asio::ip::address, int> per_address;

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : stream_(std::move(socket)) {
    address_ = stream_.socket().remote_endpoint().address();
  }
  ~Session() { --per_address[address_]; }
  void Start() { ReadHead(); }

 private:
  void ReadHead() {
    parser_.emplace();
    parser_->header_limit(32 * 1024);
    parser_->body_limit(64 * 1024 * 1024);
    stream_.expires_after(std::chrono::seconds(10));
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      self->OnHead();
    });
  }

  void OnHead() {
    auto length = parser_->content_length();
    if (length && *length > 2 * 1024 * 1024) {
      Reply(413, "{\"error\":\"too large\"}", false);
      return Discard();
    }
    body_.emplace(std::move(*parser_));
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, *body_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      auto& req = self->body_->get();
      const bool health = req.target() == "/healthz";
      self->Reply(200, health ? "{\"ok\":true}" : "{\"bytes\":" + std::to_string(req.body().size()) + "}",
                  req.keep_alive());
    });
  }

  void Reply(int status, std::string body, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
    res->set(http::field::content_type, "application/json");
    res->keep_alive(keep_alive);
    res->body() = std::move(body);
    res->prepare_payload();
    http::async_write(stream_, *res, [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      if (keep_alive) self->ReadHead();
      else if (!self->discarding_) self->Close();
    });
  }

  void Discard() {
    discarding_ = true;
    parser_->get().body().data = sink_;
    parser_->get().body().size = sizeof(sink_);
    http::async_read_some(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec == http::error::need_buffer) ec = {};
      if (ec || self->parser_->is_done()) return self->Close();
      self->Discard();
    });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(1));
    stream_.async_read_some(asio::buffer(sink_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (!ec) self->Close();
    });
  }

  beast::tcp_stream stream_;
  asio::ip::address address_;
  beast::flat_buffer buffer_{64 * 1024};
  std::optional<http::request_parser<http::buffer_body>> parser_;
  std::optional<http::request_parser<http::string_body>> body_;
  bool discarding_ = false;
  char sink_[16384];
};

static void Accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      beast::error_code peer_ec;
      const auto peer = socket.remote_endpoint(peer_ec);
      if (!peer_ec && per_address[peer.address()] < 64) {
        ++per_address[peer.address()];
        std::make_shared<Session>(std::move(socket))->Start();
      }
    }
    Accept(acceptor);
  });
}

int main(int, char** argv) {
  asio::io_context io{1};
  tcp::acceptor acceptor(io, {tcp::v4(), static_cast<unsigned short>(std::atoi(argv[1]))});
  acceptor.listen(4096);
  Accept(acceptor);
  std::fprintf(stderr, "ready\n");
  io.run();
}
