// Lexical (BM25), sparse and hybrid search on every backend: part of the
// store conformance suite (same executable, same backends). Cases and their
// expected rankings come from tests/data/store/lexical_conformance.json,
// computed by make_lexical_conformance.py independently of the stores.
#include <gtest/gtest.h>

#include "store/search_modes.h"
#include "store/vector_store.h"
#include "store_test_util.h"

namespace imi::store {
namespace {

using testing::DataDir;
using testing::LoadJson;
using testing::TempDir;
using testing::UniqueName;
using Json = nlohmann::json;

// BM25 and sparse scores are exact on both backends.
constexpr double kExact = 1e-9;

class LexicalConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      const char* dsn = std::getenv("IMI_TEST_PG_DSN");
      if (dsn == nullptr || *dsn == '\0') GTEST_SKIP() << "IMI_TEST_PG_DSN is not set: the postgres backend was skipped";
      auto store = OpenPostgresStore(dsn);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      store_ = std::move(store).value();
    } else {
      EmbeddedOptions options;
      options.directory = dir_.path();
      options.exact_threshold = GetParam() == "embedded_hnsw" ? 0 : (int64_t{1} << 40);
      auto store = OpenEmbeddedStore(options);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      store_ = std::move(store).value();
    }
    data_ = LoadJson(DataDir() + "/lexical_conformance.json");
  }
  void TearDown() override {
    if (!store_) return;
    for (const std::string& name : created_) (void)store_->DeleteCollection(name);
  }

  std::string Create(std::vector<std::string> analyzers, bool load = true) {
    CollectionSpec spec;
    spec.name = UniqueName("lex");
    spec.model_id = "test/model";
    spec.model_revision = "r1";
    spec.dimension = 2;
    spec.lexical.analyzers = std::move(analyzers);
    Status status = store_->CreateCollection(spec);
    EXPECT_TRUE(status.ok()) << status.ToString();
    created_.push_back(spec.name);
    if (load) {
      std::vector<Document> docs;
      for (const Json& d : data_["documents"]) docs.push_back(FromJson(d));
      auto written = store_->Upsert(spec.name, std::move(docs));
      EXPECT_TRUE(written.ok()) << written.status().ToString();
    }
    return spec.name;
  }

  static Document FromJson(const Json& d) {
    Document doc;
    doc.id = d["id"];
    doc.text = d["text"];
    doc.metadata = d["metadata"];
    for (const Json& c : d["chunks"]) {
      Chunk chunk;
      chunk.ordinal = c["ordinal"];
      chunk.text = c["text"];
      chunk.vector = c["vector"].get<std::vector<float>>();
      if (c.contains("sparse")) {
        auto sparse = lexical::SparseFromJson(c["sparse"], "sparse");
        EXPECT_TRUE(sparse.ok());
        chunk.sparse = *sparse;
      }
      doc.chunks.push_back(std::move(chunk));
    }
    return doc;
  }

  static Filter FilterOf(const Json& search) {
    if (!search.contains("filter")) return Filter();
    auto filter = Filter::Parse(search["filter"]);
    EXPECT_TRUE(filter.ok());
    return filter.ok() ? *filter : Filter();
  }

  static void ExpectRanking(const std::vector<SearchHit>& hits, const Json& expected, double tolerance) {
    ASSERT_EQ(hits.size(), expected.size());
    for (size_t i = 0; i < hits.size(); ++i) {
      SCOPED_TRACE("rank " + std::to_string(i + 1));
      EXPECT_EQ(hits[i].document_id, expected[i]["id"].get<std::string>());
      EXPECT_EQ(hits[i].chunk.ordinal, expected[i]["ordinal"].get<int>());
      EXPECT_NEAR(hits[i].score, expected[i]["score"].get<double>(), tolerance);
    }
  }

  TempDir dir_;
  std::unique_ptr<VectorStore> store_;
  std::vector<std::string> created_;
  Json data_;
};

TEST_P(LexicalConformanceTest, Bm25RankingsAndScoresMatchTheReference) {
  const std::string name = Create(data_["collection"]["analyzers"].get<std::vector<std::string>>());
  int index = 0;
  for (const Json& s : data_["lexical"]) {
    SCOPED_TRACE("lexical search " + std::to_string(index++) + ": " + s["query"].get<std::string>());
    LexicalSearchRequest request;
    request.query = s["query"];
    request.analyzer = s["analyzer"];
    request.k = s["k"];
    request.filter = FilterOf(s);
    auto found = store_->SearchLexical(name, request);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    ExpectRanking(found->hits, s["expected"], kExact);
  }
}

