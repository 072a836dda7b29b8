// The safetensors reader: valid files, every kind of malformed header, dtype
// conversion, and the checkpoint layer (shards, prefixes, missing tensors).
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "convert/checkpoint.h"
#include "convert/safetensors.h"

namespace imi::convert {
namespace {

std::string Image(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string Floats(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

Status Parse(const std::string& image) { return SafetensorsFile::FromBuffer(image, "t.safetensors").status(); }

TEST(SafetensorsTest, ReadsTensorsAndMetadata) {
  const std::string data = Floats({1, 2, 3, 4, 5, 6});
  const std::string img = Image(
      R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},"__metadata__":{"format":"pt"}})",
      data);
  auto f = SafetensorsFile::FromBuffer(img, "t");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_NE((*f)->Find("a"), nullptr);
  EXPECT_EQ((*f)->Find("a")->shape, (std::vector<int64_t>{2, 2}));
  auto b = ToFloat32(*(*f)->Find("b"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, (std::vector<float>{5, 6}));
  EXPECT_EQ((*f)->metadata().at("format"), "pt");
}

TEST(SafetensorsTest, ConvertsHalfAndBFloat16) {
  // 1.0, -2.0, 65504 (f16); 1.0, -0.5 (bf16)
  const uint16_t h[] = {0x3c00, 0xc000, 0x7bff};
  const uint16_t bf[] = {0x3f80, 0xbf00};
  std::string data(reinterpret_cast<const char*>(h), 6);
  data.append(reinterpret_cast<const char*>(bf), 4);
  const std::string img = Image(
      R"({"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[6,10]}})",
      data);
  auto f = SafetensorsFile::FromBuffer(img, "t");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(*ToFloat32(*(*f)->Find("h")), (std::vector<float>{1.0f, -2.0f, 65504.0f}));
  EXPECT_EQ(*ToFloat32(*(*f)->Find("b")), (std::vector<float>{1.0f, -0.5f}));
}

TEST(SafetensorsTest, RejectsMalformedHeaders) {
  const std::string d8 = Floats({1, 2});
  struct Case {
    std::string image;
    std::string expect;
  };
  const Case cases[] = {
      {"abc", "shorter than"},
      {std::string("\xff\xff\xff\xff\xff\x00\x00\x00", 8) + "{}", "exceeds 100 MB"},
      {std::string("\x40\x00\x00\x00\x00\x00\x00\x00", 8) + "{}", "runs past the end"},
      {Image("[1]", ""), "does not start with '{'"},
      {Image("{\"a\":", ""), "not a JSON object"},
      {Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", d8), "appears twice"},
      {Image(R"({"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", d8), "dtype 'Q4'"},
      {Image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", d8), "shape needs 12"},
      {Image(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", d8), "non-negative"},
      {Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", d8), "outside the data area"},
      {Image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", d8), "gap"},
      {Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", d8), "overlaps"},
      {Image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", d8), "belong to none"},
      {Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", d8), "unknown field"},
      {Image(R"({"__metadata__":{"a":1}})", ""), "not a string"},
      {Image(R"({"a":{"dtype":"F32","shape":[2]}})", d8), "data_offsets"},
      {Image("{\"\xff\":1}", ""), "UTF-8"},
  };
  for (const auto& c : cases) {
    const Status s = Parse(c.image);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << c.expect << ": " << s.ToString();
    EXPECT_NE(s.message().find(c.expect), std::string::npos) << s.message();
  }
}

TEST(SafetensorsTest, IntegerTensorIsNotReadAsFloat) {
  const std::string img = Image(R"({"i":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", std::string(8, '\0'));
  auto f = SafetensorsFile::FromBuffer(img, "t");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(ToFloat32(*(*f)->Find("i")).status().code(), StatusCode::kUnsupported);
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("imi_ckpt_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  std::filesystem::path dir_;
};

TEST_F(CheckpointTest, MissingWeightsNameWhatIsRead) {
  auto c = Checkpoint::Open(dir_.string());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_NE(c.status().message().find("pytorch_model.bin is not read"), std::string::npos);
}

TEST_F(CheckpointTest, ShardsPrefixAndTranspose) {
  Write("model-00001-of-00002.safetensors",
        Image(R"({"bert.w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})", Floats({1, 2, 3, 4, 5, 6})));
  Write("model-00002-of-00002.safetensors",
        Image(R"({"bert.b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", Floats({7, 8})));
  Write("model.safetensors.index.json",
        R"({"metadata":{},"weight_map":{"bert.w":"model-00001-of-00002.safetensors","bert.b":"model-00002-of-00002.safetensors"}})");
  auto c = Checkpoint::Open(dir_.string());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE((*c)->ResolvePrefix({"", "bert."}, "w").ok());
  auto w = (*c)->LinearWeight("w", 2, 3);  // [out 2, in 3] -> [3, 2]
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->dims, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(std::vector<float>(w->floats(), w->floats() + 6), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ((*c)->Float("missing", {1}).status().message(), "missing tensor 'bert.missing' in " + dir_.string());
  EXPECT_EQ((*c)->Float("b", {3}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CheckpointTest, IndexNamingAnAbsentTensorIsDataLoss) {
  Write("a.safetensors", Image(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", Floats({1})));
  Write("model.safetensors.index.json", R"({"weight_map":{"y":"a.safetensors"}})");
  auto c = Checkpoint::Open(dir_.string());
  EXPECT_EQ(c.status().code(), StatusCode::kDataLoss);
  Write("model.safetensors.index.json", R"({"weight_map":{"x":"../a.safetensors"}})");
  EXPECT_EQ(Checkpoint::Open(dir_.string()).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace imi::convert
