// `imi normalize`: neologdn-compatible normalisation of text lines or of the
// "text" field of JSON Lines. Streams: memory stays bounded by the longest line.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "text/normalize.h"
#include "text/utf8_input.h"

namespace imi::cli {

namespace {

constexpr size_t kReadChunkBytes = 1 << 16;
constexpr size_t kWriteFlushBytes = 1 << 16;
// Upper bound accepted for --repeat and --max-repeat-substr-length.
constexpr int kMaxCount = 1000000;

struct NormalizeArgs {
  std::vector<std::string> files;
  int repeat = 0;
  int max_repeat_substr_length = 8;
  std::string tilde = "remove";
  bool keep_space = false;
  bool jsonl = false;
  bool replace_invalid = false;
};

// Splits a FILE* into lines on '\n' (the '\n' is not part of the line; a
// '\r' before it is). Owns the FILE* unless it is stdin.
class LineReader {
 public:
  explicit LineReader(std::FILE* file) : file_(file) {}
  ~LineReader() {
    if (file_ != nullptr && file_ != stdin) std::fclose(file_);
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Sets *line to the next line; false at end of input. IoError on a read error.
  Result<bool> Next(std::string_view* line) {
    for (;;) {
      const size_t newline = buffer_.find('\n', scan_from_);
      if (newline != std::string::npos) {
        *line = std::string_view(buffer_).substr(start_, newline - start_);
        start_ = newline + 1;
        scan_from_ = start_;
        return true;
      }
      if (eof_) {
        if (start_ == buffer_.size()) return false;
        *line = std::string_view(buffer_).substr(start_);
        start_ = scan_from_ = buffer_.size();
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
        if (std::ferror(file_)) return Status::IoError("read failed");
        eof_ = true;
      }
    }
  }

 private:
  std::FILE* file_;
  std::string buffer_;
  size_t start_ = 0;      // first byte of the next line
  size_t scan_from_ = 0;  // where to look for the next '\n'
  bool eof_ = false;
};

class NormalizeRunner {
 public:
  NormalizeRunner(const NormalizeArgs& args, text::NormalizeOptions options)
      : args_(args), options_(options) {}
  ~NormalizeRunner() { Flush(); }
  NormalizeRunner(const NormalizeRunner&) = delete;
  NormalizeRunner& operator=(const NormalizeRunner&) = delete;

  Status RunFile(const std::string& path) {
    const bool is_stdin = path == "-";
    std::FILE* file = is_stdin ? stdin : std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
      const std::string reason = "cannot open '" + path + "': " + std::strerror(errno);
      return errno == ENOENT ? Status::NotFound(reason) : Status::IoError(reason);
    }
    LineReader reader(file);
    const std::string name = is_stdin ? "<stdin>" : path;
    std::string_view line;
    for (size_t line_number = 1;; ++line_number) {
      auto more = reader.Next(&line);
      if (!more.ok()) return more.status().WithContext(name);
      if (!*more) break;
      Status status = args_.jsonl ? NormalizeJsonLine(line) : NormalizeTextLine(line);
      if (!status.ok()) return status.WithContext(name + ":" + std::to_string(line_number));
      if (pending_.size() >= kWriteFlushBytes) Flush();
    }
    return Status::Ok();
  }

  void Flush() {
    if (!pending_.empty()) std::fwrite(pending_.data(), 1, pending_.size(), stdout);
    pending_.clear();
    std::fflush(stdout);
  }

 private:
  // Applies the invalid-UTF-8 policy; *valid points at usable text after it.
  Status PrepareLine(std::string_view line, std::string_view* valid) {
    Status check = text::CheckUtf8(line);
    if (check.ok()) {
      *valid = line;
      return Status::Ok();
    }
    if (!args_.replace_invalid) {
      return Status::InvalidArgument(check.message() +
                                     " (0-based, within the line); pass --replace-invalid to "
                                     "substitute U+FFFD");
    }
    replaced_ = text::ReplaceInvalidUtf8(line);
    *valid = replaced_;
    return Status::Ok();
  }

  Status NormalizeTextLine(std::string_view line) {
    std::string_view valid;
    IMI_RETURN_IF_ERROR(PrepareLine(line, &valid));
    text::NormalizeInto(valid, options_, &normalized_);
    pending_ += normalized_;
    pending_ += '\n';
    return Status::Ok();
  }

