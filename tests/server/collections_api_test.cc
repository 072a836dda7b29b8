// The /collections routes against the Api with a real store: embedded in a
// temporary directory, and PostgreSQL + pgvector when IMI_TEST_PG_DSN is set.
// Embeddings come from the deterministic test backend.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "server/api.h"
#include "server/routes.h"
#include "server/store_access.h"
#include "store/metric.h"
#include "store/vector_store.h"
#include "test_backend.h"
#include "../store/store_test_util.h"

namespace imi::server {
namespace {

using nlohmann::json;

using store::testing::TempDir;
using store::testing::UniqueName;

void ReplaceAll(std::string* s, const std::string& from, const std::string& to) {
  for (size_t pos = s->find(from); pos != std::string::npos; pos = s->find(from, pos + to.size())) {
    s->replace(pos, from.size(), to);
  }
}

HttpRequest MakeRequest(const std::string& method, const std::string& target, std::string body = "") {
  HttpRequest request;
  request.method = method;
  const size_t q = target.find('?');
  request.path = target.substr(0, q);
  // Parameters split at '&' and the first '='; values are taken as written
  // (the cases write JSON filters unencoded).
  for (size_t start = q; start != std::string::npos && start + 1 < target.size();) {
    const size_t end = target.find('&', start + 1);
    const std::string pair = target.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
    const size_t eq = pair.find('=');
    request.query.emplace(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
    start = end;
  }
  request.body = std::move(body);
  request.remote_addr = "127.0.0.1";
  return request;
}

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  return store::Score(store::Metric::kCosine, a.data(), b.data(), a.size());
}

class CollectionRoutesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<store::VectorStore>> opened = Status::Internal("unset");
    if (GetParam() == "postgres") {
      const char* dsn = std::getenv("IMI_TEST_PG_DSN");
      if (dsn == nullptr || *dsn == '\0') {
        GTEST_SKIP() << "postgres backend skipped: IMI_TEST_PG_DSN is not set (test.sh exports it when it starts a "
                        "PostgreSQL cluster with pgvector)";
      }
      opened = store::OpenPostgresStore(dsn);
    } else {
      ASSERT_FALSE(dir_.path().empty());
      store::EmbeddedOptions options;
      options.directory = dir_.path() + "/store";
      opened = store::OpenEmbeddedStore(options);
    }
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ApiConfig config;
    config.version = "test";
    api_ = std::make_unique<Api>(config);
    auto backend = std::make_unique<testing::TestBackend>();
    backend_ = backend.get();
    api_->SetBackend(std::move(backend));
    api_->SetStore(std::make_unique<StoreAccess>(std::move(opened).value()));
    name_ = UniqueName("coll");
  }

  HttpResponse Call(const std::string& method, const std::string& path, const json& body = nullptr) {
    return api_->Handle(MakeRequest(method, path, body.is_null() ? "" : body.dump()));
  }

  json CallOk(const std::string& method, const std::string& path, const json& body = nullptr) {
    const HttpResponse res = Call(method, path, body);
    EXPECT_LT(res.status, 300) << method << " " << path << ": " << res.body;
    return json::parse(res.body, nullptr, false);
  }

  TempDir dir_;
  std::unique_ptr<Api> api_;
  testing::TestBackend* backend_ = nullptr;
  std::string name_;
};

