#include "analysis/prepared_text.h"

#include "base/utf8.h"

namespace imi::analysis {

PreparedText::PreparedText(std::string_view input) {
  text::NormalizedText normalized = text::NormalizeWithSpans(input);
  if (utf8::FindInvalid(normalized.text) == std::string_view::npos) {
    text_ = std::move(normalized.text);
    spans_ = std::move(normalized.spans);
    return;
  }
  // The normaliser copies invalid bytes through; make each one U+FFFD here
  // so that MeCab and ICU only ever see valid UTF-8.
  const std::string& raw = normalized.text;
  text_.reserve(raw.size() + 16);
  spans_.reserve(raw.size() + 16);
  size_t pos = 0;
  while (pos < raw.size()) {
    const size_t start = pos;
    const char32_t cp = utf8::Decode(raw, &pos);
    if (cp == utf8::kInvalid) {
      utf8::Append(&text_, 0xFFFD);
      spans_.insert(spans_.end(), 3, normalized.spans[start]);
    } else {
      text_.append(raw, start, pos - start);
      spans_.insert(spans_.end(), normalized.spans.begin() + static_cast<std::ptrdiff_t>(start),
                    normalized.spans.begin() + static_cast<std::ptrdiff_t>(pos));
    }
  }
}

text::SourceSpan PreparedText::Source(uint32_t begin, uint32_t end) const {
  if (spans_.empty() || begin >= end || end > spans_.size()) return {};
  return text::SourceSpan{spans_[begin].begin, spans_[end - 1].end};
}

}  // namespace imi::analysis
