#include "lexical/highlight.h"

#include <algorithm>

namespace imi::lexical {

Result<std::vector<Highlight>> FindHighlights(const analysis::Analyzer& analyzer, std::string_view text,
                                              const std::set<std::string>& terms) {
  std::vector<Highlight> out;
  if (terms.empty()) return out;
  IMI_ASSIGN_OR_RETURN(std::vector<analysis::Token> tokens, analyzer.Analyze(text));
  std::vector<std::pair<uint32_t, uint32_t>> bytes;
  for (const analysis::Token& t : tokens) {
    if (terms.count(t.term)) bytes.emplace_back(t.begin, t.end);
  }
  if (bytes.empty()) return out;
  std::sort(bytes.begin(), bytes.end());
  // Byte offsets -> code points, counting lead bytes as we go.
  size_t byte = 0, cp = 0;
  auto to_cp = [&](uint32_t target) {
    for (; byte < target && byte < text.size(); ++byte) {
      if ((static_cast<unsigned char>(text[byte]) & 0xC0) != 0x80) ++cp;
    }
    return cp;
  };
  // Merge in bytes first (ends are monotone only after merging).
  std::vector<std::pair<uint32_t, uint32_t>> merged;
  for (const auto& span : bytes) {
    if (!merged.empty() && span.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, span.second);
    } else {
      merged.push_back(span);
    }
  }
  for (const auto& [b, e] : merged) {
    Highlight h;
    h.start = to_cp(b);
    h.end = to_cp(e);
    out.push_back(h);
  }
  return out;
}

}  // namespace imi::lexical
