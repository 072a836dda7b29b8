// The quantiser: weight quantisation as quantize_dynamic does it, the graph
// rewrite for both activation modes, file names and target choice.
#include <gtest/gtest.h>

#include "convert/quantize.h"
#include "model/variant.h"

namespace imi::convert {
namespace {

TEST(QuantizeTest, SymmetricPerColumnWeights) {
  // Column 0 absmax 2, column 1 absmax 0.5.
  const float w[] = {2.0f, 0.25f, -1.0f, -0.5f};
  std::vector<uint8_t> q;
  std::vector<float> scales;
  QuantizeColumns(w, 2, 2, false, &q, &scales);
  EXPECT_FLOAT_EQ(scales[0], 2.0f / 127);
  EXPECT_FLOAT_EQ(scales[1], 0.5f / 127);
  EXPECT_EQ(static_cast<int8_t>(q[0]), 127);
  EXPECT_EQ(static_cast<int8_t>(q[2]), -64);  // -63.5 rounds half to even
  EXPECT_EQ(static_cast<int8_t>(q[3]), -127);
  QuantizeColumns(w, 2, 2, true, &q, &scales);
  EXPECT_FLOAT_EQ(scales[0], 4.0f / 255);
  EXPECT_EQ(q[0], 128 + 127);  // 2 / (4/255) = 127.5 -> 128 (even) + 128 clamps to 255
  EXPECT_EQ(q[3], 1);  // -0.5 / (1/255) is -127.49999 in float32 -> -127 + 128
}

Graph MatMulGraph() {
  Graph g;
  GraphBuilder b(&g);
  g.inputs.push_back({"ids", DType::kInt64, {std::string("batch")}});
  std::vector<float> table(10 * 4, 0.1f), w(4 * 3, -0.2f);
  const std::string x = b.Op("Gather", {b.Weight("table", Tensor::Floats({10, 4}, table)), "ids"});
  const std::string y = b.Op("MatMul", {x, b.Weight("w", Tensor::Floats({4, 3}, w))});
  Node n;
  n.op_type = "Identity";
  n.name = "o";
  n.inputs = {y};
  n.outputs = {"out"};
  g.nodes.push_back(n);
  g.outputs.push_back({"out", DType::kFloat, {std::string("batch"), int64_t{3}}});
  return g;
}

int Count(const Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes) n += node.op_type == op;
  return n;
}

TEST(QuantizeTest, RewritesMatMulsAndEmbeddings) {
  QuantizeOptions o;
  o.target = QuantTarget::kAvx2;
  QuantizeReport r;
  auto q = QuantizeGraph(MatMulGraph(), o, &r);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(r.matmuls, 1);
  EXPECT_EQ(r.embeddings, 1);
  EXPECT_EQ(Count(*q, "MatMul"), 0);
  EXPECT_EQ(Count(*q, "DynamicQuantizeLinear"), 1);
  EXPECT_EQ(q->initializers.count("w"), 0u);
  EXPECT_EQ(q->initializers.at("w_quantized").dtype, DType::kUint8);
  EXPECT_EQ(q->initializers.at("table_quantized").dtype, DType::kInt8);

  o.target = QuantTarget::kAvx512Vnni;
  o.activations = ActivationQuant::kPerRow;
  o.quantize_embeddings = false;
  q = QuantizeGraph(MatMulGraph(), o, &r);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(Count(*q, "DynamicQuantizeLinear"), 0);
  EXPECT_EQ(Count(*q, "ReduceMax"), 1);
  EXPECT_EQ(q->initializers.at("w_quantized").dtype, DType::kInt8);
  EXPECT_EQ(q->initializers.count("table"), 1u);
  EXPECT_EQ(r.embeddings, 0);
}

TEST(QuantizeTest, GraphWithoutWeightsIsRefused) {
  Graph g;
  g.inputs.push_back({"x", DType::kFloat, {}});
  EXPECT_EQ(QuantizeGraph(g, {}, nullptr).status().code(), StatusCode::kInvalidArgument);
}

TEST(QuantizeTest, FileNamesAreTheOnesVariantAutoPicks) {
  model::CpuFeatures vnni;
  vnni.avx2 = vnni.avx512f = vnni.avx512bw = vnni.avx512_vnni = true;
  auto t = ResolveTargets("auto", vnni);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ(QuantizedFileName((*t)[0]), "model_qint8_avx512_vnni.onnx");
  model::CpuFeatures arm;
  arm.arm64 = true;
  EXPECT_EQ(QuantizedFileName((*ResolveTargets("auto", arm))[0]), "model_qint8_arm64.onnx");
  model::CpuFeatures none;
  EXPECT_EQ(ResolveTargets("auto", none).status().code(), StatusCode::kFailedPrecondition);
  // Every written name is one the chooser knows, so --variant auto picks it.
  std::vector<std::string> files;
  const auto all = ResolveTargets("all", none);
  ASSERT_TRUE(all.ok());
  for (QuantTarget q : *all) files.push_back("onnx/" + QuantizedFileName(q));
  files.push_back("onnx/model.onnx");
  auto choice = model::ChooseVariant(files, vnni, {});
  ASSERT_TRUE(choice.ok());
  EXPECT_EQ(choice->file, "onnx/model_qint8_avx512_vnni.onnx");
  choice = model::ChooseVariant(files, arm, {});
  EXPECT_EQ(choice->file, "onnx/model_qint8_arm64.onnx");
  EXPECT_EQ(ParseQuantTarget("avx3").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace imi::convert