TEST_P(CollectionRoutesTest, EveryCaseInTheCollectionsFileAnswersAsExpected) {
  const std::string path = std::string(IMI_SOURCE_DIR) + "/tests/data/server/collections.jsonl";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing " << path;
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ReplaceAll(&line, "$C", name_);
    const json c = json::parse(line);
    SCOPED_TRACE(c.at("name").get<std::string>());
    ++cases;
    std::string body;
    if (c.contains("body")) body = c["body"].dump();
    if (c.contains("raw_body")) body = c["raw_body"].get<std::string>();
    const HttpResponse res = api_->Handle(MakeRequest(c.at("method"), c.at("path"), body));
    EXPECT_EQ(res.status, c.at("status").get<int>()) << res.body;
    const json out = json::parse(res.body, nullptr, false);
    ASSERT_FALSE(out.is_discarded()) << res.body;
    if (res.status >= 400) {
      EXPECT_TRUE(out["error"]["message"].is_string()) << res.body;
    }
    if (c.contains("contains")) {
      EXPECT_NE(res.body.find(c["contains"].get<std::string>()), std::string::npos) << res.body;
    }
    const json expectations = c.value("expect", json::object());
    for (const auto& [pointer, expected] : expectations.items()) {
      const json::json_pointer ptr(pointer);
      ASSERT_TRUE(out.contains(ptr)) << pointer << " missing in " << res.body;
      if (expected.is_number() && out[ptr].is_number()) {
        EXPECT_NEAR(out[ptr].get<double>(), expected.get<double>(), 1e-5) << pointer;
      } else {
        EXPECT_EQ(out[ptr], expected) << pointer;
      }
    }
    const json present = c.value("present", json::array());
    for (const json& pointer : present) {
      EXPECT_TRUE(out.contains(json::json_pointer(pointer.get<std::string>()))) << pointer << " in " << res.body;
    }
    const json absent = c.value("absent", json::array());
    for (const json& pointer : absent) {
      EXPECT_FALSE(out.contains(json::json_pointer(pointer.get<std::string>()))) << pointer << " in " << res.body;
    }
  }
  EXPECT_GE(cases, 40);
}

TEST_P(CollectionRoutesTest, TextsAreStoredAsPassageVectorsAndQueriesEmbeddedWithTheQueryPrompt) {
  CallOk("POST", "/collections", {{"name", name_}});
  const std::vector<std::string> texts = {"燃やすごみは月曜日です。", "図書館は火曜日が休みです。",
                                          "市役所の窓口は八時半からです。"};
  json docs = json::array();
  for (size_t i = 0; i < texts.size(); ++i) docs.push_back({{"id", "d" + std::to_string(i)}, {"text", texts[i]}});
  CallOk("POST", "/collections/" + name_ + "/documents", {{"documents", docs}});

  batch::EmbedOptions passage;
  passage.prompt_name = "passage";
  const json stored = CallOk("GET", "/collections/" + name_ + "/documents/d1?vectors=true");
  ASSERT_EQ(stored["chunks"].size(), 1u);
  const std::vector<float> expected = backend_->ExpectedVector(texts[1], passage);
  const std::vector<float> got = stored["chunks"][0]["vector"].get<std::vector<float>>();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], expected[i]);

  // Searching with a stored vector finds its document with similarity 1.
  json found = CallOk("POST", "/collections/" + name_ + "/search", {{"vector", expected}, {"k", 3}});
  ASSERT_EQ(found["results"].size(), 3u);
  EXPECT_EQ(found["results"][0]["id"], "d1");
  EXPECT_NEAR(found["results"][0]["score"].get<double>(), 1.0, 1e-5);
  EXPECT_EQ(found["results"][0]["chunk"]["text"], texts[1]);

  // A text query scores every document by cosine(query vector, passage vector).
  const std::string query = "ごみの日";
  batch::EmbedOptions query_prompt;
  query_prompt.prompt_name = "query";
  const std::vector<float> q = backend_->ExpectedVector(query, query_prompt);
  found = CallOk("POST", "/collections/" + name_ + "/search", {{"query", query}, {"k", 3}, {"exact", true}});
  ASSERT_EQ(found["results"].size(), 3u);
  double previous = 2;
  for (const json& hit : found["results"]) {
    const int index = hit["id"].get<std::string>()[1] - '0';
    const double score = Cosine(q, backend_->ExpectedVector(texts[static_cast<size_t>(index)], passage));
    EXPECT_NEAR(hit["score"].get<double>(), score, 1e-5) << hit.dump();
    EXPECT_LE(score, previous + 1e-9);
    previous = score;
  }
}

