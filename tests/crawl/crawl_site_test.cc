// imi crawl end to end against the sample city site (tools/sitegen) served
// on loopback: coverage and outcomes, charsets, politeness measured by the
// server, incremental re-crawl, and kill -9 then resume.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "../store/store_test_util.h"
#include "serve_test_model.h"
#include "site_fixture.h"
#include "store/vector_store.h"

namespace imi::crawl::testing {
namespace {

using nlohmann::json;

class CrawlSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string skip;
    model_ = imi::testing::ServeTestModel(&skip);
    if (model_.empty()) {
      if (!skip.empty()) GTEST_SKIP() << skip;
      FAIL() << "could not generate the test model";
    }
    site_ = dir_.path() + "/site";
    const std::string error = GenerateSite(site_, 1);
    ASSERT_EQ(error, "");
    manifest_ = LoadManifest(site_);
  }

  std::unique_ptr<SiteServer> Serve(const std::vector<std::string>& extra = {}) {
    std::string error;
    auto server = SiteServer::Start(site_, dir_.path() + "/requests-" + std::to_string(servers_++) + ".jsonl", extra,
                                    &error);
    EXPECT_NE(server, nullptr) << error;
    return server;
  }

  std::string CrawlArgs(const SiteServer& server, const std::string& store_flag, const std::string& extra) {
    return "crawl " + server.origin() + "/ --collection city --model '" + model_ + "' " + store_flag +
           " --timeout-ms 1500 --retries 1 " + extra;
  }

  // Expected documents: URL -> manifest page.
  std::map<std::string, json> ExpectedDocuments(const SiteServer& server) const {
    std::map<std::string, json> out;
    for (const json& page : manifest_["pages"]) {
      if (page["expect"] == "stored") out[server.origin() + page["document"].get<std::string>()] = page;
    }
    return out;
  }

