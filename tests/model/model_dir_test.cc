#include "model/model_dir.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace imi::model {
namespace {

namespace fs = std::filesystem;

class ModelDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(IMI_BINARY_DIR) / "tests/model/model_dir_test" /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    fs::create_directories(root_ / "onnx");
  }
  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }
  void WriteSentenceTransformersLayout() {
    Write("tokenizer.json", "{}");
    Write("onnx/model.onnx", "x");
    Write("onnx/model_quint8_avx2.onnx", "x");
    Write("config.json",
          R"({"model_type":"xlm-roberta","vocab_size":250002,"hidden_size":1024,
              "max_position_embeddings":8194,"pad_token_id":1})");
    Write("modules.json", R"([{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
      {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},
      {"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"}])");
    Write("1_Pooling/config.json", R"({"embedding_dimension":1024,"pooling_mode":"cls","include_prompt":true})");
    Write("sentence_bert_config.json", R"({"max_seq_length":8192,"do_lower_case":false})");
    Write("config_sentence_transformers.json",
          R"({"prompts":{"query":"query: ","passage":"passage: "},"default_prompt_name":"query"})");
  }
  fs::path root_;
};

TEST_F(ModelDirTest, ReadsTheSentenceTransformersLayout) {
  WriteSentenceTransformersLayout();
  auto dir = LoadModelDir(root_.string());
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(dir->onnx_files, (std::vector<std::string>{"onnx/model.onnx", "onnx/model_quint8_avx2.onnx"}));
  EXPECT_EQ(dir->pooling, PoolingMode::kCls);
  EXPECT_TRUE(dir->normalize);
  EXPECT_EQ(dir->max_seq_length, 8192u);
  EXPECT_EQ(dir->vocab_size, 250002);
  EXPECT_EQ(dir->prompts.at("query"), "query: ");
  EXPECT_EQ(dir->default_prompt_name, "query");
  // XLM-R positions start after padding_idx: 8194 - 1 - 1.
  EXPECT_EQ(dir->PositionLimit(), 8192u);
}

TEST_F(ModelDirTest, ReadsTheOlderBooleanPoolingLayoutWithoutNormalize) {
  WriteSentenceTransformersLayout();
  Write("modules.json", R"([{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}])");
  Write("1_Pooling/config.json", R"({"word_embedding_dimension":384,"pooling_mode_cls_token":false,
      "pooling_mode_mean_tokens":false,"pooling_mode_max_tokens":true,"pooling_mode_mean_sqrt_len_tokens":false})");
  auto dir = LoadModelDir(root_.string());
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(dir->pooling, PoolingMode::kMax);
  EXPECT_FALSE(dir->normalize);
}

TEST_F(ModelDirTest, SeveralPoolingModesAreUnsupported) {
  WriteSentenceTransformersLayout();
  Write("1_Pooling/config.json", R"({"pooling_mode_cls_token":true,"pooling_mode_mean_tokens":true})");
  EXPECT_EQ(LoadModelDir(root_.string()).status().code(), StatusCode::kUnsupported);
}

TEST_F(ModelDirTest, MissingTokenizerIsNotFoundAndSaysWhat) {
  WriteSentenceTransformersLayout();
  fs::remove(root_ / "tokenizer.json");
  auto dir = LoadModelDir(root_.string());
  EXPECT_EQ(dir.status().code(), StatusCode::kNotFound);
  EXPECT_NE(dir.status().message().find("tokenizer.json"), std::string::npos);
}

TEST_F(ModelDirTest, MissingOnnxIsNotFound) {
  WriteSentenceTransformersLayout();
  fs::remove_all(root_ / "onnx");
  auto dir = LoadModelDir(root_.string());
  EXPECT_EQ(dir.status().code(), StatusCode::kNotFound);
  EXPECT_NE(dir.status().message().find("ONNX"), std::string::npos);
}

TEST_F(ModelDirTest, BareOnnxFileWithSeparateTokenizerDirectory) {
  Write("encoder.onnx", "x");
  Write("tok/tokenizer.json", "{}");
  auto dir = LoadModelDir((root_ / "encoder.onnx").string(), (root_ / "tok").string());
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(dir->onnx_files, std::vector<std::string>{"encoder.onnx"});
  EXPECT_EQ(dir->tokenizer_path, (root_ / "tok" / "tokenizer.json").string());
  EXPECT_EQ(dir->pooling, PoolingMode::kMean);
  EXPECT_FALSE(dir->normalize);
}

TEST_F(ModelDirTest, PullManifestGivesModelIdAndRevision) {
  WriteSentenceTransformersLayout();
  Write("imi-pull.json", R"({"format":"imi-pull-manifest","version":1,"repo":"org/model",
      "revision":"86741b4e3f5cb7765a600d3a3d55a0f6a6cb443d"})");
  auto dir = LoadModelDir(root_.string());
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(dir->model_id, "org/model");
  EXPECT_EQ(dir->revision, "86741b4e3f5cb7765a600d3a3d55a0f6a6cb443d");
}

TEST_F(ModelDirTest, WithoutManifestTheIdIsTheDirectoryName) {
  WriteSentenceTransformersLayout();
  auto dir = LoadModelDir(root_.string());
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->model_id, root_.filename().string());
  EXPECT_TRUE(dir->revision.empty());
}

TEST_F(ModelDirTest, MalformedJsonIsInvalidArgument) {
  WriteSentenceTransformersLayout();
  Write("config.json", "{not json");
  EXPECT_EQ(LoadModelDir(root_.string()).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace imi::model
