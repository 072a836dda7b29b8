#ifndef IMI_TESTS_SERVER_SERVE_PROCESS_H_
#define IMI_TESTS_SERVER_SERVE_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace imi::testing {

// `imi serve` as a child process on a free loopback port, for black-box
// tests. The destructor kills it if it still runs.
class ServeProcess {
 public:
  ServeProcess() = default;
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // Starts `binary serve ARGS... --host 127.0.0.1 --port 0` and waits (up to
  // 120 s) for its "ready on" line. False when it exits or never gets ready;
  // log() then says why.
  bool Start(const std::string& binary, const std::vector<std::string>& args);
  // Sends SIGTERM and waits (bounded) for the exit status; -1 on timeout.
  int Stop(int timeout_ms = 20000);

  int port() const { return port_; }
  const std::string& log() const { return log_; }

 private:
  pid_t pid_ = -1;
  int err_fd_ = -1;
  int port_ = 0;
  std::string log_;
};

}  // namespace imi::testing

#endif  // IMI_TESTS_SERVER_SERVE_PROCESS_H_
