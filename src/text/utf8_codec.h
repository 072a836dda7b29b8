#ifndef IMI_TEXT_UTF8_CODEC_H_
#define IMI_TEXT_UTF8_CODEC_H_

// Inline UTF-8 decoding and encoding for the normaliser's hot loop. Internal
// to src/text/. Validity rules are those of base/utf8.h (no overlongs, no
// surrogates, nothing above U+10FFFF), so text that utf8::FindInvalid accepts
// decodes to proper code points here.

#include <cstddef>

namespace imi::text::internal {

// An invalid byte b decodes to kRawByteBase + b: above U+10FFFF, so no rule
// ever applies to it, and EncodeUtf8 writes the byte back unchanged.
inline constexpr char32_t kRawByteBase = 0x110000;

// Decodes one code point at *p (requires *p < end) and advances *p past it;
// an invalid or truncated sequence consumes one byte and yields a raw byte.
inline char32_t DecodeLenient(const unsigned char** p, const unsigned char* end) {
  const unsigned char* s = *p;
  const unsigned char b = s[0];
  if (b < 0x80) {
    *p = s + 1;
    return b;
  }
  const size_t left = static_cast<size_t>(end - s);
  if (b >= 0xC2 && b <= 0xDF) {
    if (left >= 2 && (s[1] & 0xC0) == 0x80) {
      *p = s + 2;
      return (static_cast<char32_t>(b & 0x1F) << 6) | (s[1] & 0x3F);
    }
  } else if (b >= 0xE0 && b <= 0xEF) {
    if (left >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
      const char32_t c = (static_cast<char32_t>(b & 0x0F) << 12) |
                         (static_cast<char32_t>(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
      if (c >= 0x800 && (c < 0xD800 || c > 0xDFFF)) {
        *p = s + 3;
        return c;
      }
    }
  } else if (b >= 0xF0 && b <= 0xF4) {
    if (left >= 4 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80) {
      const char32_t c = (static_cast<char32_t>(b & 0x07) << 18) |
                         (static_cast<char32_t>(s[1] & 0x3F) << 12) |
                         (static_cast<char32_t>(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
      if (c >= 0x10000 && c <= 0x10FFFF) {
        *p = s + 4;
        return c;
      }
    }
  }
  *p = s + 1;
  return kRawByteBase + b;
}

// Writes `c` (a code point or a raw byte from DecodeLenient) at `out`, which
// must have room for 4 bytes; returns the number of bytes written.
inline size_t EncodeUtf8(char32_t c, char* out) {
  if (c < 0x80) {
    out[0] = static_cast<char>(c);
    return 1;
  }
  if (c < 0x800) {
    out[0] = static_cast<char>(0xC0 | (c >> 6));
    out[1] = static_cast<char>(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (c >> 12));
    out[1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (c & 0x3F));
    return 3;
  }
  if (c < kRawByteBase) {
    out[0] = static_cast<char>(0xF0 | (c >> 18));
    out[1] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out[2] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out[3] = static_cast<char>(0x80 | (c & 0x3F));
    return 4;
  }
  out[0] = static_cast<char>(c - kRawByteBase);
  return 1;
}

}  // namespace imi::text::internal

#endif  // IMI_TEXT_UTF8_CODEC_H_
