#include "cli/line_io.h"

#include <cerrno>
#include <cstring>

namespace imi::cli {

namespace {

constexpr size_t kReadChunkBytes = 1 << 16;
constexpr size_t kWriteFlushBytes = 1 << 16;

}  // namespace

Result<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path) {
  const bool is_stdin = path == "-";
  std::FILE* file = is_stdin ? stdin : std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    const std::string reason = "cannot open '" + path + "': " + std::strerror(errno);
    return errno == ENOENT ? Status::NotFound(reason) : Status::IoError(reason);
  }
  return std::make_unique<LineReader>(file, is_stdin ? "<stdin>" : path);
}

LineReader::~LineReader() {
  if (file_ != nullptr && file_ != stdin) std::fclose(file_);
}

Result<bool> LineReader::Next(std::string_view* line) {
  for (;;) {
    const size_t newline = buffer_.find('\n', scan_from_);
    if (newline != std::string::npos) {
      if (max_line_bytes_ > 0 && newline - start_ > max_line_bytes_) {
        return Status::TooLarge("line longer than " + std::to_string(max_line_bytes_) + " bytes")
            .WithContext(name_ + ":" + std::to_string(line_number_ + 1));
      }
      *line = std::string_view(buffer_).substr(start_, newline - start_);
      start_ = newline + 1;
      scan_from_ = start_;
      ++line_number_;
      return true;
    }
    if (max_line_bytes_ > 0 && buffer_.size() - start_ > max_line_bytes_) {
      return Status::TooLarge("line longer than " + std::to_string(max_line_bytes_) + " bytes")
          .WithContext(name_ + ":" + std::to_string(line_number_ + 1));
    }
    if (eof_) {
      if (start_ == buffer_.size()) return false;
      *line = std::string_view(buffer_).substr(start_);
      start_ = scan_from_ = buffer_.size();
      ++line_number_;
      return true;
    }
    // Keep the unfinished line, read more after it.
    buffer_.erase(0, start_);
    start_ = 0;
    scan_from_ = buffer_.size();
    const size_t old_size = buffer_.size();
    buffer_.resize(old_size + kReadChunkBytes);
    const size_t got = std::fread(buffer_.data() + old_size, 1, kReadChunkBytes, file_);
    buffer_.resize(old_size + got);
    if (got == 0) {
      if (std::ferror(file_)) return Status::IoError("read failed").WithContext(name_);
      eof_ = true;
    }
  }
}

Status ForEachLine(const std::vector<std::string>& paths,
                   const std::function<Status(std::string_view line)>& handle) {
  const std::vector<std::string> stdin_only = {"-"};
  for (const std::string& path : paths.empty() ? stdin_only : paths) {
    IMI_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
    std::string_view line;
    for (;;) {
      IMI_ASSIGN_OR_RETURN(bool more, reader->Next(&line));
      if (!more) break;
      const Status status = handle(line);
      if (!status.ok()) {
        return status.WithContext(reader->name() + ":" + std::to_string(reader->line_number()));
      }
    }
  }
  return Status::Ok();
}

std::string_view StripCarriageReturn(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

void LineWriter::WriteLine(std::string_view text) {
  pending_ += text;
  pending_ += '\n';
  if (pending_.size() >= kWriteFlushBytes) Flush();
}

void LineWriter::Flush() {
  if (!pending_.empty()) std::fwrite(pending_.data(), 1, pending_.size(), stdout);
  pending_.clear();
  std::fflush(stdout);
}

}  // namespace imi::cli
