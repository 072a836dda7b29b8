#include "tokenizer/truncated_prefix.h"

#include <algorithm>

namespace imi::tokenizer {

namespace {

// The longest prefix of `text` of at most `bytes` bytes that ends on a code
// point boundary.
std::string_view Prefix(std::string_view text, size_t bytes) {
  if (bytes >= text.size()) return text;
  while (bytes > 0 && (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) --bytes;
  return text.substr(0, bytes);
}

// Whether the first `n` tokens of both encodings are identical.
bool SameFirst(const Encoding& a, const Encoding& b, size_t n) {
  if (a.size() < n || b.size() < n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (a.ids[i] != b.ids[i] || a.offsets[i] != b.offsets[i] || a.type_ids[i] != b.type_ids[i] ||
        a.tokens[i] != b.tokens[i] || a.special_tokens_mask[i] != b.special_tokens_mask[i])
      return false;
  }
  return true;
}

Result<TruncatedEncoding> EncodeWhole(const Tokenizer& plain, const Tokenizer& truncating, std::string_view text,
                                      size_t max_length) {
  TruncatedEncoding out;
  IMI_ASSIGN_OR_RETURN(out.encoding, plain.Encode(text));
  out.whole_length = out.encoding.size();
  if (out.encoding.size() > max_length) {
    out.truncated = true;
    IMI_ASSIGN_OR_RETURN(out.encoding, truncating.Encode(text));
  }
  out.encoding.overflowing.clear();
  return out;
}

}  // namespace

Result<TruncatedEncoding> EncodeTruncatedPrefix(const Tokenizer& plain, const Tokenizer& truncating,
                                                std::string_view text, const PrefixSearch& search) {
  const std::optional<TruncationParams>& params = truncating.truncation();
  if (!params) {
    TruncatedEncoding out;
    IMI_ASSIGN_OR_RETURN(out.encoding, plain.Encode(text));
    out.whole_length = out.encoding.size();
    return out;
  }
  const size_t max_length = params->max_length;
  const size_t specials = truncating.NumSpecialTokensToAdd(false);
  if (params->direction != TruncationDirection::kRight || params->stride != 0 || max_length <= specials ||
      text.size() <= search.whole_below_bytes)
    return EncodeWhole(plain, truncating, text, max_length);
  // Truncation keeps the first `kept` tokens of the text's encoding; the one
  // after them shows that something was cut.
  const size_t kept = max_length - specials;
  const size_t window = std::max<size_t>(search.window_code_points, 1);
  // A first guess that usually holds the kept tokens and the window.
  const size_t first = search.first_prefix_bytes > 0 ? search.first_prefix_bytes : 16 * (max_length + window);
  for (size_t bytes = first;; bytes *= 2) {
    const std::string_view longest = Prefix(text, bytes);
    if (longest.size() == text.size()) return EncodeWhole(plain, truncating, text, max_length);
    IMI_ASSIGN_OR_RETURN(Encoding reference, plain.Encode(longest, /*add_special_tokens=*/false));
    if (reference.size() < kept + 1) continue;
    bool agree = true;
    size_t end = longest.size();
    for (size_t i = 1; agree && i < window && end > 0; ++i) {
      // The previous code point boundary.
      do --end;
      while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80);
      if (end == 0) break;
      IMI_ASSIGN_OR_RETURN(Encoding shorter, plain.Encode(text.substr(0, end), /*add_special_tokens=*/false));
      agree = SameFirst(reference, shorter, kept + 1);
    }
    if (!agree || end == 0) continue;
    TruncatedEncoding out;
    IMI_ASSIGN_OR_RETURN(out.encoding, truncating.Encode(longest));
    out.encoding.overflowing.clear();
    out.truncated = true;
    return out;
  }
}

}  // namespace imi::tokenizer
