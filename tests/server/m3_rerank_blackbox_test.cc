// `imi serve --model <bge-m3-shaped> --reranker <cross-encoder>` end to end:
// /embed_sparse, /embed_all, /embed "output", /rerank and /v1/rerank over real
// sockets give numpy's values (tools/modelgen reference-m3 / reference-rerank
// on the models of tests/model/make_m3_fixtures.sh), embeddings and reranking
// sharing the server's one queue.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>
#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "raw_http_client.h"
#include "serve_process.h"
#include "serve_test_model.h"

namespace imi::server {
namespace {

using nlohmann::json;
constexpr double kTolerance = 1e-5;

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

json Post(int port, const std::string& path, const json& body, int want = 200) {
  const testing::RawResponse res = testing::Request(port, "POST", path, body.dump());
  EXPECT_EQ(res.status, want) << path << ": " << res.body;
  return json::parse(res.body, nullptr, false);
}

TEST(M3RerankBlackBoxTest, ServesBgeM3OutputsAndRerankingAsNumpyComputesThem) {
  IMI_REQUIRE_M3_FIXTURES(f);
  const std::string binary = testing::ImiBinary();
  if (access(binary.c_str(), X_OK) != 0) GTEST_SKIP() << "the imi binary is not built at " << binary;
  testing::ServeProcess serve;
  ASSERT_TRUE(serve.Start({"--model", f.Path("m3-official-f16"), "--variant", "fp32", "--threads", "1",
                           "--reranker", f.Path("rerank-xlmr-sigmoid"), "--reranker-variant", "fp32"}))
      << serve.log();
  EXPECT_NE(serve.log().find("outputs=dense,sparse,colbert"), std::string::npos) << serve.log();
  EXPECT_NE(serve.log().find("reranker=rerank-xlmr-sigmoid"), std::string::npos) << serve.log();
  const int port = serve.port();
  const json info = json::parse(testing::Request(port, "GET", "/").body);
  EXPECT_EQ(info["model"]["outputs"], json({"dense", "sparse", "colbert"}));
  EXPECT_EQ(info["reranker"]["activation"], "sigmoid");

  const std::vector<std::string> lines = ReadLines(f.Path("corpus.txt"));
  const json m3 = ReadJson(f.Path("expected_m3-official-f16.json"));
  const std::vector<std::string> texts(lines.begin(), lines.begin() + 24);
  const json sparse = Post(port, "/embed_sparse", {{"inputs", texts}});
  const json all = Post(port, "/embed_all", {{"inputs", texts}});
  const json original = Post(port, "/embed", {{"texts", texts}, {"output", "all"}});
  ASSERT_EQ(sparse.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    SCOPED_TRACE("input " + std::to_string(i));
    const json& want = m3["texts"][i];
    for (size_t k = 0; k < want["dense"].size(); ++k) {
      ASSERT_NEAR(original["vectors"][i][k].get<double>(), want["dense"][k].get<double>(), kTolerance);
    }
    // Weights this close to 0 may fall on either side; none are near here.
    ASSERT_EQ(sparse[i].size(), want["sparse"]["ids"].size());
    for (size_t k = 0; k < sparse[i].size(); ++k) {
      ASSERT_EQ(sparse[i][k]["index"], want["sparse"]["ids"][k]);
      ASSERT_NEAR(sparse[i][k]["value"].get<double>(), want["sparse"]["weights"][k].get<double>(), kTolerance);
    }
    ASSERT_EQ(original["sparse"][i]["indices"], want["sparse"]["ids"]);
    ASSERT_EQ(all[i].size(), want["colbert"].size());
    for (size_t r = 0; r < all[i].size(); ++r) {
      for (size_t k = 0; k < all[i][r].size(); ++k) {
        ASSERT_NEAR(all[i][r][k].get<double>(), want["colbert"][r][k].get<double>(), kTolerance);
      }
    }
    EXPECT_EQ(original["colbert"][i], all[i]);
  }

  // Rerank: pair i of the reference is (line i, line (7i + 3) mod lines).
  const json rr = ReadJson(f.Path("expected_rerank-xlmr-sigmoid.json"));
  std::vector<std::thread> clients;
  std::vector<std::string> failures(12);
  for (size_t i = 0; i < failures.size(); ++i) {
    clients.emplace_back([&, i] {
      const std::string& query = lines[i];
      const std::string& text = lines[(7 * i + 3) % lines.size()];
      const json want = rr["pairs"][i];
      const json tei = Post(port, "/rerank", {{"query", query}, {"texts", {text, "無関係"}}, {"raw_scores", true}});
      const json v1 = Post(port, "/v1/rerank", {{"query", query}, {"documents", {text}}});
      const json embed = Post(port, "/embed_sparse", {{"inputs", query}});  // interleaved with reranking
      double raw = 0;
      for (const json& r : tei) {
        if (r["index"] == 0) raw = r["score"].get<double>();
      }
      if (std::abs(raw - want["raw"].get<double>()) > kTolerance ||
          std::abs(v1["results"][0]["relevance_score"].get<double>() - want["score"].get<double>()) > kTolerance ||
          embed.size() != 1) {
        failures[i] = tei.dump() + " " + v1.dump() + " want " + want.dump();
      }
    });
  }
  for (auto& t : clients) t.join();
  for (size_t i = 0; i < failures.size(); ++i) EXPECT_TRUE(failures[i].empty()) << "pair " << i << ": " << failures[i];
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.WaitExit(20000), 0);
}

}  // namespace
}  // namespace imi::server