TEST_P(LexicalConformanceTest, SparseRankingsAndScoresMatchTheReference) {
  const std::string name = Create({});
  int index = 0;
  for (const Json& s : data_["sparse"]) {
    SCOPED_TRACE("sparse search " + std::to_string(index++));
    SparseSearchRequest request;
    auto vector = lexical::SparseFromJson(s["sparse"], "sparse");
    ASSERT_TRUE(vector.ok());
    request.vector = *vector;
    request.k = s["k"];
    request.filter = FilterOf(s);
    auto found = store_->SearchSparse(name, request);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    ExpectRanking(found->hits, s["expected"], 0.0);
  }
  // Stored sparse vectors come back with the document, canonical.
  auto doc = store_->GetDocument(name, "gomi");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->chunks[0].sparse.indices, (std::vector<uint32_t>{3, 17, 250001}));
  EXPECT_EQ(doc->chunks[0].sparse.values, (std::vector<float>{0.5f, 1.25f, 0.1f}));
  EXPECT_TRUE(store_->GetDocument(name, "hoiku")->chunks[0].sparse.empty());
}

TEST_P(LexicalConformanceTest, HybridFusionMatchesTheReference) {
  const std::string name = Create(data_["collection"]["analyzers"].get<std::vector<std::string>>());
  int index = 0;
  for (const Json& s : data_["hybrid"]) {
    SCOPED_TRACE("hybrid search " + std::to_string(index++));
    ModeSearchRequest request;
    request.mode = SearchMode::kHybrid;
    request.query = s["query"];
    request.analyzers = s["analyzers"].get<std::vector<std::string>>();
    request.k = s["k"];
    if (s.contains("vector")) request.vector = s["vector"].get<std::vector<float>>();
    if (s.contains("sparse")) request.sparse = *lexical::SparseFromJson(s["sparse"], "sparse");
    request.fusion.method = *lexical::ParseFusionMethod(s["fusion"]["method"].get<std::string>());
    request.fusion.rrf_k = s["fusion"].value("k", 60.0);
    if (s["fusion"].contains("weights")) request.fusion.weights = s["fusion"]["weights"].get<std::map<std::string, double>>();
    auto found = SearchByMode(store_.get(), name, request);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    const Json& expected = s["expected"];
    ASSERT_EQ(found->hits.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      SCOPED_TRACE("rank " + std::to_string(i + 1));
      const ModeSearchHit& hit = found->hits[i];
      EXPECT_EQ(hit.hit.document_id, expected[i]["id"].get<std::string>());
      EXPECT_NEAR(hit.hit.score, expected[i]["score"].get<double>(), 1e-6);
      ASSERT_EQ(hit.components.size(), expected[i]["components"].size());
      for (const auto& [component, place] : expected[i]["components"].items()) {
        ASSERT_TRUE(hit.components.count(component)) << component;
        EXPECT_EQ(hit.components.at(component).rank, place["rank"].get<int>()) << component;
        EXPECT_NEAR(hit.components.at(component).score, place["score"].get<double>(),
                    component == "dense" ? 1e-4 : kExact)
            << component;
      }
    }
  }
}

TEST_P(LexicalConformanceTest, LexicalModeHighlightsTheQueryWordsInCodePoints) {
  const std::string name = Create({"ja-mecab"});
  ModeSearchRequest request;
  request.mode = SearchMode::kLexical;
  request.query = "断水";
  request.k = 1;
  auto found = SearchByMode(store_.get(), name, request);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->hits.size(), 1u);
  const ModeSearchHit& hit = found->hits[0];
  EXPECT_EQ(hit.hit.document_id, "suido");
  // 断水のお知らせ：水道管の工事のため、3月10日は断水します。
  ASSERT_EQ(hit.highlights.size(), 2u);
  EXPECT_EQ(hit.highlights[0].start, 0u);
  EXPECT_EQ(hit.highlights[0].end, 2u);
  EXPECT_EQ(hit.highlights[1].start, 24u);
  EXPECT_EQ(hit.highlights[1].end, 26u);
  EXPECT_EQ(hit.components.at("lexical:ja-mecab").rank, 1);
}

