// bge-m3 in a collection, on every backend (embedded; PostgreSQL with
// IMI_TEST_PG_DSN): dense vectors, sparse weights and ColBERT vectors stored
// and read back (float32 exactly, float16 and int8 within their rounding),
// and search mode m3's scores against numpy's compute_score (tools/modelgen
// reference-m3) on the tiny bge-m3 fixture: 515 (query, passage) pairs.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <random>

#include "fixtures.h"
#include "model/embedder.h"
#include "search/semantic_index.h"
#include "store/multivector.h"
#include "store/rescore.h"
#include "store/search_modes.h"
#include "store/vector_store.h"
#include "store_test_util.h"

namespace imi::store {
namespace {

using Json = nlohmann::json;
using testing::TempDir;
using testing::UniqueName;

constexpr double kTolerance = 1e-5;

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

MultiVector RandomMultiVector(std::mt19937* rng, size_t rows, size_t dim) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  MultiVector v;
  v.dim = dim;
  v.values.resize(rows * dim);
  for (size_t r = 0; r < rows; ++r) {
    double norm = 0;
    for (size_t i = 0; i < dim; ++i) {
      v.values[r * dim + i] = dist(*rng);
      norm += static_cast<double>(v.values[r * dim + i]) * v.values[r * dim + i];
    }
    for (size_t i = 0; i < dim; ++i) v.values[r * dim + i] = static_cast<float>(v.values[r * dim + i] / std::sqrt(norm));
  }
  return v;
}

class M3StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      const char* dsn = std::getenv("IMI_TEST_PG_DSN");
      if (dsn == nullptr || *dsn == '\0') GTEST_SKIP() << "IMI_TEST_PG_DSN is not set: the postgres backend was skipped";
      auto store = OpenPostgresStore(dsn);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      store_ = std::move(store).value();
      return;
    }
    EmbeddedOptions options;
    options.directory = dir_.path();
    auto store = OpenEmbeddedStore(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void TearDown() override {
    if (!store_) return;
    for (const std::string& name : created_) (void)store_->DeleteCollection(name);
  }
  std::string Create(int dimension, MultiVectorEncoding colbert, const std::string& model = "test/m3") {
    CollectionSpec spec;
    spec.name = UniqueName("m3");
    spec.model_id = model;
    spec.model_revision = "r1";
    spec.dimension = dimension;
    spec.metric = Metric::kIp;
    spec.colbert = colbert;
    EXPECT_TRUE(store_->CreateCollection(spec).ok());
    created_.push_back(spec.name);
    return spec.name;
  }

  TempDir dir_;
  std::unique_ptr<VectorStore> store_;
  std::vector<std::string> created_;
};

TEST_P(M3StoreTest, KeepsColbertVectorsInTheCollectionsEncoding) {
  std::mt19937 rng(7);
  for (MultiVectorEncoding encoding :
       {MultiVectorEncoding::kFloat32, MultiVectorEncoding::kFloat16, MultiVectorEncoding::kInt8}) {
    SCOPED_TRACE(std::string(MultiVectorEncodingName(encoding)));
    const std::string name = Create(8, encoding);
    auto info = store_->GetCollection(name);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->spec.colbert, encoding);
    std::vector<Document> docs;
    for (int d = 0; d < 3; ++d) {
      Document doc = testing::Doc("d" + std::to_string(d), testing::RandomVector(&rng, 8));
      doc.chunks[0].colbert = RandomMultiVector(&rng, 5 + d, 16);
      doc.chunks[0].sparse = lexical::SparseVector{{3, 7}, {0.5f, 0.25f}};
      Chunk second = doc.chunks[0];
      second.ordinal = 1;
      second.colbert = MultiVector{};  // a chunk without token vectors
      doc.chunks.push_back(second);
      docs.push_back(doc);
    }
    ASSERT_TRUE(store_->Upsert(name, docs).ok());
    auto read = store_->GetChunks(name, {"d2", "missing", "d0"});
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    ASSERT_EQ(read->size(), 2u);
    EXPECT_EQ((*read)[0].id, "d2");
    EXPECT_EQ((*read)[1].id, "d0");
    const Document& got = (*read)[0];
    ASSERT_EQ(got.chunks.size(), 2u);
    EXPECT_TRUE(got.chunks[1].colbert.empty());
    EXPECT_EQ(got.chunks[0].sparse.indices, (std::vector<uint32_t>{3, 7}));
    EXPECT_EQ(got.chunks[0].vector, docs[2].chunks[0].vector);
    const MultiVector& want = docs[2].chunks[0].colbert;
    ASSERT_EQ(got.chunks[0].colbert.dim, want.dim);
    ASSERT_EQ(got.chunks[0].colbert.values.size(), want.values.size());
    for (size_t i = 0; i < want.values.size(); ++i) {
      const float w = want.values[i], g = got.chunks[0].colbert.values[i];
      switch (encoding) {
        case MultiVectorEncoding::kFloat32: ASSERT_EQ(g, w); break;
        case MultiVectorEncoding::kFloat16: ASSERT_NEAR(g, w, std::abs(w) / 2048 + 1e-7); break;
        default: ASSERT_NEAR(g, w, 0.5 / 127 + 1e-6); break;  // half a step of max|x|/127 (max|x| <= 1)
      }
    }
    // Replacing a document replaces its token vectors.
    docs[2].chunks.resize(1);
    docs[2].chunks[0].colbert = RandomMultiVector(&rng, 2, 16);
    ASSERT_TRUE(store_->Upsert(name, {docs[2]}).ok());
    read = store_->GetChunks(name, {"d2"});
    ASSERT_TRUE(read.ok());
    ASSERT_EQ((*read)[0].chunks.size(), 1u);
    EXPECT_EQ((*read)[0].chunks[0].colbert.rows(), 2u);
    ASSERT_TRUE(store_->DeleteDocument(name, "d2").ok());
    read = store_->GetChunks(name, {"d2"});
    ASSERT_TRUE(read.ok());
    EXPECT_TRUE(read->empty());
  }
}

