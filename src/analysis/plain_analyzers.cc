// The analysers that need no dictionary: ja-bigram (the character bigrams
// pg_bigm indexes) and simple (ICU word boundaries).
#include "analysis/analyzers.h"
#include "analysis/prepared_text.h"
#include "base/utf8.h"

namespace imi::analysis {

namespace {

class BigramAnalyzer : public Analyzer {
 public:
  explicit BigramAnalyzer(std::string name) : Analyzer(std::move(name)) {}

  Result<std::vector<Token>> Analyze(std::string_view input) const override {
    const PreparedText prepared(input);
    const std::string& text = prepared.text();
    std::vector<Token> tokens;
    // The current run of word code points: folded code points and where each starts.
    std::vector<char32_t> run;
    std::vector<uint32_t> starts;
    auto flush = [&](uint32_t run_end) {
      starts.push_back(run_end);
      const size_t n = run.size();
      for (size_t i = 0; i < n; ++i) {
        if (n > 1 && i + 1 == n) break;
        Token token;
        utf8::Append(&token.term, run[i]);
        if (n > 1) utf8::Append(&token.term, run[i + 1]);
        const text::SourceSpan source = prepared.Source(starts[i], starts[n > 1 ? i + 2 : i + 1]);
        token.begin = source.begin;
        token.end = source.end;
        tokens.push_back(std::move(token));
      }
      run.clear();
      starts.clear();
    };
    size_t pos = 0;
    while (pos < text.size()) {
      const size_t start = pos;
      const char32_t cp = utf8::Decode(text, &pos);
      if (IsWordCodePoint(cp)) {
        run.push_back(FoldCodePoint(cp));
        starts.push_back(static_cast<uint32_t>(start));
      } else if (!run.empty()) {
        flush(static_cast<uint32_t>(start));
      }
    }
    if (!run.empty()) flush(static_cast<uint32_t>(text.size()));
    return tokens;
  }
};

class SimpleAnalyzer : public Analyzer {
 public:
  SimpleAnalyzer(std::string name, Folding folding) : Analyzer(std::move(name)), folding_(folding) {}

  Result<std::vector<Token>> Analyze(std::string_view input) const override {
    const PreparedText prepared(input);
    const std::string& text = prepared.text();
    std::vector<Token> tokens;
    for (const auto& [begin, end] : WordRanges(text)) {
      Token token;
      token.term = FoldTerm(std::string_view(text).substr(begin, end - begin), folding_);
      if (token.term.empty()) continue;
      const text::SourceSpan source = prepared.Source(begin, end);
      token.begin = source.begin;
      token.end = source.end;
      tokens.push_back(std::move(token));
    }
    return tokens;
  }

 private:
  Folding folding_;
};

}  // namespace

std::unique_ptr<Analyzer> MakeBigramAnalyzer(std::string name) {
  return std::make_unique<BigramAnalyzer>(std::move(name));
}

std::unique_ptr<Analyzer> MakeSimpleAnalyzer(std::string name, Folding folding) {
  return std::make_unique<SimpleAnalyzer>(std::move(name), folding);
}

}  // namespace imi::analysis
