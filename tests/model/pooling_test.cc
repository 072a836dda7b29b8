#include "model/pooling.h"

#include <cmath>

#include <gtest/gtest.h>

namespace imi::model {
namespace {

// Two rows, sequence 3, hidden 2; row 1 has 2 real tokens and one pad row
// whose large values must never leak into the result.
const float kTokens[] = {1, 2, 3, 4, 5, 6,  //
                         -1, 8, 3, 0, 100, 100};
const std::vector<size_t> kLengths = {3, 2};

std::vector<std::vector<float>> Pool(PoolingMode mode) {
  return PoolTokens(kTokens, 2, 3, 2, kLengths, mode);
}

// Left padding: row 1 is [pad, t0, t1]; the pad position holds 100s.
const float kLeftPadded[] = {1, 2, 3, 4, 5, 6,  //
                             100, 100, -1, 8, 3, 0};

TEST(PoolingTest, LeftPaddedRowsPoolTheirRealTokens) {
  const std::vector<RowSpan> rows = {{0, 3, 0}, {1, 3, 0}};
  EXPECT_EQ(PoolRows(kLeftPadded, 2, 3, 2, rows, PoolingMode::kLastToken)[1], (std::vector<float>{3, 0}));
  EXPECT_EQ(PoolRows(kLeftPadded, 2, 3, 2, rows, PoolingMode::kMean)[1], (std::vector<float>{1, 4}));
  EXPECT_EQ(PoolRows(kLeftPadded, 2, 3, 2, rows, PoolingMode::kMax)[1], (std::vector<float>{3, 8}));
  // sentence-transformers' cls is position 0 of the padded row, pad or not.
  EXPECT_EQ(PoolRows(kLeftPadded, 2, 3, 2, rows, PoolingMode::kCls)[1], (std::vector<float>{100, 100}));
}

TEST(PoolingTest, ExcludedPromptTokensAreLeftOut) {
  // include_prompt false with a 2-token prompt: row 0 keeps only its last token.
  const std::vector<RowSpan> rows = {{0, 3, 2}, {1, 3, 2}};
  auto mean = PoolRows(kLeftPadded, 2, 3, 2, rows, PoolingMode::kMean);
  EXPECT_EQ(mean[0], (std::vector<float>{5, 6}));
  EXPECT_EQ(mean[1], (std::vector<float>{0, 0}));  // all prompt: zero vector
  EXPECT_EQ(PoolRows(kLeftPadded, 2, 3, 2, rows, PoolingMode::kLastToken)[1], (std::vector<float>{0, 0}));
  EXPECT_EQ(PoolRows(kLeftPadded, 2, 3, 2, rows, PoolingMode::kMax)[1], (std::vector<float>{-1e9f, -1e9f}));
  EXPECT_EQ(PoolRows(kLeftPadded, 2, 3, 2, rows, PoolingMode::kMeanSqrtLen)[0], (std::vector<float>{5, 6}));
}

TEST(PoolingTest, MeanIgnoresPadding) {
  auto v = Pool(PoolingMode::kMean);
  EXPECT_FLOAT_EQ(v[0][0], 3);
  EXPECT_FLOAT_EQ(v[0][1], 4);
  EXPECT_FLOAT_EQ(v[1][0], 1);
  EXPECT_FLOAT_EQ(v[1][1], 4);
}

TEST(PoolingTest, ClsTakesTheFirstToken) {
  auto v = Pool(PoolingMode::kCls);
  EXPECT_EQ(v[1], (std::vector<float>{-1, 8}));
}

TEST(PoolingTest, MaxIgnoresPadding) {
  auto v = Pool(PoolingMode::kMax);
  EXPECT_EQ(v[1], (std::vector<float>{3, 8}));
}

TEST(PoolingTest, LastTokenIsTheLastRealToken) {
  auto v = Pool(PoolingMode::kLastToken);
  EXPECT_EQ(v[0], (std::vector<float>{5, 6}));
  EXPECT_EQ(v[1], (std::vector<float>{3, 0}));
}

TEST(PoolingTest, MeanSqrtLenDividesBySquareRootOfLength) {
  auto v = Pool(PoolingMode::kMeanSqrtLen);
  EXPECT_FLOAT_EQ(v[1][0], 2 / std::sqrt(2.0f));
  EXPECT_FLOAT_EQ(v[1][1], 8 / std::sqrt(2.0f));
}

TEST(PoolingTest, DimensionsTruncateThenRenormalise) {
  std::vector<float> v = {3, 4, 12};
  ASSERT_TRUE(FinishVector(&v, 2, true).ok());
  ASSERT_EQ(v.size(), 2u);
  EXPECT_FLOAT_EQ(v[0], 0.6f);
  EXPECT_FLOAT_EQ(v[1], 0.8f);
}

TEST(PoolingTest, DimensionsWithoutNormalisationKeepRawValues) {
  std::vector<float> v = {3, 4, 12};
  ASSERT_TRUE(FinishVector(&v, 1, false).ok());
  EXPECT_EQ(v, std::vector<float>{3});
}

TEST(PoolingTest, TooManyDimensionsIsAnError) {
  std::vector<float> v = {1, 2};
  EXPECT_EQ(FinishVector(&v, 3, true).code(), StatusCode::kInvalidArgument);
}

TEST(PoolingTest, ZeroVectorStaysZeroWhenNormalised) {
  std::vector<float> v = {0, 0};
  L2Normalize(&v);
  EXPECT_EQ(v, (std::vector<float>{0, 0}));
}

TEST(PoolingTest, ParsesSentenceTransformersSpellings) {
  EXPECT_EQ(ParsePoolingMode("cls_token").value(), PoolingMode::kCls);
  EXPECT_EQ(ParsePoolingMode("mean_sqrt_len_tokens").value(), PoolingMode::kMeanSqrtLen);
  EXPECT_EQ(ParsePoolingMode("weird").status().code(), StatusCode::kInvalidArgument);
  for (auto m : {PoolingMode::kMean, PoolingMode::kCls, PoolingMode::kMax, PoolingMode::kLastToken,
                 PoolingMode::kMeanSqrtLen}) {
    EXPECT_EQ(ParsePoolingMode(PoolingModeName(m)).value(), m);
  }
}

}  // namespace
}  // namespace imi::model
