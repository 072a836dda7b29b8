// Table-driven cases of the project's own: tests/data/text/normalize_cases.tsv
// (rule, options, input, expected). Adding a case needs no C++.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/utf8.h"
#include "text/normalize.h"

namespace imi::text {
namespace {

constexpr char kCasesPath[] = IMI_SOURCE_DIR "/tests/data/text/normalize_cases.tsv";
constexpr size_t kMinimumCases = 300;

struct Case {
  int line = 0;
  std::string rule;
  std::string options_text;
  NormalizeOptions options;
  std::string input;
  std::string expected;
};

// Decodes \\ \t \n \r \uXXXX \UXXXXXXXX; returns false on a malformed escape.
bool Unescape(const std::string& s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out->push_back(s[i]);
      continue;
    }
    if (++i == s.size()) return false;
    const char kind = s[i];
    if (kind == '\\') {
      out->push_back('\\');
    } else if (kind == 't') {
      out->push_back('\t');
    } else if (kind == 'n') {
      out->push_back('\n');
    } else if (kind == 'r') {
      out->push_back('\r');
    } else if (kind == 'u' || kind == 'U') {
      const size_t digits = kind == 'u' ? 4 : 8;
      if (i + digits >= s.size() + 1) return false;
      const std::string hex = s.substr(i + 1, digits);
      if (hex.size() != digits || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        return false;
      }
      utf8::Append(out, static_cast<char32_t>(std::stoul(hex, nullptr, 16)));
      i += digits;
    } else {
      return false;
    }
  }
  return true;
}

// Parses "-" or "repeat=1,tilde=ignore,..."; returns false on an unknown key.
bool ParseOptions(const std::string& text, NormalizeOptions* options) {
  *options = NormalizeOptions{};
  if (text == "-") return true;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos) return false;
    const std::string key = item.substr(0, eq);
    const std::string value = item.substr(eq + 1);
    if (key == "repeat") {
      options->repeat = std::stoi(value);
    } else if (key == "max_repeat_substr_length") {
      options->max_repeat_substr_length = std::stoi(value);
    } else if (key == "remove_space") {
      options->remove_space = value == "1";
    } else if (key == "tilde") {
      auto mode = ParseTildeMode(value);
      if (!mode.ok()) return false;
      options->tilde = *mode;
    } else {
      return false;
    }
  }
  return true;
}

std::vector<Case> LoadCases() {
  std::vector<Case> cases;
  std::ifstream in(kCasesPath);
  EXPECT_TRUE(in) << "cannot open " << kCasesPath;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream columns(line);
    std::string field;
    while (std::getline(columns, field, '\t')) fields.push_back(field);
    // A trailing empty "expected" column leaves only three fields.
    if (fields.size() == 3 && line.back() == '\t') fields.emplace_back();
    Case c;
    c.line = line_number;
    if (fields.size() != 4) {
      ADD_FAILURE() << kCasesPath << ":" << line_number << ": expected 4 tab-separated fields";
      continue;
    }
    c.rule = fields[0];
    c.options_text = fields[1];
    if (!ParseOptions(fields[1], &c.options) || !Unescape(fields[2], &c.input) ||
        !Unescape(fields[3], &c.expected)) {
      ADD_FAILURE() << kCasesPath << ":" << line_number << ": malformed options or escape";
      continue;
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

TEST(NormalizeCasesTest, EveryTableCaseGivesItsExpectedOutput) {
  const std::vector<Case> cases = LoadCases();
  EXPECT_GE(cases.size(), kMinimumCases) << "the case table shrank";
  for (const Case& c : cases) {
    EXPECT_EQ(Normalize(c.input, c.options), c.expected)
        << "normalize_cases.tsv:" << c.line << " rule=" << c.rule << " options=" << c.options_text;
  }
}

TEST(NormalizeCasesTest, ExpectedOutputsStayTheSameWhenNormalisedAgain) {
  // neologdn is idempotent with repeat off, except for two edge behaviours:
  // with remove_space=false only one of several trailing spaces goes per
  // pass, and a U+FEFF left at the start after one was dropped goes next time.
  for (const Case& c : LoadCases()) {
    if (c.options.repeat > 0) continue;
    const bool known_exception =
        (!c.options.remove_space && !c.expected.empty() && c.expected.back() == ' ') ||
        c.expected.rfind("\xEF\xBB\xBF", 0) == 0;
    if (known_exception) continue;
    EXPECT_EQ(Normalize(c.expected, c.options), c.expected)
        << "normalize_cases.tsv:" << c.line << " output changes when normalised again";
  }
}

TEST(NormalizeCasesTest, SpansGiveTheSameTextAndPointIntoTheInputInOrder) {
  for (const Case& c : LoadCases()) {
    if (c.options.repeat > 0) continue;
    SCOPED_TRACE("normalize_cases.tsv:" + std::to_string(c.line) + " rule=" + c.rule);
    const NormalizedText n = NormalizeWithSpans(c.input, c.options);
    EXPECT_EQ(n.text, c.expected);
    ASSERT_EQ(n.spans.size(), n.text.size());
    uint32_t last_begin = 0;
    for (size_t i = 0; i < n.spans.size(); ++i) {
      const SourceSpan& span = n.spans[i];
      EXPECT_LT(span.begin, span.end);
      EXPECT_LE(span.end, c.input.size());
      EXPECT_GE(span.begin, last_begin) << "byte " << i;
      last_begin = span.begin;
    }
  }
}

}  // namespace
}  // namespace imi::text
