// `imi tokenize`: Hugging Face tokenizer.json tokenisation of text lines (or
// the "text" field of JSON Lines), one JSON object out per input; or, with
// --decode, ids back to text.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/line_io.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_cache.h"

namespace imi::cli {
namespace {

struct TokenizeArgs {
  std::string tokenizer;
  std::vector<std::string> files;
  bool no_special = false;
  int max_length = 0;
  std::string truncation_direction;
  bool no_truncation = false;
  bool jsonl = false;
  bool decode = false;
  std::string cache;  // binary tokenizer cache directory; empty: none
};

using Json = nlohmann::ordered_json;

class TokenizeRunner {
 public:
  TokenizeRunner(const TokenizeArgs& args, const tokenizer::Tokenizer& tok) : args_(args), tok_(tok) {}

  // Encodes (or decodes) one input line, without its trailing '\r', into the output.
  Status RunLine(std::string_view line) {
    line = StripCarriageReturn(line);
    return args_.decode ? DecodeLine(line) : EncodeLine(line);
  }

 private:
  Status EncodeLine(std::string_view line) {
    Json out;
    std::string text_storage;
    std::string_view text = line;
    if (args_.jsonl) {
      if (line.find_first_not_of(" \t") == std::string_view::npos) return Status::Ok();
      Json object = Json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (object.is_discarded() || !object.is_object() || !object.contains("text") ||
          !object["text"].is_string()) {
        return Status::InvalidArgument("expected a JSON object with a string field \"text\"");
      }
      if (object.contains("id")) out["id"] = object["id"];
      text_storage = object["text"].get<std::string>();
      text = text_storage;
    }
    auto encoding = tok_.Encode(text, !args_.no_special);
    if (!encoding.ok()) return encoding.status();
    out["ids"] = encoding->ids;
    out["tokens"] = encoding->tokens;
    Json offsets = Json::array();
    for (const auto& [start, end] : encoding->offsets) offsets.push_back({start, end});
    out["offsets"] = std::move(offsets);
    out["type_ids"] = encoding->type_ids;
    out["attention_mask"] = encoding->attention_mask;
    out_.WriteLine(out.dump(-1, ' ', false, Json::error_handler_t::replace));
    return Status::Ok();
  }

  Status DecodeLine(std::string_view line) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return Status::Ok();
    Json input = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    Json out;
    const Json* ids_json = &input;
    if (!input.is_discarded() && input.is_object()) {
      if (input.contains("id")) out["id"] = input["id"];
      auto it = input.find("ids");
      if (it == input.end()) return Status::InvalidArgument("expected a JSON object with an \"ids\" array");
      ids_json = &*it;
    }
    if (input.is_discarded() || !ids_json->is_array()) {
      return Status::InvalidArgument("expected a JSON array of token ids, or an object with \"ids\"");
    }
    std::vector<int32_t> ids;
    for (const auto& id : *ids_json) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
        return Status::InvalidArgument("token ids must be non-negative integers");
      }
      ids.push_back(id.get<int32_t>());
    }
    auto text = tok_.Decode(ids, /*skip_special_tokens=*/true);
    if (!text.ok()) return text.status();
    out["text"] = *text;
    out_.WriteLine(out.dump(-1, ' ', false, Json::error_handler_t::replace));
    return Status::Ok();
  }

  const TokenizeArgs& args_;
  const tokenizer::Tokenizer& tok_;
  LineWriter out_;
};

