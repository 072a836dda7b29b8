#include "base/content_hash_memo.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "base/mapped_file.h"

namespace imi {
namespace {

namespace fs = std::filesystem;

class ContentHashMemoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("imi-hash-memo-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "cache");
    file_ = (dir_ / "model.onnx").string();
    cache_ = (dir_ / "cache").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Bytes(size_t size, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string out(size, '\0');
    for (char& c : out) c = static_cast<char>(rng());
    return out;
  }
  void Write(const std::string& bytes) { std::ofstream(file_, std::ios::binary) << bytes; }
  timespec Mtime() const {
    struct stat st {};
    ::stat(file_.c_str(), &st);
    return st.st_mtim;
  }
  void SetMtime(timespec when) const {
    const timespec times[2] = {when, when};
    ASSERT_EQ(::utimensat(AT_FDCWD, file_.c_str(), times, 0), 0);
  }
  static uint64_t Hash(const std::string& bytes) {
    return ContentHash64(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  // Hashes the file and leaves a memo (what a cache writer does).
  Result<FileContentHash> Remember() const {
    Result<FileContentHash> hashed = HashFileWithMemo(file_, {cache_});
    if (hashed.ok()) WriteHashMemo(cache_, *hashed);
    return hashed;
  }
  size_t MemoCount() const {
    size_t n = 0;
    for (const auto& entry : fs::directory_iterator(cache_)) n += entry.path().extension() == ".hash";
    return n;
  }

  fs::path dir_;
  std::string file_;
  std::string cache_;
};

TEST_F(ContentHashMemoTest, AMemoGivesTheSameHashWithoutReadingTheFileAgain) {
  const std::string bytes = Bytes(3 << 20, 1);
  Write(bytes);
  auto first = Remember();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->remembered);
  EXPECT_EQ(first->hash, Hash(bytes));
  EXPECT_EQ(first->size, bytes.size());
  EXPECT_EQ(MemoCount(), 1u);
  // Read-only use (no write directory) finds it.
  auto second = HashFileWithMemo(file_, {"/nonexistent", cache_});
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->remembered);
  EXPECT_EQ(second->hash, first->hash);
  // Without a memo directory nothing is remembered.
  auto plain = HashFileWithMemo(file_, {});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->remembered);
  EXPECT_EQ(plain->hash, first->hash);
}

TEST_F(ContentHashMemoTest, ARewrittenFileIsHashedAgain) {
  Write(Bytes(2 << 20, 1));
  ASSERT_TRUE(Remember().ok());
  const timespec old = Mtime();
  // Same size, new content, new mtime.
  const std::string changed = Bytes(2 << 20, 2);
  Write(changed);
  timespec later = old;
  later.tv_nsec = (later.tv_nsec + 1) % 1000000000;
  SetMtime(later);
  auto after = HashFileWithMemo(file_, {cache_});
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->remembered);
  EXPECT_EQ(after->hash, Hash(changed));
}

TEST_F(ContentHashMemoTest, TheSameSizeAndMtimeWithOtherContentIsCaughtByTheFingerprint) {
  // Two models of one shape extracted with the same timestamp (e.g. images
  // built with SOURCE_DATE_EPOCH=0) have equal sizes and mtimes.
  Write(Bytes(5 << 20, 1));
  SetMtime(timespec{0, 0});
  ASSERT_TRUE(Remember().ok());
  const std::string other = Bytes(5 << 20, 3);
  Write(other);
  SetMtime(timespec{0, 0});
  auto after = HashFileWithMemo(file_, {cache_});
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->remembered);
  EXPECT_EQ(after->hash, Hash(other));
}

TEST_F(ContentHashMemoTest, AMalformedMemoIsIgnored) {
  const std::string bytes = Bytes(2 << 20, 4);
  Write(bytes);
  ASSERT_TRUE(Remember().ok());
  for (const auto& entry : fs::directory_iterator(cache_)) {
    std::ofstream(entry.path(), std::ios::binary) << "imi content hash 2 zzzz\n";
  }
  auto after = HashFileWithMemo(file_, {cache_});
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->remembered);
  EXPECT_EQ(after->hash, Hash(bytes));
}

TEST_F(ContentHashMemoTest, SmallFilesAreHashedWholeAndLeaveNoMemo) {
  const std::string bytes = Bytes(1000, 5);
  Write(bytes);
  auto hashed = Remember();
  ASSERT_TRUE(hashed.ok());
  EXPECT_EQ(hashed->hash, Hash(bytes));
  EXPECT_EQ(MemoCount(), 0u);
  EXPECT_EQ(HashFileWithMemo(file_ + ".missing", {cache_}).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace imi