  std::unique_ptr<store::VectorStore> OpenEmbedded(const std::string& dir) {
    store::EmbeddedOptions options;
    options.directory = dir;
    auto store = store::OpenEmbeddedStore(options);
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Every expected document is stored, nothing else, with no orphan chunks.
  void ExpectExactlyTheSite(store::VectorStore* store, const std::string& collection,
                            const std::map<std::string, json>& expected) {
    auto info = store->GetCollection(collection);
    ASSERT_TRUE(info.ok()) << info.status().message();
    EXPECT_EQ(info->document_count, static_cast<int64_t>(expected.size()));
    int64_t chunks = 0;
    for (const auto& [url, page] : expected) {
      auto doc = store->GetDocument(collection, url);
      ASSERT_TRUE(doc.ok()) << url << ": " << doc.status().message();
      chunks += static_cast<int64_t>(doc->chunks.size());
    }
    EXPECT_EQ(info->chunk_count, chunks);
  }

  store::testing::TempDir dir_;
  std::string model_;
  std::string site_;
  json manifest_;
  int servers_ = 0;
};

TEST_F(CrawlSiteTest, CrawlsEverySiteOutcomeAndCharsetAsExpected) {
  auto server = Serve();
  ASSERT_NE(server, nullptr);
  const std::string store_dir = dir_.path() + "/store";
  const std::string log = dir_.path() + "/crawl.jsonl";
  ImiRun run = RunImi(CrawlArgs(*server, "--store '" + store_dir + "'",
                                "--concurrency 3 --delay-ms 5 --log '" + log + "'"),
                      dir_.path());
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  EXPECT_NE(run.out.find("complete"), std::string::npos) << run.out;

  // Coverage: exactly the pages the site should give, with their metadata.
  const auto expected = ExpectedDocuments(*server);
  ASSERT_GE(expected.size(), 200u);
  auto store = OpenEmbedded(store_dir);
  ASSERT_NE(store, nullptr);
  ExpectExactlyTheSite(store.get(), "city", expected);
  size_t legacy = 0;
  for (const auto& [url, page] : expected) {
    auto doc = store->GetDocument("city", url);
    ASSERT_TRUE(doc.ok()) << url;
    EXPECT_EQ(doc->metadata["url"], url);
    EXPECT_EQ(doc->metadata["title"], page["title"]) << url;
    EXPECT_EQ(doc->metadata["section"], page["section"]) << url;
    EXPECT_EQ(doc->metadata["charset"], page["charset"]) << url;
    EXPECT_TRUE(doc->metadata["fetched_at"].is_string());
    EXPECT_TRUE(doc->metadata.contains("last_modified"));
    // Every content line of a legacy page decoded: Shift_JIS, EUC-JP,
    // ISO-2022-JP, BOMs and wrong declarations.
    if (page.value("legacy", false)) {
      ++legacy;
      for (const json& line : page["content"]) {
        EXPECT_NE(doc->text.find(line.get<std::string>()), std::string::npos) << url << " lacks " << line;
      }
    }
  }
  EXPECT_GE(legacy, 20u);

  // Outcomes of the special URLs, and where each charset came from.
  std::map<std::string, json> last;
  for (json& line : ReadJsonLines(log)) last[line["url"]] = line;
  for (const auto& [path, outcome] : manifest_["outcomes"].items()) {
    if (outcome == "vanished") continue;
    const std::string url = server->origin() + path;
    ASSERT_TRUE(last.count(url)) << url << " was never reached";
    EXPECT_EQ(last[url]["outcome"], outcome) << url;
  }
  for (const auto& [url, page] : expected) {
    const std::string path = page["path"];
    auto it = last.find(server->origin() + path);
    if (it == last.end() || !it->second.contains("charset")) continue;
    EXPECT_EQ(it->second["charset"], page["charset"]) << path;
    EXPECT_EQ(it->second["charset_source"], page["charset_source"]) << path;
  }
  EXPECT_EQ(last[server->origin() + "/event/matsuri.html"]["attempt"], 2);  // after its 429

  // What the server saw: robots.txt honoured, one host only, at most three
  // requests at a time, each page fetched once (retries aside).
  std::map<std::string, int> fetches;
  int max_in_flight = 0;
  for (const json& r : server->Requests()) {
    const std::string path = r["path"];
    EXPECT_EQ(r["host"], "127.0.0.1:" + std::to_string(server->port()));
    EXPECT_TRUE(path.rfind("/admin/", 0) != 0 || path.rfind("/admin/public/", 0) == 0) << path;
    EXPECT_EQ(r["ua"].get<std::string>().rfind("imi-crawler/", 0), 0u);
    max_in_flight = std::max(max_in_flight, r["in_flight"].get<int>());
    ++fetches[path];
  }
  EXPECT_LE(max_in_flight, 3);
  EXPECT_GE(max_in_flight, 2);  // it did crawl in parallel
  for (const auto& [path, n] : fetches) {
    const bool retried = path == "/event/matsuri.html" || path == "/bousai/map.html" || path == "/event/slow.html";
    EXPECT_EQ(n, retried ? 2 : 1) << path;
  }
  EXPECT_EQ(fetches.count("/kurashi/gomi.html#top"), 0u);
  EXPECT_NE(run.out.find("Shift_JIS"), std::string::npos) << run.out;
}

TEST_F(CrawlSiteTest, KeepsCrawlDelayConcurrencyAndHostsMeasuredByTheServer) {
  // robots.txt asks for 0.25 s between requests; the crawl would go faster.
  auto server = Serve({"--crawl-delay", "0.25"});
  ASSERT_NE(server, nullptr);
  ImiRun run = RunImi(CrawlArgs(*server, "--store '" + dir_.path() + "/store'",
                                "--concurrency 2 --delay-ms 20 --max-pages 16 --allow-host localhost:" +
                                    std::to_string(server->port())),
                      dir_.path());
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  EXPECT_NE(run.out.find("stopped (--max-pages)"), std::string::npos) << run.out;
  std::map<std::string, std::vector<double>> starts;
  int max_in_flight = 0;
  for (const json& r : server->Requests()) {
    starts[r["host"]].push_back(r["start"].get<double>());
    max_in_flight = std::max(max_in_flight, r["in_flight"].get<int>());
  }
  EXPECT_LE(max_in_flight, 2);
  const std::vector<double>& main = starts["127.0.0.1:" + std::to_string(server->port())];
  ASSERT_GE(main.size(), 8u);
  // n requests started at least 0.25 s apart span (n - 1) * 0.25 s; the
  // server's clock reading each one may jitter, so allow 10%.
  EXPECT_GE(main.back() - main.front(), (main.size() - 1) * 0.25 * 0.9);
  // --allow-host made the other host name part of the crawl: its own
  // robots.txt and queue.
  EXPECT_TRUE(starts.count("localhost:" + std::to_string(server->port()))) << run.out;
}

TEST_F(CrawlSiteTest, RecrawlReembedsChangedPagesDeletesGoneOnesAndSendsValidators) {
  auto server = Serve();
  ASSERT_NE(server, nullptr);
  const std::string store_dir = dir_.path() + "/store";
  const std::string flags = "--store '" + store_dir + "'";
  ImiRun first = RunImi(CrawlArgs(*server, flags, "--concurrency 4 --delay-ms 0"), dir_.path());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto before = ExpectedDocuments(*server);
  // A second run without --recrawl has nothing to do and sends nothing
  // (the server's clock is CLOCK_MONOTONIC, as steady_clock is).
  const double idle_start =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  ImiRun idle = RunImi(CrawlArgs(*server, flags, ""), dir_.path());
  ASSERT_EQ(idle.exit_code, 0) << idle.err;
  EXPECT_NE(idle.out.find("nothing to do"), std::string::npos) << idle.out;
  for (const json& r : server->Requests()) EXPECT_LT(r["start"].get<double>(), idle_start) << r["path"];

  ASSERT_EQ(GenerateSite(site_, 2), "");
  manifest_ = LoadManifest(site_);
  const auto after = ExpectedDocuments(*server);
  ImiRun second = RunImi(CrawlArgs(*server, flags, "--concurrency 4 --delay-ms 0 --recrawl"), dir_.path());
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("run 2"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("stored 3 new and 5 changed pages"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("deleted 6 documents"), std::string::npos) << second.out;

  auto store = OpenEmbedded(store_dir);
  ASSERT_NE(store, nullptr);
  ExpectExactlyTheSite(store.get(), "city", after);
  for (const auto& [url, page] : before) {
    if (!after.count(url)) EXPECT_EQ(store->GetDocument("city", url).status().code(), StatusCode::kNotFound) << url;
  }
  auto changed = store->GetDocument("city", server->origin() + "/kurashi/kurashi-02.html");
  ASSERT_TRUE(changed.ok());
  EXPECT_NE(changed->text.find("令和8年4月1日から"), std::string::npos);

  // Unchanged pages were asked for with their ETag and answered 304.
  size_t conditional = 0, not_modified = 0;
  for (const json& r : server->Requests()) {
    if (r["inm"].is_string()) ++conditional;
    if (r["status"] == 304) ++not_modified;
  }
  EXPECT_GE(conditional, 250u);
  EXPECT_GE(not_modified, 250u);
}

TEST_F(CrawlSiteTest, KillNineThenRerunLosesAndDuplicatesNothing) {
  auto server = Serve();
  ASSERT_NE(server, nullptr);
  // PostgreSQL when the test cluster is there (the crawl state lives in
  // either backend); the embedded store otherwise.
  const char* dsn = std::getenv("IMI_TEST_PG_DSN");
  const bool pg = dsn != nullptr && *dsn != '\0';
  const std::string collection = store::testing::UniqueName("crawlkill");
  const std::string store_dir = dir_.path() + "/store";
  std::vector<std::string> args = {"crawl", server->origin() + "/", "--collection", collection, "--model", model_,
                                   "--timeout-ms", "1500", "--retries", "1", "--concurrency", "2", "--delay-ms", "25",
                                   "--batch", "4", "--log", dir_.path() + "/kill.jsonl"};
  if (pg) {
    args.insert(args.end(), {"--pg", dsn});
  } else {
    args.insert(args.end(), {"--store", store_dir});
  }
  const pid_t pid = SpawnImi(args, dir_.path() + "/kill.out");
  size_t stored = 0;
  for (int i = 0; i < 1200 && stored < 40; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stored = 0;
    for (const json& line : ReadJsonLines(dir_.path() + "/kill.jsonl")) stored += line["outcome"] == "stored";
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_GE(stored, 40u) << "the crawl did not get going";
  const size_t first_requests = server->Requests().size();

  std::string store_flag = pg ? std::string("--pg '") + dsn + "'" : "--store '" + store_dir + "'";
  ImiRun rerun = RunImi("crawl " + server->origin() + "/ --collection " + collection + " --model '" + model_ + "' " +
                            store_flag + " --timeout-ms 1500 --retries 1 --concurrency 4 --delay-ms 0",
                        dir_.path());
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_NE(rerun.out.find("(resumed)"), std::string::npos) << rerun.out;
  EXPECT_NE(rerun.err.find("resuming run 1"), std::string::npos) << rerun.err;

  std::unique_ptr<store::VectorStore> store;
  if (pg) {
    auto opened = store::OpenPostgresStore(dsn);
    ASSERT_TRUE(opened.ok());
    store = std::move(opened).value();
  } else {
    store = OpenEmbedded(store_dir);
  }
  ASSERT_NE(store, nullptr);
  ExpectExactlyTheSite(store.get(), collection, ExpectedDocuments(*server));
  // Pages finished before the kill were not fetched again; at most those in
  // flight or not yet committed were.
  std::map<std::string, int> before, again;
  const auto requests = server->Requests();
  for (size_t i = 0; i < requests.size(); ++i) {
    (i < first_requests ? before : again)[requests[i]["path"]]++;
  }
  size_t refetched = 0;
  for (const auto& [path, n] : again) {
    if (before.count(path) && path != "/robots.txt") ++refetched;
  }
  EXPECT_LE(refetched, 12u);
  if (pg) (void)store->DeleteCollection(collection);
}

}  // namespace
}  // namespace imi::crawl::testing
