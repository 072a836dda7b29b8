// One conformance suite run against every backend: embedded with exact
// scans, embedded with HNSW forced on, and PostgreSQL + pgvector
// (IMI_TEST_PG_DSN). Ranking cases live in tests/data/store/.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>

#include "store/vector_store.h"
#include "store_test_util.h"

namespace imi::store {
namespace {

using testing::DataDir;
using testing::Doc;
using testing::LoadJson;
using testing::RandomVector;
using testing::TempDir;
using testing::UniqueName;
using Json = nlohmann::json;

constexpr double kScoreTolerance = 1e-4;

class StoreConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      const char* dsn = std::getenv("IMI_TEST_PG_DSN");
      if (dsn == nullptr || *dsn == '\0')
        GTEST_SKIP() << "IMI_TEST_PG_DSN is not set: the postgres backend was skipped";
      auto store = OpenPostgresStore(dsn);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      store_ = std::move(store).value();
      return;
    }
    ASSERT_FALSE(dir_.path().empty());
    EmbeddedOptions options;
    options.directory = dir_.path();
    options.exact_threshold = GetParam() == "embedded_hnsw" ? 0 : (int64_t{1} << 40);
    auto store = OpenEmbeddedStore(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  void TearDown() override {
    if (!store_) return;
    for (const std::string& name : created_) (void)store_->DeleteCollection(name);
  }

  // Creates a uniquely named collection and returns its name.
  std::string Create(int dimension, Metric metric) {
    CollectionSpec spec;
    spec.name = UniqueName("conf");
    spec.model_id = "test/model";
    spec.model_revision = "r1";
    spec.dimension = dimension;
    spec.metric = metric;
    Status status = store_->CreateCollection(spec);
    EXPECT_TRUE(status.ok()) << status.ToString();
    created_.push_back(spec.name);
    return spec.name;
  }

  void UpsertOk(const std::string& name, std::vector<Document> docs) {
    auto result = store_->Upsert(name, std::move(docs));
    ASSERT_TRUE(result.ok()) << result.status().ToString();
  }

  std::vector<std::string> Ids(const SearchResponse& response) {
    std::vector<std::string> ids;
    for (const SearchHit& hit : response.hits) ids.push_back(hit.document_id);
    return ids;
  }

  TempDir dir_;
  std::unique_ptr<VectorStore> store_;
  std::vector<std::string> created_;
};

Document FromJson(const Json& d) {
  Document doc;
  doc.id = d.value("id", "");
  doc.text = d.value("text", "");
  doc.metadata = d.value("metadata", Json::object());
  for (const Json& c : d["chunks"]) {
    Chunk chunk;
    chunk.ordinal = c["ordinal"].get<int>();
    chunk.text = c.value("text", "");
    chunk.vector = c["vector"].get<std::vector<float>>();
    doc.chunks.push_back(std::move(chunk));
  }
  return doc;
}

TEST_P(StoreConformanceTest, RanksAndScoresMatchTheNumpyReferenceForEveryMetric) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(DataDir() + "/conformance")) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    SCOPED_TRACE(entry.path().filename().string());
    Json data = LoadJson(entry.path().string());
    auto metric = ParseMetric(data["collection"]["metric"].get<std::string>());
    ASSERT_TRUE(metric.ok());
    std::string name = Create(data["collection"]["dimension"].get<int>(), *metric);
    std::vector<Document> docs;
    for (const Json& d : data["documents"]) docs.push_back(FromJson(d));
    UpsertOk(name, std::move(docs));
    int index = 0;
    for (const Json& s : data["searches"]) {
      SCOPED_TRACE("search " + std::to_string(index++));
      for (bool exact : {false, true}) {
        SearchRequest request;
        request.vector = s["vector"].get<std::vector<float>>();
        request.k = s["k"].get<int>();
        request.exact = exact;
        if (s.contains("metric")) {
          auto m = ParseMetric(s["metric"].get<std::string>());
          ASSERT_TRUE(m.ok());
          request.metric = *m;
        }
        if (s.contains("filter")) {
          auto filter = Filter::Parse(s["filter"]);
          ASSERT_TRUE(filter.ok());
          request.filter = *filter;
        }
        auto response = store_->Search(name, request);
        ASSERT_TRUE(response.ok()) << response.status().ToString();
        const Json& expect = s["expect"];
        EXPECT_EQ(Ids(*response), expect["ids"].get<std::vector<std::string>>()) << "exact=" << exact;
        ASSERT_EQ(response->hits.size(), expect["scores"].size());
        for (size_t i = 0; i < response->hits.size(); ++i) {
          EXPECT_NEAR(response->hits[i].score, expect["scores"][i].get<double>(), kScoreTolerance);
          EXPECT_EQ(response->hits[i].chunk.ordinal, expect["ordinals"][i].get<int>());
        }
      }
    }
  }
  EXPECT_EQ(files, 4);
}

