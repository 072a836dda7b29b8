// VectorStore::PrepareIndex on the embedded store: once prepared, writes
// update the loaded HNSW index in place and Flush saves it, so a later
// process opens the saved file instead of rebuilding from SQLite.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <random>

#include "store/vector_store.h"
#include "store_test_util.h"

namespace imi::store {
namespace {

using testing::Doc;
using testing::RandomVector;
using testing::TempDir;

// The one index file of the store in `dir`, or "" if there is none.
std::string IndexFile(const std::string& dir) {
  std::string found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/index", ec))
    if (entry.path().extension() == ".hnsw") found = entry.path().string();
  return found;
}

ino_t Inode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST(PrepareIndexTest, PreparedIndexTakesLaterWritesAndIsReopenedWithoutARebuild) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  EmbeddedOptions options;
  options.directory = dir.path();
  options.exact_threshold = 100;
  const int dim = 8;
  std::mt19937 rng(9);
  CollectionSpec spec{"prepared", "test/model", "r1", dim, Metric::kCosine};
  std::vector<float> late_vector = RandomVector(&rng, dim);
  {
    auto store = OpenEmbeddedStore(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->CreateCollection(spec).ok());
    // Below the threshold there is no index to prepare.
    ASSERT_TRUE((*store)->Upsert(spec.name, {Doc("first", RandomVector(&rng, dim))}).ok());
    ASSERT_TRUE((*store)->PrepareIndex(spec.name).ok());
    EXPECT_EQ(IndexFile(dir.path()), "");

    std::vector<Document> docs;
    for (int i = 0; i < 300; ++i) docs.push_back(Doc("d" + std::to_string(i), RandomVector(&rng, dim)));
    ASSERT_TRUE((*store)->Upsert(spec.name, std::move(docs)).ok());
    ASSERT_TRUE((*store)->PrepareIndex(spec.name).ok());
    ASSERT_NE(IndexFile(dir.path()), "") << "PrepareIndex built and saved no index";

    // Writes after preparing go into the loaded index; Flush saves it.
    ASSERT_TRUE((*store)->Upsert(spec.name, {Doc("late", late_vector)}).ok());
    ASSERT_TRUE((*store)->DeleteDocument(spec.name, "d0").ok());
    ASSERT_TRUE((*store)->Flush().ok());
    EXPECT_EQ((*store)->PrepareIndex("no_such_collection").code(), StatusCode::kNotFound);
  }
  const std::string file = IndexFile(dir.path());
  const ino_t saved = Inode(file);
  ASSERT_NE(saved, 0u);

  auto reopened = OpenEmbeddedStore(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  SearchRequest request;
  request.vector = late_vector;
  request.k = 3;
  auto response = (*reopened)->Search(spec.name, request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_FALSE(response->exact);
  ASSERT_FALSE(response->hits.empty());
  EXPECT_EQ(response->hits[0].document_id, "late");
  for (const SearchHit& hit : response->hits) EXPECT_NE(hit.document_id, "d0");
  // A stale file would have been rebuilt and replaced (a new inode).
  EXPECT_EQ(Inode(IndexFile(dir.path())), saved) << "the saved index was rebuilt on reopening";
}

}  // namespace
}  // namespace imi::store
