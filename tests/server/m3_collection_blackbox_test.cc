// bge-m3 collections end to end through build/imi: `imi serve --store` with
// a bge-m3-shaped model creates a collection with ColBERT vectors, embeds
// upserted texts into all three outputs, answers "mode":"m3" with numpy's
// compute_score (tools/modelgen reference-m3) and reranks with the served
// cross-encoder as /v1/rerank scores; a server without a reranker answers 422.
// `imi index --colbert` and `imi search --mode m3 --reranker` give the same.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
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
constexpr size_t kPairs = 12;

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

std::string TempDir() {
  char pattern[] = "/tmp/imi-m3coll.XXXXXX";
  const char* dir = ::mkdtemp(pattern);
  return dir == nullptr ? "" : dir;
}

// Pair n of the reference: (line n, line (7n + 3) mod lines).
size_t Passage(size_t n, size_t lines) { return (7 * n + 3) % lines; }

// The first kPairs pairs whose texts are short enough to be one chunk and
// not truncated by the reference (under 100 tokens).
std::vector<size_t> ShortPairs(const json& ids, size_t lines) {
  std::vector<size_t> out;
  for (size_t n = 0; n < lines && out.size() < kPairs; ++n) {
    if (ids["texts"][n].size() < 100 && ids["texts"][Passage(n, lines)].size() < 100) out.push_back(n);
  }
  return out;
}

