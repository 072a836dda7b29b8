#include "store/embedded/hnsw_index.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/file.h"
#include "store/vector_store.h"
#include "store_test_util.h"

namespace imi::store {
namespace {

using testing::Doc;
using testing::RandomVector;
using testing::TempDir;

constexpr int kDim = 12;

std::unique_ptr<HnswIndex> BuildIndex(Metric metric, int n, std::vector<std::vector<float>>* vectors) {
  std::mt19937 rng(3);
  auto index = HnswIndex::Create({metric, kDim, 16, 64}, 8);
  EXPECT_TRUE(index.ok());
  for (int i = 0; i < n; ++i) {
    vectors->push_back(RandomVector(&rng, kDim));
    EXPECT_TRUE((*index)->Add(static_cast<uint64_t>(i + 1), vectors->back().data()).ok());
  }
  return std::move(index).value();
}

IndexStamp Stamp(uint64_t data_version) {
  IndexStamp stamp;
  stamp.store_id = std::string("0123456789abcdef");
  stamp.collection_id = 7;
  stamp.data_version = data_version;
  stamp.max_chunk_id = 300;
  stamp.excluded = {301, 4000000000};
  return stamp;
}

TEST(HnswIndexTest, SavedIndexLoadsBackWithItsStampAndSameResults) {
  TempDir dir;
  for (Metric metric : {Metric::kCosine, Metric::kL2, Metric::kIp, Metric::kL1}) {
    std::vector<std::vector<float>> vectors;
    auto index = BuildIndex(metric, 300, &vectors);
    std::string path = dir.path() + "/i.hnsw";
    ASSERT_TRUE(index->Save(path, Stamp(42)).ok());
    IndexStamp stamp;
    auto loaded = HnswIndex::Load(path, {metric, kDim, 16, 64}, &stamp);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(stamp.data_version, 42u);
    EXPECT_EQ(stamp.store_id, "0123456789abcdef");
    EXPECT_EQ(stamp.collection_id, 7);
    EXPECT_EQ(stamp.max_chunk_id, 300);
    EXPECT_EQ(stamp.excluded, (std::vector<int64_t>{301, 4000000000}));
    EXPECT_EQ((*loaded)->size(), 300u);
    auto a = index->Search(vectors[5].data(), 10, 50);
    auto b = (*loaded)->Search(vectors[5].data(), 10, 50);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b);
    EXPECT_EQ((*a)[0].first, 6u);  // a stored vector finds itself first
  }
}

TEST(HnswIndexTest, DeletedLabelsAreNotReturned) {
  std::vector<std::vector<float>> vectors;
  auto index = BuildIndex(Metric::kL2, 100, &vectors);
  index->MarkDeleted(6);
  auto hits = index->Search(vectors[5].data(), 5, 50);
  ASSERT_TRUE(hits.ok());
  for (const auto& [label, distance] : *hits) EXPECT_NE(label, 6u);
  EXPECT_EQ(index->size(), 99u);
}

TEST(HnswIndexTest, DeletedLabelsStayDeletedAndCountedAfterLoading) {
  TempDir dir;
  std::vector<std::vector<float>> vectors;
  auto index = BuildIndex(Metric::kL2, 100, &vectors);
  index->MarkDeleted(6);
  index->MarkDeleted(7);
  const std::string path = dir.path() + "/i.hnsw";
  ASSERT_TRUE(index->Save(path, Stamp(1)).ok());
  IndexStamp stamp;
  auto loaded = HnswIndex::Load(path, {Metric::kL2, kDim, 16, 64}, &stamp);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->size(), 98u);
  EXPECT_EQ((*loaded)->Labels().size(), 98u);
  auto hits = (*loaded)->Search(vectors[5].data(), 5, 50);
  ASSERT_TRUE(hits.ok());
  for (const auto& [label, distance] : *hits) EXPECT_TRUE(label != 6u && label != 7u);
}

