#include "server/snippet.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <unordered_set>

#include "base/utf8.h"

namespace imi::server {

namespace {

constexpr size_t kMaxTermChars = 32;
constexpr size_t kMaxTerms = 16;

bool IsSeparator(char32_t c) {
  if (c <= 0x20 || c == 0x3000) return true;
  if (c < 0x80) return std::string_view("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~").find(static_cast<char>(c)) !=
                       std::string_view::npos;
  // Japanese punctuation: 、。・「」『』（）【】！？…
  return c == 0x3001 || c == 0x3002 || c == 0x30FB || (c >= 0x300C && c <= 0x3011) || c == 0xFF08 || c == 0xFF09 ||
         c == 0xFF01 || c == 0xFF1F || c == 0x2026 || c == 0xFF0C || c == 0xFF0E;
}

bool IsHiragana(char32_t c) { return c >= 0x3041 && c <= 0x309F; }

char32_t Fold(char32_t c) { return c < 0x80 ? static_cast<char32_t>(std::tolower(static_cast<int>(c))) : c; }

std::u32string Decode(std::string_view s) {
  std::u32string out;
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t c = utf8::Decode(s, &pos);
    out.push_back(c == utf8::kInvalid ? 0xFFFD : c);
  }
  return out;
}

std::string Encode(std::u32string_view s) {
  std::string out;
  for (char32_t c : s) utf8::Append(&out, c);
  return out;
}

}  // namespace

std::vector<std::string> HighlightNeedles(std::string_view query) {
  std::vector<std::u32string> terms;
  std::u32string current;
  for (char32_t c : Decode(query)) {
    if (IsSeparator(c)) {
      if (!current.empty()) terms.push_back(current);
      current.clear();
    } else if (current.size() < kMaxTermChars) {
      current.push_back(Fold(c));
    }
  }
  if (!current.empty()) terms.push_back(current);
  if (terms.size() > kMaxTerms) terms.resize(kMaxTerms);
  std::set<std::u32string> needles;
  for (const std::u32string& term : terms) {
    const bool ascii = std::all_of(term.begin(), term.end(), [](char32_t c) { return c < 0x80; });
    if (ascii) {
      if (term.size() >= 2) needles.insert(term);
      continue;
    }
    if (term.size() == 1) {
      if (!IsHiragana(term[0])) needles.insert(term);
      continue;
    }
    for (size_t i = 0; i < term.size(); ++i) {
      for (size_t n = 2; i + n <= term.size(); ++n) {
        std::u32string sub = term.substr(i, n);
        const bool hiragana = std::all_of(sub.begin(), sub.end(), IsHiragana);
        if (hiragana && sub.size() <= 2) continue;
        needles.insert(std::move(sub));
      }
    }
  }
  std::vector<std::string> out;
  for (const std::u32string& n : needles) out.push_back(Encode(n));
  // Longest first, so matching prefers whole terms.
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

std::vector<SnippetPart> MakeSnippet(std::string_view text, const std::vector<std::string>& needles, size_t max_chars) {
  std::u32string chars = Decode(text);
  if (chars.empty()) return {};
  for (char32_t& c : chars) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  std::vector<std::u32string> keys;
  size_t longest = 0;
  std::unordered_set<std::u32string> key_set;
  for (const std::string& n : needles) {
    std::u32string k = Decode(n);
    longest = std::max(longest, k.size());
    key_set.insert(std::move(k));
  }
  // Marked ranges: at each position the longest needle that matches.
  std::vector<bool> marked(chars.size(), false);
  std::vector<size_t> hits;
  for (size_t i = 0; i < chars.size() && !key_set.empty();) {
    size_t matched = 0;
    for (size_t n = std::min(longest, chars.size() - i); n >= 1 && matched == 0; --n) {
      std::u32string piece = chars.substr(i, n);
      for (char32_t& c : piece) c = Fold(c);
      if (key_set.count(piece)) matched = n;
    }
    if (matched > 0) {
      hits.push_back(i);
      std::fill(marked.begin() + static_cast<long>(i), marked.begin() + static_cast<long>(i + matched), true);
      i += matched;
    } else {
      ++i;
    }
  }
  // The window of max_chars holding the most marked characters.
  size_t start = 0;
  if (chars.size() > max_chars && !hits.empty()) {
    size_t best = 0, best_count = 0;
    for (size_t h : hits) {
      const size_t s = h > max_chars / 4 ? h - max_chars / 4 : 0;
      const size_t e = std::min(chars.size(), s + max_chars);
      const size_t count = static_cast<size_t>(std::count(marked.begin() + static_cast<long>(s), marked.begin() + static_cast<long>(e), true));
      if (count > best_count) {
        best_count = count;
        best = s;
      }
    }
    start = std::min(best, chars.size() - max_chars);
  }
  const size_t end = std::min(chars.size(), start + max_chars);
  std::vector<SnippetPart> parts;
  auto add = [&](std::u32string_view piece, bool mark) {
    if (piece.empty()) return;
    if (!parts.empty() && parts.back().mark == mark) {
      parts.back().text += Encode(piece);
    } else {
      parts.push_back({Encode(piece), mark});
    }
  };
  if (start > 0) add(U"…", false);
  size_t run = start;
  for (size_t i = start; i <= end; ++i) {
    if (i == end || marked[i] != marked[run]) {
      add(std::u32string_view(chars).substr(run, i - run), marked[run]);
      run = i;
    }
  }
  if (end < chars.size()) add(U"…", false);
  return parts;
}

}  // namespace imi::server
