#include "raw_http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace imi::testing {

namespace {

using Clock = std::chrono::steady_clock;

bool Readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

// Parses head + body if complete; returns false when more bytes are needed.
bool TryParse(const std::string& data, bool at_eof, RawResponse* out) {
  const size_t end = data.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  RawResponse res;
  const std::string head = data.substr(0, end);
  if (head.rfind("HTTP/1.", 0) != 0 || head.size() < 12) return false;
  res.status = std::stoi(head.substr(9, 3));
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos < head.size()) {
    const size_t next = head.find("\r\n", pos + 2);
    const std::string line = head.substr(pos + 2, (next == std::string::npos ? head.size() : next) - pos - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') ++v;
      res.headers.emplace(name, line.substr(v));
    }
    pos = next;
  }
  const std::string rest = data.substr(end + 4);
  auto length = res.headers.find("content-length");
  if (length != res.headers.end()) {
    const size_t n = std::stoul(length->second);
    if (rest.size() < n) return false;
    res.body = rest.substr(0, n);
  } else {
    if (!at_eof && res.status != 204 && res.status != 304) return false;
    res.body = rest;
  }
  *out = std::move(res);
  return true;
}

}  // namespace

std::string ExpandMacros(const std::string& s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, 2, "${") != 0) {
      out += s[i++];
      continue;
    }
    const size_t close = s.find('}', i);
    const std::string macro = s.substr(i + 2, close - i - 2);
    if (macro.rfind("repeat:", 0) == 0) {
      const size_t colon = macro.find(':', 7);
      const size_t n = std::stoul(macro.substr(7, colon - 7));
      const std::string text = macro.substr(colon + 1);
      out.reserve(out.size() + n * text.size());
      for (size_t k = 0; k < n; ++k) out += text;
    } else if (macro.rfind("rbrace:", 0) == 0) {
      out.append(std::stoul(macro.substr(7)), '}');
    } else if (macro.rfind("hex:", 0) == 0) {
      std::string hex;
      for (char c : macro.substr(4)) {
        if (c != ' ') hex += c;
      }
      for (size_t k = 0; k + 1 < hex.size(); k += 2) out += static_cast<char>(std::stoi(hex.substr(k, 2), nullptr, 16));
    }
    i = close + 1;
  }
  return out;
}

RawConnection::RawConnection(int port, const std::string& source_address) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (!source_address.empty()) {
    sockaddr_in source{};
    source.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source_address.c_str(), &source.sin_addr) != 1 ||
        ::bind(fd_, reinterpret_cast<sockaddr*>(&source), sizeof(source)) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::Send(const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    if (Readable(fd_, 0)) return false;  // the server answered or closed early
    const size_t chunk = std::min<size_t>(64 * 1024, data.size() - sent);
    const ssize_t n = ::send(fd_, data.data() + sent, chunk, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

void RawConnection::HalfClose() { ::shutdown(fd_, SHUT_WR); }

RawResponse RawConnection::Read(int timeout_ms) {
  RawResponse res;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[65536];
  for (;;) {
    if (TryParse(buffer_, false, &res)) break;
    const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0 || !Readable(fd_, left)) break;
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      TryParse(buffer_, true, &res);
      break;
    }
    buffer_.append(buf, static_cast<size_t>(n));
  }
  // Keep bytes of a following response for the next Read.
  const size_t end = buffer_.find("\r\n\r\n");
  if (res.status != 0 && end != std::string::npos) {
    buffer_.erase(0, std::min(buffer_.size(), end + 4 + res.body.size()));
  }
  return res;
}

RawResponse Exchange(int port, const std::vector<std::string>& parts, int delay_ms, bool half_close, int timeout_ms) {
  RawConnection conn(port);
  if (!conn.connected()) return {};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0 && delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    if (!conn.Send(parts[i])) break;
  }
  if (half_close) conn.HalfClose();
  return conn.Read(timeout_ms);
}

RawResponse Request(int port, const std::string& method, const std::string& target, const std::string& body,
                    const std::vector<std::string>& extra_headers) {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const std::string& h : extra_headers) request += h + "\r\n";
  if (!body.empty() || method == "POST") request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  return Exchange(port, {request});
}

}  // namespace imi::testing
