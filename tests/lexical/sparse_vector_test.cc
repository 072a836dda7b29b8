#include "lexical/sparse_vector.h"

#include <gtest/gtest.h>

namespace imi::lexical {
namespace {

TEST(SparseVectorTest, CanonicalFormIsSortedWithoutZeros) {
  auto v = SparseFromJson(nlohmann::json::parse(R"({"indices":[7,2,9],"values":[0.5,1.5,0]})"), "sparse");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->indices, (std::vector<uint32_t>{2, 7}));
  EXPECT_EQ(v->values, (std::vector<float>{1.5f, 0.5f}));
  EXPECT_EQ(SparseLiteral(*v), "{3:1.5,8:0.5}/1000000000");
  SparseVector back;
  ASSERT_TRUE(DecodeSparse(EncodeSparse(*v), &back).ok());
  EXPECT_EQ(back.indices, v->indices);
  EXPECT_EQ(back.values, v->values);
}

TEST(SparseVectorTest, BadVectorsNameTheField) {
  const char* bad[] = {
      R"([1,2])", R"({"indices":[1]})", R"({"indices":[1,2],"values":[1]})", R"({"indices":[-1],"values":[1]})",
      R"({"indices":[1000000000],"values":[1]})", R"({"indices":[1.5],"values":[1]})",
      R"({"indices":[3,3],"values":[1,2]})", R"({"indices":[1],"values":["x"]})",
      R"({"indices":[1],"values":[1e300]})", R"({"indices":[1],"values":[1],"extra":1})"};
  for (const char* text : bad) {
    auto v = SparseFromJson(nlohmann::json::parse(text), "documents[0].sparse");
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(v.status().message().find("documents[0].sparse"), std::string::npos) << v.status().message();
  }
  nlohmann::json many = {{"indices", nlohmann::json::array()}, {"values", nlohmann::json::array()}};
  for (int i = 0; i <= 16000; ++i) {
    many["indices"].push_back(i);
    many["values"].push_back(1);
  }
  EXPECT_EQ(SparseFromJson(many, "s").status().code(), StatusCode::kTooLarge);
}

TEST(SparseVectorTest, DotProductAddsFloatProductsInIndexOrder) {
  SparseVector a{{1, 4, 9}, {0.1f, 2.0f, 3.0f}};
  SparseVector b{{0, 4, 9, 12}, {5.0f, 0.5f, 1.0f / 3.0f, 1.0f}};
  float expected = 0.0f;
  expected += 2.0f * 0.5f;
  expected += 3.0f * (1.0f / 3.0f);
  EXPECT_EQ(SparseDot(a, b), expected);
  EXPECT_EQ(SparseDot(a, SparseVector{{2, 3}, {1, 1}}), 0.0f);
}

TEST(SparseVectorTest, CorruptBlobsAreDataLoss) {
  SparseVector out;
  EXPECT_EQ(DecodeSparse("1234567", &out).code(), StatusCode::kDataLoss);
  // Indices must ascend.
  EXPECT_EQ(DecodeSparse(EncodeSparse(SparseVector{{5, 3}, {1, 1}}), &out).code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace imi::lexical
