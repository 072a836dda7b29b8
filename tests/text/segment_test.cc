#include "text/segment.h"

#include <gtest/gtest.h>

#include <string>

namespace imi::text {
namespace {

std::string Join(const std::vector<std::string_view>& pieces) {
  std::string out;
  for (std::string_view p : pieces) out += p;
  return out;
}

TEST(SegmentTest, ShortTextsAreOnePiece) {
  EXPECT_EQ(SegmentForTokenizing("").size(), 1u);
  const auto pieces = SegmentForTokenizing("短い文です。");
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0], "短い文です。");
}

TEST(SegmentTest, PiecesCoverTheTextAndPreferLinesThenSentencesThenSpaces) {
  const std::string lines = "一行目です。\n二行目です。三つ目の文。\n四行目";
  auto pieces = SegmentForTokenizing(lines, 30);
  EXPECT_EQ(Join(pieces), lines);
  for (std::string_view p : pieces) EXPECT_LE(p.size(), 30u);
  ASSERT_GE(pieces.size(), 3u);
  EXPECT_EQ(pieces[0], "一行目です。\n");
  EXPECT_EQ(pieces[1], "二行目です。");  // no line break within reach: a sentence end
  const std::string sentences = "東京都に住んでいます。大阪にも行きます。京都は遠い";
  pieces = SegmentForTokenizing(sentences, 40);
  EXPECT_EQ(Join(pieces), sentences);
  EXPECT_EQ(pieces[0], "東京都に住んでいます。");
  const std::string words = "alpha beta gamma delta epsilon";
  pieces = SegmentForTokenizing(words, 12);
  EXPECT_EQ(Join(pieces), words);
  EXPECT_EQ(pieces[0], "alpha beta ");
}

TEST(SegmentTest, WithoutBoundariesCutsAtCharacterBoundaries) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "あ";
  const auto pieces = SegmentForTokenizing(text, 100);
  EXPECT_EQ(Join(pieces), text);
  for (std::string_view p : pieces) {
    EXPECT_LE(p.size(), 100u);
    EXPECT_EQ(p.size() % 3, 0u) << "a piece cut inside a character";
  }
  const std::string binary(250, '\x80');
  EXPECT_EQ(Join(SegmentForTokenizing(binary, 100)), binary);
}

}  // namespace
}  // namespace imi::text