TEST_P(StoreConformanceTest, FiltersSelectTheDocumentsListedInTheDataFile) {
  Json data = LoadJson(DataDir() + "/filters.json");
  std::string name = Create(2, Metric::kL2);
  std::vector<Document> docs;
  for (size_t i = 0; i < data["documents"].size(); ++i)
    docs.push_back(Doc(std::string("d") + std::to_string(i), {static_cast<float>(i), 1.0f}, data["documents"][i]));
  UpsertOk(name, std::move(docs));
  for (const Json& c : data["cases"]) {
    if (c.value("error", false)) continue;
    SCOPED_TRACE(c["filter"].dump());
    auto filter = Filter::Parse(c["filter"]);
    ASSERT_TRUE(filter.ok());
    std::vector<std::string> expected;
    for (int i : c["matches"].get<std::vector<int>>()) expected.push_back(std::string("d") + std::to_string(i));
    for (bool exact : {false, true}) {
      SearchRequest request;
      request.vector = {0.0f, 1.0f};
      request.k = 100;
      request.filter = *filter;
      request.exact = exact;
      auto response = store_->Search(name, request);
      ASSERT_TRUE(response.ok()) << response.status().ToString();
      EXPECT_EQ(Ids(*response), expected) << "exact=" << exact;  // l2 from (0,1): ordered by index
    }
  }
}

// Found by fuzz/filter_fuzzer.cc: SQLite refused the SQL of a 1000-value $in
// (an expression tree 1000 deep), so exact searches with it failed.
TEST_P(StoreConformanceTest, FiltersWithAThousandValuesOrClausesRunInTheDatabase) {
  std::string name = Create(2, Metric::kL2);
  std::vector<Document> docs;
  for (int i = 0; i < 3; ++i) docs.push_back(Doc("d" + std::to_string(i), {static_cast<float>(i), 1.0f}, {{"n", i}}));
  UpsertOk(name, std::move(docs));
  Json values = Json::array();
  Json clauses = Json::array();
  for (int i = 2; i < 2 + 1024; ++i) {
    values.push_back(i);
    clauses.push_back({{"n", i}});
  }
  for (const Json& json : {Json{{"n", {{"$in", values}}}}, Json{{"$or", clauses}}}) {
    auto filter = Filter::Parse(json);
    ASSERT_TRUE(filter.ok()) << filter.status().ToString();
    for (bool exact : {false, true}) {
      SearchRequest request;
      request.vector = {0.0f, 1.0f};
      request.k = 10;
      request.filter = *filter;
      request.exact = exact;
      auto response = store_->Search(name, request);
      ASSERT_TRUE(response.ok()) << response.status().ToString();
      EXPECT_EQ(Ids(*response), std::vector<std::string>{"d2"}) << "exact=" << exact;
    }
  }
}

