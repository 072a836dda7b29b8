#include "model/variant.h"

#include <gtest/gtest.h>

namespace imi::model {
namespace {

const std::vector<std::string> kHubFiles = {
    "onnx/model.onnx",          "onnx/model_O1.onnx",
    "onnx/model_qint8_arm64.onnx", "onnx/model_qint8_avx512.onnx",
    "onnx/model_qint8_avx512_vnni.onnx", "onnx/model_quint8_avx2.onnx",
    "onnx/model.onnx_data",     "tokenizer.json"};

CpuFeatures Avx2Only() {
  CpuFeatures f;
  f.avx2 = true;
  return f;
}

CpuFeatures Avx512Vnni() {
  CpuFeatures f;
  f.avx2 = f.avx512f = f.avx512bw = f.avx512_vnni = true;
  return f;
}

CpuFeatures Arm64() {
  CpuFeatures f;
  f.arm64 = f.arm64_dotprod = true;
  return f;
}

VariantRequest Req(std::string_view s) { return ParseVariantRequest(s).value(); }

TEST(VariantTest, AutoPicksAvx512VnniOnAVnniMachine) {
  auto c = ChooseVariant(kHubFiles, Avx512Vnni(), Req("auto"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->file, "onnx/model_qint8_avx512_vnni.onnx");
  EXPECT_TRUE(c->quantized);
  EXPECT_NE(c->reason.find("avx512_vnni"), std::string::npos) << c->reason;
}

TEST(VariantTest, AutoPicksAvx2VariantWhenOnlyAvx2IsPresent) {
  auto c = ChooseVariant(kHubFiles, Avx2Only(), Req("auto"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->file, "onnx/model_quint8_avx2.onnx");
}

TEST(VariantTest, AutoPicksArm64VariantOnArm) {
  auto c = ChooseVariant(kHubFiles, Arm64(), Req("auto"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->file, "onnx/model_qint8_arm64.onnx");
}

TEST(VariantTest, AutoFallsBackToFp32WhenNoInt8SuitsTheCpu) {
  auto c = ChooseVariant({"onnx/model.onnx", "onnx/model_qint8_avx512.onnx"}, Avx2Only(), Req("auto"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->file, "onnx/model.onnx");
  EXPECT_FALSE(c->quantized);
  EXPECT_NE(c->reason.find("no INT8 variant suits"), std::string::npos) << c->reason;
}

TEST(VariantTest, GenericInt8RunsOnAnyCpu) {
  auto c = ChooseVariant({"onnx/model.onnx", "onnx/model_int8.onnx", "onnx/model_quantized.onnx"},
                         CpuFeatures{}, Req("auto"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->file, "onnx/model_int8.onnx");
}

TEST(VariantTest, Fp32RequestPicksModelOnnx) {
  auto c = ChooseVariant(kHubFiles, Avx512Vnni(), Req("fp32"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->file, "onnx/model.onnx");
}

TEST(VariantTest, Int8RequestFailsWithPreconditionWhenNoneSuitsTheCpu) {
  auto c = ChooseVariant({"onnx/model.onnx", "onnx/model_qint8_arm64.onnx"}, Avx2Only(), Req("int8"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
}

TEST(VariantTest, Int8RequestFailsWithNotFoundWhenTheModelHasNone) {
  auto c = ChooseVariant({"onnx/model.onnx"}, Avx2Only(), Req("int8"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
}

TEST(VariantTest, FileRequestMatchesByBaseNameWithOrWithoutSuffix) {
  auto a = ChooseVariant(kHubFiles, Avx2Only(), Req("model_qint8_avx512"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->file, "onnx/model_qint8_avx512.onnx");
  auto b = ChooseVariant(kHubFiles, Avx2Only(), Req("model_O1.onnx"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->file, "onnx/model_O1.onnx");
}

TEST(VariantTest, UnknownFileRequestListsTheCandidates) {
  auto c = ChooseVariant(kHubFiles, Avx2Only(), Req("model_fp16"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_NE(c.status().message().find("onnx/model_quint8_avx2.onnx"), std::string::npos);
}

TEST(VariantTest, SingleOddlyNamedFileIsChosenAutomatically) {
  auto c = ChooseVariant({"encoder.onnx", "vocab.txt"}, Avx2Only(), Req("auto"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->file, "encoder.onnx");
}

TEST(VariantTest, NoOnnxFileIsNotFound) {
  auto c = ChooseVariant({"tokenizer.json"}, Avx2Only(), Req("auto"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
}

TEST(VariantTest, EmptyVariantRequestIsInvalid) {
  EXPECT_EQ(ParseVariantRequest("").status().code(), StatusCode::kInvalidArgument);
}

TEST(CpuFeaturesTest, DetectionIsStableAndPrintable) {
  const CpuFeatures& a = DetectCpuFeatures();
  EXPECT_EQ(&a, &DetectCpuFeatures());
  EXPECT_FALSE(a.ToString().empty());
  // AVX-512 extensions imply the base AVX-512 feature.
  if (a.avx512_vnni) {
    EXPECT_TRUE(a.avx512f);
  }
}

}  // namespace
}  // namespace imi::model
