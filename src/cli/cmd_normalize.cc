// `imi normalize`: neologdn-compatible normalisation of text lines or of the
// "text" field of JSON Lines. Streams: memory stays bounded by the longest line.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/line_io.h"
#include "text/normalize.h"
#include "text/utf8_input.h"

namespace imi::cli {

namespace {

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

class NormalizeRunner {
 public:
  NormalizeRunner(const NormalizeArgs& args, text::NormalizeOptions options)
      : args_(args), options_(options) {}

  // Normalises one input line into the output.
  Status RunLine(std::string_view line) {
    return args_.jsonl ? NormalizeJsonLine(line) : NormalizeTextLine(line);
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
    out_.WriteLine(normalized_);
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
    out_.WriteLine(object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
    return Status::Ok();
  }

  const NormalizeArgs& args_;
  const text::NormalizeOptions options_;
  LineWriter out_;
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
  return ForEachLine(args.files, [&runner](std::string_view line) { return runner.RunLine(line); });
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
