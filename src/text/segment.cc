#include "text/segment.h"

#include <algorithm>

namespace imi::text {

namespace {

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// End (exclusive) of the best cut in text[0, limit), or 0 when none.
size_t FindCut(std::string_view window) {
  const size_t newline = window.rfind('\n');
  if (newline != std::string_view::npos) return newline + 1;
  size_t best = 0;
  for (std::string_view mark : {"。", "．", "！", "？"}) {
    const size_t at = window.rfind(mark);
    if (at != std::string_view::npos) best = std::max(best, at + mark.size());
  }
  for (std::string_view mark : {". ", "! ", "? "}) {
    const size_t at = window.rfind(mark);
    if (at != std::string_view::npos) best = std::max(best, at + mark.size());
  }
  if (best > 0) return best;
  const size_t space = window.find_last_of(" \t");
  if (space != std::string_view::npos) return space + 1;
  return 0;
}

}  // namespace

std::vector<std::string_view> SegmentForTokenizing(std::string_view text, size_t max_bytes) {
  if (max_bytes < 4) max_bytes = 4;
  std::vector<std::string_view> pieces;
  while (text.size() > max_bytes) {
    size_t cut = FindCut(text.substr(0, max_bytes));
    if (cut == 0) {
      cut = max_bytes;
      while (cut > 0 && IsContinuation(text[cut])) --cut;
      if (cut == 0) cut = max_bytes;  // not UTF-8: cut between bytes
    }
    pieces.push_back(text.substr(0, cut));
    text.remove_prefix(cut);
  }
  if (!text.empty() || pieces.empty()) pieces.push_back(text);
  return pieces;
}

}  // namespace imi::text