// bge-m3-like outputs of the test backend: the sparse weights and token
// vectors go into the collection, mode m3 combines the three scores, and
// "rerank" needs a reranker (422 without one) and then orders by its scores.
TEST_P(CollectionRoutesTest, BgeM3CollectionsKeepAllOutputsSearchM3AndRerank) {
  const json created = CallOk("POST", "/collections", {{"name", name_}, {"colbert", "int8"}});
  EXPECT_EQ(created["colbert"], "int8");
  EXPECT_EQ(Call("POST", "/collections", {{"name", name_ + "x"}, {"colbert", "int4"}}).status, 400);
  const std::vector<std::string> texts = {"燃やすごみは月曜日です。", "図書館は火曜日が休みです。",
                                          "市役所の窓口は八時半からです。", "ごみの分け方の一覧"};
  json docs = json::array();
  for (size_t i = 0; i < texts.size(); ++i) docs.push_back({{"id", "d" + std::to_string(i)}, {"text", texts[i]}});
  CallOk("POST", "/collections/" + name_ + "/documents", {{"documents", docs}});
  const json stored = CallOk("GET", "/collections/" + name_ + "/documents/d1?vectors=true");
  ASSERT_TRUE(stored["chunks"][0].contains("sparse")) << stored.dump();
  EXPECT_FALSE(stored["chunks"][0]["sparse"]["indices"].empty());

  const std::string query = "ごみの日";
  json found = CallOk("POST", "/collections/" + name_ + "/search",
                      {{"mode", "m3"}, {"query", query}, {"k", 4}, {"m3", {{"weights", {{"dense", 1}, {"colbert", 2}}}}}});
  ASSERT_EQ(found["results"].size(), 4u) << found.dump();
  EXPECT_EQ(found["components"], json({"dense", "sparse", "colbert"}));
  EXPECT_EQ(found["m3"]["weights"], json({{"dense", 1.0}, {"sparse", 0.2}, {"colbert", 2.0}}));
  double previous = 1e9;
  for (const json& hit : found["results"]) {
    const json& c = hit["components"];
    const double want = (c["dense"]["score"].get<double>() + 0.2 * c["sparse"]["score"].get<double>() +
                         2 * c["colbert"]["score"].get<double>()) / 3.2;
    EXPECT_NEAR(hit["score"].get<double>(), want, 1e-9) << hit.dump();
    EXPECT_LE(hit["score"].get<double>(), previous);
    previous = hit["score"].get<double>();
  }

  // No reranker: 422 with the way out.
  HttpResponse res = Call("POST", "/collections/" + name_ + "/search", {{"query", query}, {"rerank", {{"top", 3}}}});
  EXPECT_EQ(res.status, 422);
  EXPECT_NE(res.body.find("--reranker"), std::string::npos) << res.body;
  backend_->EnableReranker(true);
  for (const char* mode : {"dense", "lexical", "m3"}) {
    SCOPED_TRACE(mode);
    found = CallOk("POST", "/collections/" + name_ + "/search",
                   {{"mode", mode}, {"query", "ごみの日は月曜日"}, {"k", 2}, {"rerank", {{"top", 4}}}});
    ASSERT_FALSE(found["results"].empty()) << found.dump();
    EXPECT_GE(found["rerank"]["top"].get<int>(), static_cast<int>(found["results"].size()));
    std::vector<double> scores;
    for (const json& hit : found["results"]) {
      const double raw = backend_->ExpectedScore("ごみの日は月曜日", hit["chunk"]["text"].get<std::string>());
      EXPECT_NEAR(hit["score"].get<double>(), 1 / (1 + std::exp(-raw)), 1e-6) << hit.dump();
      EXPECT_EQ(hit["components"]["rerank"]["rank"], static_cast<int>(scores.size()) + 1);
      scores.push_back(hit["score"].get<double>());
    }
    for (size_t i = 1; i < scores.size(); ++i) EXPECT_GE(scores[i - 1], scores[i]);
  }
  // The best by the reranker among all four is first (rerank top >= documents).
  found = CallOk("POST", "/collections/" + name_ + "/search",
                 {{"query", "ごみの日は月曜日"}, {"k", 1}, {"rerank", {{"top", 10}}}});
  double best = -1e9;
  std::string best_id;
  for (size_t i = 0; i < texts.size(); ++i) {
    const double raw = backend_->ExpectedScore("ごみの日は月曜日", texts[i]);
    if (raw > best) best = raw, best_id = "d" + std::to_string(i);
  }
  EXPECT_EQ(found["results"][0]["id"], best_id);
  // A sparse search may bring the query for the reranker only.
  found = CallOk("POST", "/collections/" + name_ + "/search",
                 {{"mode", "sparse"}, {"sparse_vector", stored["chunks"][0]["sparse"]}, {"query", "図書館"},
                  {"rerank", {{"top", 2}}}});
  EXPECT_EQ(found["results"][0]["components"].count("rerank"), 1u) << found.dump();
  EXPECT_EQ(Call("POST", "/collections/" + name_ + "/search", {{"mode", "sparse"}, {"sparse_vector", stored["chunks"][0]["sparse"]}, {"query", "x"}}).status, 400);
}