TEST_P(StoreConformanceTest, SelectiveFilterStillYieldsKResults) {
  const int dim = 16;
  std::string name = Create(dim, Metric::kCosine);
  std::mt19937 rng(7);
  std::vector<Document> docs;
  for (int i = 0; i < 1200; ++i) docs.push_back(Doc(std::string("d") + std::to_string(i), RandomVector(&rng, dim), {{"group", i % 40}}));
  UpsertOk(name, std::move(docs));
  // 2.5% and 10% of the documents: the first is answered by the exact
  // fallback, the second by a widened ANN search.
  for (const char* text : {R"({"group": 7})", R"({"group": {"$in": [1, 2, 3, 4]}})"}) {
    SCOPED_TRACE(text);
    Json json = Json::parse(text);
    SearchRequest request;
    request.vector = RandomVector(&rng, dim);
    request.k = 10;
    auto filter = Filter::Parse(json);
    ASSERT_TRUE(filter.ok());
    request.filter = *filter;
    auto ann = store_->Search(name, request);
    ASSERT_TRUE(ann.ok()) << ann.status().ToString();
    ASSERT_EQ(ann->hits.size(), 10u);
    for (const SearchHit& hit : ann->hits) EXPECT_TRUE(request.filter.Matches(hit.metadata)) << hit.metadata.dump();
    request.exact = true;
    auto exact = store_->Search(name, request);
    ASSERT_TRUE(exact.ok());
    ASSERT_EQ(exact->hits.size(), 10u);
    std::vector<std::string> a = Ids(*ann), e = Ids(*exact);
    std::set<std::string> common;
    for (const std::string& id : a)
      if (std::find(e.begin(), e.end(), id) != e.end()) common.insert(id);
    EXPECT_GE(common.size(), 8u) << "recall of the filtered ANN search against exact";
  }
  // A filter matching fewer than k documents returns all of them.
  SearchRequest request;
  request.vector = RandomVector(&rng, dim);
  request.k = 50;
  auto filter = Filter::Parse({{"group", 3}});
  ASSERT_TRUE(filter.ok());
  request.filter = *filter;
  auto response = store_->Search(name, request);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->hits.size(), 30u);
}

