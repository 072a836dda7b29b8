// Live parity with the reference library on the project corpus: for every
// shared tokenizer and every tokenizer under tests/data/tokenizer/made/,
// ref/tokenize_ref.mjs runs @anush008/tokenizers (HF tokenizers 0.22.2) and
// imi must give the same ids, tokens, offsets, type ids, masks and
// overflowing windows on 100% of lines, in three modes: plain (no
// truncation/padding, with and without special tokens, and the decoded text), file (the file's own
// truncation/padding, batches of 16) and pair (line i with line i+1, both
// at most 300 code points).
// Skips with a reason when node or the package is missing (scripts/setup.sh
// installs both).
// Every case also runs on a fixed random corpus of hostile-but-valid lines
// (corpus/random_20261126_800.jsonl = ref/random_corpus.py 20261126 800).
// IMI_LIVE_CORPUS=FILE.jsonl runs the comparison on that corpus of {"text"}
// lines instead of both, e.g. one written by ref/random_corpus.py SEED N.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/utf8.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer_files.h"

namespace imi::tokenizer {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = IMI_SOURCE_DIR;
const fs::path kProjectCorpus = kSource / "tests/data/tokenizer/corpus/corpus.jsonl";
const fs::path kRandomCorpus = kSource / "tests/data/tokenizer/corpus/random_20261126_800.jsonl";
const fs::path kScript = kSource / "tests/tokenizer/ref/tokenize_ref.mjs";

struct LiveCase {
  std::string name;
  fs::path path;
  std::string mode;
  fs::path corpus;
  std::string corpus_label;  // "" for the project corpus
};

// Readable test names in ctest's listing instead of the parameter's bytes.
void PrintTo(const LiveCase& c, std::ostream* os) {
  *os << c.name << "/" << c.mode << (c.corpus_label.empty() ? "" : "/") << c.corpus_label;
}

// The project and the fixed random corpus, or the file named by
// IMI_LIVE_CORPUS alone when it is set.
std::vector<std::pair<fs::path, std::string>> Corpora() {
  const char* other = std::getenv("IMI_LIVE_CORPUS");
  if (other != nullptr && *other != '\0') return {{fs::path(other), ""}};
  return {{kProjectCorpus, ""}, {kRandomCorpus, "random"}};
}

std::vector<LiveCase> Cases() {
  const auto files = testing::TokenizerFiles();
  std::vector<LiveCase> cases;
  for (const auto& [corpus, label] : Corpora()) {
    for (const auto& [name, path] : files) {
      for (const char* mode : {"plain", "file", "pair"}) cases.push_back({name, path, mode, corpus, label});
    }
  }
  return cases;
}

std::vector<std::string> CorpusTexts(const fs::path& corpus) {
  std::vector<std::string> texts;
  std::ifstream in(corpus);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) texts.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
  }
  return texts;
}

// Runs the reference; returns its output lines, or a reason to skip.
std::string RunReference(const LiveCase& c, std::vector<std::string>* lines) {
  if (std::system("node --version > /dev/null 2>&1") != 0) return "node is not installed (run scripts/setup.sh)";
  if (!fs::exists(kSource / ".deps/node/node_modules/@anush008/tokenizers")) {
    return "@anush008/tokenizers is not installed under .deps/node (run scripts/setup.sh)";
  }
  const std::string command = "node '" + kScript.string() + "' " + c.mode + " '" + c.path.string() + "' '" +
                              c.corpus.string() + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "cannot start node";
  std::string current;
  char buffer[1 << 16];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    for (size_t i = 0; i < n; ++i) {
      if (buffer[i] == '\n') {
        if (!current.empty()) lines->push_back(std::move(current));
        current.clear();
      } else {
        current.push_back(buffer[i]);
      }
    }
  }
  if (!current.empty()) lines->push_back(std::move(current));
  const int status = pclose(pipe);
  if (status != 0) {
    ADD_FAILURE() << "reference failed (" << status << "): " << command;
  }
  return "";
}

nlohmann::json Dump(const Encoding& e) {
  nlohmann::json offsets = nlohmann::json::array();
  for (const auto& [s, t] : e.offsets) offsets.push_back({s, t});
  nlohmann::json overflowing = nlohmann::json::array();
  for (const Encoding& o : e.overflowing) overflowing.push_back(Dump(o));
  return {{"ids", e.ids},
          {"tokens", e.tokens},
          {"offsets", offsets},
          {"type_ids", e.type_ids},
          {"attention_mask", e.attention_mask},
          {"special_tokens_mask", e.special_tokens_mask},
          {"overflowing", overflowing}};
}

class LiveParityTest : public ::testing::TestWithParam<LiveCase> {};

