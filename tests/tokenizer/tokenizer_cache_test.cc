// The binary tokenizer cache (tokenizer/tokenizer_cache.h): every shared
// tokenizer, every tokenizer under tests/data/tokenizer/made/ and, when the
// cold-start bench made it, the XLM-R-sized one load from their JSON and
// through the cache (written, then read) and encode the tokenizer corpora
// identically (ids, tokens, offsets, type ids, masks; pairs; decoding; every
// vocabulary entry both ways). A truncated, corrupt, foreign or stale cache
// file is logged, ignored and rebuilt; a trie pointing outside its arrays is
// refused even with a valid checksum.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/log.h"
#include "base/mapped_file.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_cache.h"
#include "tokenizer_files.h"

namespace imi::tokenizer {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = IMI_SOURCE_DIR;
const fs::path kXlmrSized = fs::path(IMI_BINARY_DIR) / "bench-coldstart/minilm-l12-xlmr-tokenizer/tokenizer.json";
const fs::path kUnigram = fs::path(IMI_SHARED_DIR) / "tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json";

std::vector<std::pair<std::string, fs::path>> TokenizerFiles() {
  auto files = testing::TokenizerFiles();
  if (fs::exists(kXlmrSized)) files.emplace_back("xlmr_sized_250k", kXlmrSized);
  return files;
}

const std::vector<std::string>& CorpusTexts() {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> out;
    for (const char* name : {"corpus.jsonl", "random_20261126_800.jsonl"}) {
      std::ifstream in(kSource / "tests/data/tokenizer/corpus" / name);
      std::string line;
      while (std::getline(in, line)) {
        if (!line.empty()) out.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
      }
    }
    return out;
  }();
  return texts;
}

bool IsUnigram(const fs::path& file) {
  std::ifstream in(file);
  const nlohmann::json root = nlohmann::json::parse(in);
  const nlohmann::json& model = root["model"];
  return model.value("type", "") == "Unigram" || (!model.contains("type") && model["vocab"].is_array());
}

// What differs between two encodings, or "" when they are the same.
std::string Difference(const Encoding& want, const Encoding& got) {
  if (want.size() != got.size()) return "length " + std::to_string(want.size()) + " vs " + std::to_string(got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (want.ids[i] != got.ids[i] || want.tokens[i] != got.tokens[i] || want.offsets[i] != got.offsets[i] ||
        want.type_ids[i] != got.type_ids[i] || want.special_tokens_mask[i] != got.special_tokens_mask[i] ||
        want.attention_mask[i] != got.attention_mask[i])
      return "token " + std::to_string(i) + ": '" + want.tokens[i] + "' (" + std::to_string(want.ids[i]) +
             ") vs '" + got.tokens[i] + "' (" + std::to_string(got.ids[i]) + ")";
  }
  if (want.overflowing.size() != got.overflowing.size()) return "overflowing windows differ";
  return "";
}

// A fresh directory under the build tree, removed at the end of the test.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name)
      : path_(fs::path(IMI_BINARY_DIR) / "test-scratch" / ("tokenizer_cache_" + name)) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

// Reads and writes the cache in `dir` (what --ort-cache DIR does).
Result<std::unique_ptr<Tokenizer>> LoadAndWrite(const std::string& path, const std::string& dir,
                                                TokenizerCacheInfo* info) {
  return LoadTokenizerCached(path, {dir}, dir, info);
}

