// API-level behaviour of imi_text beyond the case table: buffers, options
// parsing, invalid input and the UTF-8 helpers.
#include "text/normalize.h"

#include <string>

#include <gtest/gtest.h>

#include "base/utf8.h"
#include "text/utf8_input.h"

namespace imi::text {
namespace {

TEST(NormalizeTest, ConvertsTheIssueExample) {
  EXPECT_EQ(Normalize("ﾊﾝｶｸｶﾅ　全角ＡＢＣ１２３"), "ハンカクカナ全角ABC123");
}

TEST(NormalizeTest, NormalizeIntoReplacesPreviousContentsOfTheBuffer) {
  std::string out = "a much longer leftover string than the result";
  NormalizeInto("ｱ", {}, &out);
  EXPECT_EQ(out, "ア");
  NormalizeInto("", {}, &out);
  EXPECT_EQ(out, "");
}

TEST(NormalizeTest, KeepsEmbeddedNulCharacters) {
  const std::string input("a\0 b", 4);
  EXPECT_EQ(Normalize(input), std::string("a\0 b", 4));
}

TEST(NormalizeTest, NormalizeZenkakuMayTripleTheByteLength) {
  EXPECT_EQ(Normalize("~~~", {.tilde = TildeMode::kNormalizeZenkaku}), "〜〜〜");
  EXPECT_EQ(Normalize("x~", {.tilde = TildeMode::kNormalizeZenkaku}), "x〜");
}

TEST(NormalizeTest, NonPositiveRepeatLeavesRepeatsAlone) {
  EXPECT_EQ(Normalize("ああああ", {.repeat = 0}), "ああああ");
  EXPECT_EQ(Normalize("ああああ", {.repeat = -3}), "ああああ");
  EXPECT_EQ(Normalize("ああああ", {.repeat = 1}), "あ");
}

TEST(NormalizeTest, NegativeMaxRepeatSubstrLengthFindsNoRepeats) {
  EXPECT_EQ(ShortenRepeat("ああああ", 1, -1), "ああああ");
  EXPECT_EQ(ShortenRepeat("ああああ", 1, 0), "あ");
}

TEST(NormalizeTest, ShortenRepeatKeepsALongRunUnderAHighThreshold) {
  const std::string run(300000, 'a');
  EXPECT_EQ(ShortenRepeat(run, 1000000, 8), run);
  EXPECT_EQ(ShortenRepeat(run + "b", 2, 8), "aab");
}

TEST(NormalizeTest, PassesInvalidBytesThroughAsOpaqueCharacters) {
  // The byte is neither ASCII nor Japanese: the space after it goes.
  EXPECT_EQ(Normalize("ｱ\xFF ｲ"), "ア\xFFイ");
  EXPECT_EQ(Normalize("\xE3\x81"), "\xE3\x81");
  EXPECT_EQ(Normalize("ｶ\xC0ﾞ"), "カ\xC0ﾞ");
  EXPECT_EQ(ShortenRepeat("\xFF\xFF\xFF\xFF", 1, 8), "\xFF");
}

TEST(NormalizeTest, OutputOfReplacedInputIsValidUtf8) {
  const std::string input = "ｶ\xFF\xE3\x81ﾞ\xED\xA0\x80 ～ ＡＢＣ";
  const std::string out = Normalize(ReplaceInvalidUtf8(input), {.repeat = 2});
  EXPECT_EQ(utf8::FindInvalid(out), std::string::npos);
}

TEST(NormalizeTest, ParsesEveryTildeModeByItsNeologdnName) {
  for (TildeMode mode : {TildeMode::kRemove, TildeMode::kNormalize, TildeMode::kNormalizeZenkaku,
                         TildeMode::kIgnore}) {
    auto parsed = ParseTildeMode(TildeModeName(mode));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, mode);
  }
}

TEST(NormalizeTest, RejectsAnUnknownTildeModeNamingTheAcceptedOnes) {
  auto parsed = ParseTildeMode("zenkaku");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("normalize_zenkaku"), std::string::npos);
}

TEST(Utf8InputTest, CheckUtf8ReportsTheOffsetOfTheFirstBadByte) {
  EXPECT_TRUE(CheckUtf8("日本語 ok").ok());
  const Status status = CheckUtf8("abc\xE3\x81" "def");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "invalid UTF-8 at byte offset 3");
}

TEST(Utf8InputTest, ReplaceInvalidUtf8SubstitutesReplacementCharacters) {
  EXPECT_EQ(ReplaceInvalidUtf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(ReplaceInvalidUtf8("ｶﾅ"), "ｶﾅ");
}

TEST(NormalizeWithSpansTest, ComposedHalfwidthKanaSpansTheKanaAndItsMark) {
  // ｶﾞ (U+FF76 U+FF9E, 6 bytes) becomes ガ (3 bytes) from input [0, 6).
  const NormalizedText n = NormalizeWithSpans("\uFF76\uFF9E\u3042");
  EXPECT_EQ(n.text, "\u30AC\u3042");
  ASSERT_EQ(n.spans.size(), 6u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(n.spans[i].begin, 0u);
    EXPECT_EQ(n.spans[i].end, 6u);
  }
  EXPECT_EQ(n.spans[3].begin, 6u);
  EXPECT_EQ(n.spans[5].end, 9u);
}

TEST(NormalizeWithSpansTest, DroppedSpacesAndFullwidthLettersPointBackToTheirSource) {
  // "ＡＢ　あ い": full-width letters become ASCII, spaces next to kana go.
  const std::string input = "\uFF21\uFF22\u3000\u3042 \u3044";
  const NormalizedText n = NormalizeWithSpans(input);
  EXPECT_EQ(n.text, Normalize(input));
  EXPECT_EQ(n.text, "AB\u3042\u3044");
  ASSERT_EQ(n.spans.size(), n.text.size());
  EXPECT_EQ(n.spans[0].begin, 0u);
  EXPECT_EQ(n.spans[1].begin, 3u);
  EXPECT_EQ(n.spans[2].begin, 9u);   // あ after the dropped U+3000
  EXPECT_EQ(n.spans[5].begin, 13u);  // い after the dropped space
  EXPECT_EQ(n.spans[7].end, 16u);
}

TEST(NormalizeWithSpansTest, ALeadingByteOrderMarkLeavesNoSpan) {
  const NormalizedText n = NormalizeWithSpans("\uFEFFab");
  EXPECT_EQ(n.text, "ab");
  ASSERT_EQ(n.spans.size(), 2u);
  EXPECT_EQ(n.spans[0].begin, 3u);
}

}  // namespace
}  // namespace imi::text
