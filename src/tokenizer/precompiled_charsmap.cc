#include "tokenizer/precompiled_charsmap.h"

#include "base/utf8.h"
#include "tokenizer/unicode_props.h"

namespace imi::tokenizer {
namespace {

bool HasLeaf(uint32_t unit) { return ((unit >> 8) & 1) == 1; }
uint32_t Value(uint32_t unit) { return unit & ((1u << 31) - 1); }
uint32_t Label(uint32_t unit) { return unit & ((1u << 31) | 0xFF); }
uint32_t Offset(uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }

// Appends the (char, change) list that replaces `old_part` by `new_part`:
// plain replacements, extra characters marked as insertions, or the last
// character absorbing the removed ones.
void AppendReplacement(std::string_view old_part, std::string_view new_part,
                       std::vector<CharChange>* out) {
  const long old_count = static_cast<long>(utf8::CountCodePoints(old_part));
  const size_t first = out->size();
  size_t pos = 0;
  while (pos < new_part.size()) out->push_back({utf8::Decode(new_part, &pos), 0});
  const long new_count = static_cast<long>(out->size() - first);
  const long diff = new_count - old_count;
  if (diff > 0) {
    for (long i = 0; i < diff; ++i) (*out)[out->size() - 1 - static_cast<size_t>(i)].change = 1;
  } else if (diff < 0 && !out->empty()) {
    // As in the reference this may touch the previous grapheme's last
    // character when the replacement is empty.
    out->back().change += static_cast<int>(diff);
  }
}

}  // namespace

std::optional<std::string> DecodeBase64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t buffer = 0;
  int bits = 0;
  size_t i = 0;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '=') break;
    int v = value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  for (; i < text.size(); ++i) {
    if (text[i] != '=') return std::nullopt;
  }
  return out;
}

Result<PrecompiledCharsmap> PrecompiledCharsmap::FromBase64(std::string_view base64) {
  std::optional<std::string> blob = DecodeBase64(base64);
  if (!blob) return Status::InvalidArgument("precompiled_charsmap is not valid base64");
  if (blob->size() < 4) return Status::InvalidArgument("precompiled_charsmap is truncated");
  const auto* p = reinterpret_cast<const unsigned char*>(blob->data());
  uint32_t trie_size = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
  size_t units = trie_size / 4;
  if (4 + units * 4 > blob->size()) {
    return Status::InvalidArgument("precompiled_charsmap trie is longer than the blob");
  }
  PrecompiledCharsmap out;
  out.trie_.resize(units);
  for (size_t i = 0; i < units; ++i) {
    const unsigned char* q = p + 4 + i * 4;
    out.trie_[i] = q[0] | (q[1] << 8) | (q[2] << 16) | (static_cast<uint32_t>(q[3]) << 24);
  }
  out.normalized_ = blob->substr(4 + units * 4);
  if (utf8::FindInvalid(out.normalized_) != std::string::npos) {
    return Status::InvalidArgument("precompiled_charsmap replacement table is not valid UTF-8");
  }
  if (out.trie_.empty()) return Status::InvalidArgument("precompiled_charsmap has an empty trie");
  return out;
}

std::optional<std::string_view> PrecompiledCharsmap::Transform(std::string_view chunk) const {
  size_t node = 0;
  uint32_t unit = trie_[node];
  node ^= Offset(unit);
  for (char ch : chunk) {
    auto c = static_cast<unsigned char>(ch);
    if (c == 0) break;
    node ^= c;
    if (node >= trie_.size()) return std::nullopt;
    unit = trie_[node];
    if (Label(unit) != c) return std::nullopt;
    node ^= Offset(unit);
    if (node >= trie_.size()) return std::nullopt;
    if (HasLeaf(unit)) {
      // The reference keeps the first (shortest) prefix that has a value.
      size_t index = Value(trie_[node]);
      if (index > normalized_.size()) return std::nullopt;
      size_t end = normalized_.find('\0', index);
      if (end == std::string::npos) end = normalized_.size();
      return std::string_view(normalized_).substr(index, end - index);
    }
  }
  return std::nullopt;
}

void PrecompiledCharsmap::Normalize(NormalizedString* s) const {
  const std::string& text = s->get();
  std::vector<CharChange> changes;
  changes.reserve(text.size());
  bool modified = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t len = unicode::GraphemeLength(text, pos);
    std::string_view grapheme(text.data() + pos, len);
    pos += len;
    if (grapheme.size() < 6) {
      if (std::optional<std::string_view> norm = Transform(grapheme)) {
        modified = true;
        AppendReplacement(grapheme, *norm, &changes);
        continue;
      }
    }
    size_t cpos = 0;
    while (cpos < grapheme.size()) {
      size_t start = cpos;
      char32_t c = utf8::Decode(grapheme, &cpos);
      std::string_view part = grapheme.substr(start, cpos - start);
      if (std::optional<std::string_view> norm = Transform(part)) {
        modified = true;
        AppendReplacement(part, *norm, &changes);
      } else {
        changes.push_back({c, 0});
      }
    }
  }
  if (modified) s->Transform(changes, 0);
}

}  // namespace imi::tokenizer