std::string SafeName(std::string name) {
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

class TokenizerCacheParityTest : public ::testing::TestWithParam<std::pair<std::string, fs::path>> {};

TEST_P(TokenizerCacheParityTest, EncodesTheCorporaAsTheJsonDoes) {
  const auto& [name, file] = GetParam();
  ScratchDir dir(SafeName(name));
  auto plain = Tokenizer::FromFile(file.string());
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();

  TokenizerCacheInfo first;
  auto writing = LoadAndWrite(file.string(), dir.str(), &first);
  ASSERT_TRUE(writing.ok()) << writing.status().ToString();
  EXPECT_FALSE(first.hit);
  EXPECT_EQ(first.note, "");
  TokenizerCacheInfo second;
  auto cached = LoadAndWrite(file.string(), dir.str(), &second);
  ASSERT_TRUE(cached.ok()) << cached.status().ToString();
  if (IsUnigram(file)) {
    ASSERT_TRUE(first.written) << "a Unigram tokenizer must be cached";
    ASSERT_TRUE(second.hit) << second.note;
    EXPECT_EQ(second.file, first.file);
  } else {
    EXPECT_FALSE(first.written);
    EXPECT_FALSE(second.hit);
    EXPECT_TRUE(fs::is_empty(dir.str())) << "only Unigram vocabularies are cached";
  }

  // Tokenizers that are not cached go through the JSON both times: a
  // sample of the corpora shows the loader hands them over unchanged.
  const size_t texts_to_check = IsUnigram(file) ? CorpusTexts().size() : 50;
  const Tokenizer& want = **plain;
  for (const Tokenizer* got : {writing->get(), cached->get()}) {
    ASSERT_EQ(want.VocabSize(), got->VocabSize());
    ASSERT_EQ(want.NumSpecialTokensToAdd(false), got->NumSpecialTokensToAdd(false));
    ASSERT_EQ(want.NumSpecialTokensToAdd(true), got->NumSpecialTokensToAdd(true));
    ASSERT_EQ(want.truncation().has_value(), got->truncation().has_value());
    ASSERT_EQ(want.padding().has_value(), got->padding().has_value());
    for (int32_t id = 0; id < static_cast<int32_t>(want.VocabSize()) + 8; ++id) {
      const std::optional<std::string> token = want.IdToToken(id);
      ASSERT_EQ(token, got->IdToToken(id)) << "id " << id;
      if (token) {
        ASSERT_EQ(want.TokenToId(*token), got->TokenToId(*token)) << *token;
      }
    }
    const std::vector<std::string>& texts = CorpusTexts();
    ASSERT_GT(texts.size(), 100u);
    for (size_t i = 0; i < std::min(texts.size(), texts_to_check); ++i) {
      for (bool special : {true, false}) {
        auto a = want.Encode(texts[i], special);
        auto b = got->Encode(texts[i], special);
        ASSERT_EQ(a.ok(), b.ok()) << "text " << i;
        if (!a.ok()) continue;
        ASSERT_EQ(Difference(*a, *b), "") << name << ", text " << i << ": " << texts[i].substr(0, 200);
        auto da = want.Decode(a->ids, true);
        auto db = got->Decode(b->ids, true);
        ASSERT_EQ(da.ok(), db.ok());
        if (da.ok()) {
          ASSERT_EQ(*da, *db) << "text " << i;
        }
      }
      if (i + 1 < texts.size() && i % 4 == 0) {
        auto a = want.EncodePair(texts[i], texts[i + 1]);
        auto b = got->EncodePair(texts[i], texts[i + 1]);
        ASSERT_EQ(a.ok(), b.ok());
        if (a.ok()) {
          ASSERT_EQ(Difference(*a, *b), "") << name << ", pair " << i;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryTokenizer, TokenizerCacheParityTest, ::testing::ValuesIn(TokenizerFiles()),
                         [](const auto& info) { return SafeName(info.param.first); });

// Collects the log lines of one test.
class LogCapture {
 public:
  LogCapture() {
    previous_ = SetLogSink([this](std::string_view line) { lines_.emplace_back(line); });
  }
  ~LogCapture() { SetLogSink(previous_); }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  LogSink previous_;
  std::vector<std::string> lines_;
};

std::string ReadBytes(const std::string& path) {
  Result<std::string> bytes = ReadFileToString(path);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : "";
}

// Writes the cache of the shared Unigram tokenizer into `dir`; its file name.
std::string WriteCache(const std::string& dir) {
  TokenizerCacheInfo info;
  auto tok = LoadAndWrite(kUnigram.string(), dir, &info);
  EXPECT_TRUE(tok.ok() && info.written) << info.note;
  return info.file;
}

void ExpectRebuiltFrom(const std::string& dir, const std::string& file, const std::string& bytes,
                       const std::string& why) {
  SCOPED_TRACE(why);
  ASSERT_TRUE(WriteFileAtomically(file, bytes).ok());
  LogCapture log;
  TokenizerCacheInfo info;
  auto tok = LoadAndWrite(kUnigram.string(), dir, &info);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_FALSE(info.hit);
  EXPECT_TRUE(info.written);
  EXPECT_NE(info.note.find("unusable, rebuilt"), std::string::npos) << info.note;
  ASSERT_EQ(log.lines().size(), 1u);
  EXPECT_NE(log.lines()[0].find("tokenizer cache"), std::string::npos) << log.lines()[0];
  auto plain = Tokenizer::FromFile(kUnigram.string());
  ASSERT_TRUE(plain.ok());
  auto a = (*plain)->Encode("キャッシュが壊れても同じトークン。 Same tokens.");
  auto b = (*tok)->Encode("キャッシュが壊れても同じトークン。 Same tokens.");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(Difference(*a, *b), "");
  // Rebuilt: the next load reads it.
  TokenizerCacheInfo again;
  ASSERT_TRUE(LoadAndWrite(kUnigram.string(), dir, &again).ok());
  EXPECT_TRUE(again.hit) << again.note;
}

// Replaces the trailing checksum so that a deliberately broken body passes it.
void Reseal(std::string* bytes) {
  const uint64_t sum = ContentHash64(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size() - 8);
  std::memcpy(bytes->data() + bytes->size() - 8, &sum, 8);
}

TEST(TokenizerCacheFileTest, ABrokenCacheFileIsLoggedIgnoredAndRebuilt) {
  if (!fs::exists(kUnigram)) GTEST_SKIP() << "shared tokenizer missing: " << kUnigram;
  ScratchDir dir("broken");
  const std::string file = WriteCache(dir.str());
  const std::string good = ReadBytes(file);
  ASSERT_GT(good.size(), 1000u);

  ExpectRebuiltFrom(dir.str(), file, good.substr(0, good.size() - 1), "one byte short");
  ExpectRebuiltFrom(dir.str(), file, good.substr(0, good.size() / 2), "half");
  ExpectRebuiltFrom(dir.str(), file, good.substr(0, 40), "part of the header");
  ExpectRebuiltFrom(dir.str(), file, good + "x", "one byte more");
  ExpectRebuiltFrom(dir.str(), file, std::string(good.size(), '\0'), "zeros");
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x20;
  ExpectRebuiltFrom(dir.str(), file, flipped, "a flipped bit (checksum)");
  std::string version = good;
  version[8] = static_cast<char>(kTokenizerCacheVersion + 1);
  Reseal(&version);
  ExpectRebuiltFrom(dir.str(), file, version, "another format version");
  std::string foreign = good;
  foreign[16] ^= 1;  // the source hash
  Reseal(&foreign);
  ExpectRebuiltFrom(dir.str(), file, foreign, "made from another tokenizer.json");
}

TEST(TokenizerCacheFileTest, ATriePointingOutsideItsArraysIsRefusedDespiteTheChecksum) {
  if (!fs::exists(kUnigram)) GTEST_SKIP() << "shared tokenizer missing: " << kUnigram;
  ScratchDir dir("trie");
  const std::string good = ReadBytes(WriteCache(dir.str()));
  const TokenizerCacheKey* any = nullptr;
  {
    auto ok = DecodeTokenizerCache(reinterpret_cast<const uint8_t*>(good.data()), good.size(), any, "good");
    ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  }
  // The last edge's child (the last 4 bytes before the checksum) points past
  // every node; the first byte of the JSON section breaks the JSON.
  std::string bad_child = good;
  const int32_t huge = 0x7fffffff;
  std::memcpy(bad_child.data() + bad_child.size() - 12, &huge, 4);
  Reseal(&bad_child);
  auto refused = DecodeTokenizerCache(reinterpret_cast<const uint8_t*>(bad_child.data()), bad_child.size(), any, "x");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(refused.status().message().find("trie"), std::string::npos) << refused.status().message();

  std::string bad_json = good;
  bad_json[64] = '#';
  Reseal(&bad_json);
  refused = DecodeTokenizerCache(reinterpret_cast<const uint8_t*>(bad_json.data()), bad_json.size(), any, "x");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss);
}

TEST(TokenizerCacheFileTest, AChangedTokenizerJsonGetsItsOwnCacheFile) {
  if (!fs::exists(kUnigram)) GTEST_SKIP() << "shared tokenizer missing: " << kUnigram;
  ScratchDir dir("changed");
  const fs::path copy = fs::path(dir.str()) / "model" / "tokenizer.json";
  fs::create_directories(copy.parent_path());
  fs::copy_file(kUnigram, copy);
  const std::string cache = (fs::path(dir.str()) / "cache").string();
  TokenizerCacheInfo first;
  ASSERT_TRUE(LoadAndWrite(copy.parent_path().string(), cache, &first).ok());  // a directory works too
  ASSERT_TRUE(first.written);
  // A different unk piece score: same size class, other content.
  std::string json = ReadBytes(copy.string());
  nlohmann::json root = nlohmann::json::parse(json);
  root["model"]["vocab"][5][1] = -1.5;
  ASSERT_TRUE(WriteFileAtomically(copy.string(), root.dump()).ok());
  TokenizerCacheInfo second;
  auto tok = LoadAndWrite(copy.string(), cache, &second);
  ASSERT_TRUE(tok.ok());
  EXPECT_FALSE(second.hit);
  EXPECT_TRUE(second.written);
  EXPECT_NE(second.file, first.file);
  auto fresh = Tokenizer::FromFile(copy.string());
  ASSERT_TRUE(fresh.ok());
  TokenizerCacheInfo third;
  auto cached = LoadAndWrite(copy.string(), cache, &third);
  ASSERT_TRUE(cached.ok() && third.hit);
  for (const std::string& text : CorpusTexts()) {
    auto a = (*fresh)->Encode(text);
    auto b = (*cached)->Encode(text);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(Difference(*a, *b), "");
  }
}

TEST(TokenizerCacheFileTest, ALargeTokenizerLoadsLightOnlyWhenItsMemoAndCacheAreThere) {
  if (!fs::exists(kUnigram)) GTEST_SKIP() << "shared tokenizer missing: " << kUnigram;
  ScratchDir dir("light");
  const std::string cache = (fs::path(dir.str()) / "cache").string();
  EXPECT_TRUE(TokenizerLoadIsLight(kUnigram.string(), {cache})) << "2.6 MB: a modest JSON DOM";
  // Over 4 MiB: the shared vocabulary and 120k more pieces.
  nlohmann::json root = nlohmann::json::parse(ReadBytes(kUnigram.string()));
  for (int i = 0; i < 120000; ++i) root["model"]["vocab"].push_back({"\u2581extra" + std::to_string(i), -30.0});
  const fs::path large = fs::path(dir.str()) / "tokenizer.json";
  ASSERT_TRUE(WriteFileAtomically(large.string(), root.dump()).ok());
  ASSERT_GT(fs::file_size(large), 4u << 20);
  EXPECT_FALSE(TokenizerLoadIsLight(large.string(), {cache})) << "no cache yet";
  TokenizerCacheInfo info;
  ASSERT_TRUE(LoadAndWrite(large.string(), cache, &info).ok());
  ASSERT_TRUE(info.written);
  EXPECT_TRUE(TokenizerLoadIsLight(large.string(), {"/nonexistent", cache}));
  EXPECT_FALSE(TokenizerLoadIsLight(large.string(), {})) << "no cache directory";
  // The cache gone, the memo alone is not enough.
  fs::remove(info.file);
  EXPECT_FALSE(TokenizerLoadIsLight(large.string(), {cache}));
}

TEST(TokenizerCacheFileTest, AnUnwritableCacheDirectoryIsANoteNotAnError) {
  if (!fs::exists(kUnigram)) GTEST_SKIP() << "shared tokenizer missing: " << kUnigram;
  ScratchDir dir("unwritable");
  const std::string blocker = (fs::path(dir.str()) / "a-file").string();
  ASSERT_TRUE(WriteFileAtomically(blocker, "not a directory").ok());
  LogCapture log;
  TokenizerCacheInfo info;
  auto tok = LoadAndWrite(kUnigram.string(), blocker + "/cache", &info);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_FALSE(info.hit);
  EXPECT_FALSE(info.written);
  EXPECT_NE(info.note.find("not written"), std::string::npos) << info.note;
  EXPECT_EQ(log.lines().size(), 1u);
}

// --ort-cache auto: read from the first directory holding a valid file,
// never write; a damaged file is skipped with a log line.
TEST(TokenizerCacheFileTest, ReadOnlyDirectoriesAreSearchedInOrderAndNeverWritten) {
  if (!fs::exists(kUnigram)) GTEST_SKIP() << "shared tokenizer missing: " << kUnigram;
  ScratchDir empty("read_only_empty");
  ScratchDir damaged("read_only_damaged");
  ScratchDir good("read_only_good");
  TokenizerCacheInfo info;
  auto plain = LoadTokenizerCached(kUnigram.string(), {empty.str()}, "", &info);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(info.hit || info.written);
  EXPECT_TRUE(fs::is_empty(empty.str())) << "a read-only setting writes nothing";
  const std::string file = WriteCache(good.str());
  const std::string damaged_file = (fs::path(damaged.str()) / fs::path(file).filename()).string();
  ASSERT_TRUE(WriteFileAtomically(damaged_file, ReadBytes(file).substr(0, 100)).ok());
  LogCapture log;
  auto cached = LoadTokenizerCached(kUnigram.string(), {empty.str(), damaged.str(), good.str()}, "", &info);
  ASSERT_TRUE(cached.ok());
  EXPECT_TRUE(info.hit);
  EXPECT_EQ(info.file, file);
  ASSERT_EQ(log.lines().size(), 1u);
  EXPECT_NE(log.lines()[0].find("skipped"), std::string::npos) << log.lines()[0];
  EXPECT_EQ(fs::file_size(damaged_file), 100u) << "not rewritten";
}

TEST(TokenizerCacheFileTest, ErrorsAreTheJsonLoadersOwn) {
  ScratchDir dir("errors");
  TokenizerCacheInfo info;
  auto missing = LoadAndWrite((fs::path(dir.str()) / "nothing.json").string(), dir.str(), &info);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  const std::string empty = (fs::path(dir.str()) / "empty.json").string();
  ASSERT_TRUE(WriteFileAtomically(empty, "").ok());
  auto empty_result = LoadAndWrite(empty, dir.str(), &info);
  ASSERT_FALSE(empty_result.ok());
  EXPECT_EQ(empty_result.status().code(), StatusCode::kInvalidArgument);
  const std::string broken = (fs::path(dir.str()) / "broken.json").string();
  ASSERT_TRUE(WriteFileAtomically(broken, "{\"model\": ").ok());
  auto broken_result = LoadAndWrite(broken, dir.str(), &info);
  ASSERT_FALSE(broken_result.ok());
  EXPECT_NE(broken_result.status().message().find("broken.json"), std::string::npos);
}

TEST(TokenizerCacheFileTest, TheCacheFileIsTheSameEveryTime) {
  if (!fs::exists(kUnigram)) GTEST_SKIP() << "shared tokenizer missing: " << kUnigram;
  ScratchDir a("same_a");
  ScratchDir b("same_b");
  EXPECT_EQ(ReadBytes(WriteCache(a.str())), ReadBytes(WriteCache(b.str())));
}

}  // namespace
}  // namespace imi::tokenizer
