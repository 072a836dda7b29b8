#ifndef IMI_BASE_UTF8_H_
#define IMI_BASE_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace imi::utf8 {

// Marker returned by Decode for an invalid sequence.
inline constexpr char32_t kInvalid = 0xFFFFFFFF;

// Decodes the code point starting at s[*pos] and advances *pos past it.
// On an invalid or truncated sequence (overlong, surrogate, > U+10FFFF)
// returns kInvalid and advances *pos by one byte. Requires *pos < s.size().
char32_t Decode(std::string_view s, size_t* pos);

// Appends the UTF-8 encoding of `cp` (a Unicode scalar value) to `out`.
void Append(std::string* out, char32_t cp);

// Byte offset of the first invalid sequence in `s`, or npos when valid.
size_t FindInvalid(std::string_view s);

// Copy of `s` with every invalid sequence replaced by U+FFFD.
std::string ReplaceInvalid(std::string_view s);

// Number of code points in valid UTF-8 `s`.
size_t CountCodePoints(std::string_view s);

}  // namespace imi::utf8

#endif  // IMI_BASE_UTF8_H_
