// The ONNX adapter: a graph written and read back is the same graph, inline
// and with external data; malformed bytes are DataLoss; config.json errors
// name the model_type or key.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "convert/encoder_config.h"
#include "convert/onnx_proto_io.h"

namespace imi::convert {
namespace {

Graph SmallGraph() {
  Graph g;
  GraphBuilder b(&g);
  g.inputs.push_back({"x", DType::kFloat, {std::string("batch"), int64_t{3}}});
  std::vector<float> w(3 * 300);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i) * 0.5f;
  const std::string y = b.Op("MatMul", {"x", b.Weight("w", Tensor::Floats({3, 300}, w))});
  Node n;
  n.op_type = "Identity";
  n.name = "out";
  n.inputs = {y};
  n.outputs = {"y"};
  g.nodes.push_back(n);
  g.outputs.push_back({"y", DType::kFloat, {std::string("batch"), int64_t{300}}});
  g.initializers["small"] = Tensor::ScalarFloat(2.0f);
  return g;
}

std::filesystem::path TempDir(const char* name) {
  auto d = std::filesystem::temp_directory_path() / (std::string("imi_onnxio_") + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

TEST(OnnxIoTest, RoundTripsInline) {
  const auto dir = TempDir("inline");
  ASSERT_TRUE(WriteOnnx(SmallGraph(), (dir / "m.onnx").string()).ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "m.onnx_data"));
  auto g = ReadOnnx((dir / "m.onnx").string());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->initializers.at("w").data, SmallGraph().initializers.at("w").data);
  EXPECT_EQ(g->nodes.size(), 2u);
  EXPECT_EQ(g->inputs[0].dims.size(), 2u);
  std::filesystem::remove_all(dir);
}

TEST(OnnxIoTest, LargeWeightsGoToExternalData) {
  const auto dir = TempDir("external");
  OnnxWriteOptions o;
  o.external_data_threshold_bytes = 100;  // the test's small threshold
  ASSERT_TRUE(WriteOnnx(SmallGraph(), (dir / "m.onnx").string(), o).ok());
  ASSERT_TRUE(std::filesystem::exists(dir / "m.onnx_data"));
  // 3600 bytes of "w" go out at offset 0; the 4-byte scalar stays inline.
  EXPECT_EQ(std::filesystem::file_size(dir / "m.onnx_data"), 3600u);
  EXPECT_LT(std::filesystem::file_size(dir / "m.onnx"), 1000u);
  auto g = ReadOnnx((dir / "m.onnx").string());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->initializers.at("w").data, SmallGraph().initializers.at("w").data);
  // Truncated data file: the reader says so instead of reading past the end.
  std::filesystem::resize_file(dir / "m.onnx_data", 100);
  EXPECT_EQ(ReadOnnx((dir / "m.onnx").string()).status().code(), StatusCode::kDataLoss);
  std::filesystem::remove_all(dir);
}

TEST(OnnxIoTest, GarbageIsDataLoss) {
  EXPECT_EQ(ParseOnnx("\x0a\xff\xff\xff\xff\x0f").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ReadOnnx("/nonexistent/model.onnx").status().code(), StatusCode::kNotFound);
}

Status ConfigError(const std::string& json) {
  const auto dir = TempDir("config");
  std::ofstream(dir / "config.json") << json;
  return ReadEncoderConfig((dir / "config.json").string()).status();
}

TEST(EncoderConfigTest, NamesWhatIsUnsupportedOrMissing) {
  const std::string base =
      R"("vocab_size":10,"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":32)";
  Status s = ConfigError(R"({"model_type":"llama",)" + base + "}");
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("\"llama\""), std::string::npos);
  s = ConfigError(R"({"model_type":"bert","vocab_size":10})");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("hidden_size"), std::string::npos);
  s = ConfigError(R"({"model_type":"modernbert",)" + base +
                  R"(,"rope_parameters":{"full_attention":{"rope_type":"yarn","rope_theta":1}}})");
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  s = ConfigError(R"({"model_type":"bert","position_embedding_type":"relative_key",)" + base + "}");
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
}

TEST(EncoderConfigTest, ReadsBothModernBertConfigForms) {
  const std::string base =
      R"("model_type":"modernbert","vocab_size":10,"hidden_size":8,"num_hidden_layers":4,"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":32)";
  const auto dir = TempDir("forms");
  std::ofstream(dir / "old.json") << "{" << base << R"(,"global_rope_theta":80000.0,"local_rope_theta":5000.0,"local_attention":16})";
  auto old = ReadEncoderConfig((dir / "old.json").string());
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->global_rope_theta, 80000.0);
  EXPECT_EQ(old->local_rope_theta, 5000.0);
  EXPECT_EQ(old->sliding_rope, (std::vector<bool>{false, true, true, false}));
  std::ofstream(dir / "new.json") << "{" << base
                                  << R"(,"layer_types":["full_attention","sliding_attention","sliding_attention","full_attention"],)"
                                  << R"("rope_parameters":{"full_attention":{"rope_type":"default","rope_theta":1000.0},)"
                                  << R"("sliding_attention":{"rope_type":"default","rope_theta":500.0}}})";
  auto neu = ReadEncoderConfig((dir / "new.json").string());
  ASSERT_TRUE(neu.ok()) << neu.status().ToString();
  EXPECT_EQ(neu->global_rope_theta, 1000.0);
  EXPECT_EQ(neu->local_rope_theta, 500.0);
  EXPECT_TRUE(neu->IsLocalLayer(2));
  EXPECT_FALSE(neu->IsLocalLayer(3));
}

}  // namespace
}  // namespace imi::convert
