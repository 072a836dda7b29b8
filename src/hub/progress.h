#ifndef IMI_HUB_PROGRESS_H_
#define IMI_HUB_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace imi::hub {

// How download progress is shown.
enum class ProgressStyle {
  kNone,   // silent
  kBar,    // one self-overwriting line (for a terminal)
  kLines,  // a plain line every few seconds and at the end (for logs)
};

// ProgressStyle for stderr: kBar when it is a terminal, else kLines.
ProgressStyle DefaultProgressStyle();

// Reports the progress of one file download on `out` (not owned; normally
// stderr). Not thread-safe: one reporter per download.
class ProgressReporter {
 public:
  ProgressReporter(ProgressStyle style, std::FILE* out) : style_(style), out_(out) {}

  // A download of `label` starts at byte `start_bytes` of `total_bytes`
  // (0 when unknown).
  void Start(const std::string& label, uint64_t start_bytes, uint64_t total_bytes);
  // `bytes` more were received.
  void Advance(uint64_t bytes);
  // Restarts the count at `start_bytes` (a server ignored the Range request).
  void Reset(uint64_t start_bytes);
  // The download ended, complete or interrupted; ends the bar's line.
  void Finish(bool complete);

 private:
  void Print(const char* final_word);

  ProgressStyle style_;
  std::FILE* out_;
  std::string label_;
  uint64_t total_bytes_ = 0;
  uint64_t done_bytes_ = 0;
  uint64_t session_start_bytes_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_print_;
  bool active_ = false;
};

}  // namespace imi::hub

#endif  // IMI_HUB_PROGRESS_H_
