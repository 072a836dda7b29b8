// libFuzzer target for the segmenter input: arbitrary bytes, made valid
// UTF-8 (as every caller does: imi segment, the analysers), parsed by MeCab
// with ipadic and analysed by ja-mecab, ja-bigram and simple. Checks: no
// crash; MeCab's words lie inside the text, in order, never overlapping, on
// code point boundaries and without spaces; every analyser token maps to
// input bytes [begin, end) inside the input, begin < end, begins never move
// back, and terms are non-empty valid UTF-8. The first byte picks a piece size
// so that long texts are also cut at MeCab's piece boundaries.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "analysis/analyzer.h"
#include "analysis/dictionary.h"
#include "analysis/mecab_tagger.h"
#include "base/utf8.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

bool IsBoundary(std::string_view s, size_t i) {
  return i == s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::shared_ptr<const imi::analysis::MecabTagger> tagger = [] {
    auto ref = imi::analysis::ResolveDictionary("ipadic");
    Check(ref.ok());
    auto loaded = imi::analysis::SharedTagger(*ref);
    Check(loaded.ok());
    return *loaded;
  }();
  if (size > 64 * 1024) return 0;
  const std::string raw(reinterpret_cast<const char*>(data), size);
  const std::string text = imi::utf8::ReplaceInvalid(raw);

  auto words = tagger->Parse(text);
  Check(words.ok());
  uint32_t last_end = 0;
  for (const auto& m : *words) {
    Check(m.begin >= last_end && m.begin < m.end && m.end <= text.size());
    Check(IsBoundary(text, m.begin) && IsBoundary(text, m.end));
    const std::string_view surface(text.data() + m.begin, m.end - m.begin);
    Check(surface.find(' ') == std::string_view::npos);
    last_end = m.end;
  }
  if (size > 0) {
    const size_t piece = 4 + data[0] % 64;
    size_t prev = 0;
    for (size_t cut : imi::analysis::SplitIntoPieces(text, piece)) {
      Check(cut > prev && cut - prev <= piece && IsBoundary(text, cut));
      prev = cut;
    }
    Check(prev == text.size() || text.empty());
  }

  for (const char* name : {"ja-mecab", "ja-bigram", "simple"}) {
    auto analyzer = imi::analysis::GetAnalyzer(name);
    Check(analyzer.ok());
    // Raw bytes on purpose: analysers replace invalid UTF-8 themselves.
    auto tokens = (*analyzer)->Analyze(raw);
    Check(tokens.ok());
    uint32_t last_begin = 0;
    for (const auto& t : *tokens) {
      Check(t.begin < t.end && t.end <= raw.size() && t.begin >= last_begin);
      Check(!t.term.empty() && imi::utf8::FindInvalid(t.term) == std::string::npos);
      last_begin = t.begin;
    }
  }
  return 0;
}
