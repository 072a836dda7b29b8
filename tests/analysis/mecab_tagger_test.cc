#include "analysis/mecab_tagger.h"

#include <gtest/gtest.h>

#include <string>

#include "analysis/dictionary.h"

namespace imi::analysis {
namespace {

std::shared_ptr<const MecabTagger> Ipadic() {
  auto ref = ResolveDictionary("ipadic");
  EXPECT_TRUE(ref.ok()) << ref.status().ToString();
  auto tagger = SharedTagger(*ref);
  EXPECT_TRUE(tagger.ok()) << tagger.status().ToString();
  return tagger.ok() ? *tagger : nullptr;
}

std::string Wakati(const MecabTagger& tagger, const std::string& text) {
  auto words = tagger.Parse(text);
  EXPECT_TRUE(words.ok());
  std::string out;
  if (words.ok()) {
    for (const Morpheme& m : *words) out += text.substr(m.begin, m.end - m.begin) + " ";
  }
  return out;
}

TEST(MecabTaggerTest, SegmentsTheClassicSentence) {
  auto tagger = Ipadic();
  ASSERT_TRUE(tagger);
  EXPECT_EQ(Wakati(*tagger, "すもももももももものうち"), "すもも も もも も もも の うち ");
  auto words = tagger->Parse("東京");
  ASSERT_TRUE(words.ok());
  ASSERT_EQ(words->size(), 1u);
  EXPECT_EQ(PartOfSpeech((*words)[0].feature, ResolveDictionary("ipadic")->layout), "名詞,固有名詞,地域,一般");
  EXPECT_EQ(FeatureField((*words)[0].feature, 7), "トウキョウ");
}

TEST(MecabTaggerTest, SkipsSpacesAndTreatsNulAsSpace) {
  auto tagger = Ipadic();
  ASSERT_TRUE(tagger);
  EXPECT_EQ(Wakati(*tagger, "  東京 \t 大阪  "), "東京 大阪 ");
  EXPECT_EQ(Wakati(*tagger, std::string("東京\0大阪", 13)), "東京 大阪 ");
}

TEST(MecabTaggerTest, LongTextsAreParsedInPiecesWithCorrectOffsets) {
  auto tagger = Ipadic();
  ASSERT_TRUE(tagger);
  std::string text;
  while (text.size() < 5 * MecabTagger::kMaxPieceBytes) text += "東京都に住んでいます。";
  auto words = tagger->Parse(text);
  ASSERT_TRUE(words.ok());
  uint32_t last = 0;
  for (const Morpheme& m : *words) {
    ASSERT_GE(m.begin, last);
    ASSERT_LE(m.end, text.size());
    last = m.end;
  }
  EXPECT_EQ(Wakati(*tagger, text).size(), text.size() + words->size());
}

TEST(MecabTaggerTest, PiecesEndAfterSentencesAndNeverSplitACharacter) {
  const std::string text = "あいう。えお" + std::string(30, 'x') + "かき";
  const auto cuts = SplitIntoPieces(text, 12);
  ASSERT_FALSE(cuts.empty());
  EXPECT_EQ(cuts.front(), 12u);  // after 。
  EXPECT_EQ(cuts.back(), text.size());
  size_t prev = 0;
  for (size_t cut : cuts) {
    EXPECT_LE(cut - prev, 12u);
    EXPECT_GT(cut, prev);
    if (cut < text.size()) {
      EXPECT_NE(static_cast<unsigned char>(text[cut]) & 0xC0, 0x80u);
    }
    prev = cut;
  }
}

TEST(DictionaryTest, UnknownNamesAndMissingDirectoriesAreClearErrors) {
  auto unknown = ResolveDictionary("juman");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  auto missing = ResolveDictionary("/nonexistent/dic");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto open = MecabTagger::Open("/nonexistent/dic");
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.status().code(), StatusCode::kNotFound);
}

TEST(DictionaryTest, FeatureFieldsHonourQuotes) {
  EXPECT_EQ(FeatureField("a,\"b,c\",d", 1), "b,c");
  EXPECT_EQ(FeatureField("a,\"b\"\"c\",d", 1), "b\"c");
  EXPECT_EQ(FeatureField("a,*,d", 1), "");
  EXPECT_EQ(FeatureField("a", 3), "");
}

}  // namespace
}  // namespace imi::analysis
