#include "tokenizer/decoder_text.h"

#include <algorithm>
#include <vector>

#include "tokenizer/onig_regex.h"

namespace imi::tokenizer {
namespace {

size_t CharLenAt(std::string_view s, size_t pos) {
  const auto lead = static_cast<unsigned char>(s[pos]);
  size_t len = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 1;
  return std::min(len, s.size() - pos);
}

// Rebuilds `text` from match spans [start, end) found left to right.
template <typename FindNext>
std::string Rebuild(std::string_view text, std::string_view content, FindNext&& find_next) {
  std::string out;
  size_t copied = 0;
  size_t search_from = 0;
  std::optional<size_t> last_match_end;
  while (search_from <= text.size()) {
    auto match = find_next(search_from);
    if (!match) break;
    auto [start, end] = *match;
    // An empty match right after the previous match is skipped (the onig
    // crate's find_iter rule that avoids infinite loops).
    if (start == end && last_match_end && *last_match_end == end) {
      if (search_from >= text.size()) break;
      search_from += CharLenAt(text, search_from);
      continue;
    }
    out.append(text.substr(copied, start - copied));
    out.append(content);
    copied = end;
    search_from = end;
    last_match_end = end;
  }
  out.append(text.substr(copied));
  return out;
}

class Literal final : public TextPattern {
 public:
  explicit Literal(std::string literal) : literal_(std::move(literal)) {}
  std::string ReplaceAll(std::string_view text, std::string_view content) const override {
    return Rebuild(text, content, [&](size_t from) -> std::optional<std::pair<size_t, size_t>> {
      size_t hit = text.find(literal_, from);
      if (hit == std::string_view::npos) return std::nullopt;
      return std::make_pair(hit, hit + literal_.size());
    });
  }

 private:
  std::string literal_;
};

// Replace with an Oniguruma pattern, through the pipeline's regex adapter.
class Regex final : public TextPattern {
 public:
  explicit Regex(std::unique_ptr<OnigRegex> regex) : regex_(std::move(regex)) {}

  std::string ReplaceAll(std::string_view text, std::string_view content) const override {
    std::string out;
    for (const PatternPiece& piece : regex_->FindMatches(text)) {
      if (piece.is_match) {
        out.append(content);
      } else {
        out.append(text.substr(piece.range.first, piece.range.second - piece.range.first));
      }
    }
    return out;
  }

 private:
  std::unique_ptr<OnigRegex> regex_;
};

}  // namespace

std::unique_ptr<TextPattern> LiteralPattern(std::string literal) {
  return std::make_unique<Literal>(std::move(literal));
}

Result<std::unique_ptr<TextPattern>> RegexPattern(const std::string& pattern) {
  auto regex = OnigRegex::Compile(pattern);
  if (!regex.ok()) return regex.status().WithContext("Replace decoder");
  return std::unique_ptr<TextPattern>(std::make_unique<Regex>(std::move(regex).value()));
}

std::string Utf8Lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    // Expected length and the allowed range of the second byte.
    size_t need = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
    size_t valid = 1;  // bytes of a valid prefix consumed so far
    if (need != 0) {
      while (valid < need && i + valid < n) {
        const unsigned char cc = p[i + valid];
        const unsigned char l = valid == 1 ? lo : 0x80;
        const unsigned char h = valid == 1 ? hi : 0xBF;
        if (cc < l || cc > h) break;
        ++valid;
      }
    }
    if (need != 0 && valid == need) {
      out.append(bytes.substr(i, need));
    } else {
      out.append("\xEF\xBF\xBD");
    }
    i += valid;
  }
  return out;
}

std::optional<uint8_t> ParseByteToken(std::string_view token) {
  if (token.size() != 6 || token.substr(0, 3) != "<0x" || token.back() != '>') return std::nullopt;
  auto hex = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  };
  std::string_view digits = token.substr(3, 2);
  // u8::from_str_radix accepts one leading '+'.
  if (digits[0] == '+') {
    int v = hex(digits[1]);
    if (v < 0) return std::nullopt;
    return static_cast<uint8_t>(v);
  }
  int hi = hex(digits[0]);
  int lo = hex(digits[1]);
  if (hi < 0 || lo < 0) return std::nullopt;
  return static_cast<uint8_t>(hi * 16 + lo);
}

}  // namespace imi::tokenizer