TEST(M3CollectionBlackBoxTest, StoresAllThreeOutputsAndSearchesM3AndReranks) {
  IMI_REQUIRE_M3_FIXTURES(f);
  const std::string binary = testing::ImiBinary();
  if (access(binary.c_str(), X_OK) != 0) GTEST_SKIP() << "the imi binary is not built at " << binary;
  const std::string store = TempDir();
  ASSERT_FALSE(store.empty());
  const std::vector<std::string> lines = ReadLines(f.Path("corpus.txt"));
  const json m3 = ReadJson(f.Path("expected_m3-official.json"));
  const std::vector<size_t> pairs = ShortPairs(ReadJson(f.Path("ids_xlmr.json")), lines.size());
  ASSERT_EQ(pairs.size(), kPairs);
  {
    testing::ServeProcess serve;
    ASSERT_TRUE(serve.Start({"--model", f.Path("m3-official"), "--variant", "fp32", "--threads", "1", "--reranker",
                             f.Path("rerank-xlmr-sigmoid"), "--reranker-variant", "fp32", "--store", store}))
        << serve.log();
    const int port = serve.port();
    json created = Post(port, "/collections", {{"name", "faq"}, {"colbert", "float32"}}, 201);
    EXPECT_EQ(created["colbert"], "float32");
    json docs = json::array();
    for (size_t n : pairs) {
      const size_t p = Passage(n, lines.size());
      docs.push_back({{"id", "p" + std::to_string(p)}, {"text", lines[p]}, {"metadata", {{"i", p}}}});
    }
    const json upserted = Post(port, "/collections/faq/documents", {{"documents", docs}});
    ASSERT_EQ(upserted["chunks"], kPairs) << "every passage must be one chunk for the comparison";
    // The sparse weights went into the sparse index: a stored chunk carries them.
    const size_t p0 = Passage(pairs[0], lines.size());
    const testing::RawResponse doc =
        testing::Request(port, "GET", "/collections/faq/documents/p" + std::to_string(p0) + "?vectors=true", "");
    ASSERT_EQ(doc.status, 200);
    EXPECT_EQ(json::parse(doc.body)["chunks"][0]["sparse"]["indices"], m3["texts"][p0]["sparse"]["ids"]);

    for (size_t n : pairs) {
      SCOPED_TRACE("pair " + std::to_string(n));
      const size_t p = Passage(n, lines.size());
      const json found = Post(port, "/collections/faq/search",
                              {{"mode", "m3"}, {"query", lines[n]}, {"k", 1}, {"filter", {{"i", p}}}});
      ASSERT_EQ(found["results"].size(), 1u) << found.dump();
      const json& hit = found["results"][0];
      const json& want = m3["pairs"][n];
      EXPECT_EQ(found["components"], json({"dense", "sparse", "colbert"}));
      EXPECT_NEAR(hit["components"]["dense"]["score"].get<double>(), want["dense"].get<double>(), kTolerance);
      EXPECT_NEAR(hit["components"]["sparse"]["score"].get<double>(), want["sparse"].get<double>(), kTolerance);
      EXPECT_NEAR(hit["components"]["colbert"]["score"].get<double>(), want["colbert"].get<double>(), kTolerance);
      EXPECT_NEAR(hit["score"].get<double>(), want["colbert+sparse+dense"].get<double>(), kTolerance);
    }
    // Weights as compute_score's: [dense, sparse, colbert].
    const json weighted = Post(port, "/collections/faq/search",
                               {{"mode", "m3"}, {"query", lines[pairs[0]]}, {"k", 3}, {"m3", {{"weights", {1, 0, 0}}}}});
    EXPECT_EQ(weighted["m3"]["weights"]["dense"], 1.0);
    for (const json& hit : weighted["results"]) {
      EXPECT_NEAR(hit["score"].get<double>(), hit["components"]["dense"]["score"].get<double>(), 1e-12);
    }

    // Rerank the first 5 of a dense search: the reranker's scores, in its order.
    const json reranked = Post(port, "/collections/faq/search",
                               {{"query", lines[pairs[1]]}, {"k", 3}, {"rerank", {{"top", 5}}}, {"include", {"score"}}});
    ASSERT_EQ(reranked["results"].size(), 3u) << reranked.dump();
    EXPECT_EQ(reranked["rerank"]["top"], 5);
    EXPECT_FALSE(reranked["results"][0].contains("text"));
    std::vector<std::string> texts;
    for (const json& hit : reranked["results"]) texts.push_back(lines[std::stoul(hit["id"].get<std::string>().substr(1))]);
    const json v1 = Post(port, "/v1/rerank", {{"query", lines[pairs[1]]}, {"documents", texts}});
    for (const json& r : v1["results"]) {
      const size_t i = r["index"].get<size_t>();
      EXPECT_NEAR(reranked["results"][i]["score"].get<double>(), r["relevance_score"].get<double>(), kTolerance);
      EXPECT_EQ(reranked["results"][i]["components"]["rerank"]["score"], reranked["results"][i]["score"]);
    }
    for (size_t i = 1; i < 3; ++i) {
      EXPECT_GE(reranked["results"][i - 1]["score"].get<double>(), reranked["results"][i]["score"].get<double>());
    }
    // m3 with rerank: the m3 components stay beside the reranker's.
    const json both = Post(port, "/collections/faq/search",
                           {{"mode", "m3"}, {"query", lines[pairs[2]]}, {"k", 2}, {"rerank", {{"top", 4}}}});
    EXPECT_TRUE(both["results"][0]["components"].contains("colbert")) << both.dump();
    EXPECT_TRUE(both["results"][0]["components"].contains("rerank")) << both.dump();
    // Bad requests.
    Post(port, "/collections/faq/search", {{"query", "x"}, {"rerank", {{"top", 0}}}}, 422);
    Post(port, "/collections/faq/search", {{"query", "x"}, {"rerank", {{"top", 5}, {"model", "x"}}}}, 422);
    Post(port, "/collections/faq/search", {{"mode", "m3"}, {"query", "x"}, {"m3", {{"weights", {0, 0, 0}}}}}, 422);
    Post(port, "/collections/faq/search", {{"query", "x"}, {"m3", {{"candidates", 5}}}}, 400);
    serve.Signal(SIGTERM);
    EXPECT_EQ(serve.WaitExit(20000), 0);
  }
  {
    // No reranker: 422 in imi's error shape, with the way out.
    testing::ServeProcess serve;
    ASSERT_TRUE(serve.Start({"--model", f.Path("m3-official"), "--variant", "fp32", "--threads", "1", "--store", store}))
        << serve.log();
    const json error = Post(serve.port(), "/collections/faq/search", {{"query", lines[0]}, {"rerank", {{"top", 5}}}}, 422);
    EXPECT_NE(error.dump().find("--reranker"), std::string::npos) << error.dump();
    serve.Signal(SIGTERM);
    EXPECT_EQ(serve.WaitExit(20000), 0);
  }

  // The CLI: imi index --colbert, imi search --mode m3 [--reranker].
  const std::string jsonl = store + "/docs.jsonl";
  {
    std::ofstream out(jsonl);
    for (size_t n : pairs) {
      const size_t p = Passage(n, lines.size());
      out << json{{"id", "p" + std::to_string(p)}, {"text", lines[p]}, {"i", p}}.dump() << "\n";
    }
  }
  std::string output;
  const std::string common = " --store " + store + " --collection cli ";
  output.clear();  // RunCommand appends
  ASSERT_EQ(model::testing::RunCommand(binary + " index" + common + "--model " + f.Path("m3-official") +
                                           " --colbert --colbert-encoding float32 " + jsonl,
                                       &output, true),
            0)
      << output;
  EXPECT_NE(output.find("dense + sparse + ColBERT (float32)"), std::string::npos) << output;
  for (size_t n : std::vector<size_t>(pairs.begin(), pairs.begin() + 3)) {
    const size_t p = Passage(n, lines.size());
    const std::string query = store + "/q.txt";
    std::ofstream(query) << lines[n];
    output.clear();  // RunCommand appends
    ASSERT_EQ(model::testing::RunCommand(binary + " search" + common + "--model " + f.Path("m3-official") +
                                             " --mode m3 --json -k 1 --filter '{\"i\": " + std::to_string(p) +
                                             "}' \"$(cat " + query + ")\"",
                                         &output, false),
              0)
        << output;
    const json found = json::parse(output);
    ASSERT_EQ(found["results"].size(), 1u) << output;
    EXPECT_NEAR(found["results"][0]["score"].get<double>(), m3["pairs"][n]["colbert+sparse+dense"].get<double>(),
                kTolerance);
  }
  output.clear();  // RunCommand appends
  ASSERT_EQ(model::testing::RunCommand(binary + " search" + common + "--model " + f.Path("m3-official") +
                                           " --mode m3 --json -k 2 --reranker " + f.Path("rerank-xlmr-sigmoid") +
                                           " --rerank-top 6 \"" + "図書館" + "\"",
                                       &output, false),
            0)
      << output;
  const json reranked = json::parse(output);
  EXPECT_EQ(reranked["rerank"]["top"], 6);
  EXPECT_EQ(reranked["results"].size(), 2u);
  EXPECT_TRUE(reranked["results"][0]["components"].contains("rerank"));
  output.clear();  // RunCommand appends
  EXPECT_NE(model::testing::RunCommand(binary + " search" + common + "--mode lexical --rerank-top 5 図書館", &output, true),
            0);
  EXPECT_NE(output.find("--reranker"), std::string::npos) << output;
  std::error_code ec;
  std::filesystem::remove_all(store, ec);
}

}  // namespace
}  // namespace imi::server
