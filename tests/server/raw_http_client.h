#ifndef IMI_TESTS_SERVER_RAW_HTTP_CLIENT_H_
#define IMI_TESTS_SERVER_RAW_HTTP_CLIENT_H_

#include <map>
#include <string>
#include <vector>

namespace imi::testing {

// A deliberately small HTTP/1.1 client over a loopback socket, able to send
// malformed bytes, pause between pieces and half-close.
struct RawResponse {
  int status = 0;  // 0: the connection closed (or timed out) without a response
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Expands ${repeat:N:TEXT} (TEXT up to the first closing brace), ${rbrace:N}
// (N closing braces) and ${hex:HEX} (raw bytes).
std::string ExpandMacros(const std::string& s);

// One connection. Every call is bounded by `timeout_ms`.
class RawConnection {
 public:
  // Connects to 127.0.0.1:`port`, from `source_address` (e.g. "127.0.0.2")
  // when given.
  explicit RawConnection(int port, const std::string& source_address = "");
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // Sends `data` in chunks; stops early (returns false) when the server has
  // already answered or closed.
  bool Send(const std::string& data);
  void HalfClose();
  // Reads one response (Content-Length framed, or until EOF).
  RawResponse Read(int timeout_ms = 5000);

 private:
  int fd_ = -1;
  std::string buffer_;
};

// Connect, send `parts` with `delay_ms` between them, optionally half-close,
// read one response.
RawResponse Exchange(int port, const std::vector<std::string>& parts, int delay_ms = 0, bool half_close = false,
                     int timeout_ms = 5000);

// A well-formed request with Content-Length and Connection: close.
RawResponse Request(int port, const std::string& method, const std::string& target, const std::string& body = "",
                    const std::vector<std::string>& extra_headers = {});

}  // namespace imi::testing

#endif  // IMI_TESTS_SERVER_RAW_HTTP_CLIENT_H_
