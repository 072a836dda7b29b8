#include "lexical/highlight.h"

#include <gtest/gtest.h>

namespace imi::lexical {
namespace {

std::vector<std::pair<size_t, size_t>> Spans(const char* analyzer, const std::string& text,
                                             const std::set<std::string>& terms) {
  auto a = analysis::GetAnalyzer(analyzer);
  EXPECT_TRUE(a.ok());
  auto h = FindHighlights(**a, text, terms);
  EXPECT_TRUE(h.ok());
  std::vector<std::pair<size_t, size_t>> out;
  for (const Highlight& x : *h) out.emplace_back(x.start, x.end);
  return out;
}

TEST(HighlightTest, MarksMatchedWordsInCodePointsOfTheOriginalText) {
  // ｶﾞｽ is 3 code points in the original (ｶ ﾞ ｽ) but one word ガス after normalisation.
  EXPECT_EQ(Spans("ja-mecab", "ｶﾞｽ料金のお知らせ", {"ガス", "料金"}),
            (std::vector<std::pair<size_t, size_t>>{{0, 5}}));
  EXPECT_EQ(Spans("ja-mecab", "水道と水道料金", {"水道"}), (std::vector<std::pair<size_t, size_t>>{{0, 2}, {3, 5}}));
}

TEST(HighlightTest, OverlappingBigramsBecomeOneStretch) {
  EXPECT_EQ(Spans("ja-bigram", "東京都庁の前", {"東京", "京都", "都庁"}),
            (std::vector<std::pair<size_t, size_t>>{{0, 4}}));
  EXPECT_TRUE(Spans("ja-bigram", "東京都庁", {}).empty());
}

}  // namespace
}  // namespace imi::lexical