  Status NormalizeJsonLine(std::string_view line) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return Status::Ok();
    std::string_view valid;
    IMI_RETURN_IF_ERROR(PrepareLine(line, &valid));
    // nlohmann::json is used without exceptions: a discarded value is a parse error.
    auto object = nlohmann::ordered_json::parse(valid, nullptr, /*allow_exceptions=*/false);
    if (object.is_discarded()) {
      return Status::InvalidArgument("not valid JSON; expected one JSON object per line");
    }
    auto field = object.is_object() ? object.find("text") : object.end();
    if (!object.is_object() || field == object.end() || !field->is_string()) {
      return Status::InvalidArgument("expected a JSON object with a string field \"text\"");
    }
    text::NormalizeInto(field->get_ref<const std::string&>(), options_, &normalized_);
    *field = normalized_;
    pending_ += object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    pending_ += '\n';
    return Status::Ok();
  }

  const NormalizeArgs& args_;
  const text::NormalizeOptions options_;
  std::string pending_;     // output not yet written
  std::string normalized_;  // reused per line
  std::string replaced_;    // reused per line
};

Status RunNormalize(const NormalizeArgs& args) {
  text::NormalizeOptions options;
  options.repeat = args.repeat;
  options.max_repeat_substr_length = args.max_repeat_substr_length;
  options.remove_space = !args.keep_space;
  auto tilde = text::ParseTildeMode(args.tilde);
  if (!tilde.ok()) return tilde.status();
  options.tilde = *tilde;

  NormalizeRunner runner(args, options);
  if (args.files.empty()) return runner.RunFile("-");
  for (const std::string& path : args.files) IMI_RETURN_IF_ERROR(runner.RunFile(path));
  return Status::Ok();
}

}  // namespace

void AddNormalizeCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<NormalizeArgs>();
  auto* cmd = app.add_subcommand(
      "normalize",
      "Normalise Japanese text like neologdn 0.5.6 (full-width ASCII and half-width kana,\n"
      "hyphens and long vowel marks, tildes, spaces between Japanese words).\n"
      "Reads UTF-8 lines from FILES (or stdin) and writes one normalised line per input line.\n"
      "A '\\r' before '\\n' is kept, as neologdn keeps it; every output line ends in '\\n'.");
  cmd->add_option("files", args->files, "UTF-8 text files to read in order ('-' = stdin; default: stdin)");
  cmd->add_option("--repeat", args->repeat,
                  "Cut substrings repeated more than N times to N copies (0 = off)")
      ->check(CLI::Range(0, kMaxCount))
      ->default_val(0);
  cmd->add_option("--max-repeat-substr-length", args->max_repeat_substr_length,
                  "Longest repeated unit --repeat looks for, in characters (0 = no limit)")
      ->check(CLI::Range(0, kMaxCount))
      ->default_val(8);
  cmd->add_option("--tilde", args->tilde, "What to do with ~ ∼ ∾ 〜 〰 ～")
      ->check(CLI::IsMember({"remove", "normalize", "normalize_zenkaku", "ignore"}))
      ->default_val("remove");
  cmd->add_flag("--keep-space", args->keep_space,
                "Do not remove spaces (U+3000 still becomes U+0020; one trailing space still goes)");
  cmd->add_flag("--jsonl", args->jsonl,
                "Input is JSON Lines: normalise each object's \"text\" field, keep every other\n"
                "field and the key order; blank lines are skipped");
  cmd->add_flag("--replace-invalid", args->replace_invalid,
                "Replace invalid UTF-8 bytes with U+FFFD instead of failing with exit status 2");
  cmd->footer(
      "Examples:\n"
      "  printf 'ﾊﾝｶｸｶﾅ　全角ＡＢＣ１２３\\n' | imi normalize      # -> ハンカクカナ全角ABC123\n"
      "  echo 'うまああああい' | imi normalize --repeat 2            # -> うまああい\n"
      "  imi normalize --tilde normalize_zenkaku notes.txt > notes.norm.txt\n"
      "  imi normalize --jsonl --replace-invalid docs.jsonl > docs.norm.jsonl\n"
      "Errors: invalid UTF-8 (without --replace-invalid) or a bad JSON line stops with one line\n"
      "'imi normalize: FILE:LINE: reason' and exit status 2; a missing file exits with 3.");
  cmd->callback([args, exit_code] {
    const Status status = RunNormalize(*args);
    *exit_code = status.ok() ? 0 : ReportError("normalize", status);
  });
}

}  // namespace imi::cli
