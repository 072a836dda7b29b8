#ifndef IMI_TESTS_SERVER_SERVE_PROCESS_H_
#define IMI_TESTS_SERVER_SERVE_PROCESS_H_

#include <sys/types.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace imi::testing {

// `imi serve` (ImiBinary()) as a child process on 127.0.0.1 and a free
// port. Its stderr is read continuously by a thread of this object (so a
// chatty server never blocks on a full pipe) and kept for log(). The child
// is killed on destruction.
class ServeProcess {
 public:
  ServeProcess() = default;
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // Runs `imi serve --host 127.0.0.1 --port 0 ARGS...` and waits up to
  // 120 s for its "ready on" line; false if it exited or never got ready.
  // With `wrapper`, runs `WRAPPER... sh -c 'SETUP; exec imi serve ...'`
  // instead (e.g. {"unshare", "-m"} with a SETUP that mounts a file system).
  bool Start(const std::vector<std::string>& args, const std::vector<std::string>& wrapper = {},
             const std::string& setup = "");

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Everything the server wrote to stderr so far.
  std::string log() const;

  // Sends `signal_number` to the server.
  void Signal(int signal_number) const;
  // Waits up to `timeout_ms` for the exit: its status (128+N when killed by
  // signal N), or -1 when it is still running.
  int WaitExit(int timeout_ms);
  // The server's peak resident set (VmHWM from /proc) in KiB; 0 if unknown.
  long PeakRssKb() const;

 private:
  void Drain();

  pid_t pid_ = -1;
  int err_fd_ = -1;
  int port_ = 0;
  std::thread drainer_;
  mutable std::mutex mutex_;
  std::string log_;
};

}  // namespace imi::testing

#endif  // IMI_TESTS_SERVER_SERVE_PROCESS_H_
