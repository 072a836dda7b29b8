// bge-m3's output helpers and scores on hand-made values.
#include "model/m3.h"

#include <cmath>

#include <gtest/gtest.h>

#include "model/m3_heads.h"

namespace imi::model {
namespace {

TEST(M3Test, ParsesOutputSets) {
  EXPECT_EQ(*ParseOutputSet("dense"), kDenseOutput);
  EXPECT_EQ(*ParseOutputSet("sparse,colbert"), kSparseOutput | kColbertOutput);
  EXPECT_EQ(*ParseOutputSet("all"), kAllOutputs);
  EXPECT_EQ(OutputSetName(kColbertOutput | kDenseOutput), "dense,colbert");
  for (const char* bad : {"", "Dense", "dense,", "splade"}) {
    auto r = ParseOutputSet(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("dense, sparse, colbert or all"), std::string::npos);
  }
}

TEST(M3Test, SparseWeightsKeepTheMaximumPerIdAndDropSpecialIds) {
  const float weights[] = {0.9f, 0.2f, 0.5f, 0.0f, -1.0f, 0.7f, 0.3f};
  const int64_t ids[] = {0, 10, 10, 11, 12, 2, 7};
  const SparseEmbedding s = SparseFromTokenWeights(weights, ids, 7, {0, 1, 2, 3});
  EXPECT_EQ(s.ids, (std::vector<int32_t>{7, 10}));
  EXPECT_EQ(s.weights, (std::vector<float>{0.3f, 0.5f}));
}

TEST(M3Test, NormalizedRowsKeepAZeroRowZero) {
  const float rows[] = {3, 4, 0, 0};
  const MultiVector m = NormalizedRows(rows, 2, 2);
  EXPECT_EQ(m.rows(), 2u);
  EXPECT_FLOAT_EQ(m.row(0)[0], 0.6f);
  EXPECT_FLOAT_EQ(m.row(0)[1], 0.8f);
  EXPECT_EQ(m.row(1)[0], 0.0f);
}

TEST(M3Test, ScoresFollowFlagEmbedding) {
  SparseEmbedding q{{3, 5, 9}, {0.5f, 0.25f, 1.0f}};
  SparseEmbedding p{{1, 5, 9, 12}, {2.0f, 4.0f, 0.5f, 1.0f}};
  EXPECT_DOUBLE_EQ(SparseScore(q, p), 0.25 * 4.0 + 1.0 * 0.5);
  MultiVector a{2, {1, 0, 0, 1}};
  MultiVector b{2, {0.6f, 0.8f, -1, 0}};
  // Row (1,0): best of 0.6 and -1; row (0,1): best of 0.8 and 0.
  EXPECT_NEAR(ColbertScore(a, b), (0.6 + 0.8) / 2, 1e-7);
  EXPECT_EQ(ColbertScore(a, MultiVector{}), 0.0);
  const M3Scores s = CombineM3Scores(0.8, 0.3, 0.6, M3Weights{});
  EXPECT_NEAR(s.combined, 0.4 * 0.8 + 0.2 * 0.3 + 0.4 * 0.6, 1e-12);
  EXPECT_NEAR(s.sparse_dense, (0.4 * 0.8 + 0.2 * 0.3) / 0.6, 1e-12);
  // Weights that do not sum to 1 are divided by their sum, as compute_score does.
  EXPECT_NEAR(CombineM3Scores(0.8, 0.3, 0.6, M3Weights{1, 1, 1}).combined, (0.8 + 0.3 + 0.6) / 3, 1e-12);
  EXPECT_FALSE(ValidateM3Weights({0, 0, 0}).ok());
  EXPECT_FALSE(ValidateM3Weights({-1, 1, 1}).ok());
  EXPECT_FALSE(ValidateM3Weights({NAN, 1, 1}).ok());
  EXPECT_TRUE(ValidateM3Weights({1, 0, 0}).ok());
}

}  // namespace
}  // namespace imi::model
