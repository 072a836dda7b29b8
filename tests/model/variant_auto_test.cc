// --variant auto on the machine the tests run on: the CPU detection and the
// choice together, end to end through Embedder::Load. Under qemu-aarch64 (the
// arm64 cross build, deploy/arm64.sh) this is where model_qint8_arm64.onnx
// must be picked and must run.
#include <filesystem>

#include <gtest/gtest.h>

#include "fixtures.h"
#include "model/cpu_features.h"
#include "model/embedder.h"

namespace imi::model {
namespace {

namespace fs = std::filesystem;

// tiny-bert carries every INT8 family's file (make_fixtures.sh: AVX2, AVX-512
// VNNI and the arm64 qint8 graph quantised for arm64).
std::string ModelWithAllVariants(const testing::Fixtures& f) {
  const fs::path dir = f.Path("tiny-bert");
  for (const char* file : {"model_quint8_avx2.onnx", "model_qint8_avx512_vnni.onnx", "model_qint8_arm64.onnx"}) {
    EXPECT_TRUE(fs::is_regular_file(dir / "onnx" / file)) << file;
  }
  return dir.string();
}

TEST(VariantAutoTest, PicksTheInt8FileOfThisCpuFamilyAndRunsIt) {
  IMI_REQUIRE_FIXTURES(f);
  EmbedderConfig config;
  config.model_path = ModelWithAllVariants(f);
  config.threads = 1;
  auto embedder = Embedder::Load(config);
  ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
  const ModelInfo& info = (*embedder)->info();
  const CpuFeatures& cpu = DetectCpuFeatures();
#if defined(__aarch64__)
  EXPECT_TRUE(cpu.arm64) << cpu.ToString();
  EXPECT_EQ(info.variant_file, "onnx/model_qint8_arm64.onnx") << info.variant_reason;
#else
  EXPECT_FALSE(cpu.arm64);
  EXPECT_NE(info.variant_file, "onnx/model_qint8_arm64.onnx") << info.variant_reason;
  if (cpu.avx512_vnni) EXPECT_EQ(info.variant_file, "onnx/model_qint8_avx512_vnni.onnx");
  if (cpu.avx2 && !cpu.avx512_vnni) EXPECT_EQ(info.variant_file, "onnx/model_quint8_avx2.onnx");
#endif
  EXPECT_TRUE(info.quantized);
  auto result = (*embedder)->Embed({"東京都に住んでいます", "It is sunny today."}, {});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->vectors.size(), 2u);
  EXPECT_EQ(result->vectors[0].size(), info.dimension);
}

}  // namespace
}  // namespace imi::model
