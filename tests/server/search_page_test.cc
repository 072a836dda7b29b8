// The search page, its JSON and widget through the Api with a real
// embedded store and the deterministic test backend; snippets and
// highlighting on their own.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "../store/store_test_util.h"
#include "server/api.h"
#include "server/search_page.h"
#include "server/snippet.h"
#include "server/store_access.h"
#include "test_backend.h"

namespace imi::server {
namespace {

using nlohmann::json;

std::string Joined(const std::vector<SnippetPart>& parts) {
  std::string out;
  for (const SnippetPart& p : parts) out += p.mark ? "[" + p.text + "]" : p.text;
  return out;
}

TEST(SnippetTest, NeedlesSkipShortHiraganaAndKeepWholeTerms) {
  const std::vector<std::string> needles = HighlightNeedles("燃やすごみの出し方 Tokyo");
  auto has = [&](const std::string& s) { return std::find(needles.begin(), needles.end(), s) != needles.end(); };
  EXPECT_TRUE(has("燃やすごみの出し方"));
  EXPECT_TRUE(has("ごみ") == false);  // two hiragana: a particle-sized match
  EXPECT_TRUE(has("出し方"));
  EXPECT_TRUE(has("tokyo"));
  EXPECT_TRUE(has("の出"));  // has a kanji: kept
  EXPECT_EQ(needles.front(), "燃やすごみの出し方");
}

TEST(SnippetTest, MarksTheLongestMatchesAroundTheBestWindow) {
  const std::string text = std::string(200, 'x') + "燃やすごみは月曜日です。粗大ごみは申し込み制です。" + std::string(200, 'y');
  const auto parts = MakeSnippet(text, HighlightNeedles("燃やすごみ 月曜日"), 40);
  const std::string s = Joined(parts);
  EXPECT_NE(s.find("[燃やすごみ]は[月曜日]"), std::string::npos) << s;
  EXPECT_EQ(s.rfind("…", 0), 0u) << s;
  EXPECT_EQ(Joined(MakeSnippet("Hello TOKYO world", HighlightNeedles("tokyo"))), "Hello [TOKYO] world");
  EXPECT_EQ(Joined(MakeSnippet("行1\n行2", {})), "行1 行2");
  EXPECT_TRUE(MakeSnippet("", HighlightNeedles("x")).empty());
}

HttpRequest Get(const std::string& path, std::vector<std::pair<std::string, std::string>> query,
                const std::string& auth = "") {
  HttpRequest r;
  r.method = "GET";
  r.path = path;
  for (auto& [k, v] : query) r.query.emplace(k, v);
  if (!auth.empty()) r.headers.emplace("authorization", auth);
  r.remote_addr = "127.0.0.1";
  return r;
}

class SearchRoutesTest : public ::testing::Test {
 protected:
  void Start(ApiConfig config) {
    store::EmbeddedOptions options;
    options.directory = dir_.path() + "/store";
    auto opened = store::OpenEmbeddedStore(options);
    ASSERT_TRUE(opened.ok());
    config.version = "test";
    api_ = std::make_unique<Api>(config);
    api_->SetBackend(std::make_unique<testing::TestBackend>());
    api_->SetStore(std::make_unique<StoreAccess>(std::move(opened).value()));
    HttpRequest create;
    create.method = "POST";
    create.path = "/collections";
    create.body = R"({"name":"city"})";
    create.headers.emplace("authorization", "Bearer k");
    ASSERT_LT(api_->Handle(create).status, 300);
    json docs = json::array();
    for (int i = 0; i < 25; ++i) {
      const std::string section = i % 2 ? "kurashi" : "kanko";
      docs.push_back({{"id", "https://city.example/" + section + "/" + std::to_string(i) + ".html"},
                      {"text", "ページ" + std::to_string(i) + "：燃やすごみの出し方と観光の案内です。"},
                      {"metadata",
                       {{"url", "https://city.example/" + section + "/" + std::to_string(i) + ".html"},
                        {"title", i == 3 ? "<script>alert(1)</script>" : "ページ" + std::to_string(i)},
                        {"section", section}}}});
    }
    docs.push_back({{"id", "javascript-url"}, {"text", "燃やすごみ"},
                    {"metadata", {{"url", "javascript:alert(1)"}, {"title", "悪い"}, {"section", "kanko"}}}});
    HttpRequest upsert;
    upsert.method = "POST";
    upsert.path = "/collections/city/documents";
    upsert.body = json{{"documents", docs}}.dump();
    upsert.headers.emplace("authorization", "Bearer k");
    ASSERT_LT(api_->Handle(upsert).status, 300);
  }

