// bge-m3's outputs and reranking over the API, on the deterministic test
// backend: TEI's /embed_sparse, /embed_all and /rerank, the Cohere and Jina
// forms of /v1/rerank (their request shapes as their SDKs send them), and
// "output" on the original /embed.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "server/api.h"
#include "test_backend.h"

namespace imi::server {
namespace {

using nlohmann::json;

HttpRequest Post(const std::string& path, const json& body) {
  HttpRequest request;
  request.method = "POST";
  request.path = path;
  request.body = body.dump();
  request.remote_addr = "127.0.0.1";
  return request;
}

float Sigmoid(float x) { return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x)))); }

class M3RerankApiTest : public ::testing::Test {
 protected:
  void Start(bool reranker, bool sigmoid = true) {
    ApiConfig config;
    config.version = "test";
    config.max_client_batch = 8;
    api_ = std::make_unique<Api>(config);
    auto backend = std::make_unique<testing::TestBackend>(8, 128);
    if (reranker) backend->EnableReranker(sigmoid);
    backend_ = backend.get();
    api_->SetBackend(std::move(backend));
  }
  json Call(const std::string& path, const json& body, int want_status = 200) {
    const HttpResponse res = api_->Handle(Post(path, body));
    EXPECT_EQ(res.status, want_status) << path << " " << res.body;
    return json::parse(res.body);
  }

  std::unique_ptr<Api> api_;
  testing::TestBackend* backend_ = nullptr;
};

TEST_F(M3RerankApiTest, EmbedSparseAnswersTeiShape) {
  Start(false);
  const json out = Call("/embed_sparse", {{"inputs", {"東京都", "abcab"}}});
  ASSERT_EQ(out.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const batch::SparseVector want = backend_->ExpectedSparse(i == 0 ? "東京都" : "abcab");
    ASSERT_EQ(out[i].size(), want.indices.size());
    for (size_t k = 0; k < want.indices.size(); ++k) {
      EXPECT_EQ(out[i][k]["index"].get<int>(), want.indices[k]);
      EXPECT_FLOAT_EQ(out[i][k]["value"].get<float>(), want.values[k]);
    }
  }
  // A single string is one input, as TEI takes it.
  EXPECT_EQ(Call("/embed_sparse", {{"inputs", "abc"}}).size(), 1u);
}

TEST_F(M3RerankApiTest, EmbedAllAnswersOneVectorPerTokenAfterCls) {
  Start(false);
  const json out = Call("/embed_all", {{"inputs", {"abc"}}});
  const batch::TokenVectors want = backend_->ExpectedColbert("abc");
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].size(), want.rows());  // a, b, c and [SEP]
  EXPECT_EQ(out[0].size(), 4u);
  for (size_t r = 0; r < want.rows(); ++r) {
    for (size_t k = 0; k < want.dim; ++k) EXPECT_FLOAT_EQ(out[0][r][k].get<float>(), want.values[r * want.dim + k]);
  }
}

TEST_F(M3RerankApiTest, OriginalEmbedGivesTheOutputsAsked) {
  Start(false);
  const json out = Call("/embed", {{"texts", {"ab", "c"}}, {"output", {"dense", "sparse", "colbert"}}});
  EXPECT_EQ(out["count"], 2);
  EXPECT_EQ(out["vectors"].size(), 2u);
  EXPECT_EQ(out["dimension"], 8);
  EXPECT_EQ(out["sparse"][0]["indices"].size(), 2u);
  EXPECT_EQ(out["colbert"][1].size(), 2u);
  EXPECT_EQ(out["colbert_dimension"], 4);
  const json sparse_only = Call("/embed", {{"texts", {"ab"}}, {"output", "sparse"}});
  EXPECT_FALSE(sparse_only.contains("vectors"));
  EXPECT_TRUE(sparse_only.contains("sparse"));
  const json bad = Call("/embed", {{"texts", {"ab"}}, {"output", "splade"}}, 400);
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("\"dense\", \"sparse\""), std::string::npos);
  Call("/embed", {{"texts", {"ab"}}, {"output", 3}}, 400);
}

TEST_F(M3RerankApiTest, RerankWithoutARerankerSaysHowToLoadOne) {
  Start(false);
  const json out = Call("/rerank", {{"query", "q"}, {"texts", {"a"}}}, 422);
  EXPECT_NE(out["error"].get<std::string>().find("--reranker"), std::string::npos);
  Call("/v1/rerank", {{"query", "q"}, {"documents", {"a"}}}, 422);
}