TEST_P(StoreConformanceTest, VectorsOfTheWrongDimensionAreRejected) {
  std::string name = Create(4, Metric::kCosine);
  auto upsert = store_->Upsert(name, {Doc("a", {1, 2, 3})});
  ASSERT_FALSE(upsert.ok());
  EXPECT_EQ(upsert.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(upsert.status().message().find("4"), std::string::npos);
  SearchRequest request;
  request.vector = {1, 2, 3, 4, 5};
  auto search = store_->Search(name, request);
  ASSERT_FALSE(search.ok());
  EXPECT_EQ(search.status().code(), StatusCode::kFailedPrecondition);
}

TEST_P(StoreConformanceTest, BadVectorsAreRejected) {
  std::string name = Create(2, Metric::kCosine);
  auto zero = store_->Upsert(name, {Doc("a", {0, 0})});
  EXPECT_EQ(zero.status().code(), StatusCode::kInvalidArgument);
  auto nan = store_->Upsert(name, {Doc("a", {std::nanf(""), 1})});
  EXPECT_EQ(nan.status().code(), StatusCode::kInvalidArgument);
  Document no_vector;
  no_vector.id = "b";
  EXPECT_EQ(store_->Upsert(name, {no_vector}).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, UnknownCollectionIsNotFoundAndBadNamesAreInvalid) {
  std::string missing = UniqueName("missing");
  SearchRequest request;
  request.vector = {1, 0};
  EXPECT_EQ(store_->Search(missing, request).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Upsert(missing, {Doc("a", {1, 0})}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetDocument(missing, "a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteDocument(missing, "a").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteCollection(missing).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetCollection(missing).status().code(), StatusCode::kNotFound);
  for (const std::string& bad : std::vector<std::string>{"", "a b", "x;DROP", "名前", std::string(65, 'a')}) {
    EXPECT_EQ(store_->GetCollection(bad).status().code(), StatusCode::kInvalidArgument) << bad;
    CollectionSpec spec{bad, "m", "r", 4, Metric::kCosine};
    EXPECT_EQ(store_->CreateCollection(spec).code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST_P(StoreConformanceTest, UpsertReplacesTheDocumentAndAllItsChunks) {
  std::string name = Create(2, Metric::kL2);
  Document doc = Doc("a", {10, 0}, {{"v", 1}});
  Chunk extra;
  extra.ordinal = 1;
  extra.text = "second";
  extra.vector = {20, 0};
  doc.chunks.push_back(extra);
  UpsertOk(name, {doc, Doc("b", {0, 5})});
  auto info = store_->GetCollection(name);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->document_count, 2);
  EXPECT_EQ(info->chunk_count, 3);

  UpsertOk(name, {Doc("a", {0, 1}, {{"v", 2}}, "replaced")});
  auto got = store_->GetDocument(name, "a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->text, "replaced");
  EXPECT_EQ(got->metadata, Json({{"v", 2}}));
  ASSERT_EQ(got->chunks.size(), 1u);
  EXPECT_EQ(got->chunks[0].vector, std::vector<float>({0, 1}));
  info = store_->GetCollection(name);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->document_count, 2);
  EXPECT_EQ(info->chunk_count, 2);

  SearchRequest request;
  request.vector = {20, 0};
  request.k = 5;
  auto response = store_->Search(name, request);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->hits.size(), 2u);
  // Were the old chunk at (20, 0) still there, "a" would score 0.
  EXPECT_EQ(response->hits[0].document_id, "a");
  EXPECT_NEAR(response->hits[0].score, std::sqrt(400.0 + 1.0), kScoreTolerance);
  EXPECT_EQ(response->hits[0].chunk.ordinal, 0);
}

TEST_P(StoreConformanceTest, DeletedDocumentsDisappearFromGetAndSearch) {
  std::string name = Create(2, Metric::kIp);
  UpsertOk(name, {Doc("a", {1, 0}), Doc("b", {0, 1})});
  ASSERT_TRUE(store_->DeleteDocument(name, "a").ok());
  EXPECT_EQ(store_->GetDocument(name, "a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteDocument(name, "a").code(), StatusCode::kNotFound);
  SearchRequest request;
  request.vector = {1, 0};
  auto response = store_->Search(name, request);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(Ids(*response), std::vector<std::string>({"b"}));
}

TEST_P(StoreConformanceTest, MissingIdsAreGeneratedAsDistinctHexStrings) {
  std::string name = Create(2, Metric::kCosine);
  auto result = store_->Upsert(name, {Doc("", {1, 0}), Doc("", {0, 1})});
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->ids.size(), 2u);
  EXPECT_NE(result->ids[0], result->ids[1]);
  for (const std::string& id : result->ids) {
    EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{32}"))) << id;
    EXPECT_TRUE(store_->GetDocument(name, id).ok());
  }
}

TEST_P(StoreConformanceTest, MetadataAndTextRoundTripUnchanged) {
  std::string name = Create(3, Metric::kCosine);
  Json metadata = Json::parse(R"({"title": "桜市役所からのお知らせ", "url": "https://example.jp/a?b=c",
      "n": 3, "x": 2.5, "ok": true, "none": null, "tags": ["防災", "子育て"], "nested": {"a": {"b": [1, {"c": "d"}]}}})");
  Document doc = Doc("お知らせ-1", {1, 2, 3}, metadata, "桜市の防災訓練は十月に行います。");
  doc.chunks[0].start_offset = 3;
  doc.chunks[0].end_offset = 12;
  UpsertOk(name, {doc});
  auto got = store_->GetDocument(name, "お知らせ-1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->metadata, metadata);
  EXPECT_EQ(got->text, doc.text);
  ASSERT_EQ(got->chunks.size(), 1u);
  EXPECT_EQ(got->chunks[0].start_offset, 3);
  EXPECT_EQ(got->chunks[0].end_offset, 12);
  SearchRequest request;
  request.vector = {1, 2, 3};
  auto response = store_->Search(name, request);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->hits.size(), 1u);
  EXPECT_EQ(response->hits[0].metadata, metadata);
  EXPECT_EQ(response->hits[0].text, doc.text);
  EXPECT_NEAR(response->hits[0].score, 1.0, kScoreTolerance);
}

TEST_P(StoreConformanceTest, IncludeFlagsControlTheReturnedFields) {
  std::string name = Create(2, Metric::kL1);
  UpsertOk(name, {Doc("a", {0.5f, -0.25f}, {{"k", "v"}}, "hello")});
  SearchRequest request;
  request.vector = {0, 0};
  request.include = Include{false, false, false, false};
  auto bare = store_->Search(name, request);
  ASSERT_TRUE(bare.ok());
  ASSERT_EQ(bare->hits.size(), 1u);
  EXPECT_EQ(bare->hits[0].document_id, "a");
  EXPECT_TRUE(bare->hits[0].text.empty());
  EXPECT_TRUE(bare->hits[0].chunk.text.empty());
  EXPECT_EQ(bare->hits[0].metadata, Json::object());
  EXPECT_EQ(bare->hits[0].score, 0);
  EXPECT_TRUE(bare->hits[0].chunk.vector.empty());
  request.include = Include{true, true, true, true};
  auto full = store_->Search(name, request);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->hits[0].text, "hello");
  EXPECT_EQ(full->hits[0].chunk.text, "hello");
  EXPECT_EQ(full->hits[0].metadata, Json({{"k", "v"}}));
  EXPECT_NEAR(full->hits[0].score, 0.75, kScoreTolerance);
  EXPECT_EQ(full->hits[0].chunk.vector, std::vector<float>({0.5f, -0.25f}));
}

TEST_P(StoreConformanceTest, CollectionsAreListedComparedAndDeleted) {
  std::string a = Create(3, Metric::kCosine);
  std::string b = Create(5, Metric::kL2);
  UpsertOk(b, {Doc("x", {1, 2, 3, 4, 5})});
  auto list = store_->ListCollections();
  ASSERT_TRUE(list.ok());
  std::map<std::string, CollectionInfo> by_name;
  for (const CollectionInfo& info : *list) by_name[info.spec.name] = info;
  ASSERT_TRUE(by_name.count(a) && by_name.count(b));
  EXPECT_EQ(by_name[b].spec.dimension, 5);
  EXPECT_EQ(by_name[b].spec.metric, Metric::kL2);
  EXPECT_EQ(by_name[b].spec.model_id, "test/model");
  EXPECT_EQ(by_name[b].document_count, 1);
  EXPECT_TRUE(store_->CreateCollection({a, "test/model", "r1", 3, Metric::kCosine}).ok());
  EXPECT_EQ(store_->CreateCollection({a, "test/model", "r1", 4, Metric::kCosine}).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(store_->DeleteCollection(b).ok());
  EXPECT_EQ(store_->GetCollection(b).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->CreateCollection({b, "other", "r2", 2, Metric::kIp}).ok());
  auto info = store_->GetCollection(b);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->document_count, 0);
}

TEST_P(StoreConformanceTest, ABatchWithOneBadDocumentStoresNothing) {
  std::string name = Create(2, Metric::kCosine);
  auto result = store_->Upsert(name, {Doc("good", {1, 0}), Doc("bad", {1, 0, 0})});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(store_->GetDocument(name, "good").status().code(), StatusCode::kNotFound);
  auto dup = store_->Upsert(name, {Doc("same", {1, 0}), Doc("same", {0, 1})});
  EXPECT_EQ(dup.status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, SearchArgumentsAreValidated) {
  std::string name = Create(2, Metric::kCosine);
  SearchRequest request;
  request.vector = {1, 0};
  request.k = 0;
  EXPECT_EQ(store_->Search(name, request).status().code(), StatusCode::kInvalidArgument);
  request.k = 1;
  request.vector = {0, 0};
  EXPECT_EQ(store_->Search(name, request).status().code(), StatusCode::kInvalidArgument);
  auto empty = store_->Search(name, SearchRequest{{1, 0}, 3, std::nullopt, Filter(), Include(), false, 0});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->hits.empty());
}

// --- Document listing, counting, deletion by filter, metadata patches ---

// The ids of every page of a listing, following next_after to the end.
std::vector<std::string> ListAll(VectorStore* store, const std::string& name, ListRequest request, int* pages) {
  std::vector<std::string> ids;
  *pages = 0;
  while (true) {
    auto page = store->ListDocuments(name, request);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    ++*pages;
    for (const Document& doc : page->documents) ids.push_back(doc.id);
    if (page->next_after.empty()) break;
    request.after = page->next_after;
  }
  return ids;
}

TEST_P(StoreConformanceTest, ListingPagesThroughDocumentsInBytewiseIdOrder) {
  std::string name = Create(2, Metric::kCosine);
  std::vector<std::string> ids = {"b", "a", "a10", "a9", "ごみ", "Z", "é", "a/1"};
  std::vector<Document> docs;
  for (size_t i = 0; i < ids.size(); ++i) docs.push_back(Doc(ids[i], {1, static_cast<float>(i)}, {{"i", i}}));
  UpsertOk(name, std::move(docs));
  std::sort(ids.begin(), ids.end());  // std::string compares bytewise
  int pages = 0;
  ListRequest request;
  request.limit = 3;
  EXPECT_EQ(ListAll(store_.get(), name, request, &pages), ids);
  EXPECT_EQ(pages, 3);
  request.limit = 8;
  EXPECT_EQ(ListAll(store_.get(), name, request, &pages), ids);
  EXPECT_EQ(pages, 1);  // an exactly full page has no next page

  request.limit = 2;
  request.with_text = false;
  auto page = store_->ListDocuments(name, request);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->documents.size(), 2u);
  EXPECT_EQ(page->documents[0].text, "");
  EXPECT_EQ(page->documents[0].metadata["i"], 5);  // "Z" is the first id
  EXPECT_TRUE(page->documents[0].chunks.empty());

  for (int bad : {0, -1, kMaxListLimit + 1}) {
    request.limit = bad;
    EXPECT_EQ(store_->ListDocuments(name, request).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(store_->ListDocuments("absent_" + name, ListRequest()).status().code(), StatusCode::kNotFound);
}

// Listing and counting with the filters of filters.json select exactly the
// documents its cases list, as the searches do.
TEST_P(StoreConformanceTest, ListingAndCountingApplyTheFiltersOfTheDataFile) {
  Json data = LoadJson(DataDir() + "/filters.json");
  std::string name = Create(2, Metric::kL2);
  std::vector<Document> docs;
  for (size_t i = 0; i < data["documents"].size(); ++i)
    docs.push_back(Doc("d" + std::to_string(i), {static_cast<float>(i), 1.0f}, data["documents"][i]));
  UpsertOk(name, std::move(docs));
  for (const Json& c : data["cases"]) {
    if (c.value("error", false)) continue;
    SCOPED_TRACE(c["filter"].dump());
    auto filter = Filter::Parse(c["filter"]);
    ASSERT_TRUE(filter.ok());
    std::vector<std::string> expected;
    for (int i : c["matches"].get<std::vector<int>>()) expected.push_back("d" + std::to_string(i));
    std::sort(expected.begin(), expected.end());
    auto count = store_->CountDocuments(name, *filter);
    ASSERT_TRUE(count.ok()) << count.status().ToString();
    EXPECT_EQ(*count, static_cast<int64_t>(expected.size()));
    ListRequest request;
    request.filter = *filter;
    request.limit = 4;
    int pages = 0;
    EXPECT_EQ(ListAll(store_.get(), name, request, &pages), expected);
  }
}

TEST_P(StoreConformanceTest, DeletingByFilterRemovesExactlyTheMatchingDocuments) {
  const int dim = 4;
  std::string name = Create(dim, Metric::kCosine);
  std::mt19937 rng(7);
  std::vector<Document> docs;
  for (int i = 0; i < 40; ++i) {
    Document doc = Doc("d" + std::to_string(i), RandomVector(&rng, dim),
                       {{"tags", i % 3 == 0 ? Json::array({"ごみ", "収集"}) : Json::array({"park"})}, {"n", i}});
    Chunk second = doc.chunks[0];
    second.ordinal = 1;
    second.vector = RandomVector(&rng, dim);
    doc.chunks.push_back(std::move(second));
    docs.push_back(std::move(doc));
  }
  UpsertOk(name, std::move(docs));
  auto filter = Filter::Parse(Json{{"tags", {{"$contains", "ごみ"}}}});
  ASSERT_TRUE(filter.ok());
  auto deleted = store_->DeleteDocuments(name, *filter);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 14);  // 0, 3, ..., 39
  auto info = store_->GetCollection(name);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->document_count, 26);
  EXPECT_EQ(info->chunk_count, 52);
  EXPECT_EQ(store_->GetDocument(name, "d3").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->GetDocument(name, "d4").ok());
  for (bool exact : {false, true}) {
    SearchRequest request;
    request.vector = RandomVector(&rng, dim);
    request.k = 100;
    request.exact = exact;
    auto response = store_->Search(name, request);
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_EQ(response->hits.size(), 26u) << "exact=" << exact;
    for (const SearchHit& hit : response->hits) EXPECT_NE(std::stoi(hit.document_id.substr(1)) % 3, 0) << hit.document_id;
  }
  auto again = store_->DeleteDocuments(name, *filter);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  auto all = store_->DeleteDocuments(name, Filter());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 26);
  auto none_left = store_->CountDocuments(name, Filter());
  ASSERT_TRUE(none_left.ok());
  EXPECT_EQ(*none_left, 0);
  EXPECT_TRUE(store_->GetCollection(name).ok());
}

TEST_P(StoreConformanceTest, PatchingMetadataKeepsTextAndVectorsAndReachesFilters) {
  std::string name = Create(2, Metric::kCosine);
  UpsertOk(name, {Doc("a", {1, 0}, {{"city", "Sakura"}, {"tags", {"park"}}, {"keep", 1}}, "本文"), Doc("b", {0.9f, 0.1f})});
  auto before = store_->GetDocument(name, "a");
  ASSERT_TRUE(before.ok());
  auto patched = store_->PatchMetadata(name, "a", Json{{"city", "Momiji"}, {"tags", nullptr}, {"new", {{"x", 1}}}});
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  const Json expected = {{"city", "Momiji"}, {"keep", 1}, {"new", {{"x", 1}}}};
  EXPECT_EQ(*patched, expected);
  auto after = store_->GetDocument(name, "a");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->metadata, expected);
  EXPECT_EQ(after->text, "本文");
  ASSERT_EQ(after->chunks.size(), before->chunks.size());
  EXPECT_EQ(after->chunks[0].vector, before->chunks[0].vector);
  for (bool exact : {false, true}) {
    SearchRequest request;
    request.vector = {1, 0};
    request.exact = exact;
    request.filter = Filter::Parse(Json{{"city", "Momiji"}}).value();
    auto response = store_->Search(name, request);
    ASSERT_TRUE(response.ok());
    EXPECT_EQ(Ids(*response), std::vector<std::string>({"a"})) << "exact=" << exact;
    EXPECT_EQ(response->hits[0].metadata, expected);
  }
  EXPECT_EQ(store_->PatchMetadata(name, "absent", Json::object()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->PatchMetadata(name, "a", Json::array()).status().code(), StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest,
                         ::testing::Values("embedded_exact", "embedded_hnsw", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace imi::store