TEST(HnswIndexTest, DamagedFilesAreDataLoss) {
  TempDir dir;
  std::vector<std::vector<float>> vectors;
  auto index = BuildIndex(Metric::kCosine, 50, &vectors);
  std::string path = dir.path() + "/i.hnsw";
  ASSERT_TRUE(index->Save(path, Stamp(1)).ok());
  auto good = ReadFileToString(path);
  ASSERT_TRUE(good.ok());
  struct Damage {
    const char* what;
    std::string bytes;
  };
  std::string flipped_payload = *good;
  flipped_payload[flipped_payload.size() / 2] ^= 0x40;
  std::string flipped_header = *good;
  flipped_header[30] ^= 0x01;  // inside the store id
  std::string old_version = *good;
  old_version[8] = 1;
  std::string bad_magic = *good;
  bad_magic[0] = 'X';
  for (const Damage& d : {Damage{"flipped payload byte", flipped_payload}, Damage{"flipped header byte", flipped_header},
                          Damage{"bad magic", bad_magic}, Damage{"format version 1", old_version}, Damage{"truncated", good->substr(0, good->size() - 9)},
                          Damage{"empty", ""}}) {
    SCOPED_TRACE(d.what);
    ASSERT_TRUE(WriteFileAtomically(path, d.bytes).ok());
    IndexStamp stamp;
    auto loaded = HnswIndex::Load(path, {Metric::kCosine, kDim, 16, 64}, &stamp);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), StatusCode::kDataLoss);
  }
  ASSERT_TRUE(WriteFileAtomically(path, *good).ok());
  IndexStamp stamp;
  auto other_metric = HnswIndex::Load(path, {Metric::kL2, kDim, 16, 64}, &stamp);
  EXPECT_EQ(other_metric.status().code(), StatusCode::kDataLoss);
}

class IndexRecoveryTest : public ::testing::Test {
 protected:
  std::unique_ptr<VectorStore> Open(bool use_index) {
    EmbeddedOptions options;
    options.directory = dir_.path();
    options.exact_threshold = use_index ? 0 : (int64_t{1} << 40);
    auto store = OpenEmbeddedStore(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  }
  std::string IndexFile() {
    for (const auto& e : std::filesystem::directory_iterator(dir_.path() + "/index"))
      if (e.path().extension() == ".hnsw") return e.path().string();
    return "";
  }
  // Top document for `query`, searched through the index (not exact).
  std::string Top(VectorStore* store, const std::vector<float>& query) {
    SearchRequest request;
    request.vector = query;
    request.k = 1;
    auto response = store->Search("c", request);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_FALSE(response->exact);
    return response->hits.empty() ? "" : response->hits[0].document_id;
  }
  TempDir dir_;
  std::mt19937 rng_{11};
};

TEST_F(IndexRecoveryTest, IndexFileIsWrittenAndRebuiltWhenMissingStaleOrCorrupt) {
  std::vector<std::vector<float>> vectors;
  {
    auto store = Open(true);
    ASSERT_TRUE(store->CreateCollection({"c", "m", "r", kDim, Metric::kCosine}).ok());
    std::vector<Document> docs;
    for (int i = 0; i < 200; ++i) {
      vectors.push_back(RandomVector(&rng_, kDim));
      docs.push_back(Doc(std::string("d") + std::to_string(i), vectors.back()));
    }
    ASSERT_TRUE(store->Upsert("c", docs).ok());
    EXPECT_EQ(Top(store.get(), vectors[17]), "d17");
  }
  std::string file = IndexFile();
  ASSERT_FALSE(file.empty()) << "no index file was written";

  // Stale: a write by a process that never loaded the index.
  std::vector<float> fresh = RandomVector(&rng_, kDim);
  {
    auto store = Open(false);
    ASSERT_TRUE(store->Upsert("c", {Doc("fresh", fresh)}).ok());
  }
  {
    auto store = Open(true);
    EXPECT_EQ(Top(store.get(), fresh), "fresh");
  }
  // Corrupt.
  auto bytes = ReadFileToString(file);
  ASSERT_TRUE(bytes.ok());
  std::string damaged = *bytes;
  damaged[damaged.size() - 100] ^= 0x7f;
  ASSERT_TRUE(WriteFileAtomically(file, damaged).ok());
  {
    auto store = Open(true);
    EXPECT_EQ(Top(store.get(), vectors[42]), "d42");
  }
  IndexStamp stamp;
  EXPECT_TRUE(HnswIndex::Load(file, {Metric::kCosine, kDim, 16, 64}, &stamp).ok()) << "index was not rewritten";
  // Missing.
  std::filesystem::remove(file);
  {
    auto store = Open(true);
    EXPECT_EQ(Top(store.get(), vectors[99]), "d99");
  }
  EXPECT_TRUE(std::filesystem::exists(file));
}

}  // namespace
}  // namespace imi::store
