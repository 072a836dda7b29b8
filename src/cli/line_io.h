#ifndef IMI_CLI_LINE_IO_H_
#define IMI_CLI_LINE_IO_H_

// Line-at-a-time input and output shared by the subcommands that read text
// lines (imi normalize, tokenize, embed).

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace imi::cli {

// Splits one file (or stdin) into lines on '\n'. The '\n' is not part of a
// line; a '\r' before it is (callers decide what CRLF means). A last line
// without '\n' is still a line; an empty input has none. Memory stays bounded
// by the longest line. Not thread-safe.
class LineReader {
 public:
  // Opens `path` for reading ("-" = stdin, which is never closed). NotFound
  // when the file does not exist, IoError when it cannot be opened otherwise;
  // the message names the path.
  static Result<std::unique_ptr<LineReader>> Open(const std::string& path);

  // Reads `file` (owned: closed on destruction unless it is stdin); `name`
  // is what messages call it.
  LineReader(std::FILE* file, std::string name) : file_(file), name_(std::move(name)) {}
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Sets *line to the next line, valid until the next call; false at the end
  // of the input. IoError "<name>: read failed" when reading fails;
  // TooLarge "<name>:<line>: line longer than N bytes" past the limit.
  Result<bool> Next(std::string_view* line);

  // Lines longer than `bytes` (without '\n') are an error instead of being
  // buffered whole; 0 (the default) means no limit.
  void set_max_line_bytes(size_t bytes) { max_line_bytes_ = bytes; }

  // "<stdin>" or the path, for messages.
  const std::string& name() const { return name_; }
  // 1-based number of the line Next last returned (0 before the first).
  size_t line_number() const { return line_number_; }

 private:
  std::FILE* file_;
  std::string name_;
  std::string buffer_;
  size_t start_ = 0;      // first byte of the next line
  size_t scan_from_ = 0;  // where to look for the next '\n'
  size_t line_number_ = 0;
  size_t max_line_bytes_ = 0;
  bool eof_ = false;
};

// Calls `handle` on every line of every file in `paths`, in order ("-" and an
// empty list mean stdin), and stops at the first error. An error of `handle`
// comes back prefixed "<name>:<line number>: "; open and read errors as
// LineReader reports them.
Status ForEachLine(const std::vector<std::string>& paths,
                   const std::function<Status(std::string_view line)>& handle);

// `line` without one trailing '\r' (the rest of a CRLF line ending).
std::string_view StripCarriageReturn(std::string_view line);

// Collects output lines and writes them to stdout in blocks of about 64 KiB;
// what is left is written, and stdout flushed, on Flush and on destruction.
// Not thread-safe.
class LineWriter {
 public:
  LineWriter() = default;
  ~LineWriter() { Flush(); }
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  // Appends `text` and a '\n'; writes the block out once it is full.
  void WriteLine(std::string_view text);
  // Writes everything collected so far and flushes stdout.
  void Flush();

 private:
  std::string pending_;
};

}  // namespace imi::cli

#endif  // IMI_CLI_LINE_IO_H_