  store::testing::TempDir dir_;
  std::unique_ptr<Api> api_;
};

TEST_F(SearchRoutesTest, PageListsResultsSectionsAndPagesWithEverythingEscaped) {
  Start(ApiConfig());
  const HttpResponse res = api_->Handle(Get("/search", {{"c", "city"}, {"q", "燃やすごみ<b>"}}));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.content_type, "text/html; charset=utf-8");
  EXPECT_NE(res.body.find("<html lang=\"ja\">"), std::string::npos);
  EXPECT_NE(res.body.find("検索結果 26件（1〜10件目）"), std::string::npos);
  EXPECT_NE(res.body.find("燃やすごみ&lt;b&gt;"), std::string::npos);
  EXPECT_EQ(res.body.find("<script>"), std::string::npos);
  EXPECT_EQ(res.body.find("href=\"javascript:"), std::string::npos);
  EXPECT_NE(res.body.find("<mark>燃やすごみ</mark>"), std::string::npos);
  EXPECT_NE(res.body.find("section=kurashi"), std::string::npos);
  EXPECT_NE(res.body.find("rel=\"next\""), std::string::npos);
  EXPECT_NE(res.body.find("role=\"search\""), std::string::npos);
  bool csp = false;
  for (const auto& [k, v] : res.headers) csp = csp || (k == "Content-Security-Policy" && v.find("default-src 'none'") == 0);
  EXPECT_TRUE(csp);

  const HttpResponse en = api_->Handle(Get("/search", {{"c", "city"}, {"q", "x"}, {"lang", "en"}}));
  EXPECT_NE(en.body.find("<html lang=\"en\">"), std::string::npos);
  const HttpResponse empty = api_->Handle(Get("/search", {{"c", "city"}}));
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.body.find("<ol"), std::string::npos);
  const HttpResponse none = api_->Handle(Get("/search", {{"c", "city"}, {"q", "ごみ"}, {"section", "nowhere"}}));
  EXPECT_NE(none.body.find("class=\"empty\""), std::string::npos);
  EXPECT_EQ(api_->Handle(Get("/search", {{"c", "missing"}, {"q", "x"}})).status, 404);
  EXPECT_EQ(api_->Handle(Get("/search", {{"c", "city"}, {"q", std::string(300, 'a')}})).status, 400);
}

TEST_F(SearchRoutesTest, JsonFiltersBySectionAndPages) {
  Start(ApiConfig());
  const HttpResponse res =
      api_->Handle(Get("/search/results", {{"c", "city"}, {"q", "観光"}, {"section", "kurashi"}, {"page", "2"},
                                           {"mode", "semantic"}}));
  ASSERT_EQ(res.status, 200) << res.body;
  const json out = json::parse(res.body);
  EXPECT_EQ(out["total"], 12);
  EXPECT_EQ(out["page"], 2);
  EXPECT_EQ(out["pages"], 2);
  EXPECT_EQ(out["results"].size(), 2u);
  EXPECT_EQ(out["results"][0]["rank"], 11);
  for (const json& r : out["results"]) EXPECT_EQ(r["section"], "kurashi");
  EXPECT_EQ(out["sections"].size(), 2u);
  EXPECT_EQ(out["mode"], "semantic");
  EXPECT_TRUE(out["results"][0]["snippet"].is_array());
  EXPECT_EQ(out["page_url"], "/search?c=city&q=%E8%A6%B3%E5%85%89&mode=semantic&section=kurashi&page=2");
  EXPECT_EQ(api_->Handle(Get("/search/results", {{"c", "nope"}, {"q", "x"}})).status, 404);
  // The collection has a lexical index (ja-mecab by default): hybrid is the
  // default mode, and keyword search runs the API's lexical mode.
  const json modes = json::parse(api_->Handle(Get("/search/results", {{"c", "city"}, {"q", "観光"}})).body);
  EXPECT_EQ(modes["mode"], "hybrid");
  EXPECT_EQ(modes["modes"], json({"hybrid", "keyword", "semantic"}));
  const HttpResponse keyword = api_->Handle(Get("/search/results", {{"c", "city"}, {"q", "観光"}, {"mode", "keyword"}}));
  ASSERT_EQ(keyword.status, 200) << keyword.body;
  EXPECT_EQ(json::parse(keyword.body)["mode"], "keyword");
}

TEST_F(SearchRoutesTest, ApiKeyKeepsCollectionsPrivateUnlessListedAndCorsReachesTheWidget) {
  ApiConfig config;
  config.api_key = "k";
  config.public_search = {};
  config.cors_origin = "https://www.city.example";
  Start(config);
  EXPECT_EQ(api_->Handle(Get("/search/results", {{"c", "city"}, {"q", "ごみ"}})).status, 404);
  EXPECT_EQ(api_->Handle(Get("/search", {{"c", "city"}, {"q", "ごみ"}})).status, 404);
  api_.reset();
  config.public_search = {"city"};
  store::testing::TempDir other;
  Start(config);
  const HttpResponse res = api_->Handle(Get("/search/results", {{"c", "city"}, {"q", "ごみ"}}));
  EXPECT_EQ(res.status, 200);
  bool cors = false;
  for (const auto& [k, v] : res.headers) cors = cors || (k == "Access-Control-Allow-Origin" && v == "https://www.city.example");
  EXPECT_TRUE(cors);
  const HttpResponse widget = api_->Handle(Get("/search/widget.js", {}));
  EXPECT_EQ(widget.status, 200);
  EXPECT_EQ(widget.content_type, "application/javascript; charset=utf-8");
  EXPECT_EQ(widget.body.find("__IMI_MESSAGES__"), std::string::npos);
  EXPECT_NE(widget.body.find("検索する言葉"), std::string::npos);
  EXPECT_EQ(api_->Handle(Get("/search/search.css", {})).status, 200);
}

}  // namespace
}  // namespace imi::server
