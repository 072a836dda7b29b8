#include "hub/progress.h"

#include <unistd.h>

namespace imi::hub {
namespace {

constexpr auto kBarInterval = std::chrono::milliseconds(200);
constexpr auto kLineInterval = std::chrono::seconds(10);
constexpr double kMegabyte = 1e6;
constexpr uint64_t kAnnounceBytes = 10'000'000;

}  // namespace

ProgressStyle DefaultProgressStyle() {
  return isatty(STDERR_FILENO) ? ProgressStyle::kBar : ProgressStyle::kLines;
}

void ProgressReporter::Start(const std::string& label, uint64_t start_bytes, uint64_t total_bytes) {
  label_ = label;
  total_bytes_ = total_bytes;
  done_bytes_ = start_bytes;
  session_start_bytes_ = start_bytes;
  started_ = last_print_ = std::chrono::steady_clock::now();
  active_ = true;
  // Plain lines: announce only what takes a while (large files, resumptions).
  if (style_ == ProgressStyle::kLines && (start_bytes > 0 || total_bytes >= kAnnounceBytes)) {
    std::fprintf(out_, "imi pull: %s: %s %.1f MB\n", label_.c_str(),
                 start_bytes > 0 ? "resuming at" : "downloading", (start_bytes > 0 ? start_bytes : total_bytes) / kMegabyte);
    std::fflush(out_);
  }
  if (style_ == ProgressStyle::kBar) Print(nullptr);
}

void ProgressReporter::Advance(uint64_t bytes) {
  done_bytes_ += bytes;
  if (style_ == ProgressStyle::kNone) return;
  const auto now = std::chrono::steady_clock::now();
  const auto interval = style_ == ProgressStyle::kBar ? kBarInterval : kLineInterval;
  if (now - last_print_ < interval) return;
  last_print_ = now;
  Print(nullptr);
}

void ProgressReporter::Reset(uint64_t start_bytes) {
  done_bytes_ = start_bytes;
  session_start_bytes_ = start_bytes;
  started_ = std::chrono::steady_clock::now();
}

void ProgressReporter::Finish(bool complete) {
  if (!active_) return;
  active_ = false;
  if (style_ == ProgressStyle::kNone) return;
  Print(complete ? "done" : "interrupted");
}

void ProgressReporter::Print(const char* final_word) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const double rate_mb_s =
      seconds > 0 ? static_cast<double>(done_bytes_ - session_start_bytes_) / kMegabyte / seconds : 0;
  const double percent = total_bytes_ > 0 ? 100.0 * static_cast<double>(done_bytes_) / total_bytes_ : 0;
  if (style_ == ProgressStyle::kBar) {
    constexpr int kWidth = 24;
    const int filled = total_bytes_ > 0 ? static_cast<int>(percent / 100.0 * kWidth) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '-');
    std::fprintf(out_, "\r%s [%s] %5.1f%% %.1f/%.1f MB %.1f MB/s%s%s\x1b[K%s", label_.c_str(), bar.c_str(),
                 percent, done_bytes_ / kMegabyte, total_bytes_ / kMegabyte, rate_mb_s,
                 final_word != nullptr ? " " : "", final_word != nullptr ? final_word : "",
                 final_word != nullptr ? "\n" : "");
  } else {
    std::fprintf(out_, "imi pull: %s: %.0f%% %.1f/%.1f MB %.1f MB/s%s%s\n", label_.c_str(), percent,
                 done_bytes_ / kMegabyte, total_bytes_ / kMegabyte, rate_mb_s,
                 final_word != nullptr ? " " : "", final_word != nullptr ? final_word : "");
  }
  std::fflush(out_);
}

}  // namespace imi::hub
