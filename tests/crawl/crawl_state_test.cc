// The crawl state store on both backends: runs, records, atomic batches,
// and removal together with the collection.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "../store/store_test_util.h"
#include "store/crawl_state.h"
#include "store/vector_store.h"

namespace imi::store {
namespace {

using testing::TempDir;
using testing::UniqueName;

struct Backend {
  std::string name;
  std::unique_ptr<VectorStore> store;
  std::unique_ptr<CrawlStateStore> state;
};

class CrawlStateTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "embedded") {
      EmbeddedOptions options;
      options.directory = dir_.path();
      auto store = OpenEmbeddedStore(options);
      ASSERT_TRUE(store.ok()) << store.status().message();
      store_ = std::move(store).value();
      auto state = OpenEmbeddedCrawlState(dir_.path());
      ASSERT_TRUE(state.ok()) << state.status().message();
      state_ = std::move(state).value();
    } else {
      const char* dsn = std::getenv("IMI_TEST_PG_DSN");
      if (dsn == nullptr || *dsn == '\0') GTEST_SKIP() << "IMI_TEST_PG_DSN is not set";
      auto store = OpenPostgresStore(dsn);
      ASSERT_TRUE(store.ok()) << store.status().message();
      store_ = std::move(store).value();
      auto state = OpenPostgresCrawlState(dsn);
      ASSERT_TRUE(state.ok()) << state.status().message();
      state_ = std::move(state).value();
    }
    name_ = UniqueName("crawlstate");
    CollectionSpec spec;
    spec.name = name_;
    spec.model_id = "test-model";
    spec.model_revision = "r";
    spec.dimension = 4;
    ASSERT_TRUE(store_->CreateCollection(spec).ok());
  }
  void TearDown() override {
    if (store_) (void)store_->DeleteCollection(name_);
  }

  TempDir dir_;
  std::unique_ptr<VectorStore> store_;
  std::unique_ptr<CrawlStateStore> state_;
  std::string name_;
};

TEST_P(CrawlStateTest, RunsStartFinishAndNumberPerCollection) {
  EXPECT_EQ(state_->LatestRun(name_).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(state_->StartRun(name_, 1, {{"seeds", {"http://h/"}}}).ok());
  auto run = state_->LatestRun(name_);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->run, 1);
  EXPECT_FALSE(run->finished);
  EXPECT_EQ(run->info["seeds"][0], "http://h/");
  EXPECT_EQ(run->started_at.size(), 20u);
  EXPECT_EQ(state_->StartRun(name_, 1, {}).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(state_->FinishRun(name_, 1, {{"pages", 3}}).ok());
  run = state_->LatestRun(name_);
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->finished);
  EXPECT_EQ(run->info["pages"], 3);
  EXPECT_EQ(state_->FinishRun(name_, 7, {}).code(), StatusCode::kNotFound);
  ASSERT_TRUE(state_->StartRun(name_, 2, {}).ok());
  EXPECT_EQ(state_->LatestRun(name_)->run, 2);
  EXPECT_EQ(state_->LatestRun("no_such_collection").status().code(), StatusCode::kNotFound);
}

TEST_P(CrawlStateTest, RecordsAreSavedReplacedAndDeletedByUrl) {
  std::vector<CrawlRecord> batch;
  for (int i = 0; i < 300; ++i) {
    CrawlRecord r;
    r.url = "http://h/page-" + std::to_string(i) + ".html?q=\"'\\";
    r.queued_run = 1;
    r.done_run = i % 2;
    r.data = {{"kind", "page"}, {"title", "ページ " + std::to_string(i)}, {"links", {"http://h/a", "http://h/b"}}};
    batch.push_back(r);
  }
  ASSERT_TRUE(state_->SaveRecords(name_, batch).ok());
  batch.resize(2);
  batch[1] = batch[0];  // the same URL twice in one batch: the last wins
  batch[0].data["outcome"] = "queued";
  batch[1].done_run = 5;
  batch[1].data["outcome"] = "stored";
  ASSERT_TRUE(state_->SaveRecords(name_, batch).ok());
  auto loaded = state_->LoadRecords(name_);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->size(), 300u);
  const CrawlRecord* first = nullptr;
  for (const CrawlRecord& r : *loaded) {
    if (r.url == batch[0].url) first = &r;
  }
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->done_run, 5);
  EXPECT_EQ(first->data["outcome"], "stored");
  EXPECT_EQ(first->data["links"].size(), 2u);
  ASSERT_TRUE(state_->DeleteRecords(name_, {batch[0].url, "http://h/absent"}).ok());
  batch.resize(1);
  EXPECT_EQ(state_->LoadRecords(name_)->size(), 299u);
  EXPECT_EQ(state_->SaveRecords("no_such_collection", batch).code(), StatusCode::kNotFound);
}

TEST_P(CrawlStateTest, StateGoesWithItsCollection) {
  ASSERT_TRUE(state_->StartRun(name_, 1, {}).ok());
  CrawlRecord r;
  r.url = "http://h/";
  r.queued_run = 1;
  ASSERT_TRUE(state_->SaveRecords(name_, {r}).ok());
  ASSERT_TRUE(store_->DeleteCollection(name_).ok());
  CollectionSpec spec;
  spec.name = name_;
  spec.model_id = "test-model";
  spec.model_revision = "r";
  spec.dimension = 4;
  ASSERT_TRUE(store_->CreateCollection(spec).ok());
  EXPECT_EQ(state_->LatestRun(name_).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(state_->LoadRecords(name_)->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, CrawlStateTest, ::testing::Values("embedded", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace imi::store
