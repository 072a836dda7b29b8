// The ColBERT blob codec (float32, float16, int8 with a scale), its damage
// detection, MaxSim, and ApplyRerank's reordering.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "store/multivector.h"
#include "store/rescore.h"

namespace imi::store {
namespace {

TEST(HalfTest, RoundsToNearestEvenLikeIeee) {
  EXPECT_EQ(FloatToHalf(0.0f), 0x0000);
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00);  // the halfway point rounds to even: infinity
  EXPECT_EQ(FloatToHalf(65519.99f), 0x7bff);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)), 0x0000);  // halfway to it: even (0)
  EXPECT_EQ(FloatToHalf(std::ldexp(3.0f, -25)), 0x0002);  // 1.5 ulp: even (2)
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // halfway: even
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(3.0f, -11)), 0x3c02);
  EXPECT_EQ(FloatToHalf(INFINITY), 0x7c00);
  EXPECT_EQ(FloatToHalf(NAN) & 0x7c00, 0x7c00);
  // Every half survives the round trip through float.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = HalfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(FloatToHalf(f), h) << h;
  }
}

MultiVector Random(std::mt19937* rng, size_t rows, size_t dim) {
  std::normal_distribution<float> d(0, 1);
  MultiVector v;
  v.dim = dim;
  for (size_t i = 0; i < rows * dim; ++i) v.values.push_back(d(*rng));
  return v;
}

TEST(MultiVectorTest, RoundTripsEveryEncoding) {
  std::mt19937 rng(1);
  const MultiVector v = Random(&rng, 7, 33);
  for (auto e : {MultiVectorEncoding::kFloat32, MultiVectorEncoding::kFloat16, MultiVectorEncoding::kInt8}) {
    const std::string blob = EncodeMultiVector(v, e);
    EXPECT_EQ(blob.size(), EncodedMultiVectorBytes(7, 33, e));
    MultiVector back;
    ASSERT_TRUE(DecodeMultiVector(blob, &back).ok());
    ASSERT_EQ(back.dim, 33u);
    ASSERT_EQ(back.values.size(), v.values.size());
    for (size_t r = 0; r < 7; ++r) {
      float max_abs = 0;
      for (size_t i = 0; i < 33; ++i) max_abs = std::max(max_abs, std::fabs(v.row(r)[i]));
      for (size_t i = 0; i < 33; ++i) {
        const float w = v.row(r)[i], g = back.row(r)[i];
        if (e == MultiVectorEncoding::kFloat32) ASSERT_EQ(g, w);
        if (e == MultiVectorEncoding::kFloat16) ASSERT_NEAR(g, w, std::fabs(w) / 2048);
        if (e == MultiVectorEncoding::kInt8) ASSERT_NEAR(g, w, max_abs / 254 * 1.0001);
      }
    }
  }
  // A zero row keeps a zero scale.
  MultiVector zero{4, std::vector<float>(8, 0.0f)};
  MultiVector back;
  ASSERT_TRUE(DecodeMultiVector(EncodeMultiVector(zero, MultiVectorEncoding::kInt8), &back).ok());
  EXPECT_EQ(back.values, zero.values);
}

