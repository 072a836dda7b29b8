#include "lexical/fusion.h"

#include <gtest/gtest.h>

namespace imi::lexical {
namespace {

TEST(FusionTest, RrfSumsWeightedReciprocalRanks) {
  ComponentList dense{"dense", true, {{"a", 0.9}, {"b", 0.8}, {"c", 0.1}}};
  ComponentList lex{"lexical:ja-mecab", true, {{"c", 12.0}, {"a", 3.0}}};
  FusionSpec spec;
  auto fused = Fuse({dense, lex}, spec, 10);
  ASSERT_EQ(fused.size(), 3u);
  EXPECT_EQ(fused[0].id, "a");
  EXPECT_DOUBLE_EQ(fused[0].score, 1.0 / 61 + 1.0 / 62);
  EXPECT_EQ(fused[1].id, "c");
  EXPECT_DOUBLE_EQ(fused[1].score, 1.0 / 63 + 1.0 / 61);
  EXPECT_EQ(fused[2].id, "b");
  EXPECT_EQ(fused[0].components.at("dense").rank, 1);
  EXPECT_DOUBLE_EQ(fused[0].components.at("lexical:ja-mecab").score, 3.0);
  EXPECT_EQ(fused[2].components.count("lexical:ja-mecab"), 0u);
  spec.weights = {{"lexical", 2.0}};
  fused = Fuse({dense, lex}, spec, 1);
  ASSERT_EQ(fused.size(), 1u);
  EXPECT_EQ(fused[0].id, "c");
  EXPECT_DOUBLE_EQ(fused[0].score, 1.0 / 63 + 2.0 / 61);
}

TEST(FusionTest, WeightedSumsMinMaxNormalisedScoresAndReversesDistances) {
  ComponentList l2{"dense", false, {{"a", 0.5}, {"b", 1.0}, {"c", 2.5}}};
  ComponentList lex{"lexical:ja-bigram", true, {{"c", 10.0}, {"b", 4.0}}};
  FusionSpec spec;
  spec.method = FusionMethod::kWeighted;
  spec.weights = {{"dense", 0.5}, {"lexical:ja-bigram", 0.5}};
  auto fused = Fuse({l2, lex}, spec, 10);
  ASSERT_EQ(fused.size(), 3u);
  // a: dense 1 -> 0.5; c: dense 0, lexical 1 -> 0.5 (tie: a first); b: dense 0.75, lexical 0 -> 0.375.
  EXPECT_EQ(fused[0].id, "a");
  EXPECT_DOUBLE_EQ(fused[0].score, 0.5);
  EXPECT_EQ(fused[1].id, "c");
  EXPECT_DOUBLE_EQ(fused[1].score, 0.5);
  EXPECT_EQ(fused[2].id, "b");
  EXPECT_DOUBLE_EQ(fused[2].score, 0.5 * 0.75);
  // One document, or equal scores: normalised to 1.
  fused = Fuse({ComponentList{"sparse", true, {{"x", 3.0}}}}, spec, 10);
  EXPECT_DOUBLE_EQ(fused[0].score, 1.0);
}

TEST(FusionTest, TiesGoToTheSmallerIdAndMethodsParse) {
  auto fused = Fuse({ComponentList{"dense", true, {{"b", 1}}}, ComponentList{"sparse", true, {{"a", 1}}}}, {}, 10);
  ASSERT_EQ(fused.size(), 2u);
  EXPECT_EQ(fused[0].id, "a");
  EXPECT_EQ(*ParseFusionMethod("rrf"), FusionMethod::kRrf);
  EXPECT_EQ(*ParseFusionMethod("weighted"), FusionMethod::kWeighted);
  EXPECT_FALSE(ParseFusionMethod("sum").ok());
}

}  // namespace
}  // namespace imi::lexical
