// `imi segment`: MeCab word segmentation of text lines (like `mecab -Owakati`),
// with parts of speech (--pos) or the terms an analyser indexes (--analyzer).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analyzer.h"
#include "analysis/dictionary.h"
#include "base/status.h"
#include "base/utf8.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/line_io.h"
#include "text/utf8_input.h"

namespace imi::cli {

namespace {

using Json = nlohmann::ordered_json;

struct SegmentArgs {
  std::vector<std::string> files;
  std::string dictionary;
  std::string analyzer;
  bool pos = false;
  bool jsonl = false;
  bool replace_invalid = false;
};

// Code point offset of every byte boundary a token may start or end at.
class CodePointIndex {
 public:
  explicit CodePointIndex(std::string_view text) : offsets_(text.size() + 1, 0) {
    size_t count = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      offsets_[i] = count;
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++count;
    }
    offsets_[text.size()] = count;
  }
  size_t operator()(size_t byte) const { return offsets_[byte]; }

 private:
  std::vector<size_t> offsets_;
};

class SegmentRunner {
 public:
  SegmentRunner(const SegmentArgs& args, analysis::DictionaryRef dictionary,
                std::shared_ptr<const analysis::MecabTagger> tagger,
                std::shared_ptr<const analysis::Analyzer> analyzer)
      : args_(args), dictionary_(std::move(dictionary)), tagger_(std::move(tagger)), analyzer_(std::move(analyzer)) {}

  Status RunLine(std::string_view line) {
    line = StripCarriageReturn(line);
    Json out;
    std::string storage;
    if (args_.jsonl) {
      if (line.find_first_not_of(" \t") == std::string_view::npos) return Status::Ok();
      IMI_RETURN_IF_ERROR(CheckLine(line, &line, &storage));
      Json object = Json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (object.is_discarded() || !object.is_object() || !object.contains("text") || !object["text"].is_string()) {
        return Status::InvalidArgument("expected a JSON object with a string field \"text\"");
      }
      if (object.contains("id")) out["id"] = object["id"];
      storage = object["text"].get<std::string>();
      line = storage;
    } else {
      IMI_RETURN_IF_ERROR(CheckLine(line, &line, &storage));
    }
    const bool structured = args_.pos || args_.jsonl;
    if (analyzer_) {
      IMI_ASSIGN_OR_RETURN(std::vector<analysis::Token> tokens, analyzer_->Analyze(line));
      if (!structured) {
        std::string words;
        for (const analysis::Token& t : tokens) words += t.term + " ";
        out_.WriteLine(words);
        return Status::Ok();
      }
      const CodePointIndex cp(line);
      Json list = Json::array();
      for (const analysis::Token& t : tokens) {
        if (args_.pos) {
          list.push_back({{"term", t.term}, {"start", cp(t.begin)}, {"end", cp(t.end)}});
        } else {
          list.push_back(t.term);
        }
      }
      return Write(std::move(out), args_.pos ? "tokens" : "words", std::move(list));
    }
    IMI_ASSIGN_OR_RETURN(std::vector<analysis::Morpheme> words, tagger_->Parse(line));
    if (!structured) {
      // Exactly what `mecab -Owakati` prints: every word followed by a space.
      std::string text;
      for (const analysis::Morpheme& m : words) {
        text.append(line.substr(m.begin, m.end - m.begin));
        text += ' ';
      }
      out_.WriteLine(text);
      return Status::Ok();
    }
    const CodePointIndex cp(line);
    Json list = Json::array();
    for (const analysis::Morpheme& m : words) {
      const std::string surface(line.substr(m.begin, m.end - m.begin));
      if (!args_.pos) {
        list.push_back(surface);
        continue;
      }
      const analysis::FeatureLayout& layout = dictionary_.layout;
      std::string base = layout.base_form >= 0 ? analysis::FeatureField(m.feature, layout.base_form) : "";
      std::string reading = layout.reading >= 0 ? analysis::FeatureField(m.feature, layout.reading) : "";
      Json token = {{"surface", surface},
                    {"pos", analysis::PartOfSpeech(m.feature, layout)},
                    {"base", base.empty() ? surface : base},
                    {"reading", reading},
                    {"start", cp(m.begin)},
                    {"end", cp(m.end)}};
      if (m.unknown) token["unknown"] = true;
      list.push_back(std::move(token));
    }
    return Write(std::move(out), args_.pos ? "tokens" : "words", std::move(list));
  }

