#include "tokenizer/byte_level_table.h"

#include <array>

#include "base/utf8.h"

namespace imi::tokenizer {
namespace {

struct Tables {
  std::array<char32_t, 256> to_cp{};
  std::array<std::string, 256> to_utf8;
  // Every mapped code point is below U+0144.
  std::array<int16_t, 0x144> to_byte{};
};

bool MapsToItself(int b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

Tables BuildTables() {
  Tables t;
  t.to_byte.fill(-1);
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    char32_t cp = MapsToItself(b) ? static_cast<char32_t>(b) : next++;
    t.to_cp[b] = cp;
    utf8::Append(&t.to_utf8[b], cp);
    t.to_byte[cp] = static_cast<int16_t>(b);
  }
  return t;
}

const Tables& GetTables() {
  static const Tables tables = BuildTables();
  return tables;
}

}  // namespace

char32_t ByteToCodePoint(uint8_t byte) { return GetTables().to_cp[byte]; }

std::string_view ByteToUtf8(uint8_t byte) { return GetTables().to_utf8[byte]; }

std::optional<uint8_t> CodePointToByte(char32_t cp) {
  const Tables& t = GetTables();
  if (cp >= t.to_byte.size() || t.to_byte[cp] < 0) return std::nullopt;
  return static_cast<uint8_t>(t.to_byte[cp]);
}

void AppendByteLevel(std::string_view bytes, std::string* out) {
  const Tables& t = GetTables();
  for (unsigned char c : bytes) out->append(t.to_utf8[c]);
}

}  // namespace imi::tokenizer