TEST_P(LexicalConformanceTest, WritesAndDeletesChangeTheLexicalIndexAtOnce) {
  const std::string name = Create({"ja-mecab"});
  LexicalSearchRequest request;
  request.query = "図書館";
  request.k = 10;
  auto before = store_->SearchLexical(name, request);
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(before->hits.size(), 1u);
  Document replaced = FromJson(data_["documents"][3]);
  replaced.chunks[0].text = "公民館の利用案内です。";
  ASSERT_TRUE(store_->Upsert(name, {replaced}).ok());
  EXPECT_TRUE(store_->SearchLexical(name, request)->hits.empty());
  request.query = "公民館";
  ASSERT_EQ(store_->SearchLexical(name, request)->hits.size(), 1u);
  ASSERT_TRUE(store_->DeleteDocument(name, "toshokan").ok());
  EXPECT_TRUE(store_->SearchLexical(name, request)->hits.empty());
}

TEST_P(LexicalConformanceTest, SetLexicalAddsAnIndexToAnExistingCollection) {
  const std::string name = Create({});
  LexicalSearchRequest request;
  request.query = "断水";
  EXPECT_EQ(store_->SearchLexical(name, request).status().code(), StatusCode::kFailedPrecondition);
  LexicalSpec spec;
  spec.analyzers = {"ja-bigram", "ja-mecab:ipadic"};
  spec.bm25 = {0.9, 0.4};
  ASSERT_TRUE(store_->SetLexical(name, spec).ok());
  auto info = store_->GetCollection(name);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->spec.lexical.analyzers, (std::vector<std::string>{"ja-bigram", "ja-mecab"}));
  EXPECT_EQ(info->spec.lexical.bm25.k1, 0.9);
  request.analyzer = "ja-mecab";
  auto found = store_->SearchLexical(name, request);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->hits.size(), 2u);
  EXPECT_EQ(found->hits[0].document_id, "suido");
  // Dropping every analyser removes the index again.
  ASSERT_TRUE(store_->SetLexical(name, LexicalSpec{}).ok());
  EXPECT_EQ(store_->SearchLexical(name, request).status().code(), StatusCode::kFailedPrecondition);
}

TEST_P(LexicalConformanceTest, BadLexicalAndSparseRequestsAreRejected) {
  const std::string name = Create({"ja-mecab"});
  LexicalSearchRequest lexical_request;
  EXPECT_EQ(store_->SearchLexical(name, lexical_request).status().code(), StatusCode::kInvalidArgument);
  lexical_request.query = "断水";
  lexical_request.analyzer = "ja-bigram";
  EXPECT_EQ(store_->SearchLexical(name, lexical_request).status().code(), StatusCode::kFailedPrecondition);
  lexical_request.analyzer = "nope";
  EXPECT_EQ(store_->SearchLexical(name, lexical_request).status().code(), StatusCode::kInvalidArgument);
  lexical_request.analyzer = "";
  lexical_request.k = 0;
  EXPECT_EQ(store_->SearchLexical(name, lexical_request).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->SearchLexical("no_such_collection_x", LexicalSearchRequest{"a", "", 1, {}, {}}).status().code(),
            StatusCode::kNotFound);
  SparseSearchRequest sparse_request;
  EXPECT_EQ(store_->SearchSparse(name, sparse_request).status().code(), StatusCode::kInvalidArgument);
  Document bad = FromJson(data_["documents"][0]);
  bad.chunks[0].sparse = lexical::SparseVector{{5, 5}, {1, 2}};
  EXPECT_EQ(store_->Upsert(name, {bad}).status().code(), StatusCode::kInvalidArgument);
  CollectionSpec spec;
  spec.name = UniqueName("lexbad");
  spec.model_id = "m";
  spec.dimension = 2;
  spec.lexical.analyzers = {"klingon"};
  EXPECT_EQ(store_->CreateCollection(spec).code(), StatusCode::kInvalidArgument);
  spec.lexical.analyzers = {"ja-mecab"};
  spec.lexical.bm25.b = 2;
  EXPECT_EQ(store_->CreateCollection(spec).code(), StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Backends, LexicalConformanceTest,
                         ::testing::Values("embedded_exact", "embedded_hnsw", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace imi::store
