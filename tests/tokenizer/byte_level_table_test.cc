#include "tokenizer/byte_level_table.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace imi::tokenizer {
namespace {

TEST(ByteLevelTableTest, PrintableAsciiMapsToItself) {
  EXPECT_EQ(ByteToCodePoint('a'), U'a');
  EXPECT_EQ(ByteToCodePoint('!'), U'!');
  EXPECT_EQ(ByteToUtf8('~'), "~");
}

TEST(ByteLevelTableTest, SpaceAndNewlineMapToGpt2Glyphs) {
  EXPECT_EQ(ByteToCodePoint(' '), U'\u0120');   // "Ġ"
  EXPECT_EQ(ByteToCodePoint('\n'), U'\u010A');  // "Ċ"
  EXPECT_EQ(ByteToCodePoint(0), U'\u0100');
  EXPECT_EQ(ByteToCodePoint(0xAD), U'\u0143');
  EXPECT_EQ(ByteToUtf8(' '), "\xC4\xA0");
}

TEST(ByteLevelTableTest, MappingIsABijectionOverAllBytes) {
  std::set<char32_t> seen;
  for (int b = 0; b < 256; ++b) {
    char32_t cp = ByteToCodePoint(static_cast<uint8_t>(b));
    EXPECT_TRUE(seen.insert(cp).second);
    ASSERT_TRUE(CodePointToByte(cp).has_value());
    EXPECT_EQ(*CodePointToByte(cp), b);
  }
}

TEST(ByteLevelTableTest, CodePointsOutsideTheTableHaveNoByte) {
  EXPECT_FALSE(CodePointToByte(U' ').has_value());
  EXPECT_FALSE(CodePointToByte(U'\u3042').has_value());
  EXPECT_FALSE(CodePointToByte(U'\u0144').has_value());
}

TEST(ByteLevelTableTest, AppendByteLevelMapsEveryByte) {
  std::string out;
  AppendByteLevel("a b\xE3\x81\x82", &out);
  EXPECT_EQ(out, "a\xC4\xA0" "b\xC3\xA3\xC4\xA3\xC4\xA4");  // "aĠbãģĤ"
}

}  // namespace
}  // namespace imi::tokenizer
