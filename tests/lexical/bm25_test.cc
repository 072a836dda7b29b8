#include "lexical/bm25.h"

#include <gtest/gtest.h>

#include <cmath>

namespace imi::lexical {
namespace {

TEST(Bm25Test, IdfAndTermScoreFollowLucenesFormula) {
  // Lucene: idf = ln(1 + (N - n + 0.5) / (n + 0.5)); tf part = f / (f + k1 (1 - b + b dl / avgdl)).
  EXPECT_DOUBLE_EQ(Bm25Idf(1, 10), std::log(1 + 9.5 / 1.5));
  EXPECT_DOUBLE_EQ(Bm25Idf(10, 10), std::log(1 + 0.5 / 10.5));
  const Bm25Params p;
  const double idf = Bm25Idf(3, 100);
  EXPECT_DOUBLE_EQ(Bm25TermScore(1, idf, 2, 30, 20.0, p), idf * 2 / (2 + 1.2 * (1 - 0.75 + 0.75 * 30 / 20.0)));
  // A query term given twice counts twice (Lucene's duplicated clause).
  EXPECT_DOUBLE_EQ(Bm25TermScore(2, idf, 2, 30, 20.0, p), 2 * Bm25TermScore(1, idf, 2, 30, 20.0, p));
  // b = 0: no length normalisation; k1 = 0: every occurrence scores idf.
  EXPECT_DOUBLE_EQ(Bm25TermScore(1, idf, 1, 5, 20.0, {1.2, 0}), Bm25TermScore(1, idf, 1, 500, 20.0, {1.2, 0}));
  EXPECT_DOUBLE_EQ(Bm25TermScore(1, idf, 7, 500, 20.0, {0, 0.75}), idf);
}

TEST(Bm25Test, ParametersOutsideLucenesRangesAreRejected) {
  EXPECT_TRUE(ValidateBm25({1.2, 0.75}).ok());
  EXPECT_TRUE(ValidateBm25({0, 0}).ok());
  EXPECT_TRUE(ValidateBm25({3, 1}).ok());
  for (Bm25Params bad : {Bm25Params{-1, 0.75}, Bm25Params{NAN, 0.75}, Bm25Params{INFINITY, 0.5},
                         Bm25Params{1.2, -0.1}, Bm25Params{1.2, 1.5}, Bm25Params{1.2, NAN}}) {
    EXPECT_EQ(ValidateBm25(bad).code(), StatusCode::kInvalidArgument);
  }
}

TEST(Bm25Test, TermCountsRoundTripAndCorruptBlobsAreDataLoss) {
  std::vector<analysis::Token> tokens;
  for (const char* t : {"b", "a", "b", "ccc", "b"}) tokens.push_back({t, 0, 1});
  const TermCounts counts = CountTerms(tokens);
  EXPECT_EQ(counts.length, 5u);
  ASSERT_EQ(counts.terms.size(), 3u);
  EXPECT_EQ(counts.terms[0], (std::pair<std::string, uint32_t>{"a", 1}));
  EXPECT_EQ(counts.terms[1], (std::pair<std::string, uint32_t>{"b", 3}));
  TermCounts back;
  ASSERT_TRUE(DecodeTermCounts(EncodeTermCounts(counts), &back).ok());
  EXPECT_EQ(back.terms, counts.terms);
  EXPECT_EQ(back.length, 5u);
  const std::string blob = EncodeTermCounts(counts);
  for (size_t cut = 0; cut < blob.size(); ++cut) {
    EXPECT_EQ(DecodeTermCounts(blob.substr(0, cut), &back).code(), StatusCode::kDataLoss) << cut;
  }
  EXPECT_EQ(DecodeTermCounts(blob + "x", &back).code(), StatusCode::kDataLoss);
  const std::vector<QueryTerm> query = CountQueryTerms(tokens);
  ASSERT_EQ(query.size(), 3u);
  EXPECT_EQ(query[1].term, "b");
  EXPECT_EQ(query[1].count, 3);
}

}  // namespace
}  // namespace imi::lexical
