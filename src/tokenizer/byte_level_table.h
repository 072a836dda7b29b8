#ifndef IMI_TOKENIZER_BYTE_LEVEL_TABLE_H_
#define IMI_TOKENIZER_BYTE_LEVEL_TABLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace imi::tokenizer {

// The GPT-2 byte <-> Unicode mapping used by the ByteLevel pre-tokenizer and
// decoder: printable Latin-1 bytes map to themselves, the other 68 bytes to
// U+0100.. in byte order. Pure functions over a constant table; thread-safe.

// Code point that stands for `byte`.
char32_t ByteToCodePoint(uint8_t byte);

// UTF-8 encoding of ByteToCodePoint(byte) (1 or 2 bytes); the view points
// into a static table.
std::string_view ByteToUtf8(uint8_t byte);

// Byte that `cp` stands for, or nullopt when `cp` is not in the table.
std::optional<uint8_t> CodePointToByte(char32_t cp);

// Appends the mapped form of every byte of `bytes` to *out.
void AppendByteLevel(std::string_view bytes, std::string* out);

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_BYTE_LEVEL_TABLE_H_
