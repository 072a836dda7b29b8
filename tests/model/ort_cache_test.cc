// The optimised-graph cache: a load that may write it does, the next one runs
// from it, and the vectors are the same bits as without a cache; a damaged or
// unwritable cache is a note, never an error.
#include "model/ort_cache.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "model/embedder.h"

namespace imi::model {
namespace {

namespace fs = std::filesystem;

TEST(OrtCacheTest, ContentHashAndFileNameChangeWithEveryPartOfTheKey) {
  const std::string a = "model bytes", b = "model bytez";
  const auto* pa = reinterpret_cast<const uint8_t*>(a.data());
  const auto* pb = reinterpret_cast<const uint8_t*>(b.data());
  EXPECT_EQ(ContentHash64(pa, a.size()), ContentHash64(pa, a.size()));
  EXPECT_NE(ContentHash64(pa, a.size()), ContentHash64(pb, b.size()));
  EXPECT_NE(ContentHash64(pa, a.size()), ContentHash64(pa, a.size() - 1));
  const std::string name = OrtCacheFileName("model.onnx", 1, 10, "1.21.0", "x86_64");
  EXPECT_EQ(name.rfind("model.onnx.", 0), 0u) << name;
  EXPECT_EQ(name.substr(name.size() - 4), ".ort");
  EXPECT_NE(name, OrtCacheFileName("model.onnx", 2, 10, "1.21.0", "x86_64"));
  EXPECT_NE(name, OrtCacheFileName("model.onnx", 1, 11, "1.21.0", "x86_64"));
  EXPECT_NE(name, OrtCacheFileName("model.onnx", 1, 10, "1.22.0", "x86_64"));
  EXPECT_NE(name, OrtCacheFileName("model.onnx", 1, 10, "1.21.0", "aarch64"));
}

std::vector<std::vector<float>> EmbedWith(const testing::Fixtures& f, const std::string& cache, ModelInfo* info,
                                          const std::string& model = "tiny-bert") {
  EmbedderConfig config;
  config.model_path = f.Path(model);
  config.threads = 1;
  config.ort_cache = cache;
  auto embedder = Embedder::Load(config);
  EXPECT_TRUE(embedder.ok()) << embedder.status().ToString();
  if (!embedder.ok()) return {};
  *info = (*embedder)->info();
  auto result = (*embedder)->Embed({"東京都に住んでいます", "It is sunny today.", "ｶﾀｶﾅ"}, {});
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? result->vectors : std::vector<std::vector<float>>{};
}

TEST(OrtCacheTest, SecondLoadRunsFromTheCachedGraphWithTheSameVectors) {
  IMI_REQUIRE_FIXTURES(f);
  const fs::path dir = fs::path(f.dir) / "ort-cache-test";
  fs::remove_all(dir);
  ModelInfo plain_info, first_info, second_info;
  const auto plain = EmbedWith(f, "off", &plain_info);
  EXPECT_TRUE(plain_info.cache_file.empty());
  const auto first = EmbedWith(f, dir.string(), &first_info);
  ASSERT_FALSE(first_info.cache_file.empty()) << first_info.cache_note;
  EXPECT_FALSE(first_info.cache_hit);
  EXPECT_TRUE(fs::is_regular_file(first_info.cache_file));
  const auto second = EmbedWith(f, dir.string(), &second_info);
  EXPECT_TRUE(second_info.cache_hit) << second_info.cache_note;
  EXPECT_EQ(second_info.cache_file, first_info.cache_file);
  ASSERT_EQ(plain.size(), 3u);
  EXPECT_EQ(first, plain);
  EXPECT_EQ(second, plain);

  // A damaged cache file is rebuilt, with a note.
  std::ofstream(first_info.cache_file, std::ios::binary | std::ios::trunc) << "not a flatbuffer";
  ModelInfo damaged_info;
  const auto damaged = EmbedWith(f, dir.string(), &damaged_info);
  EXPECT_FALSE(damaged_info.cache_hit);
  EXPECT_NE(damaged_info.cache_note.find("unusable"), std::string::npos) << damaged_info.cache_note;
  EXPECT_EQ(damaged, plain);
  ModelInfo rebuilt_info;
  EmbedWith(f, dir.string(), &rebuilt_info);
  EXPECT_TRUE(rebuilt_info.cache_hit) << rebuilt_info.cache_note;
}

// The Unigram tokenizer (XLM-R shape) is cached in the same directory as the
// graph; "off" writes neither. (Which models are cached: tokenizer_cache_test.)
TEST(OrtCacheTest, TheTokenizerCacheSharesTheDirectoryAndGivesTheSameVectors) {
  IMI_REQUIRE_FIXTURES(f);
  const fs::path dir = fs::path(f.dir) / "tokenizer-cache-test";
  fs::remove_all(dir);
  ModelInfo plain_info, first_info, second_info;
  const auto plain = EmbedWith(f, "off", &plain_info, "tiny-xlmr");
  EXPECT_TRUE(plain_info.tokenizer_cache_file.empty());
  EXPECT_FALSE(plain_info.tokenizer_cache_hit);
  const auto first = EmbedWith(f, dir.string(), &first_info, "tiny-xlmr");
  EXPECT_FALSE(first_info.tokenizer_cache_hit);
  ASSERT_FALSE(first_info.tokenizer_cache_file.empty()) << first_info.tokenizer_cache_note;
  EXPECT_EQ(fs::path(first_info.tokenizer_cache_file).parent_path(), dir);
  const auto second = EmbedWith(f, dir.string(), &second_info, "tiny-xlmr");
  EXPECT_TRUE(second_info.tokenizer_cache_hit) << second_info.tokenizer_cache_note;
  EXPECT_TRUE(second_info.cache_hit) << second_info.cache_note;
  ASSERT_EQ(plain.size(), 3u);
  EXPECT_EQ(first, plain);
  EXPECT_EQ(second, plain);
}

// tokenizer.json's padding side comes from the loaded tokenizer (the model
// directory no longer parses the file a second time for it).
TEST(OrtCacheTest, ThePaddingSideOfTokenizerJsonComesFromTheLoadedTokenizer) {
  IMI_REQUIRE_FIXTURES(f);
  const fs::path dir = fs::path(f.dir) / "padding-side-test";
  fs::remove_all(dir);
  fs::copy(f.Path("tiny-bert"), dir, fs::copy_options::recursive);
  ModelInfo right_info;
  {
    EmbedderConfig config;
    config.model_path = dir.string();
    auto embedder = Embedder::Load(config);
    ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
    right_info = (*embedder)->info();
  }
  EXPECT_FALSE(right_info.pad_left);
  nlohmann::json tok;
  std::ifstream(dir / "tokenizer.json") >> tok;
  tok["padding"] = {{"strategy", "BatchLongest"}, {"direction", "Left"}, {"pad_to_multiple_of", nullptr},
                    {"pad_id", 1}, {"pad_type_id", 0}, {"pad_token", "<pad>"}};
  std::ofstream(dir / "tokenizer.json", std::ios::trunc) << tok.dump();
  EmbedderConfig config;
  config.model_path = dir.string();
  config.ort_cache = (dir / "cache").string();  // and through the tokenizer cache
  for (int load = 0; load < 2; ++load) {
    auto embedder = Embedder::Load(config);
    ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
    EXPECT_TRUE((*embedder)->info().pad_left) << "load " << load;
    EXPECT_EQ((*embedder)->info().tokenizer_cache_hit, load == 1);
  }
  fs::remove_all(dir);
}

TEST(OrtCacheTest, AnUnwritableCacheDirectoryIsANoteNotAnError) {
  IMI_REQUIRE_FIXTURES(f);
  const fs::path file = fs::path(f.dir) / "ort-cache-not-a-dir";
  std::ofstream(file) << "x";
  ModelInfo info;
  const auto vectors = EmbedWith(f, (file / "sub").string(), &info);
  EXPECT_EQ(vectors.size(), 3u);
  EXPECT_FALSE(info.cache_hit);
  EXPECT_TRUE(info.cache_file.empty());
  EXPECT_FALSE(info.cache_note.empty());
}

// The default "auto" uses a cached graph it finds (here in IMI_CACHE_DIR) but
// never writes one: a miss starts from the .onnx file and leaves nothing.
TEST(OrtCacheTest, AutoReadsAnExistingCacheAndNeverWritesOne) {
  IMI_REQUIRE_FIXTURES(f);
  const fs::path dir = fs::path(f.dir) / "ort-cache-auto";
  const fs::path home = fs::path(f.dir) / "ort-cache-home";
  fs::remove_all(dir);
  fs::remove_all(home);
  fs::create_directories(dir);
  fs::create_directories(home);
  // A cache beside the fixture's model (written by older builds' "auto") would be found first.
  std::vector<fs::path> beside;
  for (const auto& entry : fs::recursive_directory_iterator(f.Path("tiny-bert"))) {
    if (entry.path().filename() == ".imi-cache") beside.push_back(entry.path());
  }
  for (const fs::path& dir_beside : beside) fs::remove_all(dir_beside);
  const std::string saved_home = std::getenv("HOME") != nullptr ? std::getenv("HOME") : "";
  ::setenv("IMI_CACHE_DIR", dir.c_str(), 1);
  ::setenv("HOME", home.c_str(), 1);
  ::unsetenv("XDG_CACHE_HOME");

  ModelInfo miss_info;
  const auto miss = EmbedWith(f, "auto", &miss_info);
  EXPECT_FALSE(miss_info.cache_hit);
  EXPECT_TRUE(miss_info.cache_file.empty());
  EXPECT_NE(miss_info.cache_note.find("--ort-cache write"), std::string::npos) << miss_info.cache_note;
  EXPECT_TRUE(fs::is_empty(dir));
  EXPECT_TRUE(fs::is_empty(home));

  ModelInfo written_info, hit_info;
  EmbedWith(f, dir.string(), &written_info);
  ASSERT_FALSE(written_info.cache_file.empty()) << written_info.cache_note;
  const auto hit = EmbedWith(f, "auto", &hit_info);
  EXPECT_TRUE(hit_info.cache_hit) << hit_info.cache_note;
  EXPECT_EQ(hit_info.cache_file, written_info.cache_file);
  EXPECT_EQ(hit, miss);

  ::unsetenv("IMI_CACHE_DIR");
  ::setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace imi::model