TEST(MultiVectorTest, DamagedBlobsAreDataLoss) {
  std::mt19937 rng(2);
  const std::string blob = EncodeMultiVector(Random(&rng, 3, 4), MultiVectorEncoding::kInt8);
  MultiVector out;
  for (size_t cut = 0; cut < blob.size(); ++cut) {
    EXPECT_EQ(DecodeMultiVector(blob.substr(0, cut), &out).code(), StatusCode::kDataLoss) << cut;
  }
  std::string bad = blob;
  bad[1] = 9;  // unknown encoding
  EXPECT_EQ(DecodeMultiVector(bad, &out).code(), StatusCode::kDataLoss);
  bad = blob;
  bad[4] = 4;  // rows disagree with the size
  EXPECT_EQ(DecodeMultiVector(bad, &out).code(), StatusCode::kDataLoss);
  bad = blob;
  const float nan = std::nanf("");
  std::memcpy(&bad[12], &nan, 4);  // a scale that is not a number
  EXPECT_EQ(DecodeMultiVector(bad, &out).code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeMultiVector(blob + "x", &out).code(), StatusCode::kDataLoss);
  // Values that are not finite are damage too (a NaN score would rank anywhere).
  std::string f32 = EncodeMultiVector(MultiVector{2, {1, 2}}, MultiVectorEncoding::kFloat32);
  std::memcpy(&f32[16], &nan, 4);
  EXPECT_EQ(DecodeMultiVector(f32, &out).code(), StatusCode::kDataLoss);
  std::string f16 = EncodeMultiVector(MultiVector{2, {1, 2}}, MultiVectorEncoding::kFloat16);
  f16[12] = 0;
  f16[13] = 0x7c;  // +infinity
  EXPECT_EQ(DecodeMultiVector(f16, &out).code(), StatusCode::kDataLoss);
}

TEST(MultiVectorTest, ValidatesShapeAndValues) {
  EXPECT_TRUE(ValidateMultiVector(MultiVector{2, {1, 2, 3, 4}}, "c").ok());
  EXPECT_FALSE(ValidateMultiVector(MultiVector{0, {}}, "c").ok());
  EXPECT_FALSE(ValidateMultiVector(MultiVector{3, {1, 2, 3, 4}}, "c").ok());
  EXPECT_FALSE(ValidateMultiVector(MultiVector{2, {1, INFINITY}}, "c").ok());
  EXPECT_FALSE(ValidateMultiVector(MultiVector{1, std::vector<float>(kMaxMultiVectorRows + 1, 1.0f)}, "c").ok());
}

TEST(MultiVectorTest, MaxSimIsTheMeanOfBestDotProducts) {
  MultiVector q{2, {1, 0, 0, 1}};
  MultiVector d{2, {0.5f, 0.5f, 0.9f, -0.1f, -1, 2}};
  // Row (1,0): best 0.9; row (0,1): best 2.
  EXPECT_NEAR(MaxSim(q, d), (0.9 + 2.0) / 2, 1e-7);
  EXPECT_EQ(MaxSim(q, MultiVector{}), 0);
  EXPECT_EQ(MaxSim(q, MultiVector{3, {1, 2, 3}}), 0);  // other width
  EXPECT_TRUE(ValidateM3Weights(M3Weights{}).ok());
  EXPECT_FALSE(ValidateM3Weights(M3Weights{0, 0, 0}).ok());
  EXPECT_FALSE(ValidateM3Weights(M3Weights{-1, 1, 1}).ok());
  EXPECT_FALSE(ValidateM3Weights(M3Weights{NAN, 1, 1}).ok());
}

TEST(ApplyRerankTest, ReordersTheTopAndKeepsTheRest) {
  ModeSearchResponse r;
  for (const char* id : {"a", "b", "c", "d", "e"}) {
    ModeSearchHit h;
    h.hit.document_id = id;
    h.hit.score = 1;
    r.hits.push_back(h);
  }
  r.components = {"dense"};
  ASSERT_TRUE(ApplyRerank(&r, {0.1, 0.9, 0.5}, 3, 4).ok());
  std::vector<std::string> ids;
  for (const auto& h : r.hits) ids.push_back(h.hit.document_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"b", "c", "a", "d"}));
  EXPECT_EQ(r.hits[0].hit.score, 0.9);
  EXPECT_EQ(r.hits[0].components.at("rerank").rank, 1);
  EXPECT_EQ(r.hits[2].components.at("rerank").rank, 3);
  EXPECT_EQ(r.hits[3].components.count("rerank"), 0u);
  EXPECT_EQ(r.reranked, 3);
  EXPECT_EQ(r.components.back(), "rerank");
  EXPECT_EQ(ApplyRerank(&r, {0.1}, 3, 4).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace imi::store