TEST_P(M3StoreTest, RefusesColbertVectorsWhereTheCollectionKeepsNone) {
  std::mt19937 rng(8);
  const std::string name = Create(4, MultiVectorEncoding::kNone);
  Document doc = testing::Doc("a", testing::RandomVector(&rng, 4));
  doc.chunks[0].colbert = RandomMultiVector(&rng, 2, 4);
  Result<UpsertResult> r = store_->Upsert(name, {doc});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("keeps no ColBERT"), std::string::npos) << r.status().message();
  const std::string with = Create(4, MultiVectorEncoding::kFloat16);
  doc.chunks[0].colbert.values.push_back(1.0f);  // not a whole row
  r = store_->Upsert(with, {doc});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  doc.chunks[0].colbert = RandomMultiVector(&rng, 2, 4);
  doc.chunks[0].colbert.values[3] = std::nanf("");
  r = store_->Upsert(with, {doc});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // The same name with another ColBERT setting is another collection.
  CollectionSpec spec;
  spec.name = with;
  spec.model_id = "test/m3";
  spec.model_revision = "r1";
  spec.dimension = 4;
  spec.metric = Metric::kIp;
  spec.colbert = MultiVectorEncoding::kInt8;
  EXPECT_EQ(store_->CreateCollection(spec).code(), StatusCode::kAlreadyExists);
}