TEST_F(M3RerankApiTest, TeiRerankSortsBySigmoidScoreUnlessRaw) {
  Start(true, /*sigmoid=*/false);  // TEI applies sigmoid whatever the model says
  const std::vector<std::string> texts = {"xyz", "東京の天気", "東京", "天気"};
  const std::string query = "東京の天気は";
  const json out = Call("/rerank", {{"query", query}, {"texts", texts}, {"return_text", true}});
  ASSERT_EQ(out.size(), texts.size());
  float last = 2;
  for (const json& r : out) {
    const size_t i = r["index"].get<size_t>();
    EXPECT_EQ(r["text"].get<std::string>(), texts[i]);
    EXPECT_FLOAT_EQ(r["score"].get<float>(), Sigmoid(backend_->ExpectedScore(query, texts[i])));
    EXPECT_LE(r["score"].get<float>(), last);
    last = r["score"].get<float>();
  }
  EXPECT_EQ(out[0]["index"], 1);
  const json raw = Call("/rerank", {{"query", query}, {"texts", texts}, {"raw_scores", true}});
  EXPECT_FLOAT_EQ(raw[0]["score"].get<float>(), backend_->ExpectedScore(query, texts[1]));
  EXPECT_FALSE(raw[0].contains("text"));
  Call("/rerank", {{"query", query}, {"texts", json::array()}}, 422);
  Call("/rerank", {{"query", query}, {"texts", {"a", ""}}}, 422);
  Call("/rerank", {{"query", query}}, 400);
  Call("/rerank", {{"query", query}, {"texts", {"a", "b", "c", "d", "e", "f", "g", "h", "i"}}}, 413);
}

TEST_F(M3RerankApiTest, V1RerankAnswersCohereRequests) {
  Start(true);
  // cohere-ai's rerank: documents as strings, top_n, return_documents.
  const std::vector<std::string> docs = {"Carson City is in Nevada.", "Washington is the capital.",
                                         "The capital of Japan is Tokyo."};
  const std::string query = "What is the capital?";
  const json out = Call("/v1/rerank", {{"model", "rerank-v3.5"},
                                       {"query", query},
                                       {"documents", docs},
                                       {"top_n", 2},
                                       {"return_documents", true}});
  EXPECT_EQ(out["model"], "rerank-v3.5");
  EXPECT_EQ(out["id"].get<std::string>().size(), 32u);
  ASSERT_EQ(out["results"].size(), 2u);
  std::vector<float> want;
  for (const auto& d : docs) want.push_back(Sigmoid(backend_->ExpectedScore(query, d)));
  const size_t best = std::max_element(want.begin(), want.end()) - want.begin();
  EXPECT_EQ(out["results"][0]["index"].get<size_t>(), best);
  EXPECT_FLOAT_EQ(out["results"][0]["relevance_score"].get<float>(), want[best]);
  EXPECT_EQ(out["results"][0]["document"]["text"], docs[best]);
  EXPECT_GE(out["results"][0]["relevance_score"].get<float>(), out["results"][1]["relevance_score"].get<float>());
  EXPECT_TRUE(out["meta"].contains("billed_units"));
  // Without return_documents (Cohere's default): no document.
  const json plain = Call("/v1/rerank", {{"query", query}, {"documents", docs}});
  EXPECT_EQ(plain["results"].size(), 3u);
  EXPECT_FALSE(plain["results"][0].contains("document"));
  EXPECT_EQ(plain["model"], "imi-test/hash-reranker");
  Call("/v1/rerank", {{"query", query}, {"documents", docs}, {"top_n", 0}}, 422);
}

TEST_F(M3RerankApiTest, V1RerankAnswersJinaRequests) {
  Start(true, /*sigmoid=*/false);  // relevance_score follows the model's activation
  // Jina's API: documents may be {"text": ...} objects; usage.total_tokens.
  const std::string query = "東京の天気";
  const json out = Call("/v1/rerank", {{"model", "jina-reranker-v2-base-multilingual"},
                                       {"query", query},
                                       {"documents", {{{"text", "東京は晴れ"}}, {{"text", "大阪"}}}},
                                       {"top_n", 5},
                                       {"return_documents", true}});
  ASSERT_EQ(out["results"].size(), 2u);
  EXPECT_EQ(out["results"][0]["index"], 0);
  EXPECT_EQ(out["results"][0]["document"]["text"], "東京は晴れ");
  EXPECT_FLOAT_EQ(out["results"][0]["relevance_score"].get<float>(), backend_->ExpectedScore(query, "東京は晴れ"));
  EXPECT_GT(out["usage"]["total_tokens"].get<int>(), 10);
  Call("/v1/rerank", {{"query", query}, {"documents", {{{"content", "x"}}}}}, 400);
  Call("/v1/rerank", {{"query", {{"text", query}}}, {"documents", {"x"}}}, 200);
}

}  // namespace
}  // namespace imi::server