 private:
  Status CheckLine(std::string_view line, std::string_view* valid, std::string* storage) {
    Status check = text::CheckUtf8(line);
    if (check.ok()) {
      *valid = line;
      return Status::Ok();
    }
    if (!args_.replace_invalid) {
      return Status::InvalidArgument(check.message() + " (0-based, within the line); pass --replace-invalid to "
                                                       "substitute U+FFFD");
    }
    *storage = text::ReplaceInvalidUtf8(line);
    *valid = *storage;
    return Status::Ok();
  }

  Status Write(Json out, const char* field, Json list) {
    if (args_.jsonl) {
      out[field] = std::move(list);
      out_.WriteLine(out.dump(-1, ' ', false, Json::error_handler_t::replace));
    } else {
      out_.WriteLine(list.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
    return Status::Ok();
  }

  const SegmentArgs& args_;
  analysis::DictionaryRef dictionary_;
  std::shared_ptr<const analysis::MecabTagger> tagger_;
  std::shared_ptr<const analysis::Analyzer> analyzer_;
  LineWriter out_;
};

Status RunSegment(const SegmentArgs& args) {
  std::shared_ptr<const analysis::Analyzer> analyzer;
  analysis::DictionaryRef dictionary;
  std::shared_ptr<const analysis::MecabTagger> tagger;
  if (!args.analyzer.empty()) {
    if (!args.dictionary.empty()) {
      return Status::InvalidArgument("--dictionary and --analyzer together: name the dictionary in the analyzer, "
                                     "e.g. --analyzer ja-mecab:unidic");
    }
    IMI_ASSIGN_OR_RETURN(analyzer, analysis::GetAnalyzer(args.analyzer));
  } else {
    IMI_ASSIGN_OR_RETURN(dictionary, analysis::ResolveDictionary(args.dictionary));
    IMI_ASSIGN_OR_RETURN(tagger, analysis::SharedTagger(dictionary));
  }
  SegmentRunner runner(args, std::move(dictionary), std::move(tagger), std::move(analyzer));
  return ForEachLine(args.files, [&runner](std::string_view line) { return runner.RunLine(line); });
}

}  // namespace

void AddSegmentCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<SegmentArgs>();
  auto* cmd = app.add_subcommand(
      "segment",
      "Split Japanese text into words with MeCab. Reads UTF-8 lines from FILES (or stdin) and\n"
      "writes each line's words separated by spaces, byte for byte what `mecab -Owakati -d DICDIR`\n"
      "prints (every word followed by a space). A trailing '\\r' is dropped from each line.");
  cmd->add_option("files", args->files, "UTF-8 text files to read in order ('-' = stdin; default: stdin)");
  cmd->add_option("--dictionary", args->dictionary,
                  "MeCab dictionary: ipadic (default; Debian mecab-ipadic-utf8), unidic (Debian\n"
                  "unidic-mecab) or the directory of a compiled UTF-8 dictionary");
  cmd->add_flag("--pos", args->pos,
                "Write a JSON array per line instead: {\"surface\",\"pos\",\"base\",\"reading\",\"start\",\"end\"}\n"
                "per word (start/end in code points of the line; \"unknown\":true for unknown words)");
  cmd->add_option("--analyzer", args->analyzer,
                  "Write the terms a lexical index stores instead: ja-mecab, ja-mecab:unidic, ja-bigram\n"
                  "or simple (normalised and folded; with --pos: {\"term\",\"start\",\"end\"})");
  cmd->add_flag("--jsonl", args->jsonl,
                "Input is JSON Lines: segment each object's \"text\"; writes {\"id\"?, \"words\"} (or\n"
                "\"tokens\" with --pos); blank lines are skipped");
  cmd->add_flag("--replace-invalid", args->replace_invalid, "Replace invalid UTF-8 bytes with U+FFFD instead of failing");
  cmd->footer(
      "Examples:\n"
      "  echo 'すもももももももものうち' | imi segment            # すもも も もも も もも の うち\n"
      "  imi segment --pos --dictionary unidic notes.txt\n"
      "  echo '東京都庁' | imi segment --analyzer ja-bigram        # 東京 京都 都庁\n"
      "Errors: invalid UTF-8 or a bad JSON line stops with 'imi segment: FILE:LINE: reason'\n"
      "(exit 2); a missing file or dictionary exits with 3 and names the Debian package to install.");
  cmd->callback([args, exit_code] {
    const Status status = RunSegment(*args);
    *exit_code = status.ok() ? 0 : ReportError("segment", status);
  });
}

}  // namespace imi::cli