Status RunTokenize(const TokenizeArgs& args) {
  const std::vector<std::string> read_dirs =
      args.cache.empty() ? std::vector<std::string>() : std::vector<std::string>{args.cache};
  auto tok = tokenizer::LoadTokenizerCached(args.tokenizer, read_dirs, args.cache, nullptr);
  if (!tok.ok()) return tok.status();
  tokenizer::Tokenizer& t = **tok;
  if (args.no_truncation) {
    t.SetTruncation(std::nullopt);
  } else if (args.max_length > 0 || !args.truncation_direction.empty()) {
    tokenizer::TruncationParams params = t.truncation().value_or(tokenizer::TruncationParams());
    if (args.max_length > 0) params.max_length = static_cast<size_t>(args.max_length);
    if (args.truncation_direction == "left") params.direction = tokenizer::TruncationDirection::kLeft;
    if (args.truncation_direction == "right") params.direction = tokenizer::TruncationDirection::kRight;
    if (params.max_length <= t.NumSpecialTokensToAdd(false) && !args.no_special) {
      return Status::InvalidArgument("--max-length " + std::to_string(params.max_length) +
                                     " leaves no room next to the " +
                                     std::to_string(t.NumSpecialTokensToAdd(false)) +
                                     " special tokens; use a larger value or --no-special");
    }
    t.SetTruncation(params);
  }
  TokenizeRunner runner(args, t);
  return ForEachLine(args.files, [&runner](std::string_view line) { return runner.RunLine(line); });
}

}  // namespace

void AddTokenizeCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<TokenizeArgs>();
  auto* cmd = app.add_subcommand(
      "tokenize",
      "Tokenise text with a Hugging Face tokenizer.json, with the same ids, tokens and offsets\n"
      "as the Rust `tokenizers` library. Reads UTF-8 lines from FILES (or stdin) and writes one\n"
      "JSON object per line: {\"ids\",\"tokens\",\"offsets\",\"type_ids\",\"attention_mask\"}.\n"
      "Offsets are [start, end) in Unicode code points of the input line; special tokens have\n"
      "[0, 0]. The file's own truncation applies unless changed below; padding is not applied\n"
      "(each line is encoded on its own). A trailing '\\r' is dropped from each line.");
  cmd->add_option("files", args->files, "UTF-8 text files to read in order ('-' = stdin; default: stdin)");
  cmd->add_option("--tokenizer", args->tokenizer,
                  "tokenizer.json, or a directory containing one")
      ->required();
  cmd->add_option("--cache", args->cache,
                  "Binary tokenizer cache directory (docs/tokenizer-cache.md): read from it when it holds this "
                  "tokenizer.json's cache, else write it there (Unigram only; default: none)");
  cmd->add_flag("--no-special", args->no_special,
                "Do not add the post-processor's special tokens ([CLS], </s>, ...)");
  cmd->add_option("--max-length", args->max_length,
                  "Truncate to N tokens including special tokens (overrides the file's max_length)")
      ->check(CLI::Range(1, 1 << 30));
  cmd->add_option("--truncation-direction", args->truncation_direction,
                  "Which end truncation removes tokens from")
      ->check(CLI::IsMember({"left", "right"}));
  cmd->add_flag("--no-truncation", args->no_truncation,
                "Ignore the truncation the tokenizer.json configures")
      ->excludes("--max-length");
  cmd->add_flag("--jsonl", args->jsonl,
                "Input is JSON Lines: tokenise each object's \"text\"; an \"id\" field is copied to\n"
                "the output; blank lines are skipped");
  cmd->add_flag("--decode", args->decode,
                "Decode instead: each input line is a JSON array of ids (or an object with \"ids\");\n"
                "writes {\"text\": ...} through the file's decoder, skipping special tokens");
  cmd->footer(
      "Examples:\n"
      "  echo '東京都に住んでいます' | imi tokenize --tokenizer models/e5/tokenizer.json\n"
      "  imi tokenize --tokenizer models/e5 --max-length 128 --truncation-direction left notes.txt\n"
      "  imi tokenize --tokenizer tok.json --jsonl --no-special docs.jsonl > docs.tokens.jsonl\n"
      "  echo '[0, 6, 2]' | imi tokenize --tokenizer tok.json --decode\n"
      "Errors: invalid UTF-8 or a bad JSON line stops with one line 'imi tokenize: FILE:LINE:\n"
      "reason' and exit status 2; a missing tokenizer or file exits with 3; an unsupported\n"
      "tokenizer.json component is named in the message (exit 2).");
  cmd->callback([args, exit_code] {
    const Status status = RunTokenize(*args);
    *exit_code = status.ok() ? 0 : ReportError("tokenize", status);
  });
}

}  // namespace imi::cli