TEST_P(CollectionRoutesTest, ASelectiveFilterStillReturnsKResults) {
  CallOk("POST", "/collections", {{"name", name_}});
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  json docs = json::array();
  for (int i = 0; i < 200; ++i) {
    std::vector<float> v(8);
    for (float& x : v) x = dist(rng);
    docs.push_back({{"id", "v" + std::to_string(i)}, {"vector", v}, {"metadata", {{"rare", i % 25 == 0}, {"n", i}}}});
  }
  CallOk("POST", "/collections/" + name_ + "/documents", {{"documents", docs}});
  for (bool exact : {false, true}) {
    const json found = CallOk("POST", "/collections/" + name_ + "/search",
                              {{"vector", {1, 0, 0, 0, 0, 0, 0, 0}}, {"k", 5}, {"filter", {{"rare", true}}},
                               {"exact", exact}, {"include", {"metadata", "score"}}});
    ASSERT_EQ(found["results"].size(), 5u) << found.dump();
    for (const json& hit : found["results"]) EXPECT_EQ(hit["metadata"]["rare"], true) << hit.dump();
  }
  const json ranged = CallOk("POST", "/collections/" + name_ + "/search",
                             {{"vector", {0, 1, 0, 0, 0, 0, 0, 0}}, {"k", 10},
                              {"filter", {{"n", {{"$gte", 10}, {"$lt", 13}}}}}});
  EXPECT_EQ(ranged["results"].size(), 3u) << ranged.dump();
}

TEST_P(CollectionRoutesTest, RequestsAreCountedUnderTheRouteTemplate) {
  CallOk("POST", "/collections", {{"name", name_}});
  (void)Call("GET", "/collections/" + name_);
  const std::string metrics = Call("GET", "/metrics").body;
  EXPECT_NE(metrics.find("route=\"/collections/{name}\",status=\"200\""), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find(name_), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, CollectionRoutesTest, ::testing::Values("embedded", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(CollectionRoutesWithoutStoreTest, AStoreThatCannotBeReachedAnswers503AndIsRetried) {
  ApiConfig config;
  Api api(config);
  api.SetBackend(std::make_unique<testing::TestBackend>());
  int attempts = 0;
  api.SetStore(std::make_unique<StoreAccess>([&attempts]() -> Result<std::unique_ptr<store::VectorStore>> {
    ++attempts;
    return Status::Unavailable("could not connect to server");
  }));
  for (int i = 0; i < 2; ++i) {
    const HttpResponse res = api.Handle(MakeRequest("GET", "/collections"));
    EXPECT_EQ(res.status, 503) << res.body;
    EXPECT_NE(res.body.find("could not connect"), std::string::npos) << res.body;
  }
  EXPECT_EQ(attempts, 2);
}

TEST(CollectionRoutesWithoutStoreTest, AnUnreachableDatabaseAnswers503WithRetryAfter) {
  ApiConfig config;
  Api api(config);
  api.SetStore(std::make_unique<StoreAccess>(
      [] { return store::OpenPostgresStore("postgresql://postgres@127.0.0.1:1/imi?connect_timeout=2"); }));
  const HttpResponse res = api.Handle(MakeRequest("POST", "/collections/c/search", R"({"vector":[1]})"));
  EXPECT_EQ(res.status, 503) << res.body;
  EXPECT_EQ(json::parse(res.body)["error"]["type"], "unavailable_error");
  bool retry_after = false;
  for (const auto& [name, value] : res.headers) retry_after = retry_after || name == "Retry-After";
  EXPECT_TRUE(retry_after);
}

TEST(CollectionRoutesWithoutStoreTest, AServerWithoutAStoreAnswers503) {
  ApiConfig config;
  Api api(config);
  const HttpResponse res = api.Handle(MakeRequest("GET", "/collections"));
  EXPECT_EQ(res.status, 503);
  EXPECT_NE(res.body.find("--store"), std::string::npos) << res.body;
}

TEST(CollectionRoutesWithoutStoreTest, TheApiKeyGuardsCollectionRoutes) {
  ApiConfig config;
  config.api_key = "secret";
  Api api(config);
  EXPECT_EQ(api.Handle(MakeRequest("GET", "/collections")).status, 401);
  EXPECT_EQ(api.Handle(MakeRequest("DELETE", "/collections/x")).status, 401);
}

}  // namespace
}  // namespace imi::server