TEST_P(LiveParityTest, EveryCorpusLineMatchesTheReferenceLibrary) {
  const LiveCase& c = GetParam();
  std::vector<std::string> expected;
  if (std::string reason = RunReference(c, &expected); !reason.empty()) GTEST_SKIP() << reason;
  const std::vector<std::string> texts = CorpusTexts(c.corpus);
  ASSERT_FALSE(texts.empty()) << "no lines in " << c.corpus;
  if (c.corpus == kProjectCorpus) {
    ASSERT_GE(texts.size(), 3000u);
  }

  auto loaded = Tokenizer::FromFile(c.path.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  Tokenizer& tok = **loaded;

  std::vector<nlohmann::json> got;  // {"special": E[, "bare": E]} per reference line
  std::vector<size_t> source;        // index into texts of each entry of got
  auto fail_status = [&](const Status& s) {
    got.push_back({{"error", s.ToString()}});
  };
  if (c.mode == "plain") {
    tok.SetTruncation(std::nullopt);
    tok.SetPadding(std::nullopt);
    for (const std::string& text : texts) {
      source.push_back(source.size());
      auto special = tok.Encode(text, true);
      auto bare = tok.Encode(text, false);
      if (!special.ok() || !bare.ok()) {
        fail_status(special.ok() ? bare.status() : special.status());
        continue;
      }
      auto decoded = tok.Decode(bare->ids, true);
      if (!decoded.ok()) {
        fail_status(decoded.status());
        continue;
      }
      got.push_back({{"special", Dump(*special)}, {"bare", Dump(*bare)}, {"decoded", *decoded}});
    }
  } else if (c.mode == "file") {
    for (size_t i = 0; i < texts.size(); i += 16) {
      std::vector<std::string> batch(texts.begin() + i, texts.begin() + std::min(texts.size(), i + 16));
      for (size_t k = 0; k < batch.size(); ++k) source.push_back(i + k);
      auto encoded = tok.EncodeBatch(batch, true);
      if (!encoded.ok()) {
        for (size_t k = 0; k < batch.size(); ++k) fail_status(encoded.status());
        continue;
      }
      for (const Encoding& e : *encoded) got.push_back({{"special", Dump(e)}});
    }
  } else {
    tok.SetPadding(std::nullopt);
    for (size_t i = 0; i + 1 < texts.size(); ++i) {
      // Same selection as the reference script: both sides short.
      if (utf8::CountCodePoints(texts[i]) > 300 || utf8::CountCodePoints(texts[i + 1]) > 300) continue;
      source.push_back(i);
      auto encoded = tok.EncodePair(texts[i], texts[i + 1], true);
      if (!encoded.ok()) {
        fail_status(encoded.status());
        continue;
      }
      got.push_back({{"special", Dump(*encoded)}});
    }
  }

  ASSERT_EQ(got.size(), expected.size()) << "line count differs from the reference";
  size_t mismatches = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const nlohmann::json want = nlohmann::json::parse(expected[i]);
    if (want == got[i]) continue;
    if (++mismatches <= 3) {
      const size_t line = source[i];
      std::string text = nlohmann::json(texts[line]).dump().substr(0, 300);
      if (c.mode == "pair") text += " + " + nlohmann::json(texts[line + 1]).dump().substr(0, 300);
      // The first differences as (path, expected, got) rather than two whole dumps.
      std::string differences;
      const nlohmann::json patch = nlohmann::json::diff(want, got[i]);
      for (size_t k = 0; k < patch.size() && k < 6; ++k) {
        const nlohmann::json::json_pointer at(patch[k]["path"].get<std::string>());
        differences += "\n  " + at.to_string() + ": expected " +
                       (want.contains(at) ? want.at(at).dump().substr(0, 400) : "(nothing)") + ", got " +
                       (got[i].contains(at) ? got[i].at(at).dump(-1, ' ', false,
                                                                  nlohmann::json::error_handler_t::replace)
                                                  .substr(0, 400)
                                            : "(nothing)");
      }
      ADD_FAILURE() << c.name << " [" << c.mode << "] corpus line " << line + 1 << " text " << text
                    << differences;
    }
  }
  EXPECT_EQ(mismatches, 0u) << mismatches << " of " << expected.size() << " lines differ (" << c.name << ", "
                            << c.mode << ")";
}

INSTANTIATE_TEST_SUITE_P(Corpus, LiveParityTest, ::testing::ValuesIn(Cases()), [](const auto& info) {
  std::string n = info.param.name + "_" + info.param.mode +
                  (info.param.corpus_label.empty() ? "" : "_" + info.param.corpus_label);
  for (char& ch : n) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return n;
});

}  // namespace
}  // namespace imi::tokenizer
