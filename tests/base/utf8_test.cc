#include "base/utf8.h"

#include <gtest/gtest.h>

namespace imi::utf8 {
namespace {

TEST(Utf8Test, DecodesEveryLength) {
  std::string s = "a\xC3\xA9\xE3\x81\x82\xF0\x9F\x98\x80";  // a é あ 😀
  size_t pos = 0;
  EXPECT_EQ(Decode(s, &pos), U'a');
  EXPECT_EQ(Decode(s, &pos), U'é');
  EXPECT_EQ(Decode(s, &pos), U'あ');
  EXPECT_EQ(Decode(s, &pos), U'😀');
  EXPECT_EQ(pos, s.size());
}

TEST(Utf8Test, RejectsOverlongSurrogateAndTruncated) {
  EXPECT_EQ(FindInvalid("ok\xC0\xAF"), 2u);
  EXPECT_EQ(FindInvalid("\xED\xA0\x80"), 0u);
  EXPECT_EQ(FindInvalid("abc\xE3\x81"), 3u);
  EXPECT_EQ(FindInvalid("\xF4\x90\x80\x80"), 0u);
  EXPECT_EQ(FindInvalid("すべて正しい"), std::string_view::npos);
}

TEST(Utf8Test, ReplaceInvalidSubstitutesReplacementCharacter) {
  EXPECT_EQ(ReplaceInvalid("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
}

TEST(Utf8Test, AppendRoundTrips) {
  for (char32_t cp : {U'\0', U'~', U'é', U'ー', U'𩸽'}) {
    std::string s;
    Append(&s, cp);
    size_t pos = 0;
    EXPECT_EQ(Decode(s, &pos), cp);
  }
}

}  // namespace
}  // namespace imi::utf8
