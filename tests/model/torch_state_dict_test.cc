// The .pt reader on files written in torch.save's format by
// tests/data/model/pt/make_pt_fixtures.py (values t[i] = (i % 17 - 8) / 8).
#include "model/torch_state_dict.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "model/zip_archive.h"

namespace imi::model {
namespace {

std::string Fixture(const std::string& name) { return std::string(IMI_SOURCE_DIR) + "/tests/data/model/pt/" + name; }

float Expected(size_t i) { return static_cast<float>(static_cast<int>(i % 17) - 8) / 8.0f; }

void ExpectLinear(const std::map<std::string, FloatTensor>& sd) {
  ASSERT_EQ(sd.size(), 2u);
  const FloatTensor& w = sd.at("weight");
  ASSERT_EQ(w.shape, (std::vector<int64_t>{3, 5}));
  for (size_t i = 0; i < 15; ++i) EXPECT_EQ(w.values[i], Expected(i)) << i;
  const FloatTensor& b = sd.at("bias");
  ASSERT_EQ(b.shape, (std::vector<int64_t>{3}));
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(b.values[i], Expected(i)) << i;
}

TEST(TorchStateDictTest, ReadsEveryFloatStorageType) {
  for (const char* name : {"linear_f32.pt", "linear_f16.pt", "linear_bf16.pt", "linear_f64.pt"}) {
    SCOPED_TRACE(name);
    auto sd = ReadTorchStateDictFile(Fixture(name));
    ASSERT_TRUE(sd.ok()) << sd.status().ToString();
    ExpectLinear(*sd);
  }
}

TEST(TorchStateDictTest, GathersAStridedViewWithAnOffset) {
  auto sd = ReadTorchStateDictFile(Fixture("linear_strided.pt"));
  ASSERT_TRUE(sd.ok()) << sd.status().ToString();
  ExpectLinear(*sd);
}

TEST(TorchStateDictTest, ReadsADictWithoutModuleMetadataAndAnEmptyOne) {
  auto sd = ReadTorchStateDictFile(Fixture("linear_no_metadata.pt"));
  ASSERT_TRUE(sd.ok()) << sd.status().ToString();
  ExpectLinear(*sd);
  auto empty = ReadTorchStateDictFile(Fixture("empty.pt"));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
}

TEST(TorchStateDictTest, RejectsWhatTorchSaveDoesNotWrite) {
  struct Case {
    const char* file;
    StatusCode code;
    const char* says;
  } cases[] = {
      {"bad_deflated.pt", StatusCode::kUnsupported, "compressed"},
      {"bad_legacy.pt", StatusCode::kUnsupported, "legacy"},
      {"bad_global.pt", StatusCode::kUnsupported, "global posix.system"},
      {"bad_crc.pt", StatusCode::kDataLoss, "CRC-32"},
      {"bad_protocol.pt", StatusCode::kUnsupported, "protocol 4"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    auto sd = ReadTorchStateDictFile(Fixture(c.file));
    ASSERT_FALSE(sd.ok());
    EXPECT_EQ(sd.status().code(), c.code) << sd.status().ToString();
    EXPECT_NE(sd.status().message().find(c.says), std::string::npos) << sd.status().ToString();
    EXPECT_NE(sd.status().message().find(c.file), std::string::npos) << "names the file: " << sd.status().ToString();
  }
}

TEST(TorchStateDictTest, EveryTruncationOfAGoodFileIsAnErrorNotACrash) {
  auto bytes = ReadFileToString(Fixture("linear_strided.pt"));
  ASSERT_TRUE(bytes.ok());
  for (size_t n = 0; n < bytes->size(); ++n) {
    auto sd = ReadTorchStateDict(std::string_view(*bytes).substr(0, n), "cut.pt");
    EXPECT_FALSE(sd.ok()) << "a " << n << "-byte prefix was accepted";
  }
}

TEST(TorchStateDictTest, EveryFlippedByteIsCaughtOrHarmless) {
  // Each single-bit change either fails with a Status or yields the same
  // state dict (bytes nobody reads, such as zip timestamps).
  auto bytes = ReadFileToString(Fixture("linear_f16.pt"));
  ASSERT_TRUE(bytes.ok());
  for (size_t i = 0; i < bytes->size(); ++i) {
    std::string copy = *bytes;
    copy[i] = static_cast<char>(copy[i] ^ 0x10);
    auto sd = ReadTorchStateDict(copy, "flipped.pt");
    if (sd.ok()) ExpectLinear(*sd);
  }
}

TEST(ZipArchiveTest, Crc32MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
}

}  // namespace
}  // namespace imi::model
