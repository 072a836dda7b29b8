#include <gtest/gtest.h>

#include "hub/manifest.h"

namespace imi::hub {
namespace {

TEST(ManifestTest, RoundTripsThroughJson) {
  Manifest m;
  m.repo = "org/model";
  m.revision = std::string(40, 'a');
  m.requested_revision = "main";
  m.endpoint = "https://huggingface.co";
  m.variant = "onnx/model.onnx";
  m.variant_reason = "FP32 requested";
  m.onnx_files = {"onnx/model.onnx", "onnx/model_quint8_avx2.onnx"};
  m.missing_optional = {"special_tokens_map.json"};
  m.files = {{"config.json", 10, std::string(64, 'b'), std::string(40, 'c')},
             {"onnx/model.onnx", 5000000000ULL, std::string(64, 'd'), std::string(64, 'd')}};
  auto parsed = ManifestFromJson(ManifestToJson(m), "m.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->repo, m.repo);
  EXPECT_EQ(parsed->revision, m.revision);
  EXPECT_EQ(parsed->variant, m.variant);
  EXPECT_EQ(parsed->onnx_files, m.onnx_files);
  EXPECT_EQ(parsed->missing_optional, m.missing_optional);
  ASSERT_EQ(parsed->files.size(), 2u);
  EXPECT_EQ(parsed->files[1].size, 5000000000ULL);
  EXPECT_EQ(parsed->Find("config.json")->etag, std::string(40, 'c'));
  EXPECT_EQ(parsed->Find("absent"), nullptr);
}

TEST(ManifestTest, RejectsOtherFormatsAndVersionsWithDataLoss) {
  for (const char* text : {"[]", "not json", R"({"format":"other","version":1})",
                           R"({"format":"imi-pull-manifest","version":99})"}) {
    auto parsed = ManifestFromJson(text, "x/imi-pull.json");
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(parsed.status().message().find("x/imi-pull.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace imi::hub