// Every pair's m3 scores equal numpy's compute_score: the passage is stored
// (dense, sparse, ColBERT in float32), the query embedded, and the search
// filtered to that passage.
TEST_P(M3StoreTest, M3ScoresEqualNumpyComputeScore) {
  IMI_REQUIRE_M3_FIXTURES(f);
  model::EmbedderConfig config;
  config.model_path = f.Path("m3-official");
  config.variant.kind = model::VariantKind::kFp32;
  config.threads = 1;
  auto embedder = model::Embedder::Load(config);
  ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
  const std::vector<std::string> texts = ReadLines(f.Path("corpus.txt"));
  const Json ids = testing::LoadJson(f.Path("ids_xlmr.json"));
  const Json expected = testing::LoadJson(f.Path("expected_m3-official.json"));
  auto embedded = (*embedder)->Embed(texts, {}, model::kAllOutputs);
  ASSERT_TRUE(embedded.ok()) << embedded.status().ToString();

  const std::string name = Create(static_cast<int>((*embedder)->info().dimension), MultiVectorEncoding::kFloat32,
                                  (*embedder)->info().id);
  std::vector<Document> docs;
  for (size_t i = 0; i < texts.size(); ++i) {
    Document doc;
    doc.id = "t" + std::to_string(i);
    doc.text = texts[i];
    doc.metadata = {{"i", static_cast<int>(i)}};
    Chunk chunk;
    chunk.text = texts[i];
    chunk.end_offset = static_cast<int64_t>(texts[i].size());
    chunk.vector = embedded->vectors[i];
    chunk.sparse = search::ToStoreSparse(embedded->sparse[i]);
    chunk.colbert = search::ToStoreMultiVector(embedded->colbert[i]);
    doc.chunks.push_back(std::move(chunk));
    docs.push_back(std::move(doc));
  }
  ASSERT_TRUE(store_->Upsert(name, docs).ok());

  const Json& pairs = ids["pairs"];
  ASSERT_EQ(pairs.size(), expected["pairs"].size());
  ASSERT_GE(pairs.size(), 500u);
  size_t sparse_nonzero = 0;
  for (size_t n = 0; n < pairs.size(); ++n) {
    const Json& pair = pairs[n];
    const size_t q = pair.is_object() ? pair["query"].get<size_t>() : pair[0].get<size_t>();
    const size_t p = pair.is_object() ? pair["text"].get<size_t>() : pair[1].get<size_t>();
    const Json& want = expected["pairs"][n];
    ModeSearchRequest request;
    request.mode = SearchMode::kM3;
    request.vector = embedded->vectors[q];
    request.sparse = search::ToStoreSparse(embedded->sparse[q]);
    request.colbert = search::ToStoreMultiVector(embedded->colbert[q]);
    request.k = 1;
    request.exact = true;
    auto filter = Filter::Parse(Json{{"i", static_cast<int>(p)}});
    ASSERT_TRUE(filter.ok());
    request.filter = *filter;
    auto found = SearchByMode(store_.get(), name, request);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    ASSERT_EQ(found->hits.size(), 1u) << "pair " << n;
    const ModeSearchHit& hit = found->hits[0];
    ASSERT_EQ(hit.hit.document_id, "t" + std::to_string(p));
    SCOPED_TRACE("pair " + std::to_string(n));
    ASSERT_NEAR(hit.components.at("dense").score, want["dense"].get<double>(), kTolerance);
    ASSERT_NEAR(hit.components.at("sparse").score, want["sparse"].get<double>(), kTolerance);
    ASSERT_NEAR(hit.components.at("colbert").score, want["colbert"].get<double>(), kTolerance);
    ASSERT_NEAR(hit.hit.score, want["colbert+sparse+dense"].get<double>(), kTolerance);
    sparse_nonzero += want["sparse"].get<double>() != 0;
  }
  EXPECT_GT(sparse_nonzero, 100u);  // the sparse term is exercised (128 of the 515 pairs share tokens)

  // Other weights: the combination is compute_score's weighted mean.
  ModeSearchRequest request;
  request.mode = SearchMode::kM3;
  request.vector = embedded->vectors[0];
  request.sparse = search::ToStoreSparse(embedded->sparse[0]);
  request.colbert = search::ToStoreMultiVector(embedded->colbert[0]);
  request.k = 20;
  request.m3_weights = M3Weights{1.0, 0.3, 2.0};
  auto found = SearchByMode(store_.get(), name, request);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->hits.size(), 20u);
  EXPECT_EQ(found->hits[0].hit.document_id, "t0");  // the query itself
  EXPECT_EQ(found->components, (std::vector<std::string>{"dense", "sparse", "colbert"}));
  for (size_t i = 0; i < found->hits.size(); ++i) {
    const auto& c = found->hits[i].components;
    const double want = (1.0 * c.at("dense").score + 0.3 * c.at("sparse").score + 2.0 * c.at("colbert").score) / 3.3;
    EXPECT_NEAR(found->hits[i].hit.score, want, 1e-12);
    if (i > 0) EXPECT_GE(found->hits[i - 1].hit.score, found->hits[i].hit.score);
  }
  // Without query token vectors, the ColBERT term drops out of the mean.
  request.colbert = MultiVector{};
  found = SearchByMode(store_.get(), name, request);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->components, (std::vector<std::string>{"dense", "sparse"}));
  const auto& c = found->hits[0].components;
  EXPECT_NEAR(found->hits[0].hit.score, (c.at("dense").score + 0.3 * c.at("sparse").score) / 1.3, 1e-12);
  // A dense vector is required.
  request.vector.clear();
  EXPECT_EQ(SearchByMode(store_.get(), name, request).status().code(), StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Backends, M3StoreTest, ::testing::Values("embedded", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace imi::store
