// The named analysers on small texts whose terms are known by hand.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analysis/analyzer.h"

namespace imi::analysis {
namespace {

std::vector<std::string> Terms(const std::string& name, const std::string& text) {
  auto analyzer = GetAnalyzer(name);
  EXPECT_TRUE(analyzer.ok()) << analyzer.status().ToString();
  if (!analyzer.ok()) return {};
  auto tokens = (*analyzer)->Analyze(text);
  EXPECT_TRUE(tokens.ok()) << tokens.status().ToString();
  std::vector<std::string> terms;
  if (tokens.ok()) {
    for (const Token& t : *tokens) terms.push_back(t.term);
  }
  return terms;
}

// The input bytes behind each token.
std::vector<std::string> Sources(const std::string& name, const std::string& text) {
  auto analyzer = GetAnalyzer(name);
  EXPECT_TRUE(analyzer.ok());
  std::vector<std::string> out;
  if (!analyzer.ok()) return out;
  auto tokens = (*analyzer)->Analyze(text);
  EXPECT_TRUE(tokens.ok());
  for (const Token& t : *tokens) out.push_back(text.substr(t.begin, t.end - t.begin));
  return out;
}

TEST(AnalyzerNameTest, AcceptsTheDocumentedSpellingsAndCanonicalisesTheDefaultDictionary) {
  EXPECT_EQ(*CanonicalAnalyzerName("ja-mecab"), "ja-mecab");
  EXPECT_EQ(*CanonicalAnalyzerName("ja-mecab:ipadic"), "ja-mecab");
  EXPECT_EQ(*CanonicalAnalyzerName("ja-mecab:unidic"), "ja-mecab:unidic");
  EXPECT_EQ(*CanonicalAnalyzerName("ja-bigram"), "ja-bigram");
  EXPECT_EQ(*CanonicalAnalyzerName("simple"), "simple");
  for (const char* bad : {"", "ja", "ja-mecab:", "ja-mecab:juman", "ja-mecabx", "bigram", "Simple"}) {
    auto name = CanonicalAnalyzerName(bad);
    ASSERT_FALSE(name.ok()) << bad;
    EXPECT_EQ(name.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(name.status().message().find("ja-bigram"), std::string::npos) << "the message lists the names";
  }
}

TEST(JaMecabAnalyzerTest, IndexesBaseFormsOfContentWordsFoldedWithoutPunctuation) {
  // Particles (も, の), dependent nouns (うち) and punctuation go.
  EXPECT_EQ(Terms("ja-mecab", "すもももももももものうち。"), (std::vector<std::string>{"すもも", "もも", "もも"}));
  // neologdn first: full-width ＡＢＣ becomes ABC, then case folding.
  EXPECT_EQ(Terms("ja-mecab", "ＡＢＣ社の「Wi-Fi」"), (std::vector<std::string>{"abc", "社", "wi", "-", "fi"}));
  // Conjugated words give their dictionary form; the auxiliaries go.
  EXPECT_EQ(Terms("ja-mecab", "東京に住んでいました"), (std::vector<std::string>{"東京", "住む"}));
}

TEST(JaMecabAnalyzerTest, OffsetsPointAtTheWordsInTheOriginalText) {
  // Half-width katakana is composed by the normaliser; the offsets still
  // cover the original bytes.
  const std::string text = "ｶﾞｽ料金　値上げ";
  EXPECT_EQ(Sources("ja-mecab", text), (std::vector<std::string>{"ｶﾞｽ", "料金", "値上げ"}));
  EXPECT_EQ(Terms("ja-mecab", text), (std::vector<std::string>{"ガス", "料金", "値上げ"}));
}

TEST(BigramAnalyzerTest, PairsCodePointsWithinWordRunsOnly) {
  EXPECT_EQ(Terms("ja-bigram", "東京都庁、大阪。X"),
            (std::vector<std::string>{"東京", "京都", "都庁", "大阪", "x"}));
  EXPECT_EQ(Sources("ja-bigram", "東京都庁"), (std::vector<std::string>{"東京", "京都", "都庁"}));
  EXPECT_TRUE(Terms("ja-bigram", "、。！ ").empty());
}

TEST(SimpleAnalyzerTest, SplitsOnUnicodeWordBoundariesAndFolds) {
  EXPECT_EQ(Terms("simple", "Hello, World! 42 café"), (std::vector<std::string>{"hello", "world", "42", "café"}));
}

TEST(AnalyzerTest, InvalidUtf8IsTreatedAsReplacementCharacters) {
  const std::string text = std::string("東京") + "\xff" + "大阪";
  for (const char* name : {"ja-mecab", "ja-bigram", "simple"}) {
    auto analyzer = GetAnalyzer(name);
    ASSERT_TRUE(analyzer.ok());
    auto tokens = (*analyzer)->Analyze(text);
    ASSERT_TRUE(tokens.ok()) << name;
    for (const Token& t : *tokens) {
      EXPECT_LE(t.end, text.size());
      EXPECT_LT(t.begin, t.end);
    }
  }
}

TEST(AnalyzerTest, EmptyAndSpaceOnlyTextsHaveNoTerms) {
  for (const char* name : {"ja-mecab", "ja-bigram", "simple"}) {
    EXPECT_TRUE(Terms(name, "").empty()) << name;
    EXPECT_TRUE(Terms(name, "  \u3000\t").empty()) << name;
  }
}

}  // namespace
}  // namespace imi::analysis
